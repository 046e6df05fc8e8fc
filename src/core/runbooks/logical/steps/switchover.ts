import { quoteLiteral } from '../../../sql';
import { clientRoutingFor } from '../../../routing';
import type { PlannedAction, StepContext, StepDefinition, StepOutcome } from '../../../runbook/types';
import { slotNameOf, type LogicalUpgradeParams } from '../params';
import { findSubscription, frozenBySystem, sequenceOids, fromKey } from '../queries';
import { messageOf } from '../session';
import { checkGate, DRAIN_POLL_MS, GateError, guardedSwitchover } from '../switchover';
import {
  alterSubscriptionSql, DRAIN_MARKER_SQL, FREEZE, readSequencesSql, roleLoginSql, setSubscriptionOptionSql, setvalSql,
  TERMINATE_CLIENTS_SQL, UNFREEZE,
} from '../statements';

type Ctx = StepContext<LogicalUpgradeParams>;

const PLAN_SEQUENCES_SHOWN = 50;

async function planActions(ctx: Ctx): Promise<PlannedAction[]> {
  const p = ctx.params;
  const src = await ctx.db('source');
  const seqKeys = [...(await sequenceOids(src)).keys()];
  const seqs = seqKeys.map(fromKey);
  const current = seqs.length ? (await src.query<{ i: number; v: string; c: boolean }>(readSequencesSql(seqs.slice(0, PLAN_SEQUENCES_SHOWN)))).rows : [];
  const setvals = current.map((r) => setvalSql(seqs[Number(r.i)], String(r.v), r.c === true));
  if (seqs.length > PLAN_SEQUENCES_SHOWN) setvals.push(`-- … and ${seqs.length - PLAN_SEQUENCES_SHOWN} more sequence(s)`);
  const terminate = `${TERMINATE_CLIENTS_SQL.replace('$1::int[]', "'{<our control sessions>}'::int[]")}`;
  return [
    { kind: 'sql', cluster: 'target', statements: ['-- preparation, the source still takes writes', ...FREEZE, setSubscriptionOptionSql(p.subscription, 'synchronous_commit', 'on'), terminate] },
    { kind: 'sql', cluster: 'source', statements: ['-- the write-unavailable window starts', ...FREEZE, ...p.freezeRoles.map((r) => roleLoginSql(r, false)), terminate, 'SELECT count(*) FROM pg_prepared_xacts WHERE database = current_database()  -- must be 0', DRAIN_MARKER_SQL, 'SELECT pg_current_wal_lsn()  -- the frozen position', '-- read every sequence: SELECT last_value, is_called FROM <sequence> …'] },
    { kind: 'wait', cluster: 'source', description: `every ${DRAIN_POLL_MS} ms until pg_replication_slots.confirmed_flush_lsn of "${slotNameOf(p)}" ≥ the frozen position; if not within ${p.switchoverTimeoutMs} ms of the freeze: ABORT (${UNFREEZE.join('; ')} on the source${p.freezeRoles.length ? ', LOGIN back' : ''}; the target stays read-only)` },
    {
      kind: 'sql', cluster: 'target',
      statements: [
        '-- with the values read after the freeze (current values shown):', ...setvals,
        ...(p.verifyInWindow ? ['-- compare row counts of every replicated table on both frozen servers; abort on any difference'] : []),
        ...(p.reverseReplication ? [`SELECT pg_create_logical_replication_slot(${quoteLiteral(p.reverseSubscription)}, 'pgoutput')`] : []),
        ...UNFREEZE, '-- the window ends', alterSubscriptionSql(p.subscription, 'DISABLE'),
      ],
    },
    ...clientRoutingFor(ctx).plan(),
  ];
}

export const switchoverStep: StepDefinition<LogicalUpgradeParams> = {
  id: 'switchover',
  title: 'Guarded switchover: freeze, drain, copy sequences, open the target',
  why:
    'Nothing may write to the target before it has caught up, and no write acknowledged by the source may be lost. So: ' +
    'the target is read-only; every writer of the source is frozen (read-only by default for every role, client sessions ' +
    'terminated, prepared transactions checked); the frozen WAL position is taken after that and the subscription\'s slot ' +
    'must confirm it (not "small lag"); sequences, which logical replication does not carry, are copied with setval; only then ' +
    'the target opens. Clients using host=old,new target_session_attrs=read-write move by themselves. If the drain does not ' +
    'finish in time the source is handed back and the target stays read-only.',
  kind: 'sql',
  clusters: ['source', 'target'],
  risk: 'disruptive',
  plan: planActions,
  async isDone(ctx) {
    const src = await ctx.db('source');
    const tgt = await ctx.db('target');
    if (!(await frozenBySystem(src)) || (await frozenBySystem(tgt))) return false;
    const sub = await findSubscription(tgt, ctx.params.subscription);
    return !sub || !sub.enabled;
  },
  async precondition(ctx) {
    try {
      const g = await checkGate(ctx);
      return { ok: true, message: `${g.tables} table(s) ready, ${g.lagBytes} bytes behind, ${g.sequences.length} sequence(s) to copy` };
    } catch (err) {
      if (err instanceof GateError) return { ok: false, message: err.message };
      throw err;
    }
  },
  async execute(ctx): Promise<StepOutcome> {
    try {
      const r = await guardedSwitchover(ctx);
      return { status: r.status, message: r.message, outputs: r.outputs, findings: r.findings };
    } catch (err) {
      // only the gate or opening sessions can throw here: nothing was frozen on the source
      return { status: 'failed', message: `the switchover did not start (nothing was frozen on the source): ${messageOf(err)}` };
    }
  },
  rollbackHint:
    'An aborted switchover has already handed the source back. After a completed one, going back means: make the old server ' +
    'writable (ALTER SYSTEM RESET default_transaction_read_only; SELECT pg_reload_conf()), copy the sequences back, and point ' +
    'clients at it — with reverse replication on, it has received every write made on the new server.',
};
