/**
 * Running a runbook from the CLI, shared by logical-upgrade, rolling-switchover and minor-upgrade: the run-control
 * flags (--yes, --dry-run, --resume, --until, --journal, --json), where journals go, the engine run with terminal
 * prompts and Ctrl-C handling, and the result on the terminal (a step table, or JSON) with its exit status.
 */
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { readJournal, journalPath, runRunbook, summarizeRun, type RunOptions, type RunResult } from '../core/runbook';
import { cannotStart } from './args';
import { EXIT_CODES, EXIT_STATUS_HELP, Interruption } from './interrupt';
import { TerminalUi } from './ui';

export const EXIT: Record<RunResult['status'], number> = {
  succeeded: EXIT_CODES.succeeded, failed: EXIT_CODES.failed, paused: EXIT_CODES.paused, aborted: EXIT_CODES.interrupted,
};

export interface RunControl {
  yes: boolean;
  dryRun: boolean;
  json: boolean;
  journal?: string;
  resume?: string;
  until?: string;
}

export const newRunControl = (): RunControl => ({ yes: false, dryRun: false, json: false });

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

${EXIT_STATUS_HELP}`;

export function defaultJournalDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PGPILOT_JOURNAL_DIR) return env.PGPILOT_JOURNAL_DIR;
  const state = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(state, 'pg-upgrade-pilot', 'runs');
}

export const journalDirOf = (c: RunControl): string => c.journal ?? defaultJournalDir();

/** With --resume, the parameters the run started with (its journal), to be overridden by the flags given now. */
export async function resumedParams<P>(c: RunControl): Promise<Partial<P>> {
  if (!c.resume) return {};
  return summarizeRun(await readJournal(journalPath(journalDirOf(c), c.resume))).params as Partial<P>;
}

export function operatorName(): string {
  try {
    return `${userInfo().username} (CLI)`;
  } catch {
    return 'CLI';
  }
}

/** What a command adds around the engine run (logical-upgrade: its write probe and the upgrade record). */
export interface RunExtras {
  /** Before the engine starts. */
  start?(ui: TerminalUi): Promise<void>;
  /** After it ended: fields added to the JSON result and lines added under the step table. */
  finish?(result: RunResult, ui: TerminalUi): Promise<{ json?: Record<string, unknown>; notes?: string[] }>;
}

/** A run ready to go: everything the command read from its flags. */
export interface PreparedRun<P> {
  control: RunControl;
  opts: Omit<RunOptions<P>, 'ui' | 'journalDir' | 'signal' | 'operator' | 'runId' | 'dryRun' | 'until'>;
  /** The command line that resumes the run, without --journal and --resume (added here). */
  resumeHint: string;
  /** Lines under the step table, from the result (key figures). */
  notes?(result: RunResult): string[];
  extras?: RunExtras;
}

/**
 * A runbook command: `prepare` reads the flags and the clusters (any error it throws ends the command with exit
 * status 2 before anything ran), then the engine runs with terminal prompts and Ctrl-C handling; the result is
 * printed and its exit status returned.
 */
export async function runCommand<P>(command: string, prepare: () => Promise<PreparedRun<P>>): Promise<number> {
  // Before the engine starts a signal exits at once (nothing changed yet); then it aborts the run (see interrupt.ts).
  const interruption = new Interruption();
  try {
    let run: PreparedRun<P>;
    try {
      run = await prepare();
    } catch (err) {
      return cannotStart(command, err);
    }
    const c = run.control;
    const interactive = process.stdin.isTTY === true && process.stderr.isTTY === true;
    if (!c.dryRun && !c.yes && !interactive) {
      return cannotStart(command, new Error('this runbook asks for confirmations and stdin is not a terminal: run it in a terminal, or pass --yes to confirm every step (try --dry-run first)'));
    }
    const controller = new AbortController();
    interruption.whileRunning((sig) => controller.abort(new Error(sig === 'SIGINT' ? 'interrupted (Ctrl-C)' : 'terminated (SIGTERM)')));
    const operator = operatorName();
    const ui = new TerminalUi({ yes: c.yes, interactive, json: c.json, operator, onInterrupt: () => interruption.signal('SIGINT') });
    await run.extras?.start?.(ui);
    const result = await runRunbook<P>({ ...run.opts, ui, journalDir: journalDirOf(c), runId: c.resume, dryRun: c.dryRun, until: c.until, signal: controller.signal, operator });
    const extra = await run.extras?.finish?.(result, ui);
    if (c.json) process.stdout.write(`${JSON.stringify({ ...result, ...extra?.json }, null, 2)}\n`);
    else process.stdout.write(renderResult(result, [...(run.notes?.(result) ?? []), ...(extra?.notes ?? [])], `${run.resumeHint}${c.journal ? ` --journal ${c.journal}` : ''}`));
    // A signal decides the status whatever the run reached: 130 for Ctrl-C, 143 for SIGTERM, every time.
    return interruption.exitCode() ?? EXIT[result.status];
  } finally {
    interruption.dispose();
  }
}

/** The step table, the notes, the journal, and how to resume a run that did not finish. */
export function renderResult(r: RunResult, notes: string[], resumeHint: string): string {
  const lines = ['', `${r.dryRun ? 'Dry run' : 'Run'} ${r.runId}: ${r.status}${r.message ? ` — ${r.message}` : ''}`];
  const width = Math.max(...r.steps.map((s) => s.title.length), 10);
  for (const s of r.steps) {
    const took = s.durationMs !== undefined && !r.dryRun ? ` ${(s.durationMs / 1000).toFixed(1)} s` : '';
    lines.push(`  ${s.status.padEnd(9)} ${s.title.padEnd(width)}${took}${(s.status === 'failed' || s.status === 'aborted') && s.message ? `  ${s.message}` : ''}`);
  }
  lines.push(...notes, `Journal: ${r.journalFile}`);
  if (!r.dryRun && (r.status === 'paused' || r.status === 'failed' || r.status === 'aborted')) lines.push(`Resume with: ${resumeHint} --resume ${r.runId}`);
  return `${lines.join('\n')}\n`;
}
