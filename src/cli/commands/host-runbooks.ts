/**
 * What the host-step runbook commands (rolling-switchover, minor-upgrade) share: the flag reader, host executor flags
 * (manual by default; local for lab clusters, with paths from flags or from the lab's state file), clusters from
 * connection strings, running the engine with Ctrl-C handling, and the result on the terminal.
 */
import { userInfo } from 'node:os';
import { parseConnString, redactConnString, resolveConn } from '../../core/conn';
import { labLogFile } from '../../core/hosts/spec';
import type { HostSpec } from '../../core/hosts/types';
import { readLabState } from '../../core/lab/lab';
import { readServerFile } from '../../core/lab/server';
import { readJournal, journalPath, runRunbook, summarizeRun, type RunCluster, type RunOptions, type RunResult } from '../../core/runbook';
import { libpqPassword } from '../../core/runbook/passwords';
import type { ClusterRole } from '../../core/runbook/types';
import { TerminalUi } from '../ui';
import { defaultJournalDir } from './logical-upgrade';

export class UsageError extends Error {}

export const EXIT: Record<RunResult['status'], number> = { succeeded: 0, failed: 1, paused: 3, aborted: 130 };

/** A minimal flag reader: --flag value, --flag=value, booleans. Unknown flags are a UsageError. */
export class Flags {
  private i = 0;
  constructor(private readonly args: string[]) {}

  *each(): Generator<{ flag: string; value: () => string; number: (min: number) => number }> {
    for (this.i = 0; this.i < this.args.length; this.i++) {
      const a = this.args[this.i];
      const eq = a.startsWith('--') ? a.indexOf('=') : -1;
      const flag = eq > 0 ? a.slice(0, eq) : a;
      const inline = eq > 0 ? a.slice(eq + 1) : undefined;
      const value = (): string => {
        const v = inline ?? this.args[++this.i];
        if (v === undefined || v === '' || (inline === undefined && v.startsWith('--'))) throw new UsageError(`${flag} needs a value`);
        return v;
      };
      const number = (min: number): number => {
        const v = value();
        if (!/^\d+(\.\d+)?$/.test(v) || Number(v) < min) throw new UsageError(`${flag} must be a number ≥ ${min}, got "${v}"`);
        return Number(v);
      };
      yield { flag, value, number };
    }
  }
}

export function unknown(flag: string): never {
  throw new UsageError(`unknown ${flag.startsWith('-') ? 'option' : 'argument'} "${flag}"`);
}

export function oneOf<T extends string>(flag: string, v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`${flag} takes ${allowed.map((x) => `"${x}"`).join(' or ')}, got "${v}"`);
  return v as T;
}

/** Per-role host flags (--data-dir …) as given; merged into a HostSpec by hostSpecFor. */
export interface HostFlags {
  executor?: 'manual' | 'local';
  dataDir?: string;
  binDir?: string;
  osUser?: string;
  systemdUnit?: string;
}

/** Reads one host flag into `h` when `flag` (without the role prefix) is one; returns false otherwise. */
export function readHostFlag(flag: string, value: () => string, h: HostFlags): boolean {
  switch (flag) {
    case '--executor': h.executor = oneOf(flag, value(), ['manual', 'local'] as const); return true;
    case '--data-dir': h.dataDir = value(); return true;
    case '--bin-dir': h.binDir = value(); return true;
    case '--os-user': h.osUser = value(); return true;
    case '--systemd-unit': h.systemdUnit = value(); return true;
    default: return false;
  }
}

export const HOST_FLAGS_HELP = `Host steps (stop/start, binaries, pg_rewind …) are run by an executor per server:
  manual (default)            Each host step shows the exact commands (argument arrays, no shell); run them on
                              the server's host (ssh, a terminal), then confirm; the step checks the result
                              over SQL (version, recovery state, streaming). Paths are read over SQL
                              (data_directory, pg_config) unless given.
  local                       Runs them here, for lab clusters on this machine (as the lab's OS user when root).`;

/** The role's HostSpec from its flags, the global --executor, and (local) the lab state file matched by port. */
export async function hostSpecFor(role: ClusterRole, connection: string, flags: HostFlags, globalExecutor: 'manual' | 'local' | undefined, labDir: string | undefined): Promise<HostSpec> {
  const executor = flags.executor ?? globalExecutor ?? (labDir ? 'local' : 'manual');
  const spec: HostSpec = { executor };
  if (labDir) {
    const r = await resolveConn(parseConnString(connection));
    const port = r.endpoints[0]?.port;
    let state;
    try {
      state = await readLabState(labDir);
    } catch (err) {
      throw new UsageError(`--lab-dir ${labDir}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const listed = state.servers.find((s) => s.port === port);
    if (!listed) throw new UsageError(`--lab-dir ${labDir}: no lab server listens on port ${port} (the ${role}'s port); lab ports: ${state.servers.map((s) => s.port).join(', ') || 'none'}`);
    // the server's own file is kept current by host steps (binaries after a minor upgrade); lab.json may be older
    const s = (listed.baseDir ? await readServerFile(listed.baseDir) : undefined) ?? listed;
    Object.assign(spec, { dataDir: s.dataDir, binDir: s.binDir, osUser: s.osUser, version: s.version, logFile: s.logFile ?? labLogFile(s.dataDir) });
  }
  for (const k of ['dataDir', 'binDir', 'osUser', 'systemdUnit'] as const) if (flags[k] !== undefined) spec[k] = flags[k];
  return spec;
}

/** A RunCluster from a connection-string flag: the password is taken out and served on demand (libpq's sources). */
export async function clusterFromFlag(flag: string, conn: string, name: string | undefined, production: boolean): Promise<RunCluster> {
  let resolved;
  try {
    resolved = await resolveConn(parseConnString(conn));
  } catch (err) {
    throw new UsageError(`${flag}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const ep = resolved.endpoints[0];
  return { name: name ?? `${ep.host}:${ep.port}/${resolved.dbname}`, connection: redactConnString(conn), production, password: () => libpqPassword(conn) };
}

/** The parameters a paused or failed run started with (its journal), to resume with. */
export async function journaledParams(journalDir: string, runId: string): Promise<Record<string, unknown>> {
  return summarizeRun(await readJournal(journalPath(journalDir, runId))).params;
}

export function operatorName(): string {
  try {
    return `${userInfo().username} (CLI)`;
  } catch {
    return 'CLI';
  }
}

export interface RunControl {
  yes: boolean;
  dryRun: boolean;
  json: boolean;
  journal?: string;
  resume?: string;
  until?: string;
}

/** Reads one run-control flag into `c`; false when `flag` is not one. */
export function readRunFlag(flag: string, value: () => string, c: RunControl): boolean {
  switch (flag) {
    case '--yes': case '-y': c.yes = true; return true;
    case '--dry-run': c.dryRun = true; return true;
    case '--json': c.json = true; return true;
    case '--journal': c.journal = value(); return true;
    case '--resume': c.resume = value(); return true;
    case '--until': c.until = value(); return true;
    default: return false;
  }
}

export const RUN_FLAGS_HELP = `Run control:
  --dry-run                   Print every step's statements and commands; execute nothing.
  --yes                       Confirm every step without asking (needed when stdin is not a terminal). With the
                              manual executor this also "confirms" host commands nobody ran: the SQL checks
                              after them then fail, so use --yes with manual hosts only for dry runs.
  --resume RUNID              Continue a paused, failed or interrupted run (same connections); its parameters
                              come from its journal, options given now override them.
  --until STEP                Stop (paused) after this step id.
  --journal DIR               Where run journals go (default $PGPILOT_JOURNAL_DIR, else
                              \${XDG_STATE_HOME:-~/.local/state}/pg-upgrade-pilot/runs).
  --json                      Print the run result as JSON on stdout (messages go to stderr).
  -h, --help                  Show this help.

Exit status: 0 succeeded (or the dry run rendered), 1 a step failed, 2 bad usage, 3 paused (a step was declined
or --until reached), 130 aborted (Ctrl-C, or a switchover that handed the primary back).`;

/** Runs the engine with terminal prompts and Ctrl-C handling; prints the result; returns the exit code. */
export async function runFromCli<P>(command: string, c: RunControl, opts: Omit<RunOptions<P>, 'ui' | 'journalDir' | 'signal' | 'operator' | 'runId' | 'dryRun' | 'until'>, resumeHint: string): Promise<number> {
  const journalDir = c.journal ?? defaultJournalDir();
  const interactive = process.stdin.isTTY === true && process.stderr.isTTY === true;
  if (!c.dryRun && !c.yes && !interactive) {
    process.stderr.write(`pg-upgrade-pilot ${command}: this runbook asks for confirmations and stdin is not a terminal: run it in a terminal, or pass --yes (try --dry-run first)\n`);
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
  const ui = new TerminalUi({ yes: c.yes, interactive, json: c.json, operator, onInterrupt: onSigint });
  let result: RunResult;
  try {
    result = await runRunbook<P>({ ...opts, ui, journalDir, runId: c.resume, dryRun: c.dryRun, until: c.until, signal: controller.signal, operator });
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (c.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else process.stdout.write(renderResult(result, `${resumeHint}${c.journal ? ` --journal ${c.journal}` : ''}`));
  return EXIT[result.status];
}

/** Key figures worth a line of their own under the step list. */
const HEADLINES: [string, string, string][] = [
  ['switchover', 'writeUnavailableMs', 'write-unavailable window (server side)'],
  ['upgrade-server', 'downtimeMs', 'downtime'],
  ['backup', 'backupPath', 'backup'],
  ['record', 'backupPath', 'backup'],
];

export function renderResult(r: RunResult, resumeHint: string): string {
  const lines = ['', `${r.dryRun ? 'Dry run' : 'Run'} ${r.runId}: ${r.status}${r.message ? ` — ${r.message}` : ''}`];
  const width = Math.max(...r.steps.map((s) => s.title.length), 10);
  for (const s of r.steps) {
    const took = s.durationMs !== undefined && !r.dryRun ? ` ${(s.durationMs / 1000).toFixed(1)} s` : '';
    lines.push(`  ${s.status.padEnd(9)} ${s.title.padEnd(width)}${took}${(s.status === 'failed' || s.status === 'aborted') && s.message ? `  ${s.message}` : ''}`);
  }
  const seen = new Set<string>();
  for (const [id, key, label] of HEADLINES) {
    const v = r.steps.find((s) => s.id === id)?.outputs?.[key];
    if (v === undefined || v === null || seen.has(label)) continue;
    seen.add(label);
    lines.push(`${label}: ${typeof v === 'number' ? `${v} ms` : String(v)}`);
  }
  const probe = r.steps.find((s) => s.id === 'switchover')?.outputs?.probe as Record<string, unknown> | undefined;
  if (probe) lines.push(`probe: ${String(probe.writeUnavailableMs)} ms without writes as a client saw it, ${String(probe.lostCommits)} acknowledged commit(s) lost`);
  lines.push(`Journal: ${r.journalFile}`);
  if (!r.dryRun && (r.status === 'paused' || r.status === 'failed' || r.status === 'aborted')) lines.push(`Resume with: ${resumeHint} --resume ${r.runId}`);
  return `${lines.join('\n')}\n`;
}
