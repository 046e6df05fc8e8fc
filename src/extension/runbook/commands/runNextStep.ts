import * as vscode from 'vscode';
import type { ClusterRole, RunResult } from '../../../core/runbook/types';
import { stateLabel, type RunView } from '../runStore';
import type { RunbookCommandContext } from './context';
import { resolveRun } from './pick';

const t = vscode.l10n.t;

/**
 * PG Upgrade: Run Next Step.  Args: `{ runId }` (a run row, a notification button) or nothing (pick among the
 * paused, failed, interrupted and cancelled runs — runs cut by a window reload are found again in their journals).
 * Runs the first unfinished step (a step that was started but not finished re-runs; its isDone() decides).
 */
export async function runNextStep(ctx: RunbookCommandContext, arg?: unknown): Promise<RunResult | undefined> {
  // a run waiting for an answer: bring the question back instead of "no run to continue"
  const asked = arg && typeof arg === 'object' && 'runId' in arg && typeof arg.runId === 'string' ? arg.runId : undefined;
  if (ctx.controller.pending.reshow(asked)) return undefined;
  const run = await resolveRun(ctx, arg, () => ctx.store.resumable(), t('Run the next step of which run?'), t('PG Upgrade: no run to continue (paused, failed, interrupted or cancelled).'));
  if (!run || !canContinue(run)) return undefined;
  if (!run.nextStepId) {
    void vscode.window.showInformationMessage(t('PG Upgrade: every step of run {0} is done.', run.runId));
    return undefined;
  }
  return ctx.controller.run({ runbook: run.runbook, clusterIds: clusterIdsOf(run), params: run.params, runId: run.runId, until: run.nextStepId });
}

/** Shown and false when the run cannot be continued from this window. */
export function canContinue(run: RunView): boolean {
  const problem = run.active ? t('Run {0} is executing in this window.', run.runId)
    : run.dryRun ? t('Run {0} is a dry run: start a real run instead.', run.runId)
      : run.state === 'succeeded' || run.state === 'abandoned' ? t('Run {0} is {1}.', run.runId, stateLabel(run.state))
        : undefined;
  if (problem) void vscode.window.showWarningMessage(`PG Upgrade: ${problem}`);
  return !problem;
}

/** Registry ids of the run's clusters, from its journal. */
export function clusterIdsOf(run: RunView): Partial<Record<ClusterRole, string>> {
  const ids: Partial<Record<ClusterRole, string>> = {};
  for (const c of run.clusters) {
    if (!c.id) throw new Error(t('Run {0} was not started from VS Code (its journal names no registered clusters): resume it with the CLI.', run.runId));
    ids[c.role] = c.id;
  }
  return ids;
}
