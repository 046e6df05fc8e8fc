import { performance } from 'node:perf_hooks';
import type { StepDefinition, StepOutcome } from '../../../runbook/types';
import { STEP } from '../context';
import type { RollingSwitchoverParams } from '../params';

export const checkpointStep: StepDefinition<RollingSwitchoverParams> = {
  id: STEP.checkpoint,
  title: 'CHECKPOINT on the primary',
  why:
    'A checkpoint just before the fence means little dirty data is left to flush when the primary is frozen or stopped: ' +
    'the fast shutdown (or the read-only fence\'s drain) is short, and so is the write-unavailable window.',
  kind: 'sql',
  clusters: ['primary'],
  risk: 'read-only',
  async plan() {
    return [{ kind: 'sql', cluster: 'primary', statements: ['CHECKPOINT'] }];
  },
  async execute(ctx): Promise<StepOutcome> {
    const t0 = performance.now();
    const db = await ctx.db('primary');
    await db.query('CHECKPOINT');
    const lsn = (await db.query<{ l: string }>('SELECT checkpoint_lsn::text AS l FROM pg_control_checkpoint()')).rows[0].l;
    return { status: 'succeeded', outputs: { checkpointMs: Math.round(performance.now() - t0), checkpointLsn: lsn }, message: `checkpoint at ${lsn}` };
  },
  rollbackHint: 'Nothing to roll back: a checkpoint only writes dirty pages to disk.',
};
