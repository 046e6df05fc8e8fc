/** Catalog reads specific to the logical upgrade (the general ones live in src/core/catalog). */
import type { Queryable } from '../../db';
import type { TableName } from './params';

type Row = Record<string, unknown>;
const b = (v: unknown): boolean => v === true || v === 't';
const n = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const s = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export interface PublicationState {
  name: string;
  allTables: boolean;
  comment: string | null;
  /** pg_publication_tables: what it publishes now (leaf partitions for partitioned tables). */
  tables: TableName[];
}

export async function findPublication(q: Queryable, name: string): Promise<PublicationState | null> {
  const { rows } = await q.query<Row>(
    `SELECT p.pubname, p.puballtables, obj_description(p.oid, 'pg_publication') AS comment,
       COALESCE((SELECT json_agg(json_build_object('schema', t.schemaname, 'name', t.tablename) ORDER BY t.schemaname, t.tablename)
                 FROM pg_publication_tables t WHERE t.pubname = p.pubname), '[]'::json) AS tables
     FROM pg_publication p WHERE p.pubname = $1`,
    [name],
  );
  const r = rows[0];
  if (!r) return null;
  return { name, allTables: b(r.puballtables), comment: s(r.comment), tables: parseJson<TableName[]>(r.tables) };
}

export interface SlotState {
  name: string;
  type: string;
  plugin: string | null;
  database: string | null;
  active: boolean;
  confirmedFlushLsn: string | null;
}

export async function findSlot(q: Queryable, name: string): Promise<SlotState | null> {
  const { rows } = await q.query<Row>(
    `SELECT slot_name, slot_type, plugin, database, active, confirmed_flush_lsn::text AS confirmed
     FROM pg_replication_slots WHERE slot_name = $1`,
    [name],
  );
  const r = rows[0];
  if (!r) return null;
  return { name, type: String(r.slot_type), plugin: s(r.plugin), database: s(r.database), active: b(r.active), confirmedFlushLsn: s(r.confirmed) };
}

export interface SubscriptionState {
  oid: number;
  name: string;
  enabled: boolean;
  slotName: string | null;
  publications: string[];
  synchronousCommit: string;
  comment: string | null;
  /** The apply worker's pid; null when it is not running. */
  workerPid: number | null;
}

/** The subscription of that name in the connected database (subscription names are per database). */
export async function findSubscription(q: Queryable, name: string): Promise<SubscriptionState | null> {
  const { rows } = await q.query<Row>(
    `SELECT s.oid::int8 AS oid, s.subenabled, s.subslotname, to_json(s.subpublications) AS pubs, s.subsynccommit,
       -- COMMENT ON SUBSCRIPTION is stored in pg_description (per database), not pg_shdescription
       COALESCE(obj_description(s.oid, 'pg_subscription'), shobj_description(s.oid, 'pg_subscription')) AS comment,
       (SELECT st.pid FROM pg_stat_subscription st WHERE st.subid = s.oid AND st.relid IS NULL AND st.pid IS NOT NULL LIMIT 1) AS worker_pid
     FROM pg_subscription s
     WHERE s.subname = $1 AND s.subdbid = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())`,
    [name],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    oid: n(r.oid), name, enabled: b(r.subenabled), slotName: s(r.subslotname), publications: parseJson<string[]>(r.pubs),
    synchronousCommit: String(r.subsynccommit), comment: s(r.comment), workerPid: r.worker_pid === null ? null : n(r.worker_pid),
  };
}

export interface RelState extends TableName {
  /** i initialize, d data copy, f finished copy (14+), s synchronized, r ready. */
  state: string;
}

export async function subscriptionRelStates(q: Queryable, subOid: number): Promise<RelState[]> {
  const { rows } = await q.query<Row>(
    `SELECT n.nspname, c.relname, sr.srsubstate::text AS state
     FROM pg_subscription_rel sr JOIN pg_class c ON c.oid = sr.srrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE sr.srsubid = $1 ORDER BY n.nspname, c.relname`,
    [subOid],
  );
  return rows.map((r) => ({ schema: String(r.nspname), name: String(r.relname), state: String(r.state) }));
}

/** Bytes copied so far per table by COPY on the subscriber (pg_stat_progress_copy, 14+). */
export async function copyProgress(q: Queryable, major: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (major < 14) return out;
  const { rows } = await q.query<Row>(
    `SELECT n.nspname, c.relname, p.bytes_processed::float8 AS bytes
     FROM pg_stat_progress_copy p JOIN pg_class c ON c.oid = p.relid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE p.datname = current_database()`,
  );
  for (const r of rows) out.set(tableKey({ schema: String(r.nspname), name: String(r.relname) }), n(r.bytes));
  return out;
}

export interface SlotLag {
  currentLsn: string;
  confirmedFlushLsn: string | null;
  /** Current WAL position − confirmed_flush_lsn; null when the slot is missing or has never confirmed. */
  lagBytes: number | null;
  active: boolean;
}

/** How far the subscriber is behind, measured on the publisher from the slot (not from sent_lsn). */
export async function slotLag(q: Queryable, slot: string): Promise<SlotLag> {
  const { rows } = await q.query<Row>(
    `SELECT pg_current_wal_lsn()::text AS cur, s.confirmed_flush_lsn::text AS confirmed,
       (pg_current_wal_lsn() - s.confirmed_flush_lsn)::float8 AS lag, COALESCE(s.active, false) AS active
     FROM (SELECT 1) one LEFT JOIN pg_replication_slots s ON s.slot_name = $1`,
    [slot],
  );
  const r = rows[0];
  return { currentLsn: String(r.cur), confirmedFlushLsn: s(r.confirmed), lagBytes: r.lag === null ? null : Math.max(0, n(r.lag)), active: b(r.active) };
}

export interface SettingState {
  setting: string;
  /** pg_settings.source: default, configuration file, session … */
  source: string;
}

export async function settings(q: Queryable, names: string[]): Promise<Map<string, SettingState>> {
  const { rows } = await q.query<Row>('SELECT name, setting, source FROM pg_settings WHERE name = ANY($1::text[])', [names]);
  return new Map(rows.map((r) => [String(r.name), { setting: String(r.setting), source: String(r.source) }]));
}

/**
 * Is the server frozen by ALTER SYSTEM (our switchover), as a NEW session would see it? Reads
 * postgresql.auto.conf through pg_file_settings, so a session-level SET in our own session does not mislead.
 */
export async function frozenBySystem(q: Queryable): Promise<boolean> {
  const { rows } = await q.query<Row>(
    `SELECT setting FROM pg_file_settings
     WHERE name = 'default_transaction_read_only' AND applied AND error IS NULL
     ORDER BY seqno DESC LIMIT 1`,
  );
  const v = rows[0] ? String(rows[0].setting).toLowerCase() : 'off';
  return ['on', 'true', 'yes', '1'].includes(v);
}

/**
 * frozenBySystem where pg_file_settings may be unreadable (a managed service's admin is no superuser): then what the
 * server applied from its configuration files (pg_settings.source), which misses only a reload still pending — and a
 * role that cannot read the file could not have written it with ALTER SYSTEM either.
 */
export async function frozenBySystemAsFarAsVisible(q: Queryable): Promise<boolean> {
  try {
    return await frozenBySystem(q);
  } catch (err) {
    if ((err as { code?: string }).code !== '42501') throw err;
    const { rows } = await q.query<{ on: boolean }>(
      "SELECT source = 'configuration file' AND setting = 'on' AS on FROM pg_settings WHERE name = 'default_transaction_read_only'",
    );
    return rows[0]?.on === true;
  }
}

export async function backendPid(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return Number(rows[0].pid);
}

export async function currentDatabase(q: Queryable): Promise<string> {
  const { rows } = await q.query<{ d: string }>('SELECT current_database() AS d');
  return String(rows[0].d);
}

/** The sequences of the connected database (pg_class relkind 'S'), with the target-side oid lookup in mind. */
export async function sequenceOids(q: Queryable): Promise<Map<string, number>> {
  const { rows } = await q.query<Row>(
    `SELECT n.nspname, c.relname, c.oid::int8 AS oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'S' AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'`,
  );
  return new Map(rows.map((r) => [tableKey({ schema: String(r.nspname), name: String(r.relname) }), n(r.oid)]));
}

/** User tables of the connected database (relkind r/p, persistent), keyed like tableKey. */
export async function existingTables(q: Queryable): Promise<Set<string>> {
  const { rows } = await q.query<Row>(
    `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't'
       AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'`,
  );
  return new Set(rows.map((r) => tableKey({ schema: String(r.nspname), name: String(r.relname) })));
}

/** A stable key for a (schema, name) pair (both may hold any character but NUL). */
export function tableKey(t: TableName): string {
  return `${t.schema}\u0000${t.name}`;
}

export function fromKey(key: string): TableName {
  const i = key.indexOf('\u0000');
  return { schema: key.slice(0, i), name: key.slice(i + 1) };
}

export function parseJson<T>(v: unknown): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

/** "schema.table" for messages (quoted only when needed for clarity). */
export function display(t: TableName): string {
  const part = (x: string) => (/^[a-z_][a-z0-9_$]*$/.test(x) ? x : `"${x.replace(/"/g, '""')}"`);
  return `${part(t.schema)}.${part(t.name)}`;
}
