/**
 * The monitor's SQL: ONE statement per cluster per tick, version-aware (12–18). Each statement is a single-row
 * SELECT whose columns are the header figures plus json arrays built from the catalog's own list queries
 * (src/core/catalog), so the row mapping stays in one place (see tick.ts). Constant text only: the few numbers
 * spliced in are validated here; no user input ever is.
 */
import type { ServerVersion } from '../db';
import { listReplicationSlotsSql, listStandbysSql, listSubscriptionsSql } from '../catalog';
import { CURRENT_WAL_POSITION } from '../catalog/sqlparts';
import { catalogMajor } from '../catalog/version';
import { MAX_LISTED_TABLES } from './types';

/** Rows of `sql` as one json array ('[]' when none). */
export function jsonRows(sql: string): string {
  return `(SELECT COALESCE(json_agg(x), '[]'::json) FROM (${sql}) x)`;
}

/** Version, role and WAL position: the same for every cluster. */
function headerColumns(v: ServerVersion): string {
  const major = catalogMajor(v);
  const keep = major >= 13
    ? `(SELECT CASE WHEN s.setting = '-1' THEN -1 ELSE s.setting::float8 * 1048576 END FROM pg_settings s WHERE s.name = 'max_slot_wal_keep_size')`
    : 'NULL::float8';
  return `current_setting('server_version') AS server_version,
  current_setting('server_version_num')::int AS version_num,
  pg_is_in_recovery() AS in_recovery,
  current_setting('wal_level') AS wal_level,
  (${CURRENT_WAL_POSITION})::text AS wal_lsn,
  ${keep} AS max_slot_wal_keep_size`;
}

function seconds(n: number, what: string): number {
  if (!Number.isFinite(n) || n < 0) throw new Error(`${what} must be a number of seconds ≥ 0, got ${n}`);
  return n;
}

/** Client sessions with a transaction open for more than `minSeconds` (ours excluded); never the query text. */
export function longTransactionsSql(minSeconds: number): string {
  return `SELECT a.pid, a.usename AS user_name, a.application_name AS application, a.state,
  extract(epoch FROM (now() - a.xact_start))::float8 AS seconds
FROM pg_stat_activity a
WHERE a.backend_type = 'client backend' AND a.pid <> pg_backend_pid() AND a.xact_start IS NOT NULL
  AND a.xact_start < now() - interval '1 second' * ${seconds(minSeconds, 'the long-transaction threshold')}
ORDER BY a.xact_start
LIMIT 20`;
}

/** Sequences of the connected database as [schema, name, readable] (readable: SELECT or USAGE, as setval needs). */
export const SEQUENCES_SQL = `SELECT n.nspname AS schema, c.relname AS name, has_sequence_privilege(c.oid, 'SELECT,USAGE') AS readable
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'S' AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
ORDER BY 1, 2`;

/**
 * Tables of the connected database's subscriptions that are not ready, with the bytes their COPY has processed
 * (14+). Copying tables first, then by state (d, f, s, i) and name; at most MAX_LISTED_TABLES rows.
 */
export function notReadyTablesSql(v: ServerVersion): string {
  const major = catalogMajor(v);
  const copy = major >= 14
    ? `LEFT JOIN pg_stat_progress_copy p ON p.relid = sr.srrelid AND p.datid = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())`
    : '';
  const bytes = major >= 14 ? 'p.bytes_processed::float8' : 'NULL::float8';
  return `SELECT s.subname AS subscription, n.nspname AS schema, c.relname AS name, sr.srsubstate::text AS state,
  ${bytes} AS bytes_copied
FROM pg_subscription_rel sr
JOIN pg_subscription s ON s.oid = sr.srsubid
JOIN pg_class c ON c.oid = sr.srrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
${copy}
WHERE sr.srsubstate <> 'r' AND s.subdbid = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
ORDER BY (${bytes}) DESC NULLS LAST, position(sr.srsubstate::text IN 'dfsi'), s.subname, n.nspname, c.relname
LIMIT ${MAX_LISTED_TABLES}`;
}

export interface SourceTickOptions {
  longTransactionSeconds: number;
}

/** The publisher (logical) side: slots, walsenders, long transactions, sequences. */
export function sourceTickSql(v: ServerVersion, o: SourceTickOptions): string {
  return `SELECT ${headerColumns(v)},
  ${jsonRows(listReplicationSlotsSql(v))} AS slots,
  ${jsonRows(listStandbysSql(v))} AS senders,
  ${jsonRows(longTransactionsSql(o.longTransactionSeconds))} AS long_transactions,
  ${jsonRows(SEQUENCES_SQL)} AS sequences`;
}

export interface TargetTickOptions {
  /** Read the publisher's host out of subconninfo (superuser only; see ListSubscriptionsOptions). */
  conninfo: boolean;
}

/** The subscriber side: subscriptions (counts, worker, errors), non-ready tables, sequence names. */
export function targetTickSql(v: ServerVersion, o: TargetTickOptions): string {
  return `SELECT ${headerColumns(v)},
  ${jsonRows(listSubscriptionsSql(v, { conninfo: o.conninfo }))} AS subscriptions,
  ${jsonRows(notReadyTablesSql(v))} AS tables,
  ${jsonRows(SEQUENCES_SQL)} AS sequences`;
}

/** A streaming primary: its standbys (write/flush/replay lag) and slots. */
export function primaryTickSql(v: ServerVersion): string {
  return `SELECT ${headerColumns(v)},
  ${jsonRows(listStandbysSql(v))} AS senders,
  ${jsonRows(listReplicationSlotsSql(v))} AS slots`;
}

/** A standby: who it is and how far it has replayed. */
export function standbyTickSql(v: ServerVersion): string {
  catalogMajor(v);
  return `SELECT ${headerColumns(v)}`;
}
