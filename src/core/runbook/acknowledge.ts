/**
 * Findings as a decision: a step that succeeded with warnings (a preflight's "table without replica identity") does
 * not let the run go on until the operator acknowledged each warning; the acknowledgement is journaled with who and
 * when ({type: 'finding-acknowledged', stepId, findingId, by, at}), so the record can show it. Errors need nothing
 * here: they fail their step, which stops the run.
 */
import { nowIso, type JournalWriter } from './journal';
import type { AcknowledgeRequest, ClusterInfo, Finding, JournalEvent, RunnerUi } from './types';

export interface PendingWarnings {
  stepId: string;
  stepTitle: string;
  findings: Finding[];
}

/** Warnings of settled steps not acknowledged since their step last finished, in journal order. */
export function unacknowledgedWarnings(events: JournalEvent[]): PendingWarnings[] {
  const titles = new Map<string, string>();
  const pending = new Map<string, Finding[]>();
  for (const e of events) {
    if (e.type === 'step-started') titles.set(e.stepId, e.title);
    if (e.type === 'step-finished') {
      const warnings = e.status === 'succeeded' ? (e.findings ?? []).filter((f) => f.severity === 'warning') : [];
      pending.delete(e.stepId);
      if (warnings.length) pending.set(e.stepId, warnings);
    }
    if (e.type === 'finding-acknowledged') {
      const left = (pending.get(e.stepId) ?? []).filter((f) => f.id !== e.findingId);
      if (left.length) pending.set(e.stepId, left);
      else pending.delete(e.stepId);
    }
  }
  return [...pending.entries()].map(([stepId, findings]) => ({ stepId, stepTitle: titles.get(stepId) ?? stepId, findings }));
}

/** Asks for every pending warning; journals each acknowledgement. false: one was not acknowledged (pause). */
export async function acknowledgePending(
  events: JournalEvent[], journal: JournalWriter, ui: RunnerUi, base: { runId: string; clusters: ClusterInfo[]; operator: string },
): Promise<{ acknowledged: boolean; stepTitle?: string }> {
  for (const p of unacknowledgedWarnings(events)) {
    const req: AcknowledgeRequest = { runId: base.runId, stepId: p.stepId, stepTitle: p.stepTitle, findings: p.findings, clusters: base.clusters };
    const answer = ui.acknowledge ? await ui.acknowledge(req) : await askThroughConfirm(ui, req);
    if (!answer.acknowledged) return { acknowledged: false, stepTitle: p.stepTitle };
    for (const f of p.findings) {
      const ts = nowIso();
      await journal.append({ type: 'finding-acknowledged', ts, at: ts, stepId: p.stepId, findingId: f.id, message: f.message, by: answer.by ?? base.operator });
    }
  }
  return { acknowledged: true };
}

/** A UI without acknowledge() (the CLI): one confirmation listing every warning with its fix. */
async function askThroughConfirm(ui: RunnerUi, req: AcknowledgeRequest): Promise<{ acknowledged: boolean; by?: string }> {
  const answer = await ui.confirm({
    runId: req.runId, stepId: req.stepId, title: `Acknowledge ${req.findings.length} warning(s) of "${req.stepTitle}"`,
    why: 'Each warning below is a known consequence of going on. The run continues only once they are acknowledged.',
    risk: 'reversible', level: 'confirm', clusters: req.clusters,
    actions: req.findings.map((f) => ({ kind: 'manual' as const, cluster: f.cluster ?? 'source', instructions: findingText(f) })),
  });
  return { acknowledged: answer.confirmed, by: answer.by };
}

/** "[warning] message — Fix: …" */
export function findingText(f: Finding): string {
  return `[${f.severity}] ${f.message}${f.fix ? ` — Fix: ${f.fix}` : ''}`;
}

/** The findings of a step as markdown: errors, then warnings, then information; object/consequence and fix each. */
export function renderFindingsMarkdown(stepTitle: string, findings: Finding[]): string {
  const order: Finding['severity'][] = ['error', 'warning', 'info'];
  const heading = { error: 'Errors — the run cannot go on until they are fixed', warning: 'Warnings — each must be acknowledged', info: 'Information' };
  const out = [`# Findings of "${stepTitle}"`, ''];
  for (const sev of order) {
    const list = findings.filter((f) => f.severity === sev);
    if (!list.length) continue;
    out.push(`## ${heading[sev]} (${list.length})`, '');
    for (const f of list) {
      out.push(`- **${f.id}**${f.cluster ? ` (on the ${f.cluster})` : ''}: ${f.message}`);
      if (f.fix) out.push(`  - Fix: ${f.fix}`);
    }
    out.push('');
  }
  return out.join('\n');
}
