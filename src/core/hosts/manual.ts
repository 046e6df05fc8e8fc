/**
 * The manual executor: the operator runs the commands on the host (over ssh, in an integrated terminal …) and
 * confirms through the run's RunnerUi; the step then checks the outcome over SQL where it can (version changed,
 * in recovery or not, streaming). Declining stops the step with nothing assumed done.
 */
import { HostCommandError, type HostBatch, type HostExecutor, type HostResult, type HostRunContext } from './types';

/** Title prefix of the operator's "I ran them" confirmation (UIs may label its button "Done"). */
export const MANUAL_HOST_TITLE_PREFIX = 'On the host:';

export class ManualExecutor implements HostExecutor {
  readonly kind = 'manual' as const;

  async run(batch: HostBatch, ctx: HostRunContext): Promise<HostResult[]> {
    const stdinNotes = Object.keys(batch.inputs ?? {}).map((i) => Number(i));
    const answer = await ctx.ui.confirm({
      runId: batch.runId,
      stepId: batch.stepId,
      title: `${MANUAL_HOST_TITLE_PREFIX} ${batch.title} (${ctx.cluster.name}) — run the commands in order, then confirm`,
      why:
        `${batch.why}\nRun these ${batch.actions.length} command(s) on the ${batch.role} host (${ctx.cluster.hosts}) in the order shown, ` +
        'stopping at the first one that fails; confirm only when all succeeded. The step then checks the result over SQL.' +
        (stdinNotes.length ? ' Commands reading standard input expect what the notes say (type it, end with Ctrl-D).' : ''),
      risk: batch.risk,
      actions: [...batch.actions, ...(batch.notes ?? [])],
      clusters: [{ ...ctx.cluster }],
      level: batch.risk === 'read-only' ? 'confirm' : ctx.cluster.production ? 'typed' : 'confirm',
      typedConfirmation: batch.risk !== 'read-only' && ctx.cluster.production ? ctx.cluster.name : undefined,
    });
    if (!answer.confirmed) {
      throw new HostCommandError(
        `the operator did not confirm that "${batch.title}" was done on the ${batch.role} host; nothing is assumed done — run the commands, then resume the run`,
      );
    }
    ctx.ui.log('info', `[${batch.role} host] ${batch.title}: done by the operator${answer.by ? ` (${answer.by})` : ''}`);
    return batch.actions.map((a) => ({ argv: a.argv, exitCode: 0, stdout: '', stderr: '', durationMs: 0, manual: true }));
  }
}
