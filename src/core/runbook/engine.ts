/**
 * The runbook engine: runs a RunbookDefinition's steps in order against the run's clusters, asking the operator
 * before each change (confirmationFor), journaling every event (scrubbed, fsync'd), one run per source at a time
 * (advisory lock), resumable from the journal (a started-but-unfinished step re-runs; its isDone() decides).
 */
import { userInfo } from 'node:os';
import { parseConnString, resolveConn } from '../conn';
import { acknowledgePending } from './acknowledge';
import { confirmationFor, effectsOf, expectedWriteOutage } from './confirm';
import { RunConnections } from './connections';
import { makeStepContext, scrubbedUi } from './context';
import { journalPath, JournalError, JournalWriter, nowIso, readJournal, newRunId, terminateTornLine } from './journal';
import { HeldLock, LOCK_ROLES } from './lock';
import { Redactor } from './redact';
import { renderActions } from './render';
import { isSettled, summarizeRun } from './summary';
import type {
  ClusterInfo, ClusterRole, JournalEvent, PlannedAction, RunbookDefinition, RunCluster, RunnerUi, RunOptions, RunResult,
  RunSummary, StepContext, StepDefinition, StepOutcome, StepRecord,
} from './types';

type StepEnd = 'settled' | 'paused' | 'failed' | 'aborted';

interface Prior {
  events: JournalEvent[];
  summary: RunSummary;
}

/** Runs (or resumes, or dry-runs) a runbook. Never throws for run-time problems: they are in the result. */
export async function runRunbook<P>(opts: RunOptions<P>): Promise<RunResult> {
  checkOptions(opts);
  const { runbook } = opts;
  const dryRun = opts.dryRun === true;
  const operator = opts.operator ?? defaultOperator();
  const redactor = new Redactor();
  const ui = scrubbedUi(opts.ui, redactor);
  const signal = opts.signal ?? new AbortController().signal;

  let prior: Prior | undefined;
  if (opts.runId) {
    try {
      prior = await loadPrior(opts.journalDir, opts.runId, runbook);
    } catch (err) {
      const file = safeJournalPath(opts.journalDir, opts.runId);
      return resultOf(runbook, [], opts.runId, file, 'failed', `cannot resume run ${opts.runId}: ${messageOf(err)}`, dryRun);
    }
  }
  // A dry run never writes into a real run's journal: it gets its own, seeded with the real run's state.
  const resumed = !!prior && !dryRun;
  const runId = resumed ? opts.runId! : newRunId();
  const journalFile = journalPath(opts.journalDir, runId);
  const fail = (message: string): RunResult =>
    resultOf(runbook, prior?.events ?? [], runId, journalFile, signal.aborted ? 'aborted' : 'failed', redactor.text(signal.aborted ? `aborted by the operator: ${message}` : message), dryRun);

  if (prior && !dryRun) {
    if (prior.summary.dryRun) return fail(`run ${runId} is a dry run; start a new run instead`);
    const explicitLeft = runbook.steps.some((s) => s.explicit && !isSettled(prior!.summary.steps.find((x) => x.id === s.id), s.optional));
    if (prior.summary.status === 'succeeded' && !(explicitLeft && (opts.finish || opts.only))) {
      return { ...resultOf(runbook, prior.events, runId, journalFile, 'succeeded', `run ${runId} already succeeded${explicitLeft ? ` (its explicit step(s) run only when asked: finish)` : ''}`, false) };
    }
  }

  // ---- setup: nothing is journaled until the clusters answer and the source is ours ----
  const passwords: Partial<Record<ClusterRole, string | undefined>> = {};
  const roles = Object.keys(opts.clusters) as ClusterRole[];
  const infos: Partial<Record<ClusterRole, ClusterInfo>> = {};
  try {
    for (const role of roles) {
      const c = opts.clusters[role]!;
      passwords[role] = await c.password?.();
      redactor.add(passwords[role]);
    }
  } catch (err) {
    return fail(`could not get a password: ${messageOf(err)}`);
  }
  for (const role of roles) {
    try {
      infos[role] = await clusterInfo(role, opts.clusters[role]!);
    } catch (err) {
      return fail(`the ${role} connection string is not usable: ${messageOf(err)}`);
    }
  }
  if (prior && !dryRun) {
    const mismatch = clusterMismatch(prior.summary.clusters, infos);
    if (mismatch) return fail(`run ${runId} cannot resume: ${mismatch}`);
  }

  const conns = new RunConnections(opts.clusters, { readOnly: dryRun, signal, passwords });
  let lock: HeldLock | undefined;
  let journal: JournalWriter | undefined;
  try {
    if (!dryRun) {
      for (const role of roles) {
        try {
          await conns.db(role);
          infos[role] = { ...infos[role]!, version: conns.version(role) };
        } catch (err) {
          const hint = await runbook.explainConnectError?.(role, err, (r) => conns.db(r)).catch(() => undefined);
          return fail(`cannot connect to the ${role} cluster "${infos[role]!.name}": ${messageOf(err)}${hint ? `. ${hint}` : ''}`);
        }
      }
      const lockRole = LOCK_ROLES.find((r) => opts.clusters[r]);
      if (lockRole) {
        try {
          lock = await HeldLock.take(() => conns.connect(lockRole), runId);
        } catch (err) {
          return fail(messageOf(err));
        }
      }
    }

    const jw = new JournalWriter(journalFile, redactor, opts.onEvent?.bind(opts));
    journal = jw;
    const clusters = roles.map((r) => infos[r]!);
    if (resumed) {
      await terminateTornLine(journalFile);
      await jw.append({ type: 'run-resumed', ts: nowIso(), runId, operator, clusters });
      ui.log('info', `run ${runId} resumed (journal ${journalFile})`);
    } else {
      await jw.append({
        type: 'run-started', ts: nowIso(), runId, runbook: runbook.id, clusters,
        params: redactor.value(opts.params) as unknown as Record<string, unknown>, operator, dryRun,
      });
      if (prior) await jw.append({ type: 'note', ts: nowIso(), text: `dry run of the steps left in run ${prior.summary.runId}`, by: operator });
      ui.log('info', `${dryRun ? 'dry run' : 'run'} ${runId} started (journal ${journalFile})`);
    }

    const outputs = new Map<string, Record<string, unknown>>();
    for (const s of prior?.summary.steps ?? []) if (s.outputs && s.status === 'succeeded') outputs.set(s.id, s.outputs);
    const running = { stepId: '' };
    const ctx = makeStepContext<P>({
      runId, params: opts.params, conns, infos, passwords, outputs, redactor, ui: opts.ui, signal, dryRun,
      checkpoint: async (name, data) => {
        if (dryRun) return;
        await jw.append({ type: 'checkpoint', ts: nowIso(), stepId: running.stepId, name, data });
      },
      checkpoints: () => allEvents().filter((e): e is Extract<JournalEvent, { type: 'checkpoint' }> => e.type === 'checkpoint'),
    });
    const done = (id: string): boolean => {
      const s = summarizeRun([...(prior?.events ?? []), ...jw.events], { runbook });
      return isSettled(s.steps.find((x) => x.id === id), runbook.steps.find((x) => x.id === id)?.optional);
    };
    const allEvents = (): JournalEvent[] => (resumed ? [...prior!.events, ...jw.events] : [...jw.events]);
    const selected = selectSteps(runbook, opts, done);
    const hook = async (name: string, call: (() => Promise<string[]>) | undefined) => {
      if (dryRun || !call) return;
      const lines = await call().catch((err) => [`${name}: ${messageOf(err)}`]);
      for (const text of lines) await jw.append({ type: 'note', ts: nowIso(), text, by: 'pg-upgrade-pilot' });
    };
    const finish = async (status: RunResult['status'], message: string, stepId?: string, reason?: 'declined' | 'until' | 'only'): Promise<RunResult> => {
      await hook('at the end of the run', runbook.atRunEnd && (() => runbook.atRunEnd!(ctx, status)));
      if (status === 'paused') await jw.append({ type: 'run-paused', ts: nowIso(), reason: reason ?? 'until', stepId, message });
      else await jw.append({ type: 'run-finished', ts: nowIso(), status, message });
      ui.log(status === 'failed' ? 'error' : 'info', message);
      const base = dryRun && prior ? prior.events : [];
      return resultOf(runbook, [...base, ...allEvents()], runId, journalFile, status, redactor.text(message), dryRun);
    };

    if (dryRun) {
      for (const [i, step] of selected.entries()) {
        if (signal.aborted) return await finish('aborted', 'dry run aborted by the operator');
        await dryRunStep(step, ctx, jw, ui, `${i + 1}/${selected.length}`);
      }
      return await finish('succeeded', `dry run: ${selected.length} step(s) planned, nothing executed`);
    }

    if (selected.length) await hook('at the start of the run', runbook.atRunStart && (() => runbook.atRunStart!(ctx)));
    for (const [i, step] of selected.entries()) {
      if (signal.aborted) return await finish('aborted', `aborted by the operator before "${step.title}"`);
      if (i > 0 && lock) {
        try {
          const warning = await lock.ensure();
          if (warning) ui.log('warn', warning);
        } catch (err) {
          return await finish('failed', `stopped before "${step.title}": ${messageOf(err)}`);
        }
      }
      const ack = await acknowledgePending(allEvents(), jw, ui, { runId, clusters, operator });
      if (!ack.acknowledged) {
        if (signal.aborted) return await finish('aborted', `aborted by the operator before "${step.title}"`);
        return await finish('paused', `the warnings of "${ack.stepTitle}" were not acknowledged; the run is paused before "${step.title}" (resume run ${runId} to continue)`, step.id, 'declined');
      }
      ui.progress(`${step.title} (${i + 1}/${selected.length})`, i / selected.length);
      running.stepId = step.id;
      const end = await runStep(step, ctx, { journal: jw, ui, operator, infos, outputs, params: opts.params as Record<string, unknown> });
      if (end.kind === 'paused') {
        return await finish('paused', `"${step.title}" was declined; the run is paused (resume run ${runId} to continue)`, step.id, 'declined');
      }
      if (end.kind === 'failed') return await finish('failed', end.message);
      if (end.kind === 'aborted') return await finish('aborted', end.message);
    }
    ui.progress('done', 1);
    const next = runbook.steps.find((s) => !done(s.id) && (!s.explicit || opts.finish));
    if (!next) {
      const waiting = runbook.steps.filter((s) => s.explicit && !done(s.id));
      return await finish('succeeded', waiting.length
        ? `${runbook.title}: done; left until someone asks for it (finish): ${waiting.map((s) => `"${s.title}"`).join(', ')}`
        : `${runbook.title}: all ${runbook.steps.length} steps done`);
    }
    const last = selected[selected.length - 1];
    // warnings of the last step run are asked for now, while the operator is looking (a resume asks again if not)
    const ack = await acknowledgePending(allEvents(), jw, ui, { runId, clusters, operator });
    if (!ack.acknowledged) {
      if (signal.aborted) return await finish('aborted', `aborted by the operator before "${next.title}"`);
      return await finish('paused', `the warnings of "${ack.stepTitle}" were not acknowledged; the run is paused before "${next.title}" (resume run ${runId} to continue)`, last?.id, 'declined');
    }
    return await finish('paused', `paused${last ? ` after "${last.title}"` : ''}; next: "${next.title}"`, last?.id, opts.only ? 'only' : 'until');
  } catch (err) {
    // an unexpected error (the journal could not be written, a dialog failed): report it, journal it if possible
    const message = `the run stopped: ${messageOf(err)}`;
    if (!journal) return fail(message);
    await journal.append({ type: 'run-finished', ts: nowIso(), status: signal.aborted ? 'aborted' : 'failed', message }).catch(() => undefined);
    ui.log('error', message);
    const events = resumed ? [...prior!.events, ...journal.events] : journal.events;
    return resultOf(runbook, events, runId, journalFile, signal.aborted ? 'aborted' : 'failed', redactor.text(message), dryRun);
  } finally {
    await lock?.release().catch(() => undefined);
    await conns.closeAll();
  }
}

interface StepDeps {
  journal: JournalWriter;
  ui: RunnerUi;
  operator: string;
  infos: Partial<Record<ClusterRole, ClusterInfo>>;
  outputs: Map<string, Record<string, unknown>>;
  params: Record<string, unknown>;
}

type StepResult = { kind: StepEnd; message: string };

/** plan → isDone → precondition → confirm → execute → verify, each journaled. */
async function runStep<P>(step: StepDefinition<P>, ctx: StepContext<P>, d: StepDeps): Promise<StepResult> {
  const { journal, ui } = d;
  const started = (actions: PlannedAction[]) => journal.append({ type: 'step-started', ts: nowIso(), stepId: step.id, title: step.title, risk: step.risk, actions });
  const finished = (status: StepOutcome['status'], t0: number, extra: Partial<Extract<JournalEvent, { type: 'step-finished' }>> = {}) =>
    journal.append({ type: 'step-finished', ts: nowIso(), stepId: step.id, status, durationMs: Date.now() - t0, ...extra });
  const t0 = Date.now();

  let actions: PlannedAction[];
  try {
    actions = await step.plan(ctx);
  } catch (err) {
    await started([]);
    await finished('failed', t0, { message: `could not render the plan (nothing was changed): ${messageOf(err)}` });
    return { kind: 'failed', message: `"${step.title}" failed: could not render its plan: ${messageOf(err)}` };
  }
  const readOnlyFailure = async (what: string, err: unknown, findings?: StepOutcome['findings']): Promise<StepResult> => {
    const message = `${what} (nothing was changed): ${typeof err === 'string' ? err : messageOf(err)}`;
    await finished('failed', t0, { message, findings });
    return { kind: step.optional ? 'settled' : 'failed', message: `"${step.title}" failed: ${message}` };
  };

  await started(actions);
  try {
    if (step.isDone && (await step.isDone(ctx))) {
      await finished('skipped', t0, { message: 'already in place' });
      ui.log('info', `${step.title}: already in place, skipped`);
      return { kind: 'settled', message: '' };
    }
  } catch (err) {
    return readOnlyFailure('could not check whether it is already done', err);
  }
  if (step.precondition) {
    try {
      const pre = await step.precondition(ctx);
      if (!pre.ok) return readOnlyFailure('precondition not met', pre.message ?? 'precondition not met', pre.findings);
    } catch (err) {
      return readOnlyFailure('precondition check failed', err);
    }
  }

  const touched = step.clusters.map((r) => d.infos[r]).filter((c): c is ClusterInfo => !!c);
  // A step whose plan is empty has nothing to execute: nothing to confirm either.
  const policy = actions.length ? confirmationFor(step.risk, touched) : { level: 'none' as const, typedConfirmation: undefined };
  if (policy.level !== 'none') {
    const answer = await ui.confirm({
      runId: ctx.runId, stepId: step.id, title: step.title, why: step.why, risk: step.risk, actions, clusters: touched,
      typedConfirmation: policy.typedConfirmation, level: policy.level,
      effects: effectsOf(actions, touched), writeOutage: expectedWriteOutage(step.risk, touched, d.params), undo: step.rollbackHint,
    });
    await journal.append({ type: 'decision', ts: nowIso(), stepId: step.id, confirmed: answer.confirmed && !ctx.signal.aborted, by: answer.by ?? d.operator, risk: step.risk });
    if (ctx.signal.aborted) {
      // aborted while the question was open (the UI gives up asking): the step never ran
      await finished('aborted', t0, { message: 'aborted before it ran (nothing was changed)' });
      return { kind: 'aborted', message: `aborted by the operator before "${step.title}" ran` };
    }
    if (!answer.confirmed) {
      if (!step.optional) return { kind: 'paused', message: 'declined' };
      await finished('skipped', t0, { message: 'declined (optional step)' });
      return { kind: 'settled', message: '' };
    }
  }

  const t1 = Date.now();
  let outcome: StepOutcome;
  try {
    outcome = await step.execute(ctx);
  } catch (err) {
    outcome = { status: ctx.signal.aborted ? 'aborted' : 'failed', message: messageOf(err) };
  }
  if (outcome.status === 'succeeded' && step.verify) {
    try {
      const v = await step.verify(ctx);
      if (!v.ok) outcome = { ...outcome, status: 'failed', message: `verification failed: ${v.message ?? 'the result is not as expected'}`, findings: [...(outcome.findings ?? []), ...(v.findings ?? [])] };
    } catch (err) {
      outcome = { ...outcome, status: 'failed', message: `verification failed: ${messageOf(err)}` };
    }
  }
  const bad = outcome.status === 'failed' || outcome.status === 'aborted';
  const ev = await finished(outcome.status, t1, {
    message: outcome.message, outputs: outcome.outputs, findings: outcome.findings, rollbackHint: bad ? step.rollbackHint : undefined,
  });
  if (ev.type === 'step-finished' && ev.outputs && outcome.status === 'succeeded') d.outputs.set(step.id, ev.outputs);
  const hint = step.rollbackHint ? ` Rollback: ${step.rollbackHint}` : '';
  if (outcome.status === 'failed') {
    if (step.optional) {
      ui.log('warn', `${step.title} (optional) failed: ${outcome.message ?? ''}.${hint}`);
      return { kind: 'settled', message: '' };
    }
    return { kind: 'failed', message: `"${step.title}" failed: ${outcome.message ?? 'no message'}.${hint}` };
  }
  if (outcome.status === 'aborted') return { kind: 'aborted', message: `"${step.title}" was aborted: ${outcome.message ?? 'by the operator'}.${hint}` };
  return { kind: 'settled', message: '' };
}

/** Renders one step's plan, prints it, journals it as not executed. Never calls execute/precondition/isDone. */
async function dryRunStep<P>(step: StepDefinition<P>, ctx: StepContext<P>, journal: JournalWriter, ui: RunnerUi, pos: string): Promise<void> {
  let actions: PlannedAction[] = [];
  let message = 'dry run: not executed';
  try {
    actions = await step.plan(ctx);
  } catch (err) {
    message = `dry run: the plan needs what is not there yet or cannot be read: ${messageOf(err)}`;
  }
  const ev = await journal.append({ type: 'step-started', ts: nowIso(), stepId: step.id, title: step.title, risk: step.risk, actions });
  const shown = ev.type === 'step-started' ? ev.actions : actions;
  const lines = actions.length || message === 'dry run: not executed' ? renderActions(shown) : [message];
  ui.log('info', [`[dry run] ${pos} ${step.title} [${step.risk}] on ${step.clusters.join(', ') || '-'}`, ...lines.map((l) => `    ${l}`)].join('\n'));
  await journal.append({ type: 'step-finished', ts: nowIso(), stepId: step.id, status: 'skipped', durationMs: 0, message });
}

function selectSteps<P>(runbook: RunbookDefinition<P>, opts: RunOptions<P>, done: (id: string) => boolean): StepDefinition<P>[] {
  if (opts.only) return runbook.steps.filter((s) => s.id === opts.only);
  const untilIndex = opts.until ? runbook.steps.findIndex((s) => s.id === opts.until) : runbook.steps.length - 1;
  // a dry run prints explicit steps too: the operator sees what finishing would run
  return runbook.steps.filter((s, i) => i <= untilIndex && !done(s.id) && (!s.explicit || opts.finish || opts.dryRun));
}

function checkOptions<P>(opts: RunOptions<P>): void {
  const ids = new Set<string>();
  for (const s of opts.runbook.steps) {
    if (ids.has(s.id)) throw new Error(`runbook ${opts.runbook.id}: duplicate step id "${s.id}"`);
    ids.add(s.id);
  }
  for (const k of ['only', 'until'] as const) {
    const id = opts[k];
    if (id && !ids.has(id)) throw new Error(`runbook ${opts.runbook.id} has no step "${id}" (${k})`);
  }
  const missing = opts.runbook.roles.filter((r) => !opts.clusters[r]);
  if (missing.length) throw new Error(`runbook ${opts.runbook.id} needs a ${missing.join(' and a ')} cluster`);
}

async function loadPrior<P>(journalDir: string, runId: string, runbook: RunbookDefinition<P>): Promise<Prior> {
  const file = journalPath(journalDir, runId);
  const events = await readJournal(file);
  const summary = summarizeRun(events, { runbook, journalFile: file });
  if (summary.runbook !== runbook.id) throw new JournalError(`run ${runId} is a "${summary.runbook}" run, not "${runbook.id}"`);
  return { events, summary };
}

function safeJournalPath(dir: string, runId: string): string {
  try {
    return journalPath(dir, runId);
  } catch {
    return dir;
  }
}

async function clusterInfo(role: ClusterRole, c: RunCluster): Promise<ClusterInfo> {
  return { role, name: c.name, id: c.id, hosts: await hostsOf(c.connection), production: c.production === true };
}

/** "db1:5432,db2:5432" from a connection string (never a password). Throws for a malformed one. */
export async function hostsOf(connection: string): Promise<string> {
  const r = await resolveConn(parseConnString(connection));
  return r.endpoints.map((e) => `${e.host}:${e.port}`).join(',');
}

function clusterMismatch(before: ClusterInfo[], now: Partial<Record<ClusterRole, ClusterInfo>>): string | undefined {
  for (const b of before) {
    const n = now[b.role];
    if (!n) return `it was started with a ${b.role} cluster (${b.name}, ${b.hosts}); none was given`;
    if (n.hosts !== b.hosts) return `its ${b.role} cluster was ${b.hosts}, now ${n.hosts}`;
  }
  return undefined;
}

function resultOf<P>(runbook: RunbookDefinition<P>, events: JournalEvent[], runId: string, journalFile: string, status: RunResult['status'], message: string, dryRun: boolean): RunResult {
  const hasStart = events.some((e) => e.type === 'run-started');
  const steps: StepRecord[] = hasStart
    ? summarizeRun(events, { runbook }).steps
    : runbook.steps.map((s) => ({ id: s.id, title: s.title, risk: s.risk, status: 'pending' }));
  return {
    runId, journalFile, status, message, dryRun,
    steps: steps.map((s) => ({
      id: s.id, title: s.title, risk: s.risk, status: s.status === 'running' ? 'pending' : s.status,
      durationMs: s.durationMs, outputs: s.outputs, message: s.message, actions: s.actions, rollbackHint: s.rollbackHint,
      findings: s.findings,
    })),
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function defaultOperator(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}
