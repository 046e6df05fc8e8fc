/**
 * Reading a run for the dashboard: its journal (where the runbook feature writes it: <globalStorage>/runs, see
 * src/extension/runbook/runStore.ts), re-read only when the file changed, turned into the protocol's RunView.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type * as vscode from 'vscode';
import { runPhase } from '../../core/monitor/phase';
import type { TablesView } from '../../core/monitor/types';
import type { FindingView, RunNoteView, RunResultView, RunStepView, RunView } from '../../core/protocol/dashboard';
import { probeFromJournal } from '../../core/record/probe';
import type { JournalEvent, RunSummary } from '../../core/runbook/types';
import { allRunbooks } from '../runbook/runbooks';

/** The runbook feature's journal directory (RunStore.journalDir): the same globalStorage folder. */
export function journalDirOf(context: vscode.ExtensionContext): string {
  return join(context.globalStorageUri.fsPath, 'runs');
}

export interface LoadedRun {
  events: JournalEvent[];
  summary: RunSummary;
  title: string;
  /** The runbook (titles, order, rollback hints), when it can be loaded. */
  runbook?: Awaited<ReturnType<typeof allRunbooks>>[number];
}

/** Caches one run's journal and re-reads it when its size or mtime changes. */
export class RunReader {
  private stamp = '';
  private loaded: LoadedRun | undefined;

  constructor(readonly journalDir: string, readonly runId: string) {}

  get file(): string {
    return join(this.journalDir, `${this.runId}.jsonl`);
  }

  /** The run, and whether it changed since the last call. */
  async read(): Promise<{ run: LoadedRun; changed: boolean }> {
    const st = await fs.stat(this.file).catch(() => undefined);
    if (!st) throw new Error(`No journal for run ${this.runId} in ${this.journalDir}.`);
    const stamp = `${st.size}:${st.mtimeMs}`;
    if (this.loaded && stamp === this.stamp) return { run: this.loaded, changed: false };
    const { readJournal, summarizeRun } = await import('../../core/runbook');
    const events = await readJournal(this.file);
    const runbooks = await allRunbooks();
    const head = events.find((e) => e.type === 'run-started');
    const runbook = runbooks.find((r) => head?.type === 'run-started' && r.id === head.runbook);
    const summary = summarizeRun(events, { runbook, journalFile: this.file });
    this.loaded = { events, summary, title: runbook?.title ?? summary.runbook, runbook };
    this.stamp = stamp;
    return { run: this.loaded, changed: true };
  }
}

/** Who confirmed each step (its last decision). */
function confirmations(events: JournalEvent[]): Map<string, string> {
  const by = new Map<string, string>();
  for (const e of events) if (e.type === 'decision') by.set(e.stepId, e.confirmed ? e.by ?? '' : `declined by ${e.by ?? '?'}`);
  return by;
}

/** What the panel knows besides the journal: the open question, the monitor's table states. */
export interface RunViewExtras {
  waitingFor?: string;
  tables?: Pick<TablesView, 'total' | 'counts'>;
}

/** Every error and warning of the run's steps, each warning with its acknowledgement (who, when). */
function findingsOf(s: RunSummary): FindingView[] {
  const acks = s.acknowledgements ?? [];
  return s.steps.flatMap((step) => (step.findings ?? []).filter((f) => f.severity !== 'info').map((f) => {
    const ack = acks.filter((a) => a.stepId === step.id && a.findingId === f.id).at(-1);
    return { stepId: step.id, id: f.id, severity: f.severity, cluster: f.cluster, message: f.message, fix: f.fix, acknowledgedBy: ack?.by, acknowledgedAt: ack?.at };
  }));
}

/** The switchover's window and the probe's lost commits, once the switchover happened. */
function resultOf(run: LoadedRun): RunResultView | undefined {
  const sw = run.summary.steps.find((x) => x.id === 'switchover' && x.status === 'succeeded');
  if (!sw) return undefined;
  const ms = sw.outputs?.writeUnavailableMs;
  const probe = probeFromJournal(run.events);
  return { writeUnavailableMs: typeof ms === 'number' ? ms : undefined, lostCommits: probe?.lostCommits, ackedCommits: probe?.acked };
}

export function runView(run: LoadedRun, busy: boolean, extras: RunViewExtras = {}): RunView {
  const s = run.summary;
  const by = confirmations(run.events);
  const paused = s.status !== 'running';
  const steps: RunStepView[] = s.steps.map((x) => ({
    id: x.id, title: x.title,
    // a step whose confirmation was declined (or a run stopped while it was asked) is not running: it waits
    status: x.status === 'running' && (paused || by.get(x.id)?.startsWith('declined')) ? 'pending' : x.status,
    risk: x.risk, startedAt: x.startedAt, finishedAt: x.finishedAt,
    durationMs: x.durationMs, message: x.message, confirmedBy: by.get(x.id),
  }));
  const notes: RunNoteView[] = s.notes.map((n) => ({ ts: n.ts, text: n.text, by: n.by, stepId: n.stepId }));
  return {
    runId: s.runId, runbook: s.runbook, title: run.title, status: s.status, operator: s.operator, startedAt: s.startedAt,
    updatedAt: s.updatedAt, dryRun: s.dryRun, message: s.message,
    clusters: s.clusters.map((c) => ({ role: c.role, name: c.name, hosts: c.hosts, version: c.version?.text })),
    steps, nextStepId: s.nextStepId, notes, busy,
    phase: runPhase(s.runbook, s.status, s.steps, extras.tables),
    waitingFor: extras.waitingFor,
    result: resultOf(run),
    findings: findingsOf(s),
  };
}
