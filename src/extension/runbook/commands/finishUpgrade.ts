import * as vscode from 'vscode';
import type { RunResult } from '../../../core/runbook/types';
import { LOGICAL_UPGRADE_RUNBOOK_ID } from '../../../core/runbooks/logical';
import type { RunView } from '../runStore';
import type { RunbookCommandContext } from './context';
import { resolveRun } from './pick';
import { clusterIdsOf } from './runNextStep';

const t = vscode.l10n.t;

/** A logical upgrade that switched over and still keeps the way back (its cleanup not run). */
export function waitsForFinish(run: RunView): boolean {
  if (run.runbook !== LOGICAL_UPGRADE_RUNBOOK_ID || run.dryRun || run.active) return false;
  const sw = run.steps.find((s) => s.id === 'switchover');
  const cleanup = run.steps.find((s) => s.id === 'cleanup');
  return sw?.status === 'succeeded' && cleanup?.status !== 'succeeded' && cleanup?.status !== 'skipped';
}

/**
 * PG Upgrade: Finish Upgrade (drop the way back). Args: `{ runId }` or nothing (pick among the logical upgrades that
 * switched over and kept their reverse replication). Runs only the explicit cleanup step: its confirmation shows how
 * long the way back has been open and every statement that drops it (typed confirmation: the step is destructive).
 */
export async function finishUpgrade(ctx: RunbookCommandContext, arg?: unknown): Promise<RunResult | undefined> {
  const candidates = async () => (await ctx.store.list()).filter(waitsForFinish);
  const run = await resolveRun(ctx, arg, candidates, t('Finish which upgrade (drops its way back)?'), t('PG Upgrade: no switched-over upgrade keeps a way back.'));
  if (!run) return undefined;
  if (!waitsForFinish(run)) {
    void vscode.window.showWarningMessage(t('PG Upgrade: run {0} has not switched over, or is already finished.', run.runId));
    return undefined;
  }
  return ctx.controller.run({ runbook: run.runbook, clusterIds: clusterIdsOf(run), params: run.params, runId: run.runId, only: 'cleanup' });
}
