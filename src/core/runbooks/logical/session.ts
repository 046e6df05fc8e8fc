import { versionFromNum, type Queryable, type ServerVersion } from '../../db';
import type { ClusterRole, StepContext } from '../../runbook/types';
import { WRITABLE_SESSION } from './statements';

export type Session = Queryable & { end(): Promise<void> };

/**
 * A dedicated session for the duration of fn, closed afterwards. By default it may write even on a frozen
 * server (default_transaction_read_only = off for this session only).
 */
export async function withSession<P, T>(
  ctx: StepContext<P>,
  role: ClusterRole,
  fn: (s: Session) => Promise<T>,
  setup: string[] = [WRITABLE_SESSION],
): Promise<T> {
  const s = await ctx.connect(role);
  try {
    for (const stmt of setup) await s.query(stmt);
    return await fn(s);
  } finally {
    await s.end().catch(() => undefined);
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export { sleep } from '../../probe/timing';

/** The role's server version (opening its session first if needed: the engine learns versions on connect). */
export async function versionOf<P>(ctx: StepContext<P>, role: ClusterRole): Promise<ServerVersion> {
  const known = ctx.cluster(role).version;
  if (known) return known;
  const q = await ctx.db(role);
  const v = ctx.cluster(role).version;
  if (v) return v;
  const r = await q.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
  return versionFromNum(Number(r.rows[0].v));
}

export async function majorOf<P>(ctx: StepContext<P>, role: ClusterRole): Promise<number> {
  return (await versionOf(ctx, role)).major;
}
