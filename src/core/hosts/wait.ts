/** Waiting for a server over SQL after a host step (a start, a promotion, a rejoin), bounded. */
import { performance } from 'node:perf_hooks';
import type { Queryable } from '../db';
import type { ClusterRole, StepContext } from '../runbook/types';

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface WaitOptions<T> {
  timeoutMs: number;
  pollMs?: number;
  /** What is awaited, for the timeout message ("the standby to stream"). */
  what: string;
  /** Returns a value when the condition holds, undefined to keep waiting. Runs on a fresh session each time. */
  check?: (q: Queryable) => Promise<T | undefined>;
}

/**
 * Connects to the role again and again (a server starting up refuses connections) until `check` returns a value.
 * Resolves with it and the time waited; rejects after timeoutMs with the last reason.
 */
export async function waitForServer<P, T = true>(ctx: StepContext<P>, role: ClusterRole, o: WaitOptions<T>): Promise<{ value: T; waitedMs: number }> {
  const start = performance.now();
  let last = 'not tried yet';
  for (;;) {
    if (ctx.signal.aborted) throw new Error(`aborted by the operator while waiting for ${o.what}`);
    try {
      const s = await ctx.connect(role);
      try {
        const v = o.check ? await o.check(s) : (true as unknown as T);
        if (v !== undefined) return { value: v, waitedMs: Math.round(performance.now() - start) };
        last = 'the condition does not hold yet';
      } finally {
        await s.end().catch(() => undefined);
      }
    } catch (err) {
      last = messageOf(err);
    }
    if (performance.now() - start > o.timeoutMs) {
      throw new Error(`gave up waiting for ${o.what} after ${Math.round(o.timeoutMs / 1000)} s (last: ${last})`);
    }
    await sleep(o.pollMs ?? 200, ctx.signal);
  }
}

/** server_version_num of a session. */
export async function versionNumOf(q: Queryable): Promise<number> {
  return Number((await q.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0].v);
}

/** "16.14" → 160014; "15" → undefined (no minor). Throws for text that is not a version. */
export function parseMinorVersion(text: string): { major: number; minor: number; num: number } {
  const m = /^\s*v?(\d+)\.(\d+)\s*$/.exec(text);
  if (!m) throw new Error(`"${text}" is not a PostgreSQL minor version such as 16.14`);
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major < 10) throw new Error(`PostgreSQL ${text} is too old (10 or newer)`);
  return { major, minor, num: major * 10000 + minor };
}

export function versionText(num: number): string {
  return `${Math.floor(num / 10000)}.${num % 10000}`;
}
