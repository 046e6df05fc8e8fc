/**
 * Host steps: commands that run on a database server's machine (pg_ctl, pg_rewind, cp …) rather than over SQL.
 * Every command is an argument array, never a shell string. Who runs it is the cluster's executor:
 *   manual — the operator (shown the exact commands, runs them e.g. over ssh, confirms; the step then checks the
 *            outcome over SQL), the default for every real cluster;
 *   local  — this process, for lab clusters on this machine (tests, demos), as the lab's OS user.
 */
import type { ClusterRole, PlannedAction, Risk, RunnerUi } from '../runbook/types';

export type HostAction = Extract<PlannedAction, { kind: 'host' }>;

export type ExecutorKind = 'manual' | 'local';

/**
 * How to reach a cluster's host, journaled with the run's parameters (JSON-safe, never a password).
 * Built from `ClusterDefinition.executor` / `.lab` (see hostSpecFromCluster) or from CLI flags.
 */
export interface HostSpec {
  executor: ExecutorKind;
  /** Data directory on the host. Local: required. Manual: read over SQL (SHOW data_directory) when absent. */
  dataDir?: string;
  /** Directory of pg_ctl/postgres now in use. Local: required. Manual: read over SQL (pg_config BINDIR) when absent. */
  binDir?: string;
  /** OS user that owns the data directory (commands run as this user). Local default: none (our own user). Manual default: postgres. */
  osUser?: string;
  /** Server version the binaries in binDir are (informational; "16.12"). */
  version?: string;
  /** pg_ctl's log file (-l). Local default: server.log beside the data directory (the lab's layout). */
  logFile?: string;
  /** Manual hosts managed by systemd: stop/start with `systemctl stop|start UNIT` (e.g. postgresql@16-main). */
  systemdUnit?: string;
}

export type HostSpecs = Partial<Record<ClusterRole, HostSpec>>;

/** One command's outcome. A manual command the operator confirmed is reported as exit 0 with `manual: true`. */
export interface HostResult {
  argv: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  manual?: boolean;
}

/** A batch of commands for one host, run in order; the first failure stops the batch. */
export interface HostBatch {
  runId: string;
  stepId: string;
  /** What the batch achieves ("Stop the standby, start it with the 15.18 binaries"). */
  title: string;
  role: ClusterRole;
  /** Shown to the operator of a manual host together with the commands. */
  why: string;
  risk: Risk;
  actions: HostAction[];
  /** Extra instructions that are not commands (a package upgrade on a manual host, a password-file line). */
  notes?: PlannedAction[];
  /**
   * Text fed to a command's standard input, by index in `actions` (e.g. a password-file line). Never shown,
   * never journaled; a manual host is told what to type instead (see `notes`).
   */
  inputs?: Record<number, string>;
  /** Per command; default 120 s. */
  timeoutMs?: number;
}

export interface HostRunContext {
  ui: RunnerUi;
  signal: AbortSignal;
  /** For the operator's confirmation: who and where. */
  cluster: { role: ClusterRole; name: string; hosts: string; production: boolean; id?: string };
  /** Secrets to blank out of any output or error text. */
  secrets?: (string | undefined)[];
}

export interface HostExecutor {
  readonly kind: ExecutorKind;
  /**
   * Runs the batch (local) or has the operator run it (manual). Resolves with one result per command; rejects with
   * HostCommandError when a command fails or the operator declines (nothing after it ran).
   */
  run(batch: HostBatch, ctx: HostRunContext): Promise<HostResult[]>;
}

/** A host command failed (exit code ≠ 0, timeout) or a manual batch was not confirmed. Never holds a password. */
export class HostCommandError extends Error {
  constructor(
    message: string,
    readonly argv?: string[],
    readonly exitCode?: number | null,
    readonly stderr?: string,
    /** Results of the commands that ran before (and including) the failing one. */
    readonly results: HostResult[] = [],
  ) {
    super(message);
    this.name = 'HostCommandError';
  }
}
