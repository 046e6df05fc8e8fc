/**
 * The hard fence on the old source of a logical switchover: after the switchover no session on the old server can
 * commit a write in the upgraded database, whatever it SETs (issue 16), while the reverse replication (the way back:
 * a subscription ON the old server applying the new server's changes) keeps working. See docs/fence.md.
 *
 * The choice (measured on 14 → 16, docs/fence.md): a statement trigger on every table of the database,
 * BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE, that raises 25006 (read_only_sql_transaction). Ordinary triggers do
 * not fire in a logical replication apply worker (session_replication_role = replica), so the reverse subscription
 * keeps applying; a client cannot turn them off with any SET (session_replication_role needs a superuser). Clients
 * still connect, so libpq multi-host clients (target_session_attrs=read-write) see a read-only server and move on —
 * unlike REVOKE CONNECT or NOLOGIN, whose "permission denied" FATAL makes libpq give up without trying the next host.
 * What it cannot stop: superusers (session_replication_role = replica), a table's owner who drops or disables the
 * trigger on purpose, tables created after the fence, sequences (nextval) and large objects.
 *
 * SEAM: owned by the fence work (issue 16). The switchover protocol calls hardFence inside the window (after the
 * read-only freeze, before client sessions are terminated) and liftFence when it hands the source back (abort,
 * rollback). Both are idempotent and safe to call again on resume. The session must be connected to `database`
 * and may write (WRITABLE_SESSION). Statements shown to users come from planFence.
 */
import type { Queryable } from '../../db';
import { quoteIdent, quoteQualified } from '../../sql';

export interface FenceState {
  /** What was changed, JSON-safe, enough for liftFence to undo exactly that (journaled in the step's outputs). */
  applied: Record<string, unknown>;
}

export const FENCE_SCHEMA = 'pgpilot_fence';
export const FENCE_TRIGGER = 'pgpilot_fence';
const FENCE_COMMENT = 'pg-upgrade-pilot: the hard fence of a switched-over server (dropped when the fence is lifted)';
/** How long the fence may wait for a table lock (an apply transaction in flight) before it gives up (the switchover aborts). */
const LOCK_TIMEOUT = '3s';

const FUNCTION_SQL = `CREATE OR REPLACE FUNCTION ${quoteIdent(FENCE_SCHEMA)}.refuse_write() RETURNS trigger LANGUAGE plpgsql AS $fence$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'read_only_sql_transaction',
    MESSAGE = 'this server was switched over by pg-upgrade-pilot: it takes no writes (the new primary does)',
    HINT = 'Connect to the new primary (a libpq multi-host string with target_session_attrs=read-write finds it).';
END $fence$`;

export function createTriggerSql(schema: string, table: string): string {
  return `CREATE TRIGGER ${quoteIdent(FENCE_TRIGGER)} BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${quoteQualified(schema, table)} FOR EACH STATEMENT EXECUTE FUNCTION ${quoteIdent(FENCE_SCHEMA)}.refuse_write()`;
}

export const LIFT_SQL = `DROP SCHEMA IF EXISTS ${quoteIdent(FENCE_SCHEMA)} CASCADE`;

/** Every ordinary table of the database (partitions included; not temporary, not the system's). */
const TABLES_SQL = `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND c.relpersistence <> 't' AND n.nspname NOT IN ('pg_catalog', 'information_schema', '${FENCE_SCHEMA}')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
  AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = '${FENCE_TRIGGER}')
ORDER BY 1, 2`;

/**
 * Sessions in the middle of a write (a lock that CREATE TRIGGER would wait for): client backends — on a frozen server
 * only a client that turned read-only off — and autovacuum workers. Terminated first; the switchover ends every client
 * session right after anyway. The apply worker of the reverse subscription is left alone (it finishes quickly).
 */
const END_WRITERS_SQL = `SELECT count(pg_terminate_backend(a.pid))::int AS n FROM pg_stat_activity a
WHERE a.pid <> pg_backend_pid() AND a.datname = current_database()
  AND a.backend_type IN ('client backend', 'autovacuum worker') AND a.application_name IS DISTINCT FROM 'pg-upgrade-pilot'
  AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'relation'
    AND l.mode IN ('RowExclusiveLock', 'ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'))`;

/** The statements hardFence runs (for the plan / dry run); one CREATE TRIGGER per table, listed when known. */
export function planFence(database: string, tables?: Array<{ schema: string; name: string }>): string[] {
  return [
    `-- in database ${quoteIdent(database)}: end sessions in the middle of a write (client backends, autovacuum), then in one transaction:`,
    `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(FENCE_SCHEMA)}`,
    `${FUNCTION_SQL}  -- raises 25006 read_only_sql_transaction`,
    ...(tables ? tables.map((t) => createTriggerSql(t.schema, t.name)) : [`${createTriggerSql('<schema>', '<table>')}  -- for every table`]),
  ];
}

export interface FenceApplied {
  kind: 'write-trigger';
  database: string;
  schema: string;
  /** The tables that got the trigger (all fenced tables after a resume). */
  tables: string[];
  endedSessions: number;
}

async function inDatabase(session: Queryable, database: string): Promise<void> {
  const r = await session.query<{ db: string }>('SELECT current_database() AS db');
  if (r.rows[0].db !== database) throw new Error(`the fence session is connected to ${quoteIdent(r.rows[0].db)}, not to ${quoteIdent(database)}`);
}

/** Puts the write-refusing trigger on every table (those without it). Idempotent. */
export async function hardFence(session: Queryable, database: string, previous?: FenceState): Promise<FenceState> {
  await inDatabase(session, database);
  const owner = await session.query<{ c: string | null }>('SELECT obj_description(oid, \'pg_namespace\') AS c FROM pg_namespace WHERE nspname = $1', [FENCE_SCHEMA]);
  if (owner.rows.length && owner.rows[0].c !== FENCE_COMMENT) {
    throw new Error(`a schema named ${quoteIdent(FENCE_SCHEMA)} exists on the old source and is not ours: the fence will not touch it (rename it)`);
  }
  const ended = Number((await session.query<{ n: number }>(END_WRITERS_SQL)).rows[0].n);
  const tables = (await session.query<{ schema: string; name: string }>(TABLES_SQL)).rows;
  const statements = [
    'BEGIN READ WRITE', `SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`,
    `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(FENCE_SCHEMA)}`, `COMMENT ON SCHEMA ${quoteIdent(FENCE_SCHEMA)} IS '${FENCE_COMMENT}'`,
    `REVOKE ALL ON SCHEMA ${quoteIdent(FENCE_SCHEMA)} FROM PUBLIC`, FUNCTION_SQL,
    ...tables.map((t) => createTriggerSql(t.schema, t.name)), 'COMMIT',
  ];
  try {
    await session.query(statements.join(';\n'));
  } catch (err) {
    await session.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  const before = (previous?.applied as Partial<FenceApplied> | undefined)?.tables ?? [];
  const names = [...new Set([...before, ...tables.map((t) => quoteQualified(t.schema, t.name))])];
  const applied: FenceApplied = { kind: 'write-trigger', database, schema: FENCE_SCHEMA, tables: names, endedSessions: ended };
  return { applied: applied as unknown as Record<string, unknown> };
}

/** Drops the fence (the schema, its function and every trigger on it). Idempotent; needs no state. */
export async function liftFence(session: Queryable, database: string, _state?: FenceState): Promise<void> {
  await inDatabase(session, database);
  await session.query(LIFT_SQL);
}

/** What liftFence runs (for an abort / rollback plan). */
export function planLift(): string[] {
  return [`${LIFT_SQL}  -- its function and every fence trigger`];
}
