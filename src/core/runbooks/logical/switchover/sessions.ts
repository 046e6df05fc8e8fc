/** The switchover's dedicated sessions, opened before the freeze, and small timing helpers of the window. */
import { performance } from 'node:perf_hooks';
import type { StepContext } from '../../../runbook/types';
import { COMPARE_SESSION_SETTINGS } from '../compare';
import type { LogicalUpgradeParams } from '../params';
import type { Session } from '../session';
import { WRITABLE_SESSION } from '../statements';

type Ctx = StepContext<LogicalUpgradeParams>;

const CONTROL = [WRITABLE_SESSION, "SET statement_timeout = '5s'", 'SET synchronous_commit = on', "SET lock_timeout = '2s'"];

export interface Sessions {
  srcCtl: Session;
  /** Kept idle for the abort: reopening the source must not wait behind a stuck statement. */
  srcSpare: Session;
  /** Reads the sequences while srcCtl polls the drain. */
  srcSeq: Session;
  tgtCtl: Session;
  srcCmp?: Session;
  tgtCmp?: Session;
}

export async function openSessions(ctx: Ctx, compare: boolean): Promise<Sessions> {
  const opened: Session[] = [];
  const open = async (role: 'source' | 'target', setup: string[]) => {
    const s = await ctx.connect(role);
    opened.push(s);
    for (const st of setup) await s.query(st);
    return s;
  };
  try {
    const [srcCtl, srcSpare, srcSeq, tgtCtl] = await Promise.all([open('source', CONTROL), open('source', CONTROL), open('source', CONTROL), open('target', CONTROL)]);
    const s: Sessions = { srcCtl, srcSpare, srcSeq, tgtCtl };
    if (compare) [s.srcCmp, s.tgtCmp] = await Promise.all([open('source', COMPARE_SESSION_SETTINGS), open('target', COMPARE_SESSION_SETTINGS)]);
    return s;
  } catch (err) {
    await Promise.allSettled(opened.map((x) => x.end()));
    throw err;
  }
}

export async function closeSessions(s: Sessions): Promise<void> {
  await Promise.allSettled([s.srcCtl, s.srcSpare, s.srcSeq, s.tgtCtl, s.srcCmp, s.tgtCmp].filter((x): x is Session => !!x).map((x) => x.end()));
}

/** Resolves with the promise's value, or rejects once `ms` have passed (the promise keeps running). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${Math.round(ms)} ms`)), Math.max(0, ms));
    }),
  ]).finally(() => clearTimeout(timer));
}

export const iso = (epochMs: number) => new Date(epochMs).toISOString();

/** Wall-clock and monotonic time together: ISO stamps for the record, exact differences for the window. */
export function stamp(): { wall: number; mono: number } {
  return { wall: Date.now(), mono: performance.now() };
}

export function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** The window's breakdown (issue 14): consecutive phases with their durations, in order. */
export class Breakdown {
  readonly phases: Array<{ phase: string; ms: number }> = [];
  private last = performance.now();

  /** Closes the phase that ran since the previous mark. */
  mark(phase: string): void {
    const now = performance.now();
    this.phases.push({ phase, ms: round(now - this.last) });
    this.last = now;
  }

  restart(): void {
    this.last = performance.now();
  }
}
