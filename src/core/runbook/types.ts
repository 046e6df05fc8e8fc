import type { Queryable, ServerVersion } from '../db';

/** Risk decides the confirmation: none / show+confirm / modal / type the cluster's name. */
export type Risk = 'read-only' | 'reversible' | 'disruptive' | 'destructive';
export type StepKind = 'check' | 'sql' | 'host' | 'manual' | 'wait';
/** Roles a runbook addresses; a logical upgrade uses source+target, a streaming pair primary+standby. */
export type ClusterRole = 'source' | 'target' | 'primary' | 'standby' | 'server';

/** What a step will execute, shown to the operator before confirmation and journaled afterwards. */
export type PlannedAction =
  | { kind: 'sql'; cluster: ClusterRole; statements: string[] }
  | { kind: 'host'; cluster: ClusterRole; argv: string[]; env?: Record<string, string> }
  | { kind: 'manual'; cluster: ClusterRole; instructions: string }
  | { kind: 'wait'; cluster: ClusterRole; description: string };

export type Severity = 'info' | 'warning' | 'error';

export interface Finding {
  id: string; // stable, e.g. "wal_level"
  severity: Severity;
  cluster?: ClusterRole;
  message: string;
  fix?: string; // actionable
}

export interface CheckResult {
  ok: boolean;
  message?: string;
  findings?: Finding[];
}

export interface StepOutcome {
  status: 'succeeded' | 'failed' | 'skipped' | 'aborted';
  message?: string;
  /** Small JSON-safe values worth keeping (timings, LSNs, counts, window ms). Never secrets. */
  outputs?: Record<string, unknown>;
  findings?: Finding[];
}

export interface ClusterInfo {
  role: ClusterRole;
  name: string;
  /** Registry id (VS Code `ClusterDefinition.id`) when the run was started from the explorer. */
  id?: string;
  /** host:port list for display; never a password. */
  hosts: string;
  production: boolean;
  version?: ServerVersion;
}

/** The operator-facing port: VS Code dialogs, CLI prompts, or an auto-yes for scripts. */
export interface ConfirmRequest {
  runId: string;
  stepId: string;
  title: string;
  why: string;
  risk: Risk;
  actions: PlannedAction[];
  clusters: ClusterInfo[];
  /** Set when the operator must type this exact text (destructive step or production cluster). */
  typedConfirmation?: string;
  /** How to ask, decided by the engine from risk + production (see confirmationFor). */
  level?: ConfirmationLevel;
  /** What changes where, one line per cluster (effectsOf), shown in the prompt itself. */
  effects?: string[];
  /** The expected write outage of a disruptive/destructive step, in words (expectedWriteOutage). */
  writeOutage?: string;
  /** How to undo the step (its rollbackHint). */
  undo?: string;
}

/** Warnings a settled step produced, to be acknowledged one by one before the run goes on. */
export interface AcknowledgeRequest {
  runId: string;
  stepId: string;
  stepTitle: string;
  /** Only severity 'warning' (errors stop the run, infos need nothing). */
  findings: Finding[];
  clusters: ClusterInfo[];
}

/** none: read-only; confirm: show statements + yes/no; modal: blocking warning; typed: type the cluster's name. */
export type ConfirmationLevel = 'none' | 'confirm' | 'modal' | 'typed';

export interface RunnerUi {
  confirm(req: ConfirmRequest): Promise<{ confirmed: boolean; by?: string }>;
  /**
   * Every warning listed (object, consequence, fix), each acknowledged explicitly; false pauses the run. Without it
   * the engine asks through confirm() (a CLI --yes acknowledges in the operator's name).
   */
  acknowledge?(req: AcknowledgeRequest): Promise<{ acknowledged: boolean; by?: string }>;
  progress(message: string, fraction?: number): void;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
}

/** Everything a step needs at run time; provided by the engine. */
export interface StepContext<P = Record<string, unknown>> {
  runId: string;
  params: P;
  /** A pooled connection per role (superuser/replication-capable), opened lazily by the engine. */
  db(role: ClusterRole): Promise<Queryable>;
  /** A fresh dedicated connection the step must close itself (e.g. a session with custom GUCs). */
  connect(role: ClusterRole): Promise<Queryable & { end(): Promise<void> }>;
  cluster(role: ClusterRole): ClusterInfo;
  /** The cluster's connection string WITHOUT password (e.g. to build a subscription conninfo). */
  connection(role: ClusterRole): string;
  /**
   * The cluster's password for statements that must carry one (CREATE SUBSCRIPTION … CONNECTION) or a child
   * process env (PGPASSWORD). Planned actions and journal entries must show it as ******** only.
   */
  password(role: ClusterRole): Promise<string | undefined>;
  /** Outputs of earlier steps in this run (from the journal), by step id. */
  outputsOf(stepId: string): Record<string, unknown> | undefined;
  /**
   * Journals a named checkpoint of the running step durably (fsync'd) before returning: a protocol's commit point.
   * `data` is small, JSON-safe, never a secret. A later attempt of the step (resume) reads it with checkpointsOf.
   */
  checkpoint(name: string, data?: Record<string, unknown>): Promise<void>;
  /** Every checkpoint journaled by a step of this run (earlier processes included), oldest first. */
  checkpointsOf(stepId: string): Array<{ ts: string; name: string; data?: Record<string, unknown> }>;
  signal: AbortSignal;
  ui: RunnerUi;
  dryRun: boolean;
}

export interface StepDefinition<P = Record<string, unknown>> {
  id: string;
  title: string;
  /** The seed's reasoning, shown to the operator and written into the record. */
  why: string;
  kind: StepKind;
  clusters: ClusterRole[];
  risk: Risk;
  /** The exact statements / commands, identifiers quoted; rendered before anything runs. */
  plan(ctx: StepContext<P>): Promise<PlannedAction[]>;
  /** Read-only check before confirmation; a failure stops the run with its message. */
  precondition?(ctx: StepContext<P>): Promise<CheckResult>;
  /** Idempotence: true when the step's effect is already in place (a re-run skips it). */
  isDone?(ctx: StepContext<P>): Promise<boolean>;
  execute(ctx: StepContext<P>): Promise<StepOutcome>;
  verify?(ctx: StepContext<P>): Promise<CheckResult>;
  rollbackHint: string;
  /** An optional step that is declined is skipped (the run goes on); one that fails is journaled and the run goes on. */
  optional?: boolean;
  /**
   * Runs only when asked (RunOptions.finish, or `only` naming it): a run without it ends succeeded before it, and a
   * later resume with `finish` runs it (e.g. the logical upgrade's cleanup, which removes the way back).
   */
  explicit?: boolean;
}

export interface RunbookDefinition<P = Record<string, unknown>> {
  id: string; // "logical-major-upgrade"
  title: string;
  roles: ClusterRole[];
  steps: StepDefinition<P>[];
  /**
   * Optional: what to do when a cluster cannot be reached at the start (e.g. its database does not exist), appended
   * to the error. `db` reaches the roles already connected. Nothing has been changed or journaled at that point.
   */
  explainConnectError?(role: ClusterRole, err: unknown, db: (role: ClusterRole) => Promise<Queryable>): Promise<string | undefined>;
  /**
   * Optional, not in a dry run: before the first step of a run that executes steps (e.g. put back a secret the
   * last run removed), and on every ending of it (succeeded, failed, aborted, paused, an unexpected error) before
   * the ending is journaled (e.g. remove a secret from a catalog). The lines returned are journaled as notes; a
   * throw is journaled as a note too and never changes the run's outcome.
   */
  atRunStart?(ctx: StepContext<P>): Promise<string[]>;
  atRunEnd?(ctx: StepContext<P>, status: 'succeeded' | 'failed' | 'aborted' | 'paused'): Promise<string[]>;
}

/** Journal: append-only JSON lines, one object per event. Never holds secrets. */
export type JournalEvent =
  | { type: 'run-started'; ts: string; runId: string; runbook: string; clusters: ClusterInfo[]; params: Record<string, unknown>; operator: string; dryRun: boolean }
  | { type: 'step-started'; ts: string; stepId: string; title: string; risk: Risk; actions: PlannedAction[] }
  | { type: 'decision'; ts: string; stepId: string; confirmed: boolean; by?: string; risk: Risk }
  | { type: 'step-finished'; ts: string; stepId: string; status: StepOutcome['status']; durationMs: number; message?: string; outputs?: Record<string, unknown>; findings?: Finding[]; rollbackHint?: string }
  | { type: 'note'; ts: string; text: string; stepId?: string; by?: string }
  /** A step's protocol reached a named point (StepContext.checkpoint), journaled durably before the step went on. */
  | { type: 'checkpoint'; ts: string; stepId: string; name: string; data?: Record<string, unknown> }
  /** The operator acknowledged a warning of a step before the run went on (at = ts). */
  | { type: 'finding-acknowledged'; ts: string; at: string; stepId: string; findingId: string; message: string; by: string }
  | { type: 'snapshot'; ts: string; role: ClusterRole; version?: ServerVersion; data: Record<string, unknown> }
  /** abandoned: set by abortRun (the operator gave the run up; UIs stop offering it). A cancelled run can go on. */
  | { type: 'run-finished'; ts: string; status: 'succeeded' | 'failed' | 'aborted'; message?: string; abandoned?: boolean }
  /** The run stopped with work left: a declined confirmation, or `until`/`only` reached. Resumable. */
  | { type: 'run-paused'; ts: string; reason: 'declined' | 'until' | 'only'; stepId?: string; message?: string }
  /** A later process picked the run up again (`RunOptions.runId`). */
  | { type: 'run-resumed'; ts: string; runId: string; operator: string; clusters: ClusterInfo[] };

/** A cluster handed to the engine for one role. */
export interface RunCluster {
  name: string;
  /** Registry id (VS Code), journaled so a reloaded window can find the cluster again. */
  id?: string;
  /** libpq connection string without password (multi-host allowed). */
  connection: string;
  /** Supplied by SecretStorage (extension) or PGPASSWORD/.pgpass (CLI); never journaled. */
  password?: () => Promise<string | undefined>;
  production?: boolean;
}

export interface RunOptions<P = Record<string, unknown>> {
  runbook: RunbookDefinition<P>;
  clusters: Partial<Record<ClusterRole, RunCluster>>;
  params: P;
  ui: RunnerUi;
  /** Directory holding <runId>.jsonl journals (extension: globalStorage; CLI: --journal). */
  journalDir: string;
  /** Resume this run (its journal says which steps are done). */
  runId?: string;
  dryRun?: boolean;
  signal?: AbortSignal;
  /** Run only this step (VS Code "Run Step…"), or stop after this one ("Run Next Step" passes the next id). */
  only?: string;
  until?: string;
  /** Also run the runbook's explicit steps (StepDefinition.explicit), e.g. the logical upgrade's cleanup. */
  finish?: boolean;
  operator?: string;
  /** Called after each event is journaled (scrubbed), e.g. to refresh a view; the first one carries the run id. */
  onEvent?(event: JournalEvent): void;
}

export interface RunResult {
  runId: string;
  journalFile: string;
  status: 'succeeded' | 'failed' | 'aborted' | 'paused';
  message?: string;
  steps: RunResultStep[];
  dryRun?: boolean;
}

export interface RunResultStep {
  id: string;
  title: string;
  status: StepOutcome['status'] | 'pending';
  durationMs?: number;
  outputs?: Record<string, unknown>;
  message?: string;
  risk?: Risk;
  /** The step's last rendered plan, as journaled (a dry run: every step's). */
  actions?: PlannedAction[];
  /** Set on a failed step. */
  rollbackHint?: string;
  /** What the step found (preflight errors and warnings). */
  findings?: Finding[];
}

// ---- Reading journals back (listRuns / summarizeRun) ----

/** 'running' = neither finished nor paused in the journal: live in some process, or interrupted (crash, reload). */
export type RunStatus = 'running' | 'paused' | 'succeeded' | 'failed' | 'aborted';

export interface StepRecord {
  id: string;
  title: string;
  /** 'running' = started but not finished (re-runs on resume; isDone() decides). */
  status: StepOutcome['status'] | 'pending' | 'running';
  risk?: Risk;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  message?: string;
  outputs?: Record<string, unknown>;
  findings?: Finding[];
  actions?: PlannedAction[];
  rollbackHint?: string;
}

export interface RunSummary {
  runId: string;
  runbook: string;
  journalFile?: string;
  startedAt: string;
  updatedAt: string;
  status: RunStatus;
  /** Last run-finished / run-paused message. */
  message?: string;
  /** Given up by the operator (abortRun): not to be offered for resuming. */
  abandoned?: boolean;
  dryRun: boolean;
  operator: string;
  clusters: ClusterInfo[];
  params: Record<string, unknown>;
  /** In runbook order when summarizeRun got the runbook (pending steps included), else in journal order. */
  steps: StepRecord[];
  notes: { ts: string; text: string; stepId?: string; by?: string }[];
  /** Warnings the operator acknowledged (finding-acknowledged events), in order. */
  acknowledgements?: { stepId: string; findingId: string; by: string; at: string }[];
  /** First step that is neither succeeded nor skipped (needs the runbook). */
  nextStepId?: string;
}
