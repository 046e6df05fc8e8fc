/** What the upgrade record needs, read out of a run's journal events. Pure. */
import type { ClusterInfo, Finding, JournalEvent, PlannedAction, Risk } from '../runbook/types';

type Ev<T extends JournalEvent['type']> = Extract<JournalEvent, { type: T }>;

/** One execution attempt of a step (a step re-run after a failure has several). */
export interface StepAttempt {
  stepId: string;
  title: string;
  risk?: Risk;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  /** 'declined': its confirmation was refused; 'running': no end in the journal (interrupted). */
  status: Ev<'step-finished'>['status'] | 'declined' | 'running';
  message?: string;
  outputs?: Record<string, unknown>;
  findings?: Finding[];
  rollbackHint?: string;
  actions: PlannedAction[];
  decision?: { confirmed: boolean; by?: string; ts: string };
}

export interface RunFacts {
  runId: string;
  runbook: string;
  operator: string;
  dryRun: boolean;
  params: Record<string, unknown>;
  clusters: ClusterInfo[];
  startedAt: string;
  lastEventAt: string;
  finished?: Ev<'run-finished'>;
  paused?: Ev<'run-paused'>;
  attempts: StepAttempt[];
  notes: Ev<'note'>[];
  snapshots: Ev<'snapshot'>[];
}

export function runFacts(events: JournalEvent[]): RunFacts {
  const start = events.find((e): e is Ev<'run-started'> => e.type === 'run-started');
  if (!start) throw new Error('The journal has no run-started event: it is not a run journal.');
  const facts: RunFacts = {
    runId: start.runId, runbook: start.runbook, operator: start.operator, dryRun: start.dryRun, params: start.params ?? {},
    clusters: start.clusters ?? [], startedAt: start.ts, lastEventAt: start.ts, attempts: [], notes: [], snapshots: [],
  };
  const open = new Map<string, StepAttempt>();
  for (const e of events) {
    if (e.ts) facts.lastEventAt = e.ts;
    switch (e.type) {
      case 'step-started': {
        const a: StepAttempt = { stepId: e.stepId, title: e.title, risk: e.risk, startedAt: e.ts, status: 'running', actions: e.actions ?? [] };
        facts.attempts.push(a);
        open.set(e.stepId, a);
        break;
      }
      case 'decision': {
        const a = open.get(e.stepId);
        if (!a) break;
        a.decision = { confirmed: e.confirmed, by: e.by, ts: e.ts };
        if (!e.confirmed) {
          a.status = 'declined';
          a.finishedAt = e.ts;
        }
        break;
      }
      case 'step-finished': {
        const a = open.get(e.stepId) ?? { stepId: e.stepId, title: e.stepId, startedAt: e.ts, status: 'running' as const, actions: [] };
        if (!open.has(e.stepId)) facts.attempts.push(a);
        Object.assign(a, {
          status: e.status, finishedAt: e.ts, durationMs: e.durationMs, message: e.message, outputs: e.outputs,
          findings: e.findings, rollbackHint: e.rollbackHint,
        });
        open.delete(e.stepId);
        break;
      }
      case 'finding-acknowledged': {
        // the operator's explicit acknowledgement of a warning (VS Code prompt, or --yes): shown beside the finding
        const a = [...facts.attempts].reverse().find((x) => x.stepId === e.stepId && x.findings?.some((f) => f.id === e.findingId));
        const f = a?.findings?.find((x) => x.id === e.findingId) as (Finding & { acknowledged?: { by?: string; at?: string } }) | undefined;
        if (f) f.acknowledged = { by: e.by, at: e.at };
        break;
      }
      case 'note':
        facts.notes.push(e);
        break;
      case 'snapshot':
        facts.snapshots.push(e);
        break;
      case 'run-finished':
        facts.finished = e;
        facts.paused = undefined;
        break;
      case 'run-paused':
        facts.paused = e;
        facts.finished = undefined;
        break;
      case 'run-resumed':
        facts.paused = undefined;
        facts.finished = undefined;
        if (e.clusters?.length) facts.clusters = mergeClusters(facts.clusters, e.clusters);
        break;
      default:
        break;
    }
  }
  return facts;
}

/** Later cluster infos (a resume) win, but keep a version the earlier one knew. */
function mergeClusters(before: ClusterInfo[], after: ClusterInfo[]): ClusterInfo[] {
  return after.map((c) => ({ ...before.find((b) => b.role === c.role), ...c, version: c.version ?? before.find((b) => b.role === c.role)?.version }));
}

/** The last successful attempt of a step (its outputs are the ones that count). */
export function lastSuccess(f: RunFacts, stepId: string | ((id: string) => boolean)): StepAttempt | undefined {
  const match = typeof stepId === 'string' ? (id: string) => id === stepId : stepId;
  for (let i = f.attempts.length - 1; i >= 0; i--) {
    const a = f.attempts[i];
    if (match(a.stepId) && a.status === 'succeeded') return a;
  }
  return undefined;
}

/** An attempt that really executed its actions (not skipped as already done, not declined, not a dry run). */
export function executed(a: StepAttempt, dryRun: boolean): boolean {
  if (dryRun) return false;
  return a.status === 'succeeded' || a.status === 'failed' || a.status === 'aborted' || (a.status === 'running' && a.decision?.confirmed !== false);
}

export function runStatus(f: RunFacts): 'succeeded' | 'failed' | 'aborted' | 'paused' | 'running' {
  if (f.finished) return f.finished.status;
  if (f.paused) return 'paused';
  return 'running';
}

/** A numeric output by any of these keys, from the last successful attempt of a step matching `step`. */
export function outputNumber(f: RunFacts, step: (id: string) => boolean, keys: string[]): number | undefined {
  for (let i = f.attempts.length - 1; i >= 0; i--) {
    const a = f.attempts[i];
    if (!step(a.stepId) || a.status !== 'succeeded' || !a.outputs) continue;
    for (const k of keys) {
      const v = a.outputs[k];
      if (typeof v === 'number' && Number.isFinite(v)) return v;
    }
  }
  return undefined;
}

export function outputString(f: RunFacts, step: (id: string) => boolean, keys: string[]): string | undefined {
  for (let i = f.attempts.length - 1; i >= 0; i--) {
    const a = f.attempts[i];
    if (!step(a.stepId) || !a.outputs) continue;
    for (const k of keys) {
      const v = a.outputs[k];
      if (typeof v === 'string' && v) return v;
    }
  }
  return undefined;
}
