import { lsnDiff } from '../../../catalog/lsn';
import { stopServerCommand } from '../../../hosts/commands';
import { APPLICATION_NAME } from '../../../runbook/connections';
import type { PlannedAction, StepDefinition } from '../../../runbook/types';
import { DRAIN_MARKER_SQL, FREEZE, UNFREEZE } from '../../logical/statements';
import { TERMINATE_ALL_CLIENTS_SQL } from '../../minor/queries';
import { pairHost, STEP, type Ctx } from '../context';
import type { RollingSwitchoverParams } from '../params';
import { checkRoles, DRAIN_POLL_MS, guardedPhysicalSwitchover } from '../switchover';

async function planActions(ctx: Ctx): Promise<PlannedAction[]> {
  const p = ctx.params;
  const terminate = TERMINATE_ALL_CLIENTS_SQL.replace('$1', `'${APPLICATION_NAME}'`);
  const abort = p.fence === 'read-only' ? `${UNFREEZE.join('; ')} on the primary` : 'start the primary again';
  const fence: PlannedAction[] = p.fence === 'read-only'
    ? [{ kind: 'sql', cluster: 'primary', statements: ['-- the write-unavailable window starts', ...FREEZE, terminate, 'SELECT count(*) FROM pg_prepared_xacts  -- must be 0', DRAIN_MARKER_SQL + '  -- with synchronous_commit = on', 'SELECT pg_current_wal_lsn()  -- the frozen position'] }]
    : [stopServerCommand(await pairHost(ctx, 'primary'), 'fast'), { kind: 'sql', cluster: 'standby', statements: ['SELECT pg_last_wal_receive_lsn()  -- the frozen position (the shutdown checkpoint)'] }];
  return [
    ...(p.probe ? [{ kind: 'wait' as const, cluster: 'primary' as const, description: `start the write probe (table ${p.probeTable}, created if missing) through the clients' multi-host connection` }] : []),
    ...fence,
    { kind: 'wait', cluster: 'standby', description: `every ${DRAIN_POLL_MS} ms until pg_last_wal_replay_lsn() ≥ the frozen position; if not within ${p.switchoverTimeoutMs} ms of the fence: ABORT (${abort}; the standby is not promoted)` },
    { kind: 'sql', cluster: 'standby', statements: ['SELECT pg_promote(false)', 'SELECT pg_is_in_recovery()  -- every 2 ms until false (up to 60 s)', '-- the window ends: the new primary takes writes', 'CHECKPOINT  -- so that pg_rewind sees the new timeline'] },
  ];
}

export const switchoverStep: StepDefinition<RollingSwitchoverParams> = {
  id: STEP.switchover,
  title: 'Switchover: fence the primary, drain, promote the standby, CHECKPOINT',
  why:
    'No write acknowledged by the primary may be lost, and there must never be two primaries. So the primary is fenced ' +
    'first (every writer: read-only for all new transactions and client sessions terminated, or a fast stop), the frozen ' +
    'WAL position is taken after that, and the standby is promoted only once it has replayed it. If that does not happen ' +
    'in time, the primary goes back to work and the standby stays a standby. The CHECKPOINT on the new primary lets ' +
    'pg_rewind see the divergence later.',
  kind: 'sql',
  clusters: ['primary', 'standby'],
  risk: 'disruptive',
  plan: planActions,
  async isDone(ctx) {
    const r = await (await ctx.db('standby')).query<{ rec: boolean }>('SELECT pg_is_in_recovery() AS rec');
    return r.rows[0].rec === false;
  },
  async precondition(ctx) {
    try {
      await checkRoles(ctx);
    } catch (err) {
      return { ok: false, message: (err as Error).message };
    }
    const s = (await (await ctx.db('standby')).query<{ paused: boolean; replay: string | null; status: string | null }>(
      'SELECT pg_is_wal_replay_paused() AS paused, pg_last_wal_replay_lsn()::text AS replay, (SELECT status FROM pg_stat_wal_receiver) AS status',
    )).rows[0];
    if (s.paused) return { ok: false, message: 'WAL replay is paused on the standby: it could not catch up. Run SELECT pg_wal_replay_resume(); on it first' };
    if (s.status !== 'streaming') return { ok: false, message: `the standby is not streaming (WAL receiver: ${s.status ?? 'not running'})` };
    const p = (await (await ctx.db('primary')).query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0];
    const lag = s.replay ? Math.max(0, lsnDiff(p.lsn, s.replay)) : Infinity;
    if (lag > ctx.params.lagThresholdBytes) return { ok: false, message: `the standby is ${lag} bytes behind (threshold ${ctx.params.lagThresholdBytes}); wait until it catches up` };
    return { ok: true, message: `the standby is ${lag} bytes behind` };
  },
  execute: guardedPhysicalSwitchover,
  rollbackHint:
    'An aborted switchover has already handed the primary back. After a completed one there is no way back to the old ' +
    'timeline: the old primary is rebuilt as a standby of the new one (next steps); switching back is another switchover.',
};
