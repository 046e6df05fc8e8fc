/** What a running server says about its host: data directory, binaries, configuration files (one round trip). */
import { relative, isAbsolute } from 'node:path';
import type { Queryable } from '../db';

export interface HostFacts {
  dataDir: string;
  /** pg_config's BINDIR (superuser only); null when not readable. */
  binDir: string | null;
  port: number;
  versionNum: number;
  /**
   * Configuration files inside the data directory (relative names: postgresql.conf, postgresql.auto.conf,
   * pg_hba.conf, include files …). pg_rewind and pg_basebackup overwrite them with the other server's copies.
   */
  configFilesInDataDir: string[];
  /** Data page checksums (initdb -k) or wal_log_hints: pg_rewind needs one of them. */
  dataChecksums: boolean;
  walLogHints: boolean;
  fullPageWrites: boolean;
  inRecovery: boolean;
  systemIdentifier: string;
  timeline: number;
}

export const HOST_FACTS_SQL = `SELECT current_setting('data_directory') AS data_dir,
  (SELECT setting FROM pg_catalog.pg_config WHERE name = 'BINDIR') AS bin_dir,
  current_setting('port')::int AS port,
  current_setting('server_version_num')::int AS version_num,
  current_setting('hba_file') AS hba_file, current_setting('ident_file') AS ident_file,
  current_setting('config_file') AS config_file,
  ARRAY(SELECT DISTINCT f.sourcefile FROM pg_catalog.pg_file_settings f WHERE f.sourcefile IS NOT NULL ORDER BY 1) AS conf_files,
  current_setting('data_checksums') = 'on' AS data_checksums,
  current_setting('wal_log_hints') = 'on' AS wal_log_hints,
  current_setting('full_page_writes') = 'on' AS full_page_writes,
  pg_catalog.pg_is_in_recovery() AS in_recovery,
  (SELECT system_identifier::text FROM pg_catalog.pg_control_system()) AS system_identifier,
  (SELECT timeline_id FROM pg_catalog.pg_control_checkpoint()) AS timeline`;

/** Relative path of `file` when it lies inside `dir`, else null. Pure. */
export function insideDir(dir: string, file: string): string | null {
  const rel = relative(dir, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : null;
}

interface Row {
  data_dir: string;
  bin_dir: string | null;
  port: number;
  version_num: number;
  hba_file: string;
  ident_file: string;
  config_file: string;
  conf_files: string[] | null;
  data_checksums: boolean;
  wal_log_hints: boolean;
  full_page_writes: boolean;
  in_recovery: boolean;
  system_identifier: string;
  timeline: number;
}

/** Needs a superuser (data_directory, pg_config, pg_file_settings). */
export async function readHostFacts(q: Queryable): Promise<HostFacts> {
  let row: Row;
  try {
    row = (await q.query<Row>(HOST_FACTS_SQL)).rows[0];
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot read the server's data directory and configuration files (${msg}); host steps need a superuser connection`);
  }
  // postgresql.auto.conf lives in every data directory, even when it holds no setting yet (ALTER SYSTEM writes it)
  const files = new Set<string>(['postgresql.auto.conf']);
  for (const f of [...(row.conf_files ?? []), row.hba_file, row.ident_file, row.config_file]) {
    const rel = f ? insideDir(row.data_dir, f) : null;
    if (rel) files.add(rel);
  }
  return {
    dataDir: row.data_dir,
    binDir: row.bin_dir,
    port: Number(row.port),
    versionNum: Number(row.version_num),
    configFilesInDataDir: [...files].sort(),
    dataChecksums: row.data_checksums === true,
    walLogHints: row.wal_log_hints === true,
    fullPageWrites: row.full_page_writes === true,
    inRecovery: row.in_recovery === true,
    systemIdentifier: String(row.system_identifier),
    timeline: Number(row.timeline),
  };
}
