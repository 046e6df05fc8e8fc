/**
 * Waits that survive a server restart (issue 8, item 6): a step polling a condition on the run's pooled session for a
 * role keeps polling when that server goes away and comes back (RunConnections reopens a dropped session), and fails
 * with the server's name and the cause when it stays away longer than `reconnectMs`. Shared by the logical
 * switchover's waits and the wait-sync step.
 */
import type { Queryable } from '../db';
import type { ClusterRole, StepContext } from './types';

/** A lost or refused connection (server restart, terminate, shutdown in progress) rather than a failing query. */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  if (/^(08|57P0)/.test(code)) return true; // connection exceptions; admin/crash shutdown, cannot connect now
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND'].includes(code)) return true;
  // src/core/conn's ConnectError: a server that cannot be reached (not bad credentials or a bad connection string)
  const kind = (err as { name?: unknown; kind?: unknown })?.name === 'ConnectError' ? String((err as { kind?: unknown }).kind) : '';
  if (kind === 'unreachable' || kind === 'timeout') return true;
  if (kind && kind !== 'other') return false; // credentials, TLS, a missing database: waiting does not help
  const message = typeof e?.message === 'string' ? e.message : '';
  if (/\b(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT)\b|could not connect to/.test(message)) return true;
  return /Connection terminated|connection error|not queryable|server closed the connection|the database system is (starting up|shutting down|in recovery)|terminating connection/i.test(message);
}

export interface ReconnectingWait {
  /** What is awaited, for messages ("the initial sync"). */
  what: string;
  /** Overall bound of the wait. */
  timeoutMs: number;
  intervalMs: number;
  /** How long a server may stay away before the wait fails (default 60 s). */
  reconnectMs?: number;
  signal?: AbortSignal;
  /** Called when the server went away and when it answers again (e.g. ui.log). */
  onConnectionChange?(state: 'lost' | 'back', detail: string): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `check` on ctx.db(role) until it returns a value other than undefined. A connection error is retried on a
 * reopened session; other errors end the wait at once.
 */
export async function waitReconnecting<T, P>(
  ctx: Pick<StepContext<P>, 'db' | 'cluster'>,
  role: ClusterRole,
  check: (q: Queryable) => Promise<T | undefined>,
  o: ReconnectingWait,
): Promise<T> {
  const started = Date.now();
  const reconnectMs = o.reconnectMs ?? 60_000;
  let lostSince: number | undefined;
  let lastCause = '';
  const name = () => {
    try {
      const c = ctx.cluster(role);
      return `the ${role} server "${c.name}" (${c.hosts})`;
    } catch {
      return `the ${role} server`;
    }
  };
  for (;;) {
    if (o.signal?.aborted) throw new Error(`aborted while waiting for ${o.what}`);
    try {
      const value = await check(await ctx.db(role));
      if (lostSince !== undefined) o.onConnectionChange?.('back', `${name()} answers again after ${Date.now() - lostSince} ms`);
      lostSince = undefined;
      if (value !== undefined) return value;
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      lastCause = err instanceof Error ? err.message : String(err);
      if (lostSince === undefined) {
        lostSince = Date.now();
        o.onConnectionChange?.('lost', `${name()} went away (${lastCause}); reconnecting`);
      }
      if (Date.now() - lostSince > reconnectMs) {
        throw new Error(`${name()} went away while waiting for ${o.what} and did not come back within ${Math.round(reconnectMs / 1000)} s: ${lastCause}`);
      }
    }
    if (Date.now() - started > o.timeoutMs) {
      throw new Error(`${o.what} did not happen within ${Math.round(o.timeoutMs / 1000)} s${lostSince !== undefined ? ` (${name()} is unreachable: ${lastCause})` : ''}`);
    }
    await sleep(o.intervalMs);
  }
}
