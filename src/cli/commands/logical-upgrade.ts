/**
 * `pg-upgrade-pilot logical-upgrade`: the major upgrade by logical replication, headless. Runs the logical runbook
 * through the engine with terminal prompts (src/cli/ui.ts), a journal per run, --resume, --dry-run and --json.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { connect, formatEndpoint, parseConnString, redactConnString, resolveConn, type HostEndpoint, type ResolvedConn } from '../../core/conn';
import { startProbe, type Probe } from '../../core/probe';
import { probeRecordOf, probeSnapshotEvent, renderUpgradeRecord, type ProbeRecord, type RecordLang } from '../../core/record';
import { appendEvent, readJournal, journalPath, runRunbook, summarizeRun, type RunCluster, type RunResult } from '../../core/runbook';
import { libpqPassword } from '../../core/runbook/passwords';
import { defaultLogicalUpgradeParams, logicalUpgradeRunbook, type LogicalUpgradeParams } from '../../core/runbooks/logical';
import { TerminalUi } from '../ui';
import type { CliCommand } from './index';

const help = `Usage: pg-upgrade-pilot logical-upgrade --source CONN --target CONN [options]

Major upgrade by logical replication with a guarded switchover: publication on the source, schema and roles
copied to the target, subscription, catch-up, then the switchover (both sides frozen, drained to a frozen
position, sequences copied, the target opened). Every step shows its statements before it runs and is journaled.

Connections (libpq connection strings, keyword/value or URI; multi-host allowed; no password needed inside):
  --source CONN               The cluster to upgrade from.
  --target CONN               The new cluster (the newer major).
  --subscriber-source CONN    How the TARGET server reaches the source, if not like us (internal host name,
                              replication user). Must not contain a password: the source's is added.
  --source-name NAME          Display name of the source (default host:port/dbname); typed to confirm a
  --target-name NAME          destructive step or a step on a production cluster.
  --production ROLE           Treat "source" or "target" as production (every changing step then needs the
                              cluster's name typed). Repeatable.
  Passwords: from the connection string, PGPASSWORD or the password file (~/.pgpass, PGPASSFILE, passfile=).
  They are never printed and never journaled.

Runbook parameters:
  --publication NAME          Publication on the source (default ${defaults('publication')}).
  --subscription NAME         Subscription on the target, also its slot name (default ${defaults('subscription')}).
  --lag-threshold BYTES       Start the switchover only when the subscriber is at most this far behind
                              (default ${defaults('lagThresholdBytes')}).
  --switchover-timeout SECONDS
                              The drain after the freeze must finish within this, else the switchover is
                              undone on the source (default ${Number(defaults('switchoverTimeoutMs')) / 1000}).
  --no-reverse                Do not set up replication from the new server back to the old one afterwards
                              (by default it is set up: a way back).
  --probe                     Run a write probe (a heartbeat row every 50 ms through "host=source,target
                              target_session_attrs=read-write", table pgpilot_probe, created on the source on a
                              new run so it replicates) during the run; journal the write-unavailable window it
                              saw and whether every acknowledged commit reached the target.

Run control:
  --dry-run                   Print every step's statements; execute nothing (read-only sessions at most).
  --yes                       Confirm every step without asking (needed when stdin is not a terminal).
  --resume RUNID              Continue a paused, failed or interrupted run (same --source/--target). The run's
                              parameters come from its journal; options given now override them.
  --journal DIR               Where run journals go (default $PGPILOT_JOURNAL_DIR, else
                              \${XDG_STATE_HOME:-~/.local/state}/pg-upgrade-pilot/runs).
  --record FILE               Write the markdown upgrade record of the run to FILE (also after a failed or
                              paused run: it says what happened and what is left).
  --record-lang en|es         Language of the record (default en).
  --json                      Print the run result as JSON on stdout (messages go to stderr).
  -h, --help                  Show this help.

Exit status: 0 the run succeeded (or the dry run rendered), 1 a step failed, 2 bad usage, 3 paused (a step
was declined), 130 aborted (Ctrl-C: the current step is asked to stop, a second Ctrl-C exits at once).

Examples:
  pg-upgrade-pilot logical-upgrade --source "host=db14 dbname=app user=postgres" \\
      --target "host=db17 dbname=app user=postgres" --dry-run
  PGPASSFILE=~/.pgpass pg-upgrade-pilot logical-upgrade --source postgresql://postgres@db14/app \\
      --target postgresql://postgres@db17/app --production source --switchover-timeout 15
  pg-upgrade-pilot logical-upgrade --source … --target … --resume 20261121-235901-3fa2c1
`;

function defaults(k: keyof LogicalUpgradeParams): string {
  try {
    return String(defaultLogicalUpgradeParams({})[k]);
  } catch {
    return '?';
  }
}

class UsageError extends Error {}

interface Flags {
  source?: string;
  target?: string;
  subscriberSource?: string;
  sourceName?: string;
  targetName?: string;
  production: Set<'source' | 'target'>;
  yes: boolean;
  dryRun: boolean;
  record?: string;
  recordLang: RecordLang;
  journal?: string;
  switchoverTimeout?: number;
  resume?: string;
  json: boolean;
  publication?: string;
  subscription?: string;
  lagThreshold?: number;
  noReverse: boolean;
  probe: boolean;
}

export function parseLogicalUpgradeArgs(args: string[]): Flags {
  const f: Flags = { production: new Set(), yes: false, dryRun: false, json: false, noReverse: false, probe: false, recordLang: 'en' };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const inline = eq > 0 ? a.slice(eq + 1) : undefined;
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined || v === '' || (inline === undefined && v.startsWith('--'))) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    const number = (min: number): number => {
      const v = value();
      if (!/^\d+(\.\d+)?$/.test(v) || Number(v) < min) throw new UsageError(`${flag} must be a number ≥ ${min}, got "${v}"`);
      return Number(v);
    };
    switch (flag) {
      case '--source': f.source = value(); break;
      case '--target': f.target = value(); break;
      case '--subscriber-source': f.subscriberSource = value(); break;
      case '--source-name': f.sourceName = value(); break;
      case '--target-name': f.targetName = value(); break;
      case '--production': {
        const v = value();
        if (v !== 'source' && v !== 'target') throw new UsageError(`--production takes "source" or "target", got "${v}"`);
        f.production.add(v);
        break;
      }
      case '--yes': case '-y': f.yes = true; break;
      case '--dry-run': f.dryRun = true; break;
      case '--record': f.record = value(); break;
      case '--record-lang': {
        const v = value();
        if (v !== 'en' && v !== 'es') throw new UsageError(`--record-lang takes "en" or "es", got "${v}"`);
        f.recordLang = v;
        break;
      }
      case '--journal': f.journal = value(); break;
      case '--switchover-timeout': f.switchoverTimeout = number(0.1); break;
      case '--resume': f.resume = value(); break;
      case '--json': f.json = true; break;
      case '--publication': f.publication = value(); break;
      case '--subscription': f.subscription = value(); break;
      case '--lag-threshold': f.lagThreshold = number(0); break;
      case '--no-reverse': f.noReverse = true; break;
      case '--probe': f.probe = true; break;
      default:
        throw new UsageError(`unknown ${a.startsWith('-') ? 'option' : 'argument'} "${a}"`);
    }
  }
  if (!f.source) throw new UsageError('--source is required');
  if (!f.target) throw new UsageError('--target is required');
  return f;
}

/** A RunCluster from a --source/--target string: the password is taken out of the string and served on demand. */
async function clusterFromFlag(flag: string, conn: string, name: string | undefined, production: boolean): Promise<RunCluster> {
  let resolved;
  try {
    resolved = await resolveConn(parseConnString(conn));
  } catch (err) {
    throw new UsageError(`${flag}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const ep = resolved.endpoints[0];
  return {
    name: name ?? `${ep.host}:${ep.port}/${resolved.dbname}`,
    connection: redactConnString(conn),
    production,
    password: () => libpqPassword(conn),
  };
}

export function defaultJournalDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PGPILOT_JOURNAL_DIR) return env.PGPILOT_JOURNAL_DIR;
  const state = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(state, 'pg-upgrade-pilot', 'runs');
}

function operatorName(): string {
  try {
    return `${userInfo().username} (CLI)`;
  } catch {
    return 'CLI';
  }
}

async function paramsFor(f: Flags, journalDir: string): Promise<LogicalUpgradeParams> {
  let base: Partial<LogicalUpgradeParams> = {};
  if (f.resume) {
    // the run keeps the parameters it started with, unless overridden now
    const events = await readJournal(journalPath(journalDir, f.resume));
    base = summarizeRun(events).params as Partial<LogicalUpgradeParams>;
  }
  if (f.subscriberSource !== undefined && parseConnString(f.subscriberSource).password !== undefined) {
    throw new UsageError('--subscriber-source must not contain a password (the source\'s password is added)');
  }
  const given: Partial<LogicalUpgradeParams> = {
    publication: f.publication,
    subscription: f.subscription,
    lagThresholdBytes: f.lagThreshold,
    switchoverTimeoutMs: f.switchoverTimeout === undefined ? undefined : Math.round(f.switchoverTimeout * 1000),
    subscriberConnection: f.subscriberSource,
    reverseReplication: f.noReverse ? false : f.resume ? undefined : true,
  };
  try {
    return defaultLogicalUpgradeParams({ ...base, ...stripUndefined(given) });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const EXIT: Record<RunResult['status'], number> = { succeeded: 0, failed: 1, paused: 3, aborted: 130 };

async function run(args: string[]): Promise<number> {
  let f: Flags;
  try {
    f = parseLogicalUpgradeArgs(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`pg-upgrade-pilot logical-upgrade: ${err.message}\nRun "pg-upgrade-pilot logical-upgrade --help" for the options.\n`);
    return 2;
  }
  const journalDir = f.journal ?? defaultJournalDir();
  const interactive = process.stdin.isTTY === true && process.stderr.isTTY === true;
  let source: RunCluster;
  let target: RunCluster;
  let params: LogicalUpgradeParams;
  try {
    source = await clusterFromFlag('--source', f.source!, f.sourceName, f.production.has('source'));
    target = await clusterFromFlag('--target', f.target!, f.targetName, f.production.has('target'));
    params = await paramsFor(f, journalDir);
    if (!f.dryRun && !f.yes && !interactive && logicalUpgradeRunbook.steps.some((s) => s.risk !== 'read-only')) {
      throw new UsageError('this runbook asks for confirmations and stdin is not a terminal: run it in a terminal, or pass --yes to confirm every step (try --dry-run first)');
    }
  } catch (err) {
    process.stderr.write(`pg-upgrade-pilot logical-upgrade: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }

  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    process.stderr.write('\nAborting: the current step is asked to stop, no further step runs (Ctrl-C again to exit at once).\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const operator = operatorName();
  const ui = new TerminalUi({ yes: f.yes, interactive, json: f.json, operator, onInterrupt: onSigint });
  let probe: Probe | undefined;
  if (f.probe && !f.dryRun) {
    try {
      probe = await startCliProbe(source, target, !f.resume);
      ui.log('info', `probe: writing to ${probe.table} every 50 ms through source,target (read-write)`);
    } catch (err) {
      ui.log('warn', `probe not started: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  let result: RunResult;
  try {
    result = await runRunbook({
      runbook: logicalUpgradeRunbook, clusters: { source, target }, params, ui, journalDir,
      runId: f.resume, dryRun: f.dryRun, signal: controller.signal, operator,
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
  const probeRecord = probe ? await finishProbe(probe, target, result, ui) : undefined;
  if (f.record) await writeRecord(f.record, f.recordLang, result, ui);
  if (f.json) process.stdout.write(`${JSON.stringify(probeRecord ? { ...result, probe: probeRecord } : result, null, 2)}\n`);
  else process.stdout.write(renderResult(result, f, probeRecord));
  return EXIT[result.status];
}

/** The markdown upgrade record of the run, from its journal (scrubbed again by the renderer). */
async function writeRecord(file: string, lang: RecordLang, result: RunResult, ui: TerminalUi): Promise<void> {
  if (!existsSync(result.journalFile)) {
    ui.log('warn', `--record ${file}: the run wrote no journal (it did not start), so there is no record`);
    return;
  }
  const events = await readJournal(result.journalFile);
  const text = renderUpgradeRecord(events, { lang, runbook: logicalUpgradeRunbook });
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text, { mode: 0o600 });
  ui.log('info', `upgrade record written to ${file}`);
}

const endpointKey = (ep: HostEndpoint) => `${ep.host}:${ep.port}`;

/**
 * The write probe of --probe: the source's and the target's hosts in one libpq-style list with
 * target_session_attrs=read-write, each host with its own cluster's password, like a client configured per seed 001.
 */
async function startCliProbe(source: RunCluster, target: RunCluster, createTable: boolean): Promise<Probe> {
  const [rs, rt] = await Promise.all([resolveConn(parseConnString(source.connection)), resolveConn(parseConnString(target.connection))]);
  const [ps, pt] = await Promise.all([source.password?.(), target.password?.()]);
  const sourceHosts = new Set(rs.endpoints.map(endpointKey));
  const both: ResolvedConn = { ...rs, password: undefined, endpoints: [...rs.endpoints, ...rt.endpoints], targetSessionAttrs: 'read-write', loadBalanceHosts: 'disable' };
  return startProbe({
    connection: `${redactConnString(source.connection)} (+ target hosts)`,
    createTable,
    connector: async () => {
      const { client, endpoint } = await connect(both, { password: async (ep) => (sourceHosts.has(endpointKey(ep)) ? ps : pt), applicationName: 'pgpilot-probe' });
      client.on('error', () => undefined); // a terminated idle client reports on its next write
      return { client, host: formatEndpoint(endpoint) };
    },
  });
}

/** Stops the probe, checks its acknowledged commits on the target (after a switchover), journals the figures. */
async function finishProbe(probe: Probe, target: RunCluster, result: RunResult, ui: TerminalUi): Promise<ProbeRecord | undefined> {
  const report = await probe.stop();
  let verification;
  if (result.status === 'succeeded' && !result.dryRun) {
    try {
      const r = await resolveConn(parseConnString(target.connection));
      const pw = await target.password?.();
      const { client } = await connect(r, { password: async () => pw, applicationName: 'pg-upgrade-pilot' });
      try {
        verification = await probe.verify({ query: async (text, values) => { const q = await client.query(text, values); return { rows: q.rows, rowCount: q.rowCount }; } });
      } finally {
        await client.end().catch(() => undefined);
      }
    } catch (err) {
      ui.log('warn', `probe: could not check its commits on the target: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const record = probeRecordOf(report, verification);
  if (existsSync(result.journalFile)) await appendEvent(result.journalFile, probeSnapshotEvent(record));
  return record;
}

function renderResult(r: RunResult, f: Flags, probe?: ProbeRecord): string {
  const lines = ['', `${r.dryRun ? 'Dry run' : 'Run'} ${r.runId}: ${r.status}${r.message ? ` — ${r.message}` : ''}`];
  const width = Math.max(...r.steps.map((s) => s.title.length), 10);
  for (const s of r.steps) {
    const took = s.durationMs !== undefined && !r.dryRun ? ` ${(s.durationMs / 1000).toFixed(1)} s` : '';
    lines.push(`  ${s.status.padEnd(9)} ${s.title.padEnd(width)}${took}${s.status === 'failed' && s.message ? `  ${s.message}` : ''}`);
  }
  if (probe) {
    const window = probe.switchoverGapMs !== undefined ? `${Math.round(probe.switchoverGapMs)} ms write-unavailable window` : `longest gap ${Math.round(probe.maxGapMs)} ms`;
    const lost = probe.lostCommits === undefined ? 'not checked on the target' : `${probe.lostCommits} lost, ${probe.duplicates ?? 0} duplicated on the target`;
    lines.push(`Probe: ${probe.acked} commits acknowledged, ${window}; ${lost}`);
  }
  lines.push(`Journal: ${r.journalFile}`);
  if (!r.dryRun && (r.status === 'paused' || r.status === 'failed' || r.status === 'aborted')) {
    lines.push(`Resume with: pg-upgrade-pilot logical-upgrade --source … --target …${f.journal ? ` --journal ${f.journal}` : ''} --resume ${r.runId}`);
  }
  return `${lines.join('\n')}\n`;
}

export const logicalUpgradeCommand: CliCommand = {
  name: 'logical-upgrade',
  summary: 'Major upgrade by logical replication with a guarded switchover',
  help,
  run,
};
