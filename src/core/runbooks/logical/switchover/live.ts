/**
 * Who may take writes, as a NEW session sees it: every decision of the switchover (gate, abort, resume) reads the
 * servers through fresh connections, never through the configuration file or the journal alone. Also the two
 * actions that change it, each verified the same way: open a server (all our freezes undone, a pending reload
 * finished) and reopen the source after an abort.
 */
import { performance } from 'node:perf_hooks';
import type { ClusterRole, StepContext } from '../../../runbook/types';
import type { LogicalUpgradeParams } from '../params';
import { frozenBySystemAsFarAsVisible } from '../queries';
import { messageOf, sleep, type Session } from '../session';
import { LIVE_READ_ONLY_SQL, openDatabaseSql, UNFREEZE, WRITABLE_SESSION } from '../statements';

type Ctx = StepContext<LogicalUpgradeParams>;

export interface ServerLive {
  /** default_transaction_read_only in a brand-new session of the upgraded database. */
  readOnly: boolean;
  database: string;
  /** ALTER DATABASE … SET default_transaction_read_only = on is in place (our default freeze). */
  byDatabase: boolean;
  /** postgresql.auto.conf says on (ALTER SYSTEM), whether or not it was reloaded. */
  bySystemFile: boolean;
}

const on = (v: unknown) => ['on', 'true', 'yes', '1'].includes(String(v).toLowerCase());

/** Reads one server through a connection opened for this purpose only (closed at once). */
export async function readLive(ctx: Ctx, role: ClusterRole): Promise<ServerLive> {
  const s = await ctx.connect(role);
  try {
    const r = (await s.query<{ ro: string; db: string; by_database: boolean }>(LIVE_READ_ONLY_SQL)).rows[0];
    return { readOnly: on(r.ro), database: String(r.db), byDatabase: r.by_database === true, bySystemFile: await frozenBySystemAsFarAsVisible(s) };
  } finally {
    await s.end().catch(() => undefined);
  }
}

/** The statements that undo every freeze found on a server (database setting, ALTER SYSTEM + reload). */
export function openStatements(live: Pick<ServerLive, 'database' | 'byDatabase' | 'bySystemFile' | 'readOnly'>): string[] {
  const out: string[] = [];
  if (live.byDatabase) out.push(openDatabaseSql(live.database));
  // A pending reload (file reset, a new session still read-only) is finished too.
  if (live.bySystemFile || (live.readOnly && !live.byDatabase)) out.push(...UNFREEZE);
  return out;
}

/**
 * Makes a server writable for new sessions and proves it with fresh sessions (polled: a reload is asynchronous).
 * `session` runs the statements (a fresh one is opened when absent or when it fails).
 */
export async function openServer(ctx: Ctx, role: ClusterRole, known?: ServerLive, session?: Session, boundMs = 5000): Promise<ServerLive & { openedAt?: { wall: number; mono: number } }> {
  const deadline = Date.now() + boundMs;
  let live = known ?? (await readLive(ctx, role));
  let lastError = '';
  /** When the last opening statement completed (the proof by a fresh session follows). */
  let openedAt: { wall: number; mono: number } | undefined;
  for (let attempt = 0; ; attempt++) {
    const statements = openStatements(live);
    if (statements.length) {
      try {
        const q = attempt === 0 && session ? session : await ctx.connect(role);
        try {
          // a fresh session of a frozen database is read-only itself
          if (q !== session) await q.query(WRITABLE_SESSION);
          for (const st of statements) await q.query(st);
          openedAt = { wall: Date.now(), mono: performance.now() };
        } finally {
          if (q !== session) await (q as Session).end().catch(() => undefined);
        }
      } catch (err) {
        lastError = messageOf(err);
      }
    }
    try {
      live = await readLive(ctx, role);
      if (!live.readOnly) return { ...live, openedAt };
    } catch (err) {
      lastError = messageOf(err);
    }
    if (Date.now() > deadline) {
      throw new Error(`the ${role} server is still read-only for new sessions after ${boundMs} ms${lastError ? ` (${lastError})` : ''}`);
    }
    await sleep(50);
  }
}
