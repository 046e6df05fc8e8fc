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
 * Pre-armed (issue 14): the triggers are installed BEFORE the freeze, inert — their function lets every write through.
 * Inside the window ONE statement arms it (ARM_SQL: the function's body replaced by the refusal), in the freeze's own
 * transaction when the freeze is per database. Creating a trigger takes a lock that waits for the writers in flight and queues the next
 * ones: before the freeze each table is done in its own short transaction (a short lock_timeout, retried), and a
 * table that could not be done then is done inside the window after the terminations (coverFence), as before.
 *
 * SEAM: owned by the fence work (issues 16, 14). The switchover protocol calls prepareFence before the freeze,
 * armFenceSql in the freeze's transaction (or armFence just after it), coverFence after client sessions are
 * terminated, and liftFence when it hands the source back (abort, rollback). hardFence = all of it at once (resume).
 * All are idempotent and safe to call again on resume. The session must be connected to `database` and may write
 * (WRITABLE_SESSION). Statements shown to users come from planFence. Every function takes the database by name: a
 * cluster-wide switchover calls them once per database.
 */
import type { Queryable } from '../../db';
import { quoteIdent, quoteLiteral, quoteQualified } from '../../sql';

export interface FenceState {
  /** What was changed, JSON-safe, enough for liftFence to undo exactly that (journaled in the step's outputs). */
  applied: Record<string, unknown>;
}

export const FENCE_SCHEMA = 'pgpilot_fence';
export const FENCE_TRIGGER = 'pgpilot_fence';
const FENCE_COMMENT = 'pg-upgrade-pilot: the hard fence of a switched-over server (dropped when the fence is lifted)';
/** How long the fence may wait for a table lock inside the window (an apply transaction in flight) before it gives up (the switchover aborts). */
const LOCK_TIMEOUT = '3s';
/** Before the freeze, writers are still running: a trigger's lock queues them behind it, so it waits only briefly … */
const PREPARE_LOCK_TIMEOUT = '100ms';
/** … and tries again a few times; a table still busy then is fenced inside the window (coverFence). */
const PREPARE_ATTEMPTS = 3;

const SCHEMA = quoteIdent(FENCE_SCHEMA);
const REFUSE_BODY = `RAISE EXCEPTION USING ERRCODE = 'read_only_sql_transaction',
    MESSAGE = 'this server was switched over by pg-upgrade-pilot: it takes no writes (the new primary does)',
    HINT = 'Connect to the new primary (a libpq multi-host string with target_session_attrs=read-write finds it).'`;
const functionSql = (body: string) => `CREATE OR REPLACE FUNCTION ${SCHEMA}.refuse_write() RETURNS trigger LANGUAGE plpgsql AS $fence$
BEGIN
  ${body};
END $fence$`;
/** The inert function the triggers call before the arming: lets every write through. */
const INERT_FUNCTION_SQL = functionSql('RETURN NULL');
/**
 * The one statement that arms a prepared fence: the function's body replaced by the refusal. A catalog row, no lock on
 * any user table, transactional (it fits in the freeze's transaction), read through the catalog by every backend at
 * its next statement, and replicated nowhere (a table holding an "armed" flag would be published FOR ALL TABLES and
 * stop the forward apply). No client can undo it: the function belongs to the admin in a schema nobody else may use.
 */
export const ARM_SQL = functionSql(REFUSE_BODY);

/** The fence's schema (and the inert function when there is none: an armed fence is never disarmed here). */
const SETUP_SQL = [
  `CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`, `COMMENT ON SCHEMA ${SCHEMA} IS ${quoteLiteral(FENCE_COMMENT)}`,
  `REVOKE ALL ON SCHEMA ${SCHEMA} FROM PUBLIC`,
];

export function createTriggerSql(schema: string, table: string): string {
  return `CREATE TRIGGER ${quoteIdent(FENCE_TRIGGER)} BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${quoteQualified(schema, table)} FOR EACH STATEMENT EXECUTE FUNCTION ${SCHEMA}.refuse_write()`;
}

export const LIFT_SQL = `DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`;

/** Every ordinary table of the database without the fence's trigger (partitions included; not temporary, not the system's). */
const TABLES_SQL = `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND c.relpersistence <> 't' AND n.nspname NOT IN ('pg_catalog', 'information_schema', '${FENCE_SCHEMA}')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
  AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = '${FENCE_TRIGGER}')
ORDER BY 1, 2`;

/** How many tables lack the fence's trigger (a scalar subquery: the window reads it in its marker's round trip). */
export const UNFENCED_COUNT_SQL = `SELECT count(*)::int FROM (${TABLES_SQL}) unfenced`;

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

/** The statements of the fence (for the plan / dry run); one CREATE TRIGGER per table, listed when known. */
export function planFence(database: string, tables?: Array<{ schema: string; name: string }>): string[] {
  return [
    `-- in database ${quoteIdent(database)}, BEFORE the freeze (inert until armed), each CREATE TRIGGER in its own short transaction:`,
    ...SETUP_SQL, `${INERT_FUNCTION_SQL}  -- inert: lets writes through until armed`,
    ...(tables ? tables.map((t) => createTriggerSql(t.schema, t.name)) : [`${createTriggerSql('<schema>', '<table>')}  -- for every table`]),
    '-- inside the window, in the freeze\'s transaction:',
    `${ARM_SQL}  -- armed: raises 25006 read_only_sql_transaction`,
    '-- after the client sessions are terminated, tables without the trigger yet (created meanwhile, or busy before the freeze): the same CREATE TRIGGER',
  ];
}

export interface FenceApplied {
  kind: 'write-trigger';
  database: string;
  schema: string;
  /** The tables that got the trigger (all fenced tables after a resume). */
  tables: string[];
  endedSessions: number;
  /** Armed (refusing writes); false between prepareFence and the arming. */
  armed: boolean;
  /** Tables that got their trigger inside the window (coverFence), not before the freeze. */
  coveredInWindow?: string[];
}

async function inDatabase(session: Queryable, database: string): Promise<void> {
  const r = await session.query<{ db: string }>('SELECT current_database() AS db');
  if (r.rows[0].db !== database) throw new Error(`the fence session is connected to ${quoteIdent(r.rows[0].db)}, not to ${quoteIdent(database)}`);
}

async function checkOwnership(session: Queryable): Promise<void> {
  const owner = await session.query<{ c: string | null }>('SELECT obj_description(oid, \'pg_namespace\') AS c FROM pg_namespace WHERE nspname = $1', [FENCE_SCHEMA]);
  if (owner.rows.length && owner.rows[0].c !== FENCE_COMMENT) {
    throw new Error(`a schema named ${quoteIdent(FENCE_SCHEMA)} exists on the old source and is not ours: the fence will not touch it (rename it)`);
  }
}

async function inTransaction(session: Queryable, statements: string[]): Promise<void> {
  try {
    await session.query(['BEGIN READ WRITE', ...statements, 'COMMIT'].join(';\n'));
  } catch (err) {
    await session.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

const qualifiedNames = (tables: Array<{ schema: string; name: string }>) => tables.map((t) => quoteQualified(t.schema, t.name));
const namesOf = (state?: FenceState) => ((state?.applied as Partial<FenceApplied> | undefined)?.tables ?? []);

/**
 * BEFORE the freeze, while the source takes writes: the schema, its disarmed state, the function, and the trigger on
 * every table that has none — each table in its own short transaction, so writers wait at most PREPARE_LOCK_TIMEOUT
 * per table. Tables still busy after a few tries are left to coverFence (listed in `pending`). Never arms.
 */
export async function prepareFence(session: Queryable, database: string): Promise<FenceState & { pending: string[] }> {
  await inDatabase(session, database);
  await checkOwnership(session);
  await inTransaction(session, [...SETUP_SQL, ...((await fenceFunction(session)) === 'absent' ? [INERT_FUNCTION_SQL] : [])]);
  const done: string[] = [];
  let pending = (await session.query<{ schema: string; name: string }>(TABLES_SQL)).rows;
  for (let attempt = 1; attempt <= PREPARE_ATTEMPTS && pending.length; attempt++) {
    const busy: typeof pending = [];
    for (const t of pending) {
      try {
        await inTransaction(session, [`SET LOCAL lock_timeout = '${PREPARE_LOCK_TIMEOUT}'`, createTriggerSql(t.schema, t.name)]);
        done.push(quoteQualified(t.schema, t.name));
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === '55P03' || code === '40P01') busy.push(t); // lock_timeout, deadlock: a writer holds it
        else if (code === '42P07' || code === '42710') done.push(quoteQualified(t.schema, t.name)); // created meanwhile
        else if (code === '42P01') continue; // dropped meanwhile
        else throw err;
      }
    }
    pending = busy;
  }
  const armed = (await fenceFunction(session)) === 'armed';
  const applied: FenceApplied = { kind: 'write-trigger', database, schema: FENCE_SCHEMA, tables: done, endedSessions: 0, armed };
  return { applied: applied as unknown as Record<string, unknown>, pending: qualifiedNames(pending) };
}

async function fenceFunction(session: Queryable): Promise<'absent' | 'inert' | 'armed'> {
  const r = await session.query<{ src: string }>(`SELECT p.prosrc AS src FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 AND p.proname = 'refuse_write'`, [FENCE_SCHEMA]);
  if (!r.rows.length) return 'absent';
  return r.rows[0].src.includes('RAISE EXCEPTION') ? 'armed' : 'inert';
}

/** Arms a prepared fence (one statement; when the freeze is per database, ARM_SQL goes in the freeze's transaction instead). */
export async function armFence(session: Queryable): Promise<void> {
  await session.query(ARM_SQL);
}

/**
 * After the arming and the terminations: the trigger on every table that has none yet (created since prepareFence,
 * or busy then). Usually one catalog query and nothing to do. Sessions in the middle of a write are ended first.
 */
export async function coverFence(session: Queryable, database: string, previous?: FenceState): Promise<FenceState> {
  const tables = (await session.query<{ schema: string; name: string }>(TABLES_SQL)).rows;
  let ended = Number((previous?.applied as Partial<FenceApplied> | undefined)?.endedSessions ?? 0);
  if (tables.length) {
    ended += Number((await session.query<{ n: number }>(END_WRITERS_SQL)).rows[0].n);
    await inTransaction(session, [`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`, ...tables.map((t) => createTriggerSql(t.schema, t.name))]);
  }
  const covered = qualifiedNames(tables);
  const applied: FenceApplied = {
    kind: 'write-trigger', database, schema: FENCE_SCHEMA, tables: [...new Set([...namesOf(previous), ...covered])], endedSessions: ended, armed: true,
    ...(covered.length ? { coveredInWindow: covered } : {}),
  };
  return { applied: applied as unknown as Record<string, unknown> };
}

/** Puts the fence in place and armed at once: prepared, armed, every table covered (resume; tests). Idempotent. */
export async function hardFence(session: Queryable, database: string, previous?: FenceState): Promise<FenceState> {
  await inDatabase(session, database);
  await checkOwnership(session);
  await inTransaction(session, [...SETUP_SQL, ARM_SQL]);
  return coverFence(session, database, previous);
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
