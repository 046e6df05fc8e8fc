import * as vscode from 'vscode';
import { abortRun as abortJournaledRun } from '../../../core/runbook/summary';
import { isBoolean, option } from '../../commands/target';
import { RESUMABLE_STATES } from '../runStore';
import type { RunbookCommandContext } from './context';
import { resolveRun } from './pick';

const t = vscode.l10n.t;

/**
 * PG Upgrade: Abort Run.  Args: `{ runId, skipConfirmation? }` or nothing (pick). A run executing in this window is
 * asked to stop (the step in flight is signalled; no further step runs). A paused or interrupted run is marked aborted
 * (abandoned) in its journal so it is no longer offered. Nothing is undone: each step's rollback hint is in the journal.
 * Returns the run id, or undefined when cancelled.
 */
export async function abortRun(ctx: RunbookCommandContext, arg?: unknown): Promise<string | undefined> {
  const run = await resolveRun(ctx, arg,
    async () => (await ctx.store.list()).filter((r) => !r.dryRun && (r.active || RESUMABLE_STATES.includes(r.state))),
    t('Abort which run?'), t('PG Upgrade: no run to abort.'));
  if (!run) return undefined;
  if (!option(arg, 'skipConfirmation', isBoolean)) {
    const abort = t('Abort Run');
    const answer = await vscode.window.showWarningMessage(
      t('Abort run {0} ({1})?', run.runId, run.title),
      { modal: true, detail: run.active
        ? t('The step in progress is asked to stop and no further step runs. Nothing is undone: see the rollback hints in the journal.')
        : t('The run will no longer be offered for resuming. Nothing is undone on the servers: see the rollback hints in the journal.') },
      abort,
    );
    if (answer !== abort) return undefined;
  }
  if (ctx.store.abortActive(run.runId)) {
    ctx.log.info(`abort requested for run ${run.runId}`);
    return run.runId;
  }
  await abortJournaledRun(ctx.store.journalDir, run.runId, { by: ctx.controller.operator });
  ctx.log.info(`run ${run.runId} marked aborted`);
  ctx.store.refresh();
  return run.runId;
}
