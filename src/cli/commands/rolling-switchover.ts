/**
 * `pg-upgrade-pilot rolling-switchover`: the rolling switchover of a streaming pair (optionally a rolling minor
 * upgrade), headless, through the engine: terminal prompts, a journal per run, --resume, --dry-run, --json.
 */
import { defaultRollingSwitchoverParams, ROLLING_DEFAULTS, ROLLING_STEP_IDS, rollingSwitchoverRunbook, type RollingSwitchoverParams } from '../../core/runbooks/rolling';
import { asUsage, oneOf, readArgs, unknown, UsageError } from '../args';
import { clusterFromFlag } from '../connections';
import { newRunControl, readRunFlag, resumedParams, RUN_FLAGS_HELP, runCommand, type RunControl } from '../runs';
import { HOST_FLAGS_HELP, hostRunNotes, hostSpecsFor, readHostFlag, readHostPlanFlag, type HostFlags, type HostPlan } from './host-runbooks';
import { newRecordFlags, readRecordFlag, RECORD_FLAGS_HELP, recordExtras, type RecordFlags } from '../record';
import type { CliCommand } from './index';
import { readRoutingFlag, ROUTING_HELP, routingParamsFrom } from '../routing';
import type { RoutingOptions } from '../../core/routing';

const help = `Usage: pg-upgrade-pilot rolling-switchover --primary CONN --standby CONN [options]

Rolling switchover of a physical streaming pair, optionally a rolling minor upgrade: preflight (streaming, slots,
long/prepared transactions, archiver, wal_log_hints/checksums for pg_rewind), upgrade the standby (stop, new
release, start), prepare the primary's way back (primary_conninfo, password file), CHECKPOINT, the guarded
switchover (fence the primary, drain the standby to the frozen WAL position within a timeout — else the primary
takes writes again and the standby is not promoted —, pg_promote(), CHECKPOINT on the new primary), move the
clients, rebuild the old primary as a standby of the new one (pg_rewind or pg_basebackup, on the new release),
verify replication in the new direction. Steps: ${ROLLING_STEP_IDS.join(', ')}.

Connections (libpq connection strings; no password needed inside; superuser):
  --primary CONN              The current primary.
  --standby CONN              Its streaming standby (becomes the new primary).
  --primary-name NAME         Display names (default host:port/dbname); typed to confirm a destructive step
  --standby-name NAME         or any step on a production cluster.
  --production ROLE           Treat "primary" or "standby" as production (repeatable).
  Passwords: from the connection string, PGPASSWORD or the password file (~/.pgpass, PGPASSFILE, passfile=);
  never printed, never journaled.

${HOST_FLAGS_HELP}
  --executor manual|local     For both servers; --primary-executor / --standby-executor for one.
  --lab-dir DIR               Lab clusters: take data/binary directories and the OS user from DIR/lab.json
                              (matched by port); implies the local executor.
  --primary-data-dir DIR, --primary-bin-dir DIR, --primary-os-user USER, --primary-systemd-unit UNIT
  --standby-data-dir DIR, --standby-bin-dir DIR, --standby-os-user USER, --standby-systemd-unit UNIT
                              Paths on each host (manual default: read over SQL; OS user postgres). With a
                              systemd unit (e.g. postgresql@15-main) stop/start use systemctl.

Runbook parameters:
  --upgrade-to X.Y            Minor release both servers end on (standby first, then the old primary when it is
                              rebuilt). Local executor: an installed lab build (e.g. 15.18). Default: none.
  --fence read-only|stop      How the primary stops taking writes (default ${ROLLING_DEFAULTS.fence}). Both end with the
                              HARD fence — pg_ctl stop -m fast of the old primary BEFORE the standby is promoted —
                              so no session on it can commit after the switchover, whatever it SETs
                              (default_transaction_read_only = off, SET SESSION CHARACTERISTICS … READ WRITE,
                              options='-c …'). read-only first makes new transactions read-only, terminates client
                              sessions and drains the standby to a marker (a stuck or delayed standby aborts cheaply,
                              by a reload); stop stops at once (an abort starts the primary again). docs/fence.md.
  --switchover-timeout SECONDS
                              The standby must replay the frozen position within this after the fence, else the
                              switchover is undone (default ${ROLLING_DEFAULTS.switchoverTimeoutMs / 1000}).
  --lag-threshold BYTES       Start the switchover only when the standby is at most this far behind (default ${ROLLING_DEFAULTS.lagThresholdBytes}).
  --max-transaction-age SECONDS
                              Preflight error for an older open transaction on the primary (default ${ROLLING_DEFAULTS.maxTransactionSeconds}).
  --rebuild rewind|basebackup How the old primary becomes a standby (default ${ROLLING_DEFAULTS.rebuild}; rewind needs wal_log_hints or
                              data checksums).
  --rejoin-connection CONN    How the old primary's host reaches the standby (default: our --standby host, port,
                              user). No password: it is read from a password file.
  --rejoin-passfile PATH      That password file on the old primary's host (default local: "pgpass" beside its
                              data directory, written by the run; manual: the OS user's ~/.pgpass).
  --application-name NAME     The rejoined standby's application_name (default: from --primary-name).
  --client-connection CONN    The applications' connection string (e.g. "host=a,b port=p,q
                              target_session_attrs=read-write"): checked to reach the new primary.
  --probe                     Write a heartbeat row every 50 ms through the clients' multi-host connection during
                              the switchover and journal the window a client saw and any lost commit (creates the
                              table ${ROLLING_DEFAULTS.probeTable} on the primary if missing).
  --client-tools-path DIR     Where pg_rewind / pg_basebackup are (local executor).

Record:
${RECORD_FLAGS_HELP}

${ROUTING_HELP}
${RUN_FLAGS_HELP}

Examples:
  pg-upgrade-pilot rolling-switchover --primary "host=db1 user=postgres" --standby "host=db2 user=postgres" \\
      --upgrade-to 15.18 --primary-systemd-unit postgresql@15-main --standby-systemd-unit postgresql@15-main --dry-run
  pg-upgrade-pilot lab up 15 --standby 15 && PGPASSFILE=.lab/pgpass pg-upgrade-pilot rolling-switchover \\
      --primary "host=127.0.0.1 port=15415 user=postgres" --standby "host=127.0.0.1 port=15515 user=postgres" \\
      --lab-dir .lab --probe
`;

interface Parsed {
  primary?: string;
  standby?: string;
  primaryName?: string;
  standbyName?: string;
  production: Set<'primary' | 'standby'>;
  hostPlan: HostPlan;
  hosts: { primary: HostFlags; standby: HostFlags };
  params: Partial<RollingSwitchoverParams>;
  run: RunControl;
  record: RecordFlags;
  routing: RoutingOptions;
}

export function parseRollingArgs(args: string[]): Parsed {
  const f: Parsed = { production: new Set(), hostPlan: {}, hosts: { primary: {}, standby: {} }, params: {}, run: newRunControl(), record: newRecordFlags(), routing: {} };
  for (const arg of readArgs(args)) {
    const { flag, value, number } = arg;
    if (readRecordFlag(flag, value, f.record) || readRunFlag(flag, value, f.run) || readHostPlanFlag(flag, value, f.hostPlan) || readRoutingFlag(arg, f.routing)) continue;
    const role = /^--(primary|standby)-(executor|data-dir|bin-dir|os-user|systemd-unit)$/.exec(flag);
    if (role && readHostFlag(`--${role[2]}`, value, f.hosts[role[1] as 'primary' | 'standby'])) continue;
    switch (flag) {
      case '--primary': f.primary = value(); break;
      case '--standby': f.standby = value(); break;
      case '--primary-name': f.primaryName = value(); break;
      case '--standby-name': f.standbyName = value(); break;
      case '--production': f.production.add(oneOf(flag, value(), ['primary', 'standby'] as const)); break;
      case '--upgrade-to': f.params.upgradeTo = value(); break;
      case '--fence': f.params.fence = oneOf(flag, value(), ['read-only', 'stop'] as const); break;
      case '--switchover-timeout': f.params.switchoverTimeoutMs = Math.round(number(0.1) * 1000); break;
      case '--lag-threshold': f.params.lagThresholdBytes = number(0); break;
      case '--max-transaction-age': f.params.maxTransactionSeconds = number(1); break;
      case '--rebuild': f.params.rebuild = oneOf(flag, value(), ['rewind', 'basebackup'] as const); break;
      case '--rejoin-connection': f.params.rejoinConnection = value(); break;
      case '--rejoin-passfile': f.params.rejoinPassfile = value(); break;
      case '--application-name': f.params.applicationName = value(); break;
      case '--client-connection': f.params.clientConnection = value(); break;
      case '--probe': f.params.probe = true; break;
      case '--client-tools-path': f.params.clientToolsPath = value(); break;
      default: unknown(flag);
    }
  }
  if (!f.primary) throw new UsageError('--primary is required');
  if (!f.standby) throw new UsageError('--standby is required');
  const clientRouting = routingParamsFrom(f.routing);
  if (clientRouting) f.params.clientRouting = clientRouting;
  if (f.run.until && !(ROLLING_STEP_IDS as readonly string[]).includes(f.run.until)) throw new UsageError(`--until takes a step id: ${ROLLING_STEP_IDS.join(', ')}`);
  return f;
}

function run(args: string[]): Promise<number> {
  return runCommand('rolling-switchover', async () => {
    const f = parseRollingArgs(args);
    const primary = await clusterFromFlag('--primary', f.primary!, f.primaryName, f.production.has('primary'));
    const standby = await clusterFromFlag('--standby', f.standby!, f.standbyName, f.production.has('standby'));
    const base = await resumedParams<RollingSwitchoverParams>(f.run);
    const hosts = await hostSpecsFor(base.hosts, f.hostPlan, {
      primary: { connection: f.primary!, flags: f.hosts.primary },
      standby: { connection: f.standby!, flags: f.hosts.standby },
    });
    const params = asUsage(() => defaultRollingSwitchoverParams({ ...base, hosts, ...f.params }));
    return { control: f.run, opts: { runbook: rollingSwitchoverRunbook, clusters: { primary, standby }, params }, resumeHint: 'pg-upgrade-pilot rolling-switchover --primary … --standby …', notes: hostRunNotes, extras: recordExtras(f.record, rollingSwitchoverRunbook) };
  });
}

export const rollingSwitchoverCommand: CliCommand = {
  name: 'rolling-switchover',
  summary: 'Rolling switchover (and minor upgrade) of a streaming pair: fence, drain, promote, rejoin',
  help,
  run,
};
