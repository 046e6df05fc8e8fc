/**
 * Errors stop the run, and the operator sees every one of them at once: a modal listing each error (object,
 * consequence, fix) of the step that failed, with the full findings one click away in the run's document.
 */
import * as vscode from 'vscode';
import { renderFindingsMarkdown } from '../../core/runbook/acknowledge';
import type { RunResult } from '../../core/runbook/types';
import { LOGICAL_STEP_IDS } from '../../core/runbooks/logical';
import type { StatementsDocuments } from './statementsView';

const t = vscode.l10n.t;
const MAX_SHOWN = 6;

/** A logical upgrade's result (its steps are those of the runbook). */
const isLogicalUpgrade = (r: RunResult): boolean => LOGICAL_STEP_IDS.every((id) => r.steps.some((s) => s.id === id));

/** true when the failed run had errors to show (the modal is then on screen). */
export function showBlockingFindings(r: RunResult, docs: StatementsDocuments): boolean {
  const step = r.steps.find((s) => s.status === 'failed' && s.findings?.some((f) => f.severity === 'error'));
  if (!step?.findings) return false;
  const errors = step.findings.filter((f) => f.severity === 'error');
  const lines = errors.slice(0, MAX_SHOWN).flatMap((f, i) => [`${i + 1}. ${f.message}`, ...(f.fix ? [`   ${t('Fix: {0}', f.fix)}`] : [])]);
  if (errors.length > MAX_SHOWN) lines.push(t('… and {0} more: Show All Findings', errors.length - MAX_SHOWN));
  const all = t('Show All Findings');
  const next = t('Run Next Step');
  // issue 15: fixes the tool can apply (replica identity, a table created during replication …) offered as a step
  const fix = isLogicalUpgrade(r) ? t('Apply a Fix…') : undefined;
  void vscode.window.showErrorMessage(
    t('"{0}" found {1} problem(s) that must be fixed: the run stopped, nothing was changed.', step.title, errors.length),
    { modal: true, detail: [...lines, '', t('Fix them, then Run Next Step to check again.')].join('\n') },
    ...[all, next, fix].filter((x): x is string => x !== undefined),
  ).then((choice) => {
    if (choice !== undefined && choice === fix) void vscode.commands.executeCommand('pgUpgradePilot.applyFix', { runId: r.runId });
    if (choice === all) void docs.showMarkdown(r.runId, renderFindingsMarkdown(step.title, step.findings ?? []));
    if (choice === next) void vscode.commands.executeCommand('pgUpgradePilot.runNextStep', { runId: r.runId });
  });
  return true;
}
