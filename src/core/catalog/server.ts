import { versionFromNum, type Queryable, type ServerVersion } from '../db';
import { isoTimestamp } from './sqlparts';
import type { DatabaseInfo, ServerOverview } from './types';
import { reqBool, reqNum, reqStr, num, type Row } from './values';
import { catalogMajor } from './version';

/** Version-independent, so it can be the first query on a fresh connection. */
export const SERVER_OVERVIEW_SQL = `SELECT
  current_setting('server_version_num')::int AS version_num,
  current_setting('server_version') AS server_version,
  pg_is_in_recovery() AS in_recovery,
  current_setting('wal_level') AS wal_level,
  current_setting('max_replication_slots')::int AS max_replication_slots,
  current_setting('max_wal_senders')::int AS max_wal_senders,
  current_setting('max_logical_replication_workers')::int AS max_logical_replication_workers,
  current_setting('max_worker_processes')::int AS max_worker_processes,
  current_setting('max_sync_workers_per_subscription')::int AS max_sync_workers_per_subscription,
  current_setting('max_active_replication_origins', true)::int AS max_active_replication_origins,
  extract(epoch FROM now() - pg_postmaster_start_time())::float8 AS uptime_seconds,
  ${isoTimestamp('pg_postmaster_start_time()')} AS postmaster_start_time,
  (SELECT COALESCE(sum(pg_database_size(d.oid)), 0)::float8 FROM pg_database d
    WHERE has_database_privilege(d.oid, 'CONNECT')) AS total_database_size,
  current_database() AS current_database,
  current_user AS current_user_name,
  current_setting('is_superuser') = 'on' AS is_superuser,
  current_setting('default_transaction_read_only') = 'on' AS default_read_only`;

export async function fetchServerOverview(q: Queryable): Promise<ServerOverview> {
  const { rows } = await q.query<Row>(SERVER_OVERVIEW_SQL);
  const r = rows[0];
  if (!r) throw new Error('The server returned no row for the overview query.');
  const inRecovery = reqBool(r.in_recovery, 'pg_is_in_recovery()');
  return {
    version: versionFromNum(reqNum(r.version_num, 'server_version_num')),
    serverVersion: reqStr(r.server_version, 'server_version'),
    inRecovery,
    role: inRecovery ? 'standby' : 'primary',
    walLevel: reqStr(r.wal_level, 'wal_level'),
    maxReplicationSlots: reqNum(r.max_replication_slots, 'max_replication_slots'),
    maxWalSenders: reqNum(r.max_wal_senders, 'max_wal_senders'),
    maxLogicalReplicationWorkers: reqNum(r.max_logical_replication_workers, 'max_logical_replication_workers'),
    maxWorkerProcesses: reqNum(r.max_worker_processes, 'max_worker_processes'),
    maxSyncWorkersPerSubscription: reqNum(r.max_sync_workers_per_subscription, 'max_sync_workers_per_subscription'),
    maxActiveReplicationOrigins: num(r.max_active_replication_origins),
    uptimeSeconds: reqNum(r.uptime_seconds, 'uptime'),
    postmasterStartTime: reqStr(r.postmaster_start_time, 'pg_postmaster_start_time()'),
    totalDatabaseSizeBytes: reqNum(r.total_database_size, 'total database size'),
    currentDatabase: reqStr(r.current_database, 'current_database()'),
    currentUser: reqStr(r.current_user_name, 'current_user'),
    isSuperuser: reqBool(r.is_superuser, 'is_superuser'),
    defaultReadOnly: r.default_read_only === true,
  };
}

/** The same SQL for 12–18; templates are included and flagged. */
export function listDatabasesSql(v: ServerVersion): string {
  catalogMajor(v);
  return `SELECT d.datname AS name,
  pg_get_userbyid(d.datdba) AS owner,
  CASE WHEN has_database_privilege(d.oid, 'CONNECT') THEN pg_database_size(d.oid)::float8 END AS size_bytes,
  pg_encoding_to_char(d.encoding) AS encoding,
  d.datallowconn AS allow_connections,
  d.datistemplate AS is_template,
  EXISTS (SELECT 1 FROM pg_db_role_setting s WHERE s.setdatabase = d.oid AND s.setrole = 0
    AND 'default_transaction_read_only=on' = ANY (s.setconfig)) AS read_only
FROM pg_database d
ORDER BY d.datistemplate, d.datname`;
}

export async function listDatabases(q: Queryable, v: ServerVersion): Promise<DatabaseInfo[]> {
  const { rows } = await q.query<Row>(listDatabasesSql(v));
  return rows.map((r) => ({
    name: reqStr(r.name, 'datname'),
    owner: reqStr(r.owner, 'owner'),
    sizeBytes: num(r.size_bytes),
    encoding: reqStr(r.encoding, 'encoding'),
    allowConnections: reqBool(r.allow_connections, 'datallowconn'),
    isTemplate: reqBool(r.is_template, 'datistemplate'),
    readOnly: r.read_only === true,
  }));
}
