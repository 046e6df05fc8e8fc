import { performance } from 'node:perf_hooks';
import { compareLsn, lsnDiff } from '../../../catalog/lsn';
import { messageOf, sleep, versionNumOf, versionText } from '../../../hosts/wait';
import type { Finding, StepDefinition, StepOutcome } from '../../../runbook/types';
import { frozenBySystem } from '../../logical/queries';
import { rejoinApplicationName, STEP } from '../context';
import type { RollingSwitchoverParams } from '../params';

interface ReplicationRow {
  application_name: string;
  state: string | null;
  sync_state: string | null;
  sent_lsn: string | null;
  replay_lsn: string | null;
}

const REPLICATION_SQL = `SELECT application_name, state, sync_state, sent_lsn::text AS sent_lsn, replay_lsn::text AS replay_lsn
FROM pg_stat_replication WHERE application_name = $1`;

export const verifyReplicationStep: StepDefinition<RollingSwitchoverParams> = {
  id: STEP.verify,
  title: 'Verify replication in the new direction',
  why:
    'The pair is whole again only when the new primary lists the old one as a streaming standby and the old one has ' +
    'replayed what the new one wrote: then the next failure, or the next rolling upgrade, has a standby to go to.',
  kind: 'check',
  clusters: ['primary', 'standby'],
  risk: 'read-only',
  async plan(ctx) {
    const app = rejoinApplicationName(ctx.params, ctx.cluster('primary').name);
    return [
      { kind: 'sql', cluster: 'standby', statements: [REPLICATION_SQL.replace('$1', `'${app}'`) + '  -- state = streaming', 'SELECT pg_current_wal_insert_lsn()'] },
      { kind: 'sql', cluster: 'primary', statements: ['SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()  -- ≥ the new primary\'s position'] },
    ];
  },
  async execute(ctx): Promise<StepOutcome> {
    const app = rejoinApplicationName(ctx.params, ctx.cluster('primary').name);
    const newPrimary = await ctx.db('standby');
    const oldPrimary = await ctx.db('primary');
    const t0 = performance.now();
    const deadline = t0 + ctx.params.streamTimeoutMs;
    let row: ReplicationRow | undefined;
    for (;;) {
      row = (await newPrimary.query<ReplicationRow>(REPLICATION_SQL, [app])).rows[0];
      if (row?.state === 'streaming') break;
      if (performance.now() > deadline) return { status: 'failed', message: `the new primary does not list "${app}" as streaming (state: ${row?.state ?? 'not connected'})` };
      await sleep(100, ctx.signal);
    }
    const target = (await newPrimary.query<{ l: string }>('SELECT pg_current_wal_insert_lsn()::text AS l')).rows[0].l;
    let replayed: string | null = null;
    for (;;) {
      const r = (await oldPrimary.query<{ rec: boolean; r: string | null }>('SELECT pg_is_in_recovery() AS rec, pg_last_wal_replay_lsn()::text AS r')).rows[0];
      if (!r.rec) return { status: 'failed', message: 'the old primary is not in recovery: it is not a standby' };
      replayed = r.r;
      if (replayed && compareLsn(replayed, target) >= 0) break;
      if (performance.now() > deadline) return { status: 'failed', message: `the old primary replayed up to ${replayed ?? 'nothing'}, not ${target}, within ${ctx.params.streamTimeoutMs / 1000} s` };
      await sleep(50, ctx.signal);
    }
    const findings: Finding[] = [];
    try {
      const slots = await oldPrimary.query<{ slot_name: string; slot_type: string }>('SELECT slot_name, slot_type FROM pg_replication_slots WHERE NOT active');
      for (const s of slots.rows) {
        findings.push({ id: `stale-slot-${s.slot_name}`, severity: 'warning', cluster: 'primary', message: `Slot "${s.slot_name}" (${s.slot_type}) on the old primary is left from its time as primary.`, fix: `SELECT pg_drop_replication_slot('${s.slot_name}'); on the new primary if it exists there too, else it only pins WAL on this standby.` });
      }
      if (await frozenBySystem(oldPrimary)) findings.push({ id: 'still-read-only', severity: 'warning', cluster: 'primary', message: 'The old primary is still read-only by ALTER SYSTEM: once promoted it would refuse writes.', fix: 'ALTER SYSTEM RESET default_transaction_read_only; SELECT pg_reload_conf(); on it.' });
    } catch (err) {
      findings.push({ id: 'slots', severity: 'info', message: `Could not read the old primary's slots: ${messageOf(err)}` });
    }
    const latest = (await newPrimary.query<ReplicationRow>(REPLICATION_SQL, [app])).rows[0] ?? row;
    const outputs = {
      newPrimary: ctx.cluster('standby').hosts, newStandby: ctx.cluster('primary').hosts, applicationName: app,
      state: latest.state, syncState: latest.sync_state, sentLsn: latest.sent_lsn, replayLsn: replayed,
      replayLagBytes: replayed ? Math.max(0, lsnDiff(target, replayed)) : null,
      caughtUpMs: Math.round(performance.now() - t0),
      newPrimaryVersion: versionText(await versionNumOf(newPrimary)), newStandbyVersion: versionText(await versionNumOf(oldPrimary)),
      timeline: Number((await newPrimary.query<{ t: number }>('SELECT timeline_id AS t FROM pg_control_checkpoint()')).rows[0].t),
    };
    return { status: 'succeeded', outputs, findings, message: `${outputs.newStandby} streams from ${outputs.newPrimary} (${latest.sync_state}) and has replayed ${target}` };
  },
  rollbackHint: 'Nothing to roll back: the check only reads.',
};
