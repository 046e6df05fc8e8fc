/**
 * COPY … FROM STDIN on a node-postgres client, without another package: the data travels as CopyData messages,
 * which the server never writes to its log (log_statement logs only the COPY statement's text). Used to hand a
 * secret to the server without it appearing in any statement or bind parameter.
 */
import type { Client } from 'pg';

interface PgConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
}

/** The protocol hooks node-postgres calls on an active "submittable" query. */
class CopyIn {
  private error: Error | undefined;
  private settle!: (err?: Error) => void;
  readonly done = new Promise<void>((resolve, reject) => {
    this.settle = (err) => (err ? reject(err) : resolve());
  });

  constructor(private readonly text: string, private readonly data: Buffer) {}

  submit(connection: PgConnection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: PgConnection): void {
    connection.sendCopyFromChunk(this.data);
    connection.endCopyFrom();
  }

  handleCommandComplete(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}

  handleError(err: Error): void {
    this.error = err;
  }

  handleReadyForQuery(): void {
    this.settle(this.error);
  }
}

/** Text-format COPY escaping of one field (backslash, tab, newline, carriage return). */
export function copyTextField(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/** Runs `copyStatement` (COPY … FROM STDIN, text format) sending `rows` (each an array of its fields' values). */
export async function copyRowsIn(client: Client, copyStatement: string, rows: string[][]): Promise<void> {
  const data = Buffer.from(rows.map((r) => `${r.map(copyTextField).join('\t')}\n`).join(''), 'utf8');
  const q = new CopyIn(copyStatement, data);
  // node-postgres accepts any object with submit() as a query and drives it through the handlers above.
  void client.query(q as unknown as Parameters<Client['query']>[0]);
  await q.done;
}
