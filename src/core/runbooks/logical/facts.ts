/** What the preflight needs to know about both servers, read in a handful of queries (read-only). */
import { fetchServerOverview, listSequences, listTablesForReplication, type ServerOverview, type TableInfo } from '../../catalog';
import { parseConnString } from '../../conn';
import type { Queryable } from '../../db';
import type { LogicalUpgradeParams, TableName } from './params';
import { existingTables, findPublication, findSlot, findSubscription, frozenBySystem, tableKey, type PublicationState, type SlotState, type SubscriptionState } from './queries';
import { loadScope, ScopeError, type ResolvedScope } from './scope';

type Row = Record<string, unknown>;

export interface ColumnRef {
  schema: string;
  table: string;
  column: string;
}

export interface SourceFacts {
  overview: ServerOverview;
  slotsInUse: number;
  walSendersInUse: number;
  maxSlotWalKeepSize: string | null; // (13+) e.g. "-1" or "10240" (MB)
  /** null: not known (pg_file_settings is not readable by our user). */
  frozen: boolean | null;
  /** What could not be read for lack of privilege (the preflight says so instead of failing). */
  unreadable?: string[];
  tables: TableInfo[];
  scope: ResolvedScope | null;
  scopeError: string | null;
  sequenceCount: number;
  largeObjectCount: number;
  materializedViews: TableName[];
  generatedColumns: ColumnRef[];
  extensions: { name: string; version: string }[];
  roles: string[];
  databaseSizeBytes: number;
  encoding: string;
  preparedXacts: number;
  subscriptionCount: number;
  publication: PublicationState | null;
  slot: SlotState | null;
  /** The subscriber connection's user, when it differs from ours, and what it may do (null: no such role). */
  subscriberUser: { name: string; superuser: boolean; replication: boolean } | null | undefined;
  tablespaces: string[];
  /** n_tup_upd + n_tup_del per table since the statistics were reset (tableKey → count). */
  updatesAndDeletes: Map<string, number>;
}

export interface TargetFacts {
  overview: ServerOverview;
  availableExtensions: Map<string, { defaultVersion: string | null; installedVersion: string | null }>;
  roles: Set<string>;
  subscription: SubscriptionState | null;
  reversePublication: PublicationState | null;
  originsInUse: number;
  existingTables: Set<string>;
  frozen: boolean | null;
  unreadable?: string[];
  encoding: string;
}

const one = async (q: Queryable, sql: string, values?: unknown[]): Promise<Row> => (await q.query<Row>(sql, values)).rows[0] ?? {};

/** A read our user may be denied (SQLSTATE 42501): noted in `unreadable` and replaced by `fallback`. */
async function readable<T>(unreadable: string[], what: string, read: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if ((err as { code?: string }).code !== '42501') throw err;
    unreadable.push(what);
    return fallback;
  }
}

const FROZEN_UNREADABLE = 'whether it is frozen by ALTER SYSTEM (pg_file_settings)';

export async function gatherSourceFacts(q: Queryable, p: LogicalUpgradeParams, subscriberConnection: string): Promise<SourceFacts> {
  const overview = await fetchServerOverview(q);
  const v = overview.version;
  const tables = await listTablesForReplication(q, v);
  const counts = await one(q, `SELECT
      (SELECT count(*) FROM pg_replication_slots)::int AS slots,
      (SELECT count(*) FROM pg_stat_replication)::int AS senders,
      current_setting('max_slot_wal_keep_size', true) AS keep,
      (SELECT count(*) FROM pg_largeobject_metadata)::int AS lobs,
      pg_database_size(current_database())::float8 AS dbsize,
      (SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()) AS enc,
      (SELECT count(*) FROM pg_prepared_xacts WHERE database = current_database())::int AS prepared`);
  const unreadable: string[] = [];
  const subs = await readable(unreadable, 'subscriptions of the source database (pg_subscription)', async () =>
    Number((await one(q, 'SELECT count(*)::int AS n FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid WHERE d.datname = current_database()')).n), 0);
  const matviews = await q.query<Row>(
    `SELECT schemaname, matviewname FROM pg_matviews WHERE schemaname <> 'information_schema' AND schemaname NOT LIKE 'pg\\_%' ORDER BY 1, 2`,
  );
  const generated = await q.query<Row>(
    `SELECT n.nspname, c.relname, a.attname FROM pg_attribute a
     JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE a.attgenerated = 's' AND NOT a.attisdropped AND a.attnum > 0 AND c.relkind IN ('r', 'p')
       AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1, 2, 3`,
  );
  const extensions = await q.query<Row>(`SELECT extname, extversion FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1`);
  const roles = await q.query<Row>(`SELECT rolname FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY 1`);
  const tablespaces = await q.query<Row>(
    `SELECT DISTINCT t.spcname FROM pg_class c JOIN pg_tablespace t ON t.oid = c.reltablespace
     WHERE c.reltablespace <> 0 AND t.spcname NOT IN ('pg_default', 'pg_global') ORDER BY 1`,
  );
  let subscriberUser: SourceFacts['subscriberUser'];
  const subUser = parseConnString(subscriberConnection).user;
  if (subUser && subUser !== overview.currentUser) {
    const r = (await q.query<Row>('SELECT rolsuper, rolreplication FROM pg_roles WHERE rolname = $1', [subUser])).rows[0];
    subscriberUser = r ? { name: subUser, superuser: r.rolsuper === true, replication: r.rolreplication === true } : null;
  }
  let scope: ResolvedScope | null = null;
  let scopeError: string | null = null;
  try {
    scope = (await loadScope(q, v, p)).scope;
  } catch (err) {
    if (!(err instanceof ScopeError)) throw err;
    scopeError = err.message;
  }
  return {
    overview,
    slotsInUse: Number(counts.slots),
    walSendersInUse: Number(counts.senders),
    maxSlotWalKeepSize: counts.keep === null || counts.keep === undefined ? null : String(counts.keep),
    frozen: await readable(unreadable, FROZEN_UNREADABLE, () => frozenBySystem(q), null),
    unreadable,
    tables,
    scope,
    scopeError,
    sequenceCount: (await listSequences(q, v)).length,
    largeObjectCount: Number(counts.lobs),
    materializedViews: matviews.rows.map((r) => ({ schema: String(r.schemaname), name: String(r.matviewname) })),
    generatedColumns: generated.rows.map((r) => ({ schema: String(r.nspname), table: String(r.relname), column: String(r.attname) })),
    extensions: extensions.rows.map((r) => ({ name: String(r.extname), version: String(r.extversion) })),
    roles: roles.rows.map((r) => String(r.rolname)),
    databaseSizeBytes: Number(counts.dbsize),
    encoding: String(counts.enc),
    preparedXacts: Number(counts.prepared),
    subscriptionCount: subs,
    publication: await findPublication(q, p.publication),
    slot: await findSlot(q, p.slotName ?? p.subscription),
    subscriberUser,
    tablespaces: tablespaces.rows.map((r) => String(r.spcname)),
    updatesAndDeletes: new Map(
      (await q.query<Row>('SELECT schemaname, relname, (n_tup_upd + n_tup_del)::float8 AS n FROM pg_stat_user_tables')).rows
        .map((r) => [tableKey({ schema: String(r.schemaname), name: String(r.relname) }), Number(r.n)] as const),
    ),
  };
}

export async function gatherTargetFacts(q: Queryable, p: LogicalUpgradeParams): Promise<TargetFacts> {
  const overview = await fetchServerOverview(q);
  const unreadable: string[] = [];
  const ext = await q.query<Row>('SELECT name, default_version, installed_version FROM pg_available_extensions');
  const roles = await q.query<Row>('SELECT rolname FROM pg_roles');
  const misc = await one(q, `SELECT (SELECT count(*) FROM pg_replication_origin)::int AS origins,
      (SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()) AS enc`);
  return {
    overview,
    availableExtensions: new Map(ext.rows.map((r) => [String(r.name), {
      defaultVersion: r.default_version === null ? null : String(r.default_version),
      installedVersion: r.installed_version === null ? null : String(r.installed_version),
    }])),
    roles: new Set(roles.rows.map((r) => String(r.rolname))),
    subscription: await readable(unreadable, `whether a subscription named "${p.subscription}" exists (pg_subscription)`, () => findSubscription(q, p.subscription), null),
    reversePublication: p.reverseReplication ? await findPublication(q, p.reversePublication) : null,
    originsInUse: Number(misc.origins),
    existingTables: await existingTables(q),
    frozen: await readable(unreadable, FROZEN_UNREADABLE, () => frozenBySystem(q), null),
    unreadable,
    encoding: String(misc.enc),
  };
}
