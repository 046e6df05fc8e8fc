/**
 * `pg-upgrade-pilot minor-upgrade`: the in-place minor upgrade of one server, headless, through the engine: terminal
 * prompts, a journal per run, --resume, --dry-run, --json.
 */
import { defaultMinorUpgradeParams, MINOR_STEP_IDS, MINOR_UPGRADE_DEFAULTS, minorUpgradeRunbook, type MinorUpgradeParams } from '../../core/runbooks/minor';
import { asUsage, oneOf, readArgs, unknown, UsageError } from '../args';
import { clusterFromFlag } from '../connections';
import { newRunControl, readRunFlag, resumedParams, RUN_FLAGS_HELP, runCommand, type RunControl } from '../runs';
import { HOST_FLAGS_HELP, hostRunNotes, hostSpecsFor, readHostFlag, readHostPlanFlag, type HostFlags, type HostPlan } from './host-runbooks';
import { newRecordFlags, readRecordFlag, RECORD_FLAGS_HELP, recordExtras, type RecordFlags } from '../record';
import type { CliCommand } from './index';

const d = MINOR_UPGRADE_DEFAULTS;

const help = `Usage: pg-upgrade-pilot minor-upgrade --server CONN --to-version X.Y [options]

In-place minor upgrade (same major, same data directory, new binaries): checklist (version, extensions vs the
binaries' default versions, database sizes, free disk, backup tool), backup (pg_dump --format=directory -j N per
database + pg_dumpall --globals-only, verified with pg_restore --list; or a cold copy of the stopped data
directory), optional read-only mode, drain the client sessions, stop / install / start (host steps), verify the
new version, ALTER EXTENSION … UPDATE, post-checks (a query in every database, amcheck), reopen writes, and the
record with versions, downtime, backup location and the exact rollback procedure. Steps: ${MINOR_STEP_IDS.join(', ')}.

Connection (libpq connection string; no password needed inside; superuser):
  --server CONN               The server to upgrade.
  --server-name NAME          Display name (default host:port/dbname).
  --production                Treat it as production: every changing step needs its name typed.
  Passwords: from the connection string, PGPASSWORD or the password file; never printed, never journaled.

Target and backup:
  --to-version X.Y            The minor release to end on (e.g. 16.14). Required (except with --resume).
  --backup pg_dump|cold-copy|none
                              pg_dump (default; needs pg_dump ≥ the server's major: Debian's 15 handles ≤ 15),
                              cold-copy (cp -a of the stopped data directory, lengthens the downtime), none.
  --backup-path PATH          Where the backup goes (pg_dump default: \${XDG_STATE_HOME:-~/.local/state}/
                              pg-upgrade-pilot/backups/RUNID; cold-copy default: DATADIR.pgpilot-backup-RUNID);
                              with --backup none: an existing pg_dump backup to verify and record.
  --jobs N                    pg_dump --jobs (default ${d.backupJobs}).
  --database NAME             Work on these databases only (repeatable; default all that accept connections).

Maintenance window:
  --read-only                 Make the server read-only (ALTER SYSTEM default_transaction_read_only) before the
                              drain; writes reopen at the end.
  --drain-max-active N        The drain ends when at most N client sessions are active (default ${d.drainMaxActive}).
  --drain-timeout SECONDS     How long to wait for that (default ${d.drainTimeoutMs / 1000}); then the remaining client sessions are
                              terminated, unless --no-terminate (then the step fails).
  --no-terminate
  --no-extension-update       Do not ALTER EXTENSION … UPDATE.
  --amcheck-max-indexes N     bt_index_check on up to N btree indexes after the restart (default ${d.amcheckMaxIndexes}; 0 = off).
  --start-timeout SECONDS     How long the restart may take (default ${d.startTimeoutMs / 1000}).
  --client-tools-path DIR     Where pg_dump / pg_dumpall / pg_restore are.

${HOST_FLAGS_HELP}
  --executor manual|local
  --lab-dir DIR               Lab clusters: paths and OS user from DIR/lab.json (matched by port); implies local.
  --data-dir DIR, --bin-dir DIR, --os-user USER, --systemd-unit UNIT
                              Paths on the host (manual default: read over SQL; OS user postgres). With a systemd
                              unit (e.g. postgresql@16-main) stop/start use systemctl.

Record:
${RECORD_FLAGS_HELP}

${RUN_FLAGS_HELP}

Examples:
  pg-upgrade-pilot minor-upgrade --server "host=db1 user=postgres" --to-version 16.14 \\
      --systemd-unit postgresql@16-main --backup cold-copy --dry-run
  pg-upgrade-pilot lab up 16.12 && PGPASSFILE=.lab/pgpass pg-upgrade-pilot minor-upgrade \\
      --server "host=127.0.0.1 port=15476 user=postgres" --to-version 16.14 --lab-dir .lab --backup cold-copy
`;

interface Parsed {
  server?: string;
  serverName?: string;
  production: boolean;
  hostPlan: HostPlan;
  host: HostFlags;
  params: Partial<MinorUpgradeParams>;
  databases: string[];
  run: RunControl;
  record: RecordFlags;
}

export function parseMinorArgs(args: string[]): Parsed {
  const f: Parsed = { production: false, hostPlan: {}, host: {}, params: {}, databases: [], run: newRunControl(), record: newRecordFlags() };
  for (const { flag, value, number } of readArgs(args)) {
    if (readRecordFlag(flag, value, f.record) || readRunFlag(flag, value, f.run) || readHostPlanFlag(flag, value, f.hostPlan) || readHostFlag(flag, value, f.host)) continue;
    switch (flag) {
      case '--server': f.server = value(); break;
      case '--server-name': f.serverName = value(); break;
      case '--production': f.production = true; break;
      case '--to-version': f.params.toVersion = value(); break;
      case '--backup': f.params.backup = oneOf(flag, value(), ['pg_dump', 'cold-copy', 'none'] as const); break;
      case '--backup-path': f.params.backupPath = value(); break;
      case '--jobs': f.params.backupJobs = number(1); break;
      case '--database': f.databases.push(value()); break;
      case '--read-only': f.params.readOnly = true; break;
      case '--drain-max-active': f.params.drainMaxActive = number(0); break;
      case '--drain-timeout': f.params.drainTimeoutMs = Math.round(number(0.1) * 1000); break;
      case '--no-terminate': f.params.terminateAfterDrain = false; break;
      case '--no-extension-update': f.params.updateExtensions = false; break;
      case '--amcheck-max-indexes': f.params.amcheckMaxIndexes = number(0); break;
      case '--start-timeout': f.params.startTimeoutMs = Math.round(number(1) * 1000); break;
      case '--client-tools-path': f.params.clientToolsPath = value(); break;
      default: unknown(flag);
    }
  }
  if (f.databases.length) f.params.databases = f.databases;
  if (!f.server) throw new UsageError('--server is required');
  if (!f.params.toVersion && !f.run.resume) throw new UsageError('--to-version is required (the minor release to upgrade to, e.g. 16.14)');
  if (f.run.until && !(MINOR_STEP_IDS as readonly string[]).includes(f.run.until)) throw new UsageError(`--until takes a step id: ${MINOR_STEP_IDS.join(', ')}`);
  return f;
}

function run(args: string[]): Promise<number> {
  return runCommand('minor-upgrade', async () => {
    const f = parseMinorArgs(args);
    const server = await clusterFromFlag('--server', f.server!, f.serverName, f.production);
    const base = await resumedParams<MinorUpgradeParams>(f.run);
    const hosts = await hostSpecsFor(base.hosts, f.hostPlan, { server: { connection: f.server!, flags: f.host } });
    const params = asUsage(() => defaultMinorUpgradeParams({ ...base, hosts, ...f.params }));
    return { control: f.run, opts: { runbook: minorUpgradeRunbook, clusters: { server }, params }, resumeHint: 'pg-upgrade-pilot minor-upgrade --server …', notes: hostRunNotes, extras: recordExtras(f.record, minorUpgradeRunbook) };
  });
}

export const minorUpgradeCommand: CliCommand = {
  name: 'minor-upgrade',
  summary: 'In-place minor upgrade: checklist, backup, drain, new binaries, verify, record',
  help,
  run,
};
