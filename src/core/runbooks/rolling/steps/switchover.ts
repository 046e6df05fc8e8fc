import { lsnDiff } from '../../../catalog/lsn';
import { stopServerCommand } from '../../../hosts/commands';
import { clientRoutingFor } from '../../../routing';
import { APPLICATION_NAME } from '../../../runbook/connections';
import type { PlannedAction, StepDefinition } from '../../../runbook/types';
import { DRAIN_MARKER_SQL, FREEZE, UNFREEZE } from '../../logical/statements';
import { TERMINATE_ALL_CLIENTS_SQL } from '../../minor/queries';
import { pairHost, STEP, type Ctx } from '../context';
import { holdbackFindings } from '../holdback';
import type { RollingSwitchoverParams } from '../params';
import { checkRoles, DRAIN_POLL_MS, guardedPhysicalSwitchover } from '../switchover';

async function planActions(ctx: Ctx): Promise<PlannedAction[]> {
  const p = ctx.params;
  const terminate = TERMINATE_ALL_CLIENTS_SQL.replace('$1', `'${APPLICATION_NAME}'`);
  const abort = p.fence === 'read-only' ? `${UNFREEZE.join('; ')} on the primary (started again first if it was stopped)` : 'start the primary again';
  const bound = `if not within ${p.switchoverTimeoutMs} ms of the fence: ABORT (${abort}; the standby is not promoted)`;
  const soft: PlannedAction[] = p.fence === 'read-only'
    ? [
      { kind: 'sql', cluster: 'primary', statements: ['-- the write-unavailable window starts', ...FREEZE, terminate, 'SELECT count(*) FROM pg_prepared_xacts  -- must be 0', DRAIN_MARKER_SQL + '  -- with synchronous_commit = on', 'SELECT pg_current_wal_lsn()  -- the marker position'] },
      { kind: 'wait', cluster: 'standby', description: `every ${DRAIN_POLL_MS} ms until pg_last_wal_replay_lsn() ≥ the marker position; ${bound}` },
    ]
    : [];
  return [
    ...(p.probe ? [{ kind: 'wait' as const, cluster: 'primary' as const, description: `start the write probe (table ${p.probeTable}, created if missing) through the clients' multi-host connection` }] : []),
    ...clientRoutingFor(ctx).plan(),
    ...soft,
    { kind: 'sql', cluster: 'primary', statements: [...(p.fence === 'stop' ? ['-- the write-unavailable window starts'] : []), 'SELECT pg_current_wal_insert_lsn()  -- the last position before the stop'] },
    stopServerCommand(await pairHost(ctx, 'primary'), 'fast'),
    { kind: 'sql', cluster: 'standby', statements: ['SELECT pg_last_wal_receive_lsn()  -- the frozen position (the shutdown checkpoint; the hard fence: nothing can be written on the old primary any more)'] },
    { kind: 'wait', cluster: 'standby', description: `every ${DRAIN_POLL_MS} ms until pg_last_wal_replay_lsn() ≥ the frozen position; ${bound}` },
    { kind: 'sql', cluster: 'standby', statements: ['SELECT pg_promote(false)', 'SELECT pg_is_in_recovery()  -- every 2 ms until false (up to 60 s)', '-- the window ends: the new primary takes writes', 'CHECKPOINT  -- so that pg_rewind sees the new timeline'] },
  ];
}

export const switchoverStep: StepDefinition<RollingSwitchoverParams> = {
  id: STEP.switchover,
  title: 'Switchover: fence the primary, drain, promote the standby, CHECKPOINT',
  why:
    'No write acknowledged by the primary may be lost, and there must never be two primaries. So the primary is fenced ' +
    'first — read-only for all new transactions, client sessions terminated, the standby drained — and then STOPPED, ' +
    'before the standby is promoted: a client that turned read-only off cannot write anything after that. The frozen ' +
    'WAL position is the shutdown checkpoint the standby received, and the standby is promoted only once it has ' +
    'replayed it. If that does not happen in time, the primary goes back to work and the standby stays a standby. The CHECKPOINT on the new primary lets ' +
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
    const s = (await (await ctx.db('standby')).query<{ paused: boolean; replay: string | null; status: string | null; delay: string; sdelay: string }>(
      "SELECT pg_is_wal_replay_paused() AS paused, pg_last_wal_replay_lsn()::text AS replay, (SELECT status FROM pg_stat_wal_receiver) AS status, " +
      "(SELECT setting FROM pg_settings WHERE name = 'recovery_min_apply_delay') AS delay, (SELECT setting FROM pg_settings WHERE name = 'max_standby_streaming_delay') AS sdelay",
    )).rows[0];
    // what holds the standby back, read again right before the fence (the preflight may be long ago)
    const held = holdbackFindings(
      { synchronousStandbyNames: '', synchronousCommit: 'on', standbys: [] },
      { receiverStatus: s.status, replayPaused: s.paused, applyDelayMs: Number(s.delay), maxStreamingDelayMs: Number(s.sdelay), activeQueries: 0 },
      ctx.params,
    ).find((f) => f.severity === 'error');
    if (held) return { ok: false, message: `${held.message} ${held.fix ?? ''}`.trim() };
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
