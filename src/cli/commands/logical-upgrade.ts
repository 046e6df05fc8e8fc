/**
 * `pg-upgrade-pilot logical-upgrade`: the major upgrade by logical replication, headless. Runs the logical runbook
 * through the engine with terminal prompts (src/cli/ui.ts), a journal per run, --resume, --dry-run and --json.
 */
import { EXIT_STATUS_HELP } from '../interrupt';
import { existsSync, statSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { formatConnString, parseConnString, resolveConn, type HostEndpoint } from '../../core/conn';
import { multiHostConnection, startProbe, type Probe } from '../../core/probe';
import { probeRecordOf, probeSnapshotEvent, type ProbeRecord, type RecordLang } from '../../core/record';
import { appendEvent, type RunCluster, type RunResult } from '../../core/runbook';
import type { RunnerUi } from '../../core/runbook/types';
import { DatabaseListError, defaultLogicalUpgradeParams, LOGICAL_STEP_IDS, logicalUpgradeRunbook, resolveDatabases, type LogicalUpgradeParams } from '../../core/runbooks/logical';
import { asUsage, cannotStart, messageOf, oneOf, readArgs, unknown, UsageError } from '../args';
import { clusterFromFlag, connectCluster, refusePassword } from '../connections';
import { runFixes } from '../fixes';
import { writeRecord } from '../record';
import { readRoutingFlag, ROUTING_HELP, routingParamsFrom } from '../routing';
import type { RoutingOptions } from '../../core/routing';
import { newRunControl, readRunFlag, resumedParams, runCommand, type RunControl, type RunExtras } from '../runs';
import type { CliCommand } from './index';

const help = `Usage: pg-upgrade-pilot logical-upgrade --source CONN --target CONN [options]

Major upgrade by logical replication with a guarded switchover: publication on the source, schema and roles
copied to the target, subscription, catch-up, then the switchover (both sides frozen, drained to a frozen
position, sequences copied, the target opened). Every step shows its statements before it runs and is journaled.

Connections (libpq connection strings, keyword/value or URI; multi-host allowed; no password needed inside):
  --source CONN               The cluster to upgrade from.
  --target CONN               The new cluster (the newer major).
  --subscriber-source CONN    How the TARGET server reaches the source, if not like us (internal host name,
                              a dedicated replication user). Never a password inside. Our password is
                              added when its user is ours; another user's comes from a password file (below);
                              passfile=PATH inside names a file on the TARGET's host instead (superuser target).
  --subscriber-password-file FILE
                              Password file (.pgpass format) on this machine holding the replication user's
                              password (default: PGPASSFILE, else ~/.pgpass; never PGPASSWORD, that is ours).
                              It reaches the target only as COPY data (no server log can hold it). Where our
                              user on the subscriber is a superuser, the subscriber server writes it to a
                              private file on its own host (<data_directory>/pg_stat_tmp/pgpilot_*.pgpass,
                              passfile= in the subscription; emptied when the subscription stops or is
                              dropped); else it stays in pg_subscription only while the subscription must run.
  --reverse-subscriber-target CONN
                              How the OLD server reaches the new one for the way back, if not like us
                              (like --subscriber-source; passfile=PATH names a file on the OLD server's host).
  --password-in-catalog       Keep the subscriptions' password inside their connection (pg_subscription, only
                              while they must run) instead of the file the subscriber writes.
  --source-name NAME          Display name of the source (default host:port/dbname); typed to confirm a
  --target-name NAME          destructive step or a step on a production cluster.
  --production ROLE           Treat "source" or "target" as production (every changing step then needs the
                              cluster's name typed). Repeatable.
  Passwords: from the connection string, PGPASSWORD or the password file (~/.pgpass, PGPASSFILE, passfile=).
  They are never printed and never journaled.

Databases (default: the --source connection's database only; the others keep taking writes):
  --all-databases             Move EVERY database of the source (not templates, not those refusing
                              connections; the list is read again from the source at the preflight and at the
                              switchover) in ONE switchover: roles once, then schema, publication, subscription,
                              sync and verification per database, one gate, ONE window (every database frozen,
                              one frozen WAL position every slot confirms, every database's sequences copied,
                              one commit point), every database opened. Each database gets its own names
                              (pgpilot_upgrade_<database>, pgpilot_reverse_<database>). The target must have
                              the databases (CREATE DATABASE there first; the preflight names a missing one).
  --databases A,B,C           The same for exactly these databases (refused before anything changes: a name
                              the source does not have, a template, a database refusing connections, a name
                              given twice).

Runbook parameters:
  --publication NAME          Publication on the source (default pgpilot_upgrade_<database>).
  --subscription NAME         Subscription on the target, also its slot name (default pgpilot_upgrade_<database>:
                              runs for different databases of one cluster never share a slot name).
  --lag-threshold BYTES       Start the switchover only when the subscriber is at most this far behind
                              (default ${defaults('lagThresholdBytes')}).
  --switchover-timeout SECONDS
                              The drain after the freeze must finish within this, else the switchover is
                              undone on the source (default ${Number(defaults('switchoverTimeoutMs')) / 1000}).
  --verify-max-age MINUTES    The switchover uses verify-data's comparison only when it is at most this old;
                              an older one must be run again (--resume RUNID --only verify-data) (default
                              ${Number(defaults('verifyMaxAgeMs')) / 60_000}).
  --allow-target-rows         Go on when replicated tables already hold rows on the target (by default the
                              preflight refuses: the initial copy would collide with them or double them).
  --no-reverse                Do not set up replication from the new server back to the old one afterwards
                              (by default it is set up: a way back).
  --freeze-method database|system
                              How a server is made read-only: database (default) = ALTER DATABASE <db> SET
                              default_transaction_read_only = on for the upgraded database only (other
                              databases keep taking writes; opened again by one atomic RESET); system = ALTER
                              SYSTEM + pg_reload_conf(), the whole cluster.
  --probe                     Run a write probe (a heartbeat row every 50 ms through "host=source,target
                              target_session_attrs=read-write", table pgpilot_probe, created on the source on a
                              new run so it replicates) during the run; journal the write-unavailable window it
                              saw and whether every acknowledged commit reached the target.

${ROUTING_HELP}
Fixes the tool can apply (no run is started; the next run's preflight checks again):
  --fixes                     List them: each finding whose fix the tool can apply (a table without replica
                              identity, a table or partition created during replication, REFRESH PUBLICATION),
                              with its id, the exact statements, where they run, the risk, effect and undo.
  --apply-fix ID|all          Apply that fix (repeatable) after showing it; asks for a typed "yes" (or --yes).

Finishing (the way back stays open until you decide):
  A run ends after the switchover, reverse replication and ANALYZE with status succeeded (exit 0): the old server
  keeps receiving every write made on the new one. The cleanup (dropping the subscriptions, slots and publications
  of both directions, i.e. the way back) runs only with:
  --finish                    With --resume RUNID: run the cleanup of a switched-over run. Shows how long the
                              way back has been open (since the target opened) before asking.
  An interrupted switchover needs no SQL by hand: --resume RUNID finishes it (docs/switchover.md): it hands the
  source back if the target never opened, and goes forward if the commit point was passed.

Run control:
  --dry-run                   Print every step's statements; execute nothing (read-only sessions at most).
  --yes                       Confirm every step without asking (needed when stdin is not a terminal).
  --resume RUNID              Continue a paused, failed or interrupted run (same --source/--target). The run's
                              parameters come from its journal; options given now override them.
  --only STEP                 With --resume RUNID: run just this step again, then pause (e.g. --only verify-data
                              when the switchover refuses a comparison that is too old or a set that changed).
  --journal DIR               Where run journals go (default $PGPILOT_JOURNAL_DIR, else
                              \${XDG_STATE_HOME:-~/.local/state}/pg-upgrade-pilot/runs).
  --record FILE               Write the markdown upgrade record of the run to FILE (also after a failed or
                              paused run: it says what happened and what is left).
  --record-lang en|es         Language of the record (default en).
  --json                      Print the run result as JSON on stdout (messages go to stderr).
  -h, --help                  Show this help.

${EXIT_STATUS_HELP}

Examples:
  pg-upgrade-pilot logical-upgrade --source "host=db14 dbname=app user=postgres" \\
      --target "host=db17 dbname=app user=postgres" --dry-run
  PGPASSFILE=~/.pgpass pg-upgrade-pilot logical-upgrade --source postgresql://postgres@db14/app \\
      --target postgresql://postgres@db17/app --production source --switchover-timeout 15
  pg-upgrade-pilot logical-upgrade --source … --target … --resume 20261121-235901-3fa2c1
  pg-upgrade-pilot logical-upgrade --source … --target … --resume 20261121-235901-3fa2c1 --finish
`;

function defaults(k: keyof LogicalUpgradeParams): string {
  try {
    return String(defaultLogicalUpgradeParams({})[k]);
  } catch {
    return '?';
  }
}

interface Flags {
  source?: string;
  target?: string;
  subscriberSource?: string;
  subscriberPasswordFile?: string;
  reverseSubscriberTarget?: string;
  passwordInCatalog?: boolean;
  sourceName?: string;
  targetName?: string;
  production: Set<'source' | 'target'>;
  run: RunControl;
  record?: string;
  recordLang: RecordLang;
  switchoverTimeout?: number;
  verifyMaxAge?: number;
  only?: string;
  fixes: boolean;
  applyFix: string[];
  publication?: string;
  subscription?: string;
  lagThreshold?: number;
  noReverse: boolean;
  probe: boolean;
  finish: boolean;
  freezeMethod?: 'database' | 'system';
  routing: RoutingOptions;
  allowTargetRows?: boolean;
  databases?: 'all' | string[];
}

/** --databases a,b,c: names split on commas, none empty, none twice. */
function databaseList(flag: string, text: string): string[] {
  const names = text.split(',').map((x) => x.trim());
  if (names.some((x) => x === '')) throw new UsageError(`${flag}: an empty database name in "${text}" (names are separated by commas)`);
  const twice = names.find((x, i) => names.indexOf(x) !== i);
  if (twice !== undefined) throw new UsageError(`${flag}: database "${twice}" is named twice`);
  return names;
}

export function parseLogicalUpgradeArgs(args: string[]): Flags {
  const f: Flags = { production: new Set(), run: newRunControl(), noReverse: false, probe: false, finish: false, recordLang: 'en', routing: {}, fixes: false, applyFix: [] };
  for (const arg of readArgs(args)) {
    const { flag, value, number } = arg;
    if (flag !== '--until' && readRunFlag(flag, value, f.run)) continue;
    if (readRoutingFlag(arg, f.routing)) continue;
    switch (flag) {
      case '--source': f.source = value(); break;
      case '--target': f.target = value(); break;
      case '--subscriber-source': f.subscriberSource = value(); break;
      case '--subscriber-password-file': f.subscriberPasswordFile = value(); break;
      case '--reverse-subscriber-target': f.reverseSubscriberTarget = value(); break;
      case '--password-in-catalog': f.passwordInCatalog = true; break;
      case '--source-name': f.sourceName = value(); break;
      case '--target-name': f.targetName = value(); break;
      case '--production': f.production.add(oneOf(flag, value(), ['source', 'target'] as const)); break;
      case '--record': f.record = value(); break;
      case '--record-lang': f.recordLang = oneOf(flag, value(), ['en', 'es'] as const); break;
      case '--switchover-timeout': f.switchoverTimeout = number(0.1); break;
      case '--publication': f.publication = value(); break;
      case '--subscription': f.subscription = value(); break;
      case '--lag-threshold': f.lagThreshold = number(0); break;
      case '--verify-max-age': f.verifyMaxAge = number(0.1); break;
      case '--no-reverse': f.noReverse = true; break;
      case '--allow-target-rows': f.allowTargetRows = true; break;
      case '--all-databases':
        if (Array.isArray(f.databases)) throw new UsageError('--all-databases and --databases exclude each other');
        f.databases = 'all'; break;
      case '--databases':
        if (f.databases === 'all') throw new UsageError('--all-databases and --databases exclude each other');
        f.databases = databaseList(flag, value()); break;
      case '--probe': f.probe = true; break;
      case '--finish': f.finish = true; break;
      case '--fixes': f.fixes = true; break;
      case '--apply-fix': f.applyFix.push(value()); break;
      case '--only': f.only = oneOf(flag, value(), LOGICAL_STEP_IDS); break;
      case '--freeze-method': f.freezeMethod = oneOf(flag, value(), ['database', 'system'] as const); break;
      default: unknown(flag);
    }
  }
  if (f.only && !f.run.resume) throw new UsageError('--only needs --resume RUNID: it runs one step of a run again');
  if (f.finish && !f.run.resume) throw new UsageError('--finish needs --resume RUNID: it finishes a run that switched over (its cleanup drops the way back)');
  if (!f.source) throw new UsageError('--source is required');
  if (!f.target) throw new UsageError('--target is required');
  if (f.databases !== undefined && (f.publication !== undefined || f.subscription !== undefined)) {
    throw new UsageError(`${f.databases === 'all' ? '--all-databases' : '--databases'} gives every database its own names (pgpilot_upgrade_<database>): leave out --publication and --subscription`);
  }
  if (f.databases !== undefined && f.freezeMethod === 'system') throw new UsageError('several databases are frozen one by one (--freeze-method database): --freeze-method system cannot be combined with --all-databases/--databases');
  return f;
}

/** The run's parameters: those it started with (--resume), overridden by the flags given now. */
async function paramsFor(f: Flags): Promise<LogicalUpgradeParams> {
  const base = await resumedParams<LogicalUpgradeParams>(f.run);
  if (f.subscriberSource !== undefined) refusePassword('--subscriber-source', f.subscriberSource, ' (ours is added for our user; another user\'s comes from --subscriber-password-file or ~/.pgpass)');
  if (f.reverseSubscriberTarget !== undefined) refusePassword('--reverse-subscriber-target', f.reverseSubscriberTarget, ' (ours is added for our user; another user\'s comes from --subscriber-password-file or ~/.pgpass)');
  if (f.subscriberPasswordFile !== undefined) checkPasswordFile('--subscriber-password-file', f.subscriberPasswordFile);
  const given: Partial<LogicalUpgradeParams> = {
    publication: f.publication,
    subscription: f.subscription,
    lagThresholdBytes: f.lagThreshold,
    switchoverTimeoutMs: f.switchoverTimeout === undefined ? undefined : Math.round(f.switchoverTimeout * 1000),
    verifyMaxAgeMs: f.verifyMaxAge === undefined ? undefined : Math.round(f.verifyMaxAge * 60_000),
    subscriberConnection: f.subscriberSource,
    subscriberPasswordFile: f.subscriberPasswordFile === undefined ? undefined : resolvePath(f.subscriberPasswordFile),
    reverseSubscriberConnection: f.reverseSubscriberTarget,
    passwordInCatalog: f.passwordInCatalog,
    reverseReplication: f.noReverse ? false : f.run.resume ? undefined : true,
    freezeMethod: f.freezeMethod,
    clientRouting: routingParamsFrom(f.routing),
    allowTargetRows: f.allowTargetRows,
    databases: f.databases,
  };
  const database = await resolveConn(parseConnString(f.source!)).then((r) => r.dbname, () => undefined); // a bad --source is reported where it is connected
  return asUsage(() => defaultLogicalUpgradeParams({ ...base, ...stripUndefined(given) }, database));
}

/** --databases checked against the source's catalog before the run starts (the preflight checks again). */
async function checkDatabasesExist(source: RunCluster, names: string[]): Promise<void> {
  let client;
  try {
    client = await connectCluster(source);
  } catch {
    return; // an unreachable source is reported by the run itself, with its cause
  }
  try {
    const q = { query: async <R>(text: string, values?: unknown[]) => { const r = await client.query(text, values); return { rows: r.rows as R[], rowCount: r.rowCount }; } };
    await resolveDatabases(q, names);
  } catch (err) {
    if (err instanceof DatabaseListError) throw new UsageError(`--databases: ${err.message}. Nothing has been changed.`);
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The password file must be there and private, as libpq requires (it ignores a group/world-readable one). */
function checkPasswordFile(flag: string, file: string): void {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new UsageError(`${flag}: ${file} does not exist`);
  }
  if (!st.isFile()) throw new UsageError(`${flag}: ${file} is not a file`);
  if ((st.mode & 0o077) !== 0) throw new UsageError(`${flag}: ${file} is readable by others; chmod 600 it (libpq ignores such a file)`);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** --fixes / --apply-fix: no run, the fixes the tool can apply (src/cli/fixes.ts). */
function wantsFixes(args: string[]): boolean {
  try {
    const f = parseLogicalUpgradeArgs(args);
    return f.fixes || f.applyFix.length > 0;
  } catch {
    return false; // the usage error is reported by the run's own parsing
  }
}

async function fixesCommand(args: string[]): Promise<number> {
  let prepared;
  try {
    const f = parseLogicalUpgradeArgs(args);
    const source = await clusterFromFlag('--source', f.source!, f.sourceName, f.production.has('source'));
    const target = await clusterFromFlag('--target', f.target!, f.targetName, f.production.has('target'));
    prepared = { f, clusters: { source, target }, params: await paramsFor(f) };
  } catch (err) {
    return cannotStart('logical-upgrade', err);
  }
  try {
    return await runFixes(prepared.clusters, prepared.params, prepared.f.applyFix, prepared.f.run.yes);
  } catch (err) {
    process.stderr.write(`pg-upgrade-pilot logical-upgrade: ${messageOf(err)}\n`);
    return 1;
  }
}

function run(args: string[]): Promise<number> {
  if (wantsFixes(args)) return fixesCommand(args);
  return runCommand('logical-upgrade', async () => {
    const f = parseLogicalUpgradeArgs(args);
    const source = await clusterFromFlag('--source', f.source!, f.sourceName, f.production.has('source'));
    const target = await clusterFromFlag('--target', f.target!, f.targetName, f.production.has('target'));
    const params = await paramsFor(f);
    if (Array.isArray(params.databases) && !f.run.resume) await checkDatabasesExist(source, params.databases);
    return {
      control: f.run,
      opts: { runbook: logicalUpgradeRunbook, clusters: { source, target }, params, finish: f.finish, only: f.only },
      resumeHint: 'pg-upgrade-pilot logical-upgrade --source … --target …',
      notes: (result) => finishNotes(result),
      extras: extrasFor(f, source, target),
    };
  });
}

/** Around the run: the write probe of --probe (not on a dry run), then the upgrade record of --record. */
function extrasFor(f: Flags, source: RunCluster, target: RunCluster): RunExtras {
  let probe: Probe | undefined;
  return {
    async start(ui) {
      if (!f.probe || f.run.dryRun) return;
      try {
        probe = await startCliProbe(source, target, !f.run.resume);
        ui.log('info', `probe: writing to ${probe.table} every 50 ms through source,target (read-write)`);
      } catch (err) {
        ui.log('warn', `probe not started: ${messageOf(err)}`);
      }
    },
    async finish(result, ui) {
      const probeRecord = probe ? await finishProbe(probe, target, result, ui) : undefined;
      if (f.record) await writeRecord(f.record, f.recordLang, logicalUpgradeRunbook, result, ui);
      return probeRecord ? { json: { probe: probeRecord }, notes: [probeNote(probeRecord)] } : {};
    },
  };
}

/** After a run that switched over and kept the way back: how to finish it. */
function finishNotes(result: RunResult): string[] {
  if (result.dryRun || result.status !== 'succeeded') return [];
  const cleanup = result.steps.find((s) => s.id === 'cleanup');
  if (!cleanup || cleanup.status === 'succeeded' || cleanup.status === 'skipped') return [];
  return [`The way back stays open (reverse replication). When the new server is trusted, drop it with: pg-upgrade-pilot logical-upgrade --source … --target … --resume ${result.runId} --finish`];
}

const endpointKey = (ep: HostEndpoint) => `${ep.host}:${ep.port}`;

/**
 * The write probe of --probe: the source's and the target's hosts in one libpq multi-host string with
 * target_session_attrs=read-write (the source's other parameters kept), each host with its own cluster's password,
 * like a client configured per seed 001.
 */
async function startCliProbe(source: RunCluster, target: RunCluster, createTable: boolean): Promise<Probe> {
  const [rs, rt] = await Promise.all([resolveConn(parseConnString(source.connection)), resolveConn(parseConnString(target.connection))]);
  const [ps, pt] = await Promise.all([source.password?.(), target.password?.()]);
  const sourceHosts = new Set(rs.endpoints.map(endpointKey));
  const endpoints = [...rs.endpoints, ...rt.endpoints];
  const { host: _h, hostaddr: _a, port: _p, password: _pw, load_balance_hosts: _lb, ...kept } = parseConnString(source.connection);
  const hostaddr = endpoints.some((e) => e.hostaddr) ? { hostaddr: endpoints.map((e) => e.hostaddr ?? '').join(',') } : {};
  const connection = formatConnString({ ...kept, ...parseConnString(multiHostConnection(endpoints, rs.user, rs.dbname, rs.connectTimeoutSeconds)), ...hostaddr });
  return startProbe({ connection, password: async (ep) => (sourceHosts.has(endpointKey(ep)) ? ps : pt), createTable });
}

/** Stops the probe, checks its acknowledged commits on the target (after a switchover), journals the figures. */
async function finishProbe(probe: Probe, target: RunCluster, result: RunResult, ui: RunnerUi): Promise<ProbeRecord | undefined> {
  const report = await probe.stop();
  let verification;
  if (result.status === 'succeeded' && !result.dryRun) {
    try {
      const client = await connectCluster(target);
      try {
        verification = await probe.verify(client);
      } finally {
        await client.end().catch(() => undefined);
      }
    } catch (err) {
      ui.log('warn', `probe: could not check its commits on the target: ${messageOf(err)}`);
    }
  }
  const record = probeRecordOf(report, verification);
  if (existsSync(result.journalFile)) await appendEvent(result.journalFile, probeSnapshotEvent(record));
  return record;
}

function probeNote(probe: ProbeRecord): string {
  const window = probe.switchoverGapMs !== undefined ? `${Math.round(probe.switchoverGapMs)} ms write-unavailable window` : `longest gap ${Math.round(probe.maxGapMs)} ms`;
  const lost = probe.lostCommits === undefined ? 'not checked on the target' : `${probe.lostCommits} lost, ${probe.duplicates ?? 0} duplicated on the target`;
  return `Probe: ${probe.acked} commits acknowledged, ${window}; ${lost}`;
}

export const logicalUpgradeCommand: CliCommand = {
  name: 'logical-upgrade',
  summary: 'Major upgrade by logical replication with a guarded switchover',
  help,
  run,
};
