/**
 * An application writing on its own connection to one database: every acknowledged insert (table w, column v) is
 * recorded with when it was sent and acknowledged. It gives up at the first error (a terminated session, a frozen
 * server), as a plain application would; `errors` says why.
 */
import type { Client } from 'pg';
import { clientFor, type LabServer } from './lab';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class AckedWriter {
  readonly acked: Array<{ v: number; sent: number; ack: number }> = [];
  readonly errors: string[] = [];
  private stopped = false;
  private readonly loop: Promise<void>;
  private constructor(private readonly client: Client, readonly label: string) {
    this.loop = this.run();
  }
  static async start(server: LabServer, database: string, label = `${database}@${server.version}`): Promise<AckedWriter> {
    const c = await clientFor(server, database);
    c.on('error', () => undefined); // a terminated session surfaces on the next query
    return new AckedWriter(c, label);
  }
  private async run(): Promise<void> {
    for (let v = 1; !this.stopped; v++) {
      const sent = Date.now();
      try {
        await this.client.query('INSERT INTO w (v) VALUES ($1)', [v]);
        this.acked.push({ v, sent, ack: Date.now() });
      } catch (err) {
        this.errors.push((err as Error).message);
        return;
      }
      await sleep(5);
    }
  }
  /** Acknowledged inserts sent after `from` and acknowledged before `to`. */
  within(from: number, to: number): number {
    return this.acked.filter((a) => a.sent >= from && a.ack <= to).length;
  }
  /** The acknowledged values (each one must be on the final primary). */
  values(): number[] {
    return this.acked.map((a) => a.v);
  }
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.client.end().catch(() => undefined);
  }
}
