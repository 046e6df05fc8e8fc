/**
 * The retrying write loop shared by the heartbeat probe and each TPC-B writer: connect through the multi-host
 * list, write, and on ANY error drop the connection, back off briefly and connect again (libpq's
 * target_session_attrs=read-write picks whichever server accepts writes now). Every outcome is reported.
 */
import type { Queryable } from '../db';
import { describeError } from './errors';
import { Backoff, nowMs, sleep } from './timing';

export interface WriteConnection extends Queryable {
  end(): Promise<void>;
}

/** A connection that accepts writes and the server it landed on ("host:port"). */
export interface Connected {
  client: WriteConnection;
  host: string;
  /** The error that broke the connection while it was idle (e.g. 57P01 terminated by administrator), if any. */
  brokenBy?: () => unknown;
}

export type Connector = () => Promise<Connected>;

export interface WriteLoopOptions<R> {
  connect: Connector;
  /** One write; resolves once the server acknowledged its commit. */
  write(conn: Connected): Promise<R>;
  /** Pause between the starts of two writes; 0 = back to back. */
  intervalMs: number;
  backoff: Backoff;
  /** A write or connect that takes longer counts as failed and its connection is dropped. */
  attemptTimeoutMs: number;
  signal: AbortSignal;
  onConnected?(host: string, at: number): void;
  onAck(result: R, host: string, at: number, latencyMs: number): void;
  onFail(error: string, at: number, phase: 'connect' | 'write', cause: unknown): void;
}

class AttemptTimeout extends Error {
  constructor(ms: number, phase: string) {
    super(`${phase} took longer than ${ms} ms`);
    this.name = 'AttemptTimeout';
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, phase: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new AttemptTimeout(ms, phase)), ms); });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function close(conn: Connected | undefined): Promise<void> {
  return conn ? conn.client.end().catch(() => { /* already broken */ }) : Promise.resolve();
}

/** Runs until the signal aborts; the attempt in flight then finishes (its ack still counts) and the connection closes. */
export async function writeLoop<R>(o: WriteLoopOptions<R>): Promise<void> {
  let conn: Connected | undefined;
  while (!o.signal.aborted) {
    const started = nowMs();
    if (!conn) {
      const pending = o.connect();
      try {
        conn = await withTimeout(pending, o.attemptTimeoutMs, 'connect');
        o.onConnected?.(conn.host, nowMs());
      } catch (e) {
        pending.then((late) => close(late), () => undefined); // a late connection must not leak
        o.onFail(describeError(e), nowMs(), 'connect', e);
        await sleep(o.backoff.next(), o.signal);
        continue;
      }
    }
    const writeStarted = nowMs();
    try {
      const result = await withTimeout(o.write(conn), o.attemptTimeoutMs, 'write');
      const at = nowMs();
      o.backoff.reset();
      o.onAck(result, conn.host, at, at - writeStarted);
    } catch (e) {
      const cause = conn.brokenBy?.() ?? e;
      o.onFail(describeError(cause), nowMs(), 'write', cause);
      void close(conn);
      conn = undefined;
      await sleep(o.backoff.next(), o.signal);
      continue;
    }
    if (o.intervalMs > 0) await sleep(o.intervalMs - (nowMs() - started), o.signal);
  }
  await close(conn);
}
