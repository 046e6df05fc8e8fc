import * as vscode from 'vscode';
import type { RunResult, StepRecord } from '../../../core/runbook/types';
import { isString, option } from '../../commands/target';
import type { RunbookCommandContext } from './context';
import { resolveRun } from './pick';
import { canContinue, clusterIdsOf } from './runNextStep';

const t = vscode.l10n.t;

/**
 * PG Upgrade: Run Step…  Args: `{ runId, stepId? }` or nothing (pick a run, then a step from the list with each
 * step's status). Runs just that step (asking as usual); the run stays paused until every step is done.
 */
export async function runStep(ctx: RunbookCommandContext, arg?: unknown): Promise<RunResult | undefined> {
  const run = await resolveRun(ctx, arg, () => ctx.store.resumable(), t('Run a step of which run?'), t('PG Upgrade: no run to continue (paused, failed, interrupted or cancelled).'));
  if (!run || !canContinue(run)) return undefined;
  let stepId = option(arg, 'stepId', isString);
  if (!stepId) {
    const items = run.steps.map((s, i) => ({
      label: `$(${statusIcon(s)}) ${i + 1}. ${s.title}`,
      description: `${s.status}${s.risk ? ` · ${s.risk}` : ''}${s.id === run.nextStepId ? ` · ${t('next')}` : ''}`,
      detail: s.message,
      stepId: s.id,
    }));
    const picked = await vscode.window.showQuickPick(items, { placeHolder: t('Which step of {0} to run?', run.title), matchOnDescription: true });
    stepId = picked?.stepId;
  }
  if (!stepId) return undefined;
  return ctx.controller.run({ runbook: run.runbook, clusterIds: clusterIdsOf(run), params: run.params, runId: run.runId, only: stepId });
}

function statusIcon(s: StepRecord): string {
  switch (s.status) {
    case 'succeeded': return 'pass';
    case 'skipped': return 'debug-step-over';
    case 'failed': return 'error';
    case 'aborted': return 'circle-slash';
    case 'running': return 'debug-disconnect';
    default: return 'circle-large-outline';
  }
}
