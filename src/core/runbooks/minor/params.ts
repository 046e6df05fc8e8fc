/** Parameters of the in-place minor-upgrade runbook; JSON-safe (journaled), never a password. */
import { isAbsolute } from 'node:path';
import { validateHostSpecs } from '../../hosts/spec';
import type { HostSpecs } from '../../hosts/types';
import { parseMinorVersion } from '../../hosts/wait';

/**
 * pg_dump: a logical backup of every database (directory format, -j parallel jobs) plus the globals, online, before
 * anything changes; needs pg_dump ≥ the server's major. cold-copy: a copy of the stopped data directory (binary,
 * same major only; lengthens the downtime by the copy). none: no backup (an existing one may be named in backupPath).
 */
export type BackupMethod = 'pg_dump' | 'cold-copy' | 'none';

export interface MinorUpgradeParams {
  /** The release to end on, e.g. "16.14" (same major, newer minor). Local executor: an installed lab build. */
  toVersion: string;
  hosts?: HostSpecs;
  backup: BackupMethod;
  /**
   * Where the backup goes (pg_dump: on this machine; cold-copy: on the server's host). Default: pg_dump →
   * <state dir>/pg-upgrade-pilot/backups/<run id>; cold-copy → beside the data directory. With backup "none": an
   * existing pg_dump directory backup to verify (pg_restore --list) and record.
   */
  backupPath?: string;
  /** pg_dump -j (directory format). */
  backupJobs: number;
  /** Databases to dump; default every database that accepts connections, templates excluded. */
  databases?: string[];
  /** Make the server read-only (ALTER SYSTEM default_transaction_read_only) before draining; reset at the end. */
  readOnly: boolean;
  /** The drain ends when at most this many client sessions are active (state ≠ idle). */
  drainMaxActive: number;
  drainTimeoutMs: number;
  /** When the drain times out: terminate the remaining client sessions (else the step fails). */
  terminateAfterDrain: boolean;
  /** ALTER EXTENSION … UPDATE where the new binaries bring a newer default version. */
  updateExtensions: boolean;
  /** Post-check: amcheck's bt_index_check on up to this many btree indexes (0 = skip). */
  amcheckMaxIndexes: number;
  /** How long the server may take to accept connections again after the start. */
  startTimeoutMs: number;
  /** Directory (or list) holding pg_dump/pg_restore/pg_dumpall, searched before PATH and the usual directories. */
  clientToolsPath?: string;
}

export const MINOR_UPGRADE_DEFAULTS: Readonly<Omit<MinorUpgradeParams, 'toVersion'>> = Object.freeze({
  backup: 'pg_dump' as BackupMethod,
  backupJobs: 2,
  readOnly: false,
  drainMaxActive: 0,
  drainTimeoutMs: 30_000,
  terminateAfterDrain: true,
  updateExtensions: true,
  amcheckMaxIndexes: 200,
  startTimeoutMs: 120_000,
});

export function defaultMinorUpgradeParams(partial: Partial<MinorUpgradeParams> & { toVersion?: string }): MinorUpgradeParams {
  const p = { ...MINOR_UPGRADE_DEFAULTS } as MinorUpgradeParams;
  for (const [k, v] of Object.entries(partial)) if (v !== undefined) (p as unknown as Record<string, unknown>)[k] = v;
  validateMinorUpgradeParams(p);
  return p;
}

function positive(what: string, v: unknown, allowZero = false): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new Error(`${what} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${JSON.stringify(v)}`);
  }
}

export function validateMinorUpgradeParams(p: MinorUpgradeParams): void {
  if (typeof p.toVersion !== 'string' || !p.toVersion) throw new Error('toVersion is required (the minor release to upgrade to, e.g. 16.14)');
  parseMinorVersion(p.toVersion);
  if (!['pg_dump', 'cold-copy', 'none'].includes(p.backup)) throw new Error(`backup must be pg_dump, cold-copy or none, not ${JSON.stringify(p.backup)}`);
  if (p.backupPath !== undefined && (!isAbsolute(p.backupPath) || /[\0\r\n]/.test(p.backupPath))) {
    throw new Error(`backupPath must be an absolute path, got ${JSON.stringify(p.backupPath)}`);
  }
  if (!Number.isInteger(p.backupJobs) || p.backupJobs < 1 || p.backupJobs > 64) throw new Error(`backupJobs must be an integer from 1 to 64, got ${p.backupJobs}`);
  if (p.databases !== undefined && (!Array.isArray(p.databases) || p.databases.some((d) => typeof d !== 'string' || !d || d.includes('\0')))) {
    throw new Error('databases must be a list of database names');
  }
  positive('drainMaxActive', p.drainMaxActive, true);
  positive('drainTimeoutMs', p.drainTimeoutMs);
  positive('amcheckMaxIndexes', p.amcheckMaxIndexes, true);
  positive('startTimeoutMs', p.startTimeoutMs);
  validateHostSpecs(['server'], p.hosts);
}
