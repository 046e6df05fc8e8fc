/**
 * The run journal: append-only JSON lines `<journalDir>/<runId>.jsonl`, one JournalEvent per line.
 * Every append opens the file with 'a', writes one line and fsyncs, so a crash loses at most the event being written;
 * a torn last line is ignored by the reader and terminated before the next append.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { Redactor } from './redact';
import type { JournalEvent } from './types';

export const JOURNAL_EXT = '.jsonl';
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export class JournalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JournalError';
  }
}

/** "20261121-235901-3fa2c1": sortable, file-name safe. */
export function newRunId(now: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const d = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}`;
  const t = `${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${d}-${t}-${randomBytes(3).toString('hex')}`;
}

export function assertRunId(runId: string): void {
  if (!RUN_ID.test(runId)) throw new JournalError(`"${runId}" is not a run id (letters, digits, ".", "_" and "-" only)`);
}

export function journalPath(journalDir: string, runId: string): string {
  assertRunId(runId);
  return join(journalDir, `${runId}${JOURNAL_EXT}`);
}

/** Appends one event durably (open 'a', write, fsync, close). Creates the directory (0700) and file (0600). */
export async function appendEvent(file: string, event: JournalEvent): Promise<void> {
  const line = `${JSON.stringify(event)}\n`;
  const handle = await openForAppend(file);
  try {
    await handle.write(line);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function openForAppend(file: string): Promise<fs.FileHandle> {
  try {
    return await fs.open(file, 'a', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const dir = join(file, '..');
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const handle = await fs.open(file, 'a', 0o600);
    await syncDir(dir);
    return handle;
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const h = await fs.open(dir, 'r');
    try { await h.sync(); } finally { await h.close(); }
  } catch {
    // some file systems refuse fsync on a directory; the file itself is synced
  }
}

/** A torn last line (crash mid-write) would glue onto the next event: end it first. */
export async function terminateTornLine(file: string): Promise<void> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return;
    const buf = Buffer.alloc(1);
    await handle.read(buf, 0, 1, size - 1);
    if (buf[0] !== 0x0a) {
      await handle.write('\n', size);
      await handle.sync();
    }
  } finally {
    await handle.close();
  }
}

/** Parses journal text. A torn (unparsable) last line is dropped; any other bad line is an error. */
export function parseJournal(text: string, file = 'journal'): JournalEvent[] {
  const lines = text.split('\n');
  const events: JournalEvent[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let ev: unknown;
    try {
      ev = JSON.parse(line);
    } catch {
      const isLast = lines.slice(i + 1).every((l) => !l.trim());
      if (isLast && !text.endsWith('\n')) break; // torn final write
      // a torn line that was terminated by a later resume: skip it, it carried no completed event
      if (!line.endsWith('}')) continue;
      throw new JournalError(`${file}: line ${i + 1} is not valid JSON`);
    }
    if (!ev || typeof ev !== 'object' || typeof (ev as { type?: unknown }).type !== 'string') {
      throw new JournalError(`${file}: line ${i + 1} is not a journal event`);
    }
    events.push(ev as JournalEvent);
  }
  return events;
}

export async function readJournal(file: string): Promise<JournalEvent[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new JournalError(`no journal at ${file}`);
    throw err;
  }
  return parseJournal(text, file);
}

/**
 * Serialized, scrubbed appends for one run. Every event goes through the run's Redactor before it touches disk.
 */
export class JournalWriter {
  private chain: Promise<void> = Promise.resolve();
  readonly events: JournalEvent[] = [];

  constructor(readonly file: string, private readonly redactor: Redactor, private readonly listener?: (e: JournalEvent) => void) {}

  append(event: JournalEvent): Promise<JournalEvent> {
    const clean = this.redactor.value(event);
    const write = this.chain.then(() => appendEvent(this.file, clean));
    this.chain = write.catch(() => undefined);
    return write.then(() => {
      this.events.push(clean);
      try {
        this.listener?.(clean);
      } catch {
        // a listener's problem is not the run's
      }
      return clean;
    });
  }
}

export function nowIso(): string {
  return new Date().toISOString();
}
