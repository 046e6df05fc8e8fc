/**
 * The SQL this runbook executes, as pure functions: what plan() shows is exactly what execute() runs.
 * Identifiers are always quoted; a password appears only where it must (a subscription's conninfo) and is
 * rendered as ******** in plans.
 */
import { formatConnString, parseConnString } from '../../conn';
import { quoteIdent, quoteLiteral, quoteQualified } from '../../sql';
import type { FreezeMethod, TableName } from './params';

export const MASK = '********';

export const qualified = (t: TableName): string => quoteQualified(t.schema, t.name);

/** ALTER SYSTEM cannot run in a transaction block: one statement per query, reload separately. */
export const FREEZE = ['ALTER SYSTEM SET default_transaction_read_only = on', 'SELECT pg_reload_conf()'];
export const UNFREEZE = ['ALTER SYSTEM RESET default_transaction_read_only', 'SELECT pg_reload_conf()'];

/**
 * Read-only for every NEW session of one database (the default freeze): other databases of the cluster keep taking
 * writes, and it is undone by ONE atomic statement (openDatabaseSql), so a fresh session after a lost reply proves
 * which side of the commit point we are on. Existing sessions keep their setting: they are terminated separately.
 */
export function freezeDatabaseSql(database: string): string {
  return `ALTER DATABASE ${quoteIdent(database)} SET default_transaction_read_only = on`;
}

export function openDatabaseSql(database: string): string {
  return `ALTER DATABASE ${quoteIdent(database)} RESET default_transaction_read_only`;
}

/** The statements that freeze one database by the given method (see LogicalUpgradeParams.freezeMethod). */
export function freezeSql(method: FreezeMethod, database: string): string[] {
  return method === 'database' ? [freezeDatabaseSql(database)] : [...FREEZE];
}

/** A fresh session's view: what every new client session of this database gets. */
export const LIVE_READ_ONLY_SQL = `SELECT current_setting('default_transaction_read_only') AS ro,
  current_database() AS db,
  EXISTS (SELECT 1 FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) c
          WHERE d.datname = current_database() AND s.setrole = 0
            AND lower(c) ~ '^default_transaction_read_only=(on|true|yes|1)$') AS by_database`;

/**
 * After a per-database freeze of the target (it only reaches new sessions): the database's other client sessions,
 * except ours ($1) and the engine's, and except superusers' (a member of pg_signal_backend may not signal them; on a
 * managed service they are the provider's own). The switchover ends every client session of the target again before
 * its window.
 */
export const TERMINATE_DATABASE_CLIENTS_SQL = `SELECT a.pid, pg_terminate_backend(a.pid) AS terminated
FROM pg_stat_activity a
WHERE a.datname = current_database() AND a.backend_type = 'client backend'
  AND a.pid <> pg_backend_pid() AND a.pid <> ALL($1::int[])
  AND a.application_name IS DISTINCT FROM 'pg-upgrade-pilot'
  AND NOT coalesce((SELECT r.rolsuper FROM pg_roles r WHERE r.oid = a.usesysid), false)`;

/** Our own control sessions must be able to write on a frozen server (setval, DDL, the drain marker). */
export const WRITABLE_SESSION = 'SET default_transaction_read_only = off';

/** Why our objects carry a comment: a later run can tell its own objects from someone else's. */
export function ownerComment(runId: string): string {
  return `pg-upgrade-pilot logical upgrade, run ${runId}`;
}

export type PublicationScope =
  | { kind: 'all' }
  | { kind: 'schemas'; schemas: string[] }
  | { kind: 'tables'; tables: TableName[] };

/** FOR ALL TABLES / FOR TABLES IN SCHEMA (15+) / FOR TABLE a, b. */
export function publicationTarget(scope: PublicationScope): string {
  switch (scope.kind) {
    case 'all':
      return 'FOR ALL TABLES';
    case 'schemas':
      return `FOR TABLES IN SCHEMA ${scope.schemas.map(quoteIdent).join(', ')}`;
    case 'tables':
      return `FOR TABLE ${scope.tables.map(qualified).join(', ')}`;
  }
}

/** viaRoot: publish_via_partition_root = true (13+): partitions flow as their root, new ones need no new subscription entry. */
export function createPublicationSql(name: string, scope: PublicationScope, opts: { viaRoot?: boolean } = {}): string {
  return `CREATE PUBLICATION ${quoteIdent(name)} ${publicationTarget(scope)}${opts.viaRoot ? ' WITH (publish_via_partition_root = true)' : ''}`;
}

export function publicationViaRootSql(name: string, on: boolean): string {
  return `ALTER PUBLICATION ${quoteIdent(name)} SET (publish_via_partition_root = ${on})`;
}

/** Bring an existing publication of ours to the wanted table list (table / schema scopes only). */
export function alterPublicationSql(name: string, scope: Exclude<PublicationScope, { kind: 'all' }>): string {
  return scope.kind === 'schemas'
    ? `ALTER PUBLICATION ${quoteIdent(name)} SET TABLES IN SCHEMA ${scope.schemas.map(quoteIdent).join(', ')}`
    : `ALTER PUBLICATION ${quoteIdent(name)} SET TABLE ${scope.tables.map(qualified).join(', ')}`;
}

export function commentOnSql(kind: 'PUBLICATION' | 'SUBSCRIPTION', name: string, text: string): string {
  return `COMMENT ON ${kind} ${quoteIdent(name)} IS ${quoteLiteral(text)}`;
}

export interface SubscriberConninfoOptions {
  /** The database to replicate (used when the connection string names none). */
  dbname: string;
  /** The user (used when the connection string names none). */
  user?: string;
  password?: string;
  /** Render the password as ******** (plans). */
  mask?: boolean;
  /** Added when absent, so that an unreachable publisher fails in bounded time. */
  connectTimeoutSeconds?: number;
}

/**
 * The conninfo a subscriber uses to reach its publisher: the given connection string (secrets dropped), its
 * database defaulted, and the password added (or masked). Keyword/value form, whatever form was given.
 */
export function subscriberConninfo(connection: string, o: SubscriberConninfoOptions): string {
  const p = parseConnString(connection);
  delete p.password;
  delete p.sslpassword;
  if (!p.dbname) p.dbname = o.dbname;
  if (!p.user && o.user) p.user = o.user;
  if (o.connectTimeoutSeconds && !p.connect_timeout) p.connect_timeout = String(o.connectTimeoutSeconds);
  if (o.password !== undefined && o.password !== '') p.password = o.mask ? MASK : o.password;
  return formatConnString(p, { includePassword: true });
}

export interface SubscriptionOptions {
  slotName: string;
  copyData: boolean;
  createSlot?: boolean;
  enabled?: boolean;
  connect?: boolean;
  /** 'on' only where both servers speak protocol 2 (14+). */
  streaming?: boolean;
}

export function createSubscriptionSql(name: string, conninfo: string, publication: string, o: SubscriptionOptions): string {
  const withs = [
    `copy_data = ${o.copyData}`,
    `create_slot = ${o.createSlot ?? true}`,
    `enabled = ${o.enabled ?? true}`,
    `slot_name = ${quoteLiteral(o.slotName)}`,
  ];
  if (o.connect === false) withs.push('connect = false');
  if (o.streaming) withs.push('streaming = on');
  return `CREATE SUBSCRIPTION ${quoteIdent(name)} CONNECTION ${quoteLiteral(conninfo)} PUBLICATION ${quoteIdent(publication)} WITH (${withs.join(', ')})`;
}

/**
 * Reachability probe, run on the target inside BEGIN … ROLLBACK: with create_slot = false CREATE SUBSCRIPTION may
 * run in a transaction block, and with connect = true it opens a replication connection to the publisher exactly
 * as the real subscription will (network, pg_hba, password, REPLICATION privilege), then everything is rolled
 * back. Nothing is created anywhere.
 */
export function probeSubscriptionSql(probeName: string, conninfo: string, publication: string): string {
  return `CREATE SUBSCRIPTION ${quoteIdent(probeName)} CONNECTION ${quoteLiteral(conninfo)} PUBLICATION ${quoteIdent(publication)} ` +
    'WITH (connect = true, create_slot = false, enabled = false, slot_name = NONE, copy_data = false)';
}

/** The subscription's slot, made on the publisher before the subscription (create_slot = false). */
export function createSlotSql(slot: string): string {
  return `SELECT pg_create_logical_replication_slot(${quoteLiteral(slot)}, 'pgoutput')`;
}

export function dropSubscriptionSql(name: string): string {
  return `DROP SUBSCRIPTION IF EXISTS ${quoteIdent(name)}`;
}

export function dropPublicationSql(name: string): string {
  return `DROP PUBLICATION IF EXISTS ${quoteIdent(name)}`;
}

export function alterSubscriptionSql(name: string, what: 'ENABLE' | 'DISABLE' | string): string {
  return `ALTER SUBSCRIPTION ${quoteIdent(name)} ${what}`;
}

export function setSubscriptionOptionSql(name: string, option: string, value: string): string {
  return `ALTER SUBSCRIPTION ${quoteIdent(name)} SET (${option} = ${quoteLiteral(value)})`;
}

export function roleLoginSql(role: string, login: boolean): string {
  return `ALTER ROLE ${quoteIdent(role)} ${login ? 'LOGIN' : 'NOLOGIN'}`;
}

/**
 * Client backends of the current database, except our own sessions (the given pids and the engine's sessions,
 * named pg-upgrade-pilot); walsenders, autovacuum and background workers are other backend types and stay.
 */
export const TERMINATE_CLIENTS_SQL = `SELECT a.pid, pg_terminate_backend(a.pid) AS terminated
FROM pg_stat_activity a
WHERE a.datname = current_database() AND a.backend_type = 'client backend'
  AND a.pid <> pg_backend_pid() AND a.pid <> ALL($1::int[])
  AND a.application_name IS DISTINCT FROM 'pg-upgrade-pilot'`;

export const DRAIN_MARKER_SQL = `SELECT pg_logical_emit_message(true, 'pg-upgrade-pilot', 'switchover drain marker')::text AS lsn`;

/** setval for every copied sequence in one round trip; oids resolved on the target beforehand. */
export const SETVAL_ALL_SQL = `SELECT count(pg_catalog.setval(s.oid::regclass, s.v, s.c))::int AS n
FROM unnest($1::oid[], $2::bigint[], $3::boolean[]) AS s(oid, v, c)`;

export function setvalSql(seq: TableName, value: string, isCalled: boolean): string {
  return `SELECT pg_catalog.setval(${quoteLiteral(qualified(seq))}, ${value}, ${isCalled})`;
}

/** One query reading every sequence's exact state (last_value and is_called, including setval(…, false)). */
export function readSequencesSql(seqs: TableName[]): string {
  if (seqs.length === 0) return 'SELECT NULL::int AS i, NULL::text AS v, NULL::boolean AS c WHERE false';
  return seqs.map((s, i) => `SELECT ${i} AS i, last_value::text AS v, is_called AS c FROM ${qualified(s)}`).join('\nUNION ALL ');
}
