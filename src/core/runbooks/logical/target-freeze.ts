/**
 * The target is read-only from its subscription until the switchover opens it. A superuser freezes it with
 * ALTER SYSTEM (statements.ts FREEZE); a user who may not (a managed admin) freezes its database instead:
 * ALTER DATABASE … SET default_transaction_read_only = on, then that database's other client sessions are
 * terminated so none keeps writing (owner of the database + pg_signal_backend). Opening it again is the
 * switchover's: ALTER DATABASE … RESET default_transaction_read_only (see docs/managed-postgres.md).
 */
import type { Queryable } from '../../db';
import { quoteIdent } from '../../sql';
import { frozenBySystem } from './queries';
import { FREEZE } from './statements';

export type TargetFreeze = 'system' | 'database';

export async function targetFreezeKind(q: Queryable): Promise<TargetFreeze> {
  const r = await q.query<{ s: boolean }>("SELECT current_setting('is_superuser') = 'on' AS s");
  return r.rows[0].s === true ? 'system' : 'database';
}

/**
 * The database's other client sessions, except ours and the engine's, and except superusers' (a member of
 * pg_signal_backend may not signal them: on a managed service they are the provider's own sessions).
 */
export const TERMINATE_DATABASE_CLIENTS_SQL = `SELECT a.pid, pg_terminate_backend(a.pid) AS terminated
FROM pg_stat_activity a
WHERE a.datname = current_database() AND a.backend_type = 'client backend'
  AND a.pid <> pg_backend_pid() AND a.pid <> ALL($1::int[])
  AND a.application_name IS DISTINCT FROM 'pg-upgrade-pilot'
  AND NOT coalesce((SELECT r.rolsuper FROM pg_roles r WHERE r.oid = a.usesysid), false)`;

export function databaseFreezeSql(database: string): string[] {
  return [`ALTER DATABASE ${quoteIdent(database)} SET default_transaction_read_only = on`, TERMINATE_DATABASE_CLIENTS_SQL];
}

export function targetFreezeSql(kind: TargetFreeze, database: string): string[] {
  return kind === 'system' ? FREEZE : databaseFreezeSql(database);
}

/** Runs the freeze on `s` (our session, writable); TERMINATE_CLIENTS_SQL spares our own pids `ours`. */
export async function freezeTarget(s: Queryable, kind: TargetFreeze, database: string, ours: number[]): Promise<void> {
  for (const st of targetFreezeSql(kind, database)) await s.query(st, st === TERMINATE_DATABASE_CLIENTS_SQL ? [ours] : undefined);
}

/** Frozen either way (a new session would be read-only)? Never needs pg_file_settings when the database is frozen. */
export async function targetFrozen(q: Queryable): Promise<boolean> {
  const byDb = await q.query<{ f: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) cfg
       WHERE s.setrole = 0 AND d.datname = current_database()
         AND lower(cfg) IN ('default_transaction_read_only=on', 'default_transaction_read_only=true')) AS f`,
  );
  if (byDb.rows[0].f === true) return true;
  try {
    return await frozenBySystem(q);
  } catch (err) {
    if ((err as { code?: string }).code === '42501') return false; // pg_file_settings unreadable: not frozen by us that way
    throw err;
  }
}
