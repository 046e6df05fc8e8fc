/**
 * One run per source cluster: a session-level advisory lock with a constant key, held on a dedicated session to the
 * source (role source / primary / server) for the whole run. Advisory locks are per database, so after taking it the
 * engine also looks for a holder of the same key in any other database of the server (pg_locks shows them all).
 */
import type { Queryable } from '../db';
import type { Session } from './connections';
import type { ClusterRole } from './types';

/** 'PGUP' 'ILOT' as two int4 keys (pg_locks: classid, objid, objsubid = 2). */
export const RUN_LOCK_KEYS: readonly [number, number] = [0x50475550, 0x494c4f54];
export const LOCK_ROLES: readonly ClusterRole[] = ['source', 'primary', 'server'];

export class RunLockedError extends Error {
  constructor(message: string, readonly holderPid?: number) {
    super(message);
    this.name = 'RunLockedError';
  }
}

interface Holder {
  pid: number;
  since: string | null;
  usename: string | null;
  client_addr: string | null;
  query: string | null;
  datname: string | null;
}

/** Tries the lock on `session` (which the caller keeps open for the run); throws RunLockedError when held. */
export async function acquireRunLock(session: Session, runId: string): Promise<RunLock> {
  const [k1, k2] = RUN_LOCK_KEYS;
  // Every query of the lock session carries this comment: pg_stat_activity.query (its last query) then names the
  // run to a refused one.
  const r = await session.query<{ ok: boolean; pid: number }>(
    `SELECT pg_try_advisory_lock($1::int4, $2::int4) AS ok, pg_backend_pid() AS pid /* pg-upgrade-pilot run ${runId} */`,
    [k1, k2],
  );
  const { ok, pid } = r.rows[0];
  const others = await holders(session, ok ? pid : undefined, runId);
  if (ok && !others.length) return new RunLock(session, pid);
  if (ok) await session.query('SELECT pg_advisory_unlock($1::int4, $2::int4)', [k1, k2]);
  const h = others[0];
  throw new RunLockedError(describeHolder(h), h?.pid);
}

export function describeHolder(h: Holder | undefined): string {
  if (!h) return 'another Upgrade Pilot run holds the source';
  const since = h.since ? `, since ${h.since}` : '';
  const run = /pg-upgrade-pilot run ([A-Za-z0-9._-]+)/.exec(h.query ?? '')?.[1];
  const who = [run ? `run ${run}` : '', h.usename ? `user ${h.usename}` : '', h.client_addr ? `from ${h.client_addr}` : '', h.datname ? `database ${h.datname}` : '']
    .filter(Boolean).join(', ');
  return `another Upgrade Pilot run holds the source (pid ${h.pid}${since}${who ? `; ${who}` : ''})`;
}

async function holders(q: Queryable, exceptPid: number | undefined, runId: string): Promise<Holder[]> {
  const [k1, k2] = RUN_LOCK_KEYS;
  const r = await q.query<Holder>(
    `SELECT l.pid,
            to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS since,
            a.usename::text AS usename, host(a.client_addr) AS client_addr, a.query, d.datname::text AS datname
       FROM pg_locks l
       LEFT JOIN pg_stat_activity a ON a.pid = l.pid
       LEFT JOIN pg_database d ON d.oid = l.database
      WHERE l.locktype = 'advisory' AND l.granted
        AND l.classid = $1::int8::oid AND l.objid = $2::int8::oid AND l.objsubid = 2
        AND l.pid IS DISTINCT FROM $3::int4
      ORDER BY a.backend_start NULLS LAST /* pg-upgrade-pilot run ${runId} */`,
    [k1, k2, exceptPid ?? null],
  );
  return r.rows;
}

export class RunLock {
  constructor(private session: Session, readonly pid: number) {}

  async release(): Promise<void> {
    try {
      await this.session.query('SELECT pg_advisory_unlock($1::int4, $2::int4)', [...RUN_LOCK_KEYS]);
    } catch {
      // the session is gone: so is the lock
    }
    await this.session.end();
  }
}

/**
 * The lock for the whole run. Between steps ensure() checks the session; if the server dropped it (a restart, a
 * terminate), it takes the lock again on a new session. Refused → RunLockedError (the run must stop);
 * unreachable → a warning, retried before the next step.
 */
export class HeldLock {
  private constructor(
    private readonly open: () => Promise<Session>,
    private readonly runId: string,
    private lock: RunLock | undefined,
    private session: Session | undefined,
  ) {}

  static async take(open: () => Promise<Session>, runId: string): Promise<HeldLock> {
    const session = await open();
    try {
      return new HeldLock(open, runId, await acquireRunLock(session, runId), session);
    } catch (err) {
      await session.end();
      throw err;
    }
  }

  /** Returns a warning when the lock could not be checked or taken again (server unreachable). */
  async ensure(): Promise<string | undefined> {
    if (this.session && this.lock) {
      try {
        await this.session.query(`SELECT 1 /* pg-upgrade-pilot run ${this.runId} */`);
        return undefined;
      } catch {
        await this.session.end().catch(() => undefined);
        this.session = undefined;
        this.lock = undefined;
      }
    }
    let session: Session;
    try {
      session = await this.open();
    } catch (err) {
      return `the run lock on the source was lost and cannot be taken again yet: ${err instanceof Error ? err.message : String(err)}`;
    }
    try {
      this.lock = await acquireRunLock(session, this.runId);
      this.session = session;
      return undefined;
    } catch (err) {
      await session.end();
      throw err;
    }
  }

  async release(): Promise<void> {
    await this.lock?.release();
    this.lock = undefined;
    this.session = undefined;
  }
}
