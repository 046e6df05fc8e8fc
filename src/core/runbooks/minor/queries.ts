/** Read-only catalog queries of the minor-upgrade runbook. */
import type { Queryable } from '../../db';
import { APPLICATION_NAME } from '../../runbook/connections';
import { quoteIdent } from '../../sql';

export interface DatabaseSize {
  name: string;
  sizeBytes: number;
}

export interface ServerState {
  versionNum: number;
  /** server_version, e.g. "16.12" or "16.4 (Debian 16.4-1.pgdg120+1)". */
  serverVersion: string;
  inRecovery: boolean;
  isSuperuser: boolean;
  /** Databases that accept connections, templates excluded, with their sizes. */
  databases: DatabaseSize[];
  totalSizeBytes: number;
  /** Client sessions other than ours (application_name pg-upgrade-pilot), and how many are not idle. */
  clientSessions: number;
  activeSessions: number;
  longestTransactionSeconds: number | null;
  preparedTransactions: number;
  dataChecksums: boolean;
  archiveMode: string;
  archiveFailing: boolean;
  currentDatabase: string;
}

const STATE_SQL = `SELECT current_setting('server_version_num')::int AS version_num, current_setting('server_version') AS server_version,
  pg_is_in_recovery() AS in_recovery,
  (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS is_superuser,
  (SELECT json_agg(json_build_object('name', datname, 'size', pg_database_size(oid)) ORDER BY datname)
     FROM pg_database WHERE datallowconn AND NOT datistemplate AND has_database_privilege(oid, 'CONNECT')) AS databases,
  (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
     AND application_name IS DISTINCT FROM $1)::int AS client_sessions,
  (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
     AND application_name IS DISTINCT FROM $1 AND state IS DISTINCT FROM 'idle')::int AS active_sessions,
  (SELECT extract(epoch FROM max(now() - xact_start))::float8 FROM pg_stat_activity
     WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND xact_start IS NOT NULL) AS longest_xact,
  (SELECT count(*) FROM pg_prepared_xacts)::int AS prepared,
  current_setting('data_checksums') = 'on' AS data_checksums,
  current_setting('archive_mode') AS archive_mode,
  (SELECT coalesce(last_failed_time > coalesce(last_archived_time, '-infinity'), false) FROM pg_stat_archiver) AS archive_failing,
  current_database() AS current_database`;

export async function readServerState(q: Queryable): Promise<ServerState> {
  const r = (await q.query<Record<string, unknown>>(STATE_SQL, [APPLICATION_NAME])).rows[0];
  const dbs = ((r.databases as { name: string; size: number | string }[] | null) ?? []).map((d) => ({ name: d.name, sizeBytes: Number(d.size) }));
  return {
    versionNum: Number(r.version_num),
    serverVersion: String(r.server_version),
    inRecovery: r.in_recovery === true,
    isSuperuser: r.is_superuser === true,
    databases: dbs,
    totalSizeBytes: dbs.reduce((n, d) => n + d.sizeBytes, 0),
    clientSessions: Number(r.client_sessions),
    activeSessions: Number(r.active_sessions),
    longestTransactionSeconds: r.longest_xact === null ? null : Number(r.longest_xact),
    preparedTransactions: Number(r.prepared),
    dataChecksums: r.data_checksums === true,
    archiveMode: String(r.archive_mode),
    archiveFailing: r.archive_failing === true,
    currentDatabase: String(r.current_database),
  };
}

export interface ExtensionState {
  database: string;
  name: string;
  installed: string;
  /** The default version the server's binaries offer now. */
  available: string | null;
}

export const EXTENSIONS_SQL = `SELECT e.extname AS name, e.extversion AS installed, a.default_version AS available
FROM pg_extension e LEFT JOIN pg_available_extensions a ON a.name = e.extname ORDER BY e.extname`;

export async function readExtensions(q: Queryable, database: string): Promise<ExtensionState[]> {
  const r = await q.query<{ name: string; installed: string; available: string | null }>(EXTENSIONS_SQL);
  return r.rows.map((x) => ({ database, name: x.name, installed: x.installed, available: x.available }));
}

/** Installed at another version than the binaries' default (ALTER EXTENSION … UPDATE brings it to the default). */
export function outdated(e: ExtensionState): boolean {
  return e.available !== null && e.available !== e.installed;
}

export function alterExtensionUpdateSql(name: string): string {
  return `ALTER EXTENSION ${quoteIdent(name)} UPDATE`;
}

/** Client sessions other than ours, for the drain (all databases). */
export const ACTIVE_CLIENTS_SQL = `SELECT count(*) FILTER (WHERE state IS DISTINCT FROM 'idle')::int AS active, count(*)::int AS total
FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND application_name IS DISTINCT FROM $1`;

export const TERMINATE_ALL_CLIENTS_SQL = `SELECT pid, pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND application_name IS DISTINCT FROM $1`;
