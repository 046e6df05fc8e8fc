/**
 * Reading runs back from their journals: a run's state (summarizeRun), every run in a directory (listRuns),
 * and the two operator actions on a run that is not executing (appendNote, abortRun).
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { appendEvent, JOURNAL_EXT, journalPath, JournalError, nowIso, readJournal } from './journal';
import { scrubText } from './redact';
import type { JournalEvent, Risk, RunStatus, RunSummary, StepRecord } from './types';

/** The part of a RunbookDefinition that reading a journal needs (any RunbookDefinition<P> fits). */
export interface RunbookShape {
  id: string;
  steps: { id: string; title: string; risk: Risk; optional?: boolean }[];
}

export interface SummarizeOptions {
  /** Gives step order, titles, pending steps and nextStepId. */
  runbook?: RunbookShape;
  journalFile?: string;
}

/** A step whose effect is in place: later runs and resumes go past it. */
export function isSettled(rec: StepRecord | undefined, optional = false): boolean {
  if (!rec) return false;
  return rec.status === 'succeeded' || rec.status === 'skipped' || (optional && rec.status === 'failed');
}

export function summarizeRun(events: JournalEvent[], opts: SummarizeOptions = {}): RunSummary {
  const start = events.find((e): e is Extract<JournalEvent, { type: 'run-started' }> => e.type === 'run-started');
  if (!start) throw new JournalError(`${opts.journalFile ?? 'journal'}: no run-started event`);
  const summary: RunSummary = {
    runId: start.runId,
    runbook: start.runbook,
    journalFile: opts.journalFile,
    startedAt: start.ts,
    updatedAt: start.ts,
    status: 'running',
    dryRun: start.dryRun,
    operator: start.operator,
    clusters: start.clusters,
    params: start.params,
    steps: [],
    notes: [],
  };
  const steps = new Map<string, StepRecord>();
  for (const e of events) {
    summary.updatedAt = e.ts ?? summary.updatedAt;
    switch (e.type) {
      case 'step-started': {
        const prev = steps.get(e.stepId);
        steps.set(e.stepId, { ...prev, id: e.stepId, title: e.title, risk: e.risk, status: 'running', startedAt: e.ts, actions: e.actions, finishedAt: undefined, durationMs: undefined, message: undefined, rollbackHint: undefined });
        summary.status = 'running';
        summary.message = undefined;
        break;
      }
      case 'step-finished': {
        const prev = steps.get(e.stepId) ?? { id: e.stepId, title: e.stepId, status: 'pending' as const };
        steps.set(e.stepId, { ...prev, status: e.status, finishedAt: e.ts, durationMs: e.durationMs, message: e.message, outputs: e.outputs ?? prev.outputs, findings: e.findings, rollbackHint: e.rollbackHint });
        break;
      }
      case 'finding-acknowledged':
        (summary.acknowledgements ??= []).push({ stepId: e.stepId, findingId: e.findingId, by: e.by, at: e.at });
        break;
      case 'note':
        summary.notes.push({ ts: e.ts, text: e.text, stepId: e.stepId, by: e.by });
        break;
      case 'run-paused':
        summary.status = 'paused';
        summary.message = e.message;
        break;
      case 'run-resumed':
        summary.status = 'running';
        summary.message = undefined;
        summary.abandoned = undefined;
        if (e.clusters?.length) summary.clusters = e.clusters;
        break;
      case 'run-finished':
        summary.status = e.status;
        summary.message = e.message;
        summary.abandoned = e.abandoned === true ? true : undefined;
        break;
      default:
        break;
    }
  }
  const runbook = opts.runbook;
  if (runbook) {
    const ordered: StepRecord[] = runbook.steps.map((s) => steps.get(s.id) ?? { id: s.id, title: s.title, risk: s.risk, status: 'pending' });
    const known = new Set(runbook.steps.map((s) => s.id));
    for (const [id, rec] of steps) if (!known.has(id)) ordered.push(rec);
    summary.steps = ordered;
    summary.nextStepId = runbook.steps.find((s) => !isSettled(steps.get(s.id), s.optional))?.id;
  } else {
    summary.steps = [...steps.values()];
  }
  return summary;
}

/** Every run in a journal directory, newest first. Unreadable journals are skipped. */
export async function listRuns(journalDir: string, runbooks: RunbookShape[] = []): Promise<RunSummary[]> {
  let names: string[];
  try {
    names = await fs.readdir(journalDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: RunSummary[] = [];
  for (const name of names.filter((n) => n.endsWith(JOURNAL_EXT))) {
    const file = join(journalDir, name);
    try {
      const events = await readJournal(file);
      const head = events.find((e) => e.type === 'run-started') as Extract<JournalEvent, { type: 'run-started' }> | undefined;
      const runbook = runbooks.find((r) => r.id === head?.runbook);
      out.push(summarizeRun(events, { runbook, journalFile: file }));
    } catch {
      // a foreign or damaged file: not a run we can show
    }
  }
  return out.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
}

export function statusIsFinal(status: RunStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'aborted';
}

/** An operator note, written into the run's journal (scrubbed of password fragments). */
export async function appendNote(journalDir: string, runId: string, text: string, by?: string, stepId?: string): Promise<void> {
  const file = journalPath(journalDir, runId);
  await readJournal(file); // the run must exist
  const clean = scrubText(text.trim());
  if (!clean) throw new JournalError('a note needs some text');
  await appendEvent(file, { type: 'note', ts: nowIso(), text: clean, stepId, by });
}

/**
 * Gives up a run that is not executing (paused, failed, interrupted or cancelled): run-finished aborted + abandoned,
 * so the UIs no longer offer it for resuming (the CLI's --resume still can). A run executing in this process is
 * stopped through RunOptions.signal instead. Undoes nothing: the steps' rollback hints say what to undo.
 */
export async function abortRun(journalDir: string, runId: string, opts: { by?: string; message?: string } = {}): Promise<RunSummary> {
  const file = journalPath(journalDir, runId);
  const events = await readJournal(file);
  const summary = summarizeRun(events, { journalFile: file });
  if (summary.status === 'succeeded') throw new JournalError(`run ${runId} already succeeded`);
  if (summary.abandoned) throw new JournalError(`run ${runId} already aborted`);
  const message = scrubText(opts.message ?? `given up by the operator${opts.by ? ` (${opts.by})` : ''}`);
  const ev: JournalEvent = { type: 'run-finished', ts: nowIso(), status: 'aborted', message, abandoned: true };
  await appendEvent(file, ev);
  return summarizeRun([...events, ev], { journalFile: file });
}
