import { quoteLiteral } from '../../../sql';
import { clientRoutingFor } from '../../../routing';
import type { PlannedAction, StepContext, StepDefinition, StepOutcome } from '../../../runbook/types';
import { faultPoint } from '../fault-points';
import { planFence } from '../fence';
import { slotNameOf, type LogicalUpgradeParams } from '../params';
import { currentDatabase, findSubscription, sequenceOids, fromKey } from '../queries';
import { messageOf } from '../session';
import { checkGate, DRAIN_POLL_MS, GateError, guardedSwitchover, openStatements } from '../switchover';
import { describeDecision } from '../switchover/resume';
import { decideRun, describeRun, resumeRun } from '../switchover/resume-databases';
import { DatabaseListError, forEachDatabase, isClusterScope } from '../cluster';
import { quoteIdent } from '../../../sql';
import {
  alterSubscriptionSql, DRAIN_MARKER_SQL, freezeSql, openDatabaseSql, readSequencesSql, roleLoginSql, setSubscriptionOptionSql, setvalSql,
  TERMINATE_CLIENTS_SQL,
} from '../statements';

type Ctx = StepContext<LogicalUpgradeParams>;

const PLAN_SEQUENCES_SHOWN = 50;

async function planActions(ctx: Ctx): Promise<PlannedAction[]> {
  if (!isClusterScope(ctx.params)) return planDatabase(ctx);
  // One window for every database: each database's statements, in the order the window runs them per phase.
  if (!ctx.dryRun) {
    const d = await decideRun(ctx).catch(() => undefined);
    if (d && d.state !== 'replicating') return [{ kind: 'manual', cluster: 'source', instructions: describeRun(d) }];
  }
  const all = await forEachDatabase(ctx, async (u) => (await planDatabase(u.ctx, true)).map((a) => (a.kind === 'sql' ? { ...a, statements: [`-- database ${quoteIdent(u.database)}`, ...a.statements] } : a)));
  return [
    { kind: 'wait', cluster: 'source', description: `ONE window for ${all.length} database(s) (${all.map((x) => quoteIdent(x.database)).join(', ')}): every database frozen on the source first, then ONE frozen WAL position that every database's slot must confirm, every database's sequences copied, ONE commit point journaled, then every database opened on the target` },
    ...all.flatMap((x) => x.value),
  ];
}

async function planDatabase(ctx: Ctx, inCluster = false): Promise<PlannedAction[]> {
  const p = ctx.params;
  const src = await ctx.db('source');
  const tgt = await ctx.db('target');
  const [srcDb, tgtDb] = [await currentDatabase(src), await currentDatabase(tgt)];
  // On a real run (not a dry run) an earlier attempt may have stopped: say what resume will do.
  if (!ctx.dryRun && !inCluster) {
    const d = await decideRun(ctx).catch(() => undefined);
    if (d && d.state !== 'replicating') {
      const forward = [`-- ${describeDecision(d)}`];
      if (d.state === 'frozen') return [{ kind: 'sql', cluster: 'source', statements: [...forward, ...openStatements(d.source), ...p.freezeRoles.map((r) => roleLoginSql(r, true))] }];
      if (d.state === 'committed' || d.state === 'open') {
        return [
          { kind: 'sql', cluster: 'target', statements: [...forward, ...openStatements(d.target), alterSubscriptionSql(p.subscription, 'DISABLE')] },
          { kind: 'sql', cluster: 'source', statements: ['-- the old source stays read-only', ...planFence(srcDb)] },
        ];
      }
      return [{ kind: 'manual', cluster: 'source', instructions: describeDecision(d) }];
    }
  }
  const seqKeys = [...(await sequenceOids(src)).keys()];
  const seqs = seqKeys.map(fromKey);
  const current = seqs.length ? (await src.query<{ i: number; v: string; c: boolean }>(readSequencesSql(seqs.slice(0, PLAN_SEQUENCES_SHOWN)))).rows : [];
  const setvals = current.map((r) => setvalSql(seqs[Number(r.i)], String(r.v), r.c === true));
  if (seqs.length > PLAN_SEQUENCES_SHOWN) setvals.push(`-- … and ${seqs.length - PLAN_SEQUENCES_SHOWN} more sequence(s)`);
  const terminate = `${TERMINATE_CLIENTS_SQL.replace('$1::int[]', "'{<our control sessions>}'::int[]")}`;
  const openTarget = p.freezeMethod === 'database' ? [openDatabaseSql(tgtDb)] : openStatements({ database: tgtDb, byDatabase: false, bySystemFile: true, readOnly: true });
  return [
    ...(inCluster ? [] : clientRoutingFor(ctx).plan()),
    {
      kind: 'sql', cluster: 'target',
      statements: [
        '-- preparation, the source still takes writes', ...freezeSql(p.freezeMethod, tgtDb), terminate,
        ...(p.reverseReplication ? [`SELECT pg_create_logical_replication_slot(${quoteLiteral(p.reverseSubscription)}, 'pgoutput')  -- the way back, before the freeze`] : []),
      ],
    },
    {
      kind: 'sql', cluster: 'source',
      statements: [
        '-- the write-unavailable window starts', ...freezeSql(p.freezeMethod, srcDb),
        `${setSubscriptionOptionSql(p.subscription, 'synchronous_commit', 'on')}  -- on the target, in parallel with the freeze`, ...planFence(srcDb), ...p.freezeRoles.map((r) => roleLoginSql(r, false)), terminate,
        'SELECT count(*) FROM pg_prepared_xacts WHERE database = current_database()  -- must be 0',
        `${DRAIN_MARKER_SQL}  -- with the count of tables the fence misses; its WAL position is the frozen position (every writer is gone)`,
        '-- read every sequence: SELECT last_value, is_called FROM <sequence> …',
      ],
    },
    { kind: 'wait', cluster: 'source', description: `every ${DRAIN_POLL_MS} ms until pg_replication_slots.confirmed_flush_lsn of "${slotNameOf(p)}" ≥ the frozen position; if not within ${p.switchoverTimeoutMs} ms of the freeze: ABORT (the target proved read-only by a new session, then the source reopened${p.freezeRoles.length ? ', LOGIN back' : ''})` },
    {
      kind: 'sql', cluster: 'target',
      statements: [
        '-- with the values read after the freeze (current values shown):', ...setvals,
        ...(p.verifyInWindow ? ['-- compare row counts of every replicated table on both frozen servers; abort on any difference'] : []),
        ...(p.reverseReplication ? [`SELECT pg_replication_slot_advance(${quoteLiteral(p.reverseSubscription)}, pg_current_wal_lsn())`] : []),
        '-- THE COMMIT POINT: journaled (fsync) before the next statement is sent; from here only forward',
        ...openTarget, '-- the window ends', alterSubscriptionSql(p.subscription, 'DISABLE'),
      ],
    },
  ];
}

export const switchoverStep: StepDefinition<LogicalUpgradeParams> = {
  id: 'switchover',
  title: 'Guarded switchover: freeze, drain, copy sequences, open the target',
  why:
    'Nothing may write to the target before it has caught up, and no write acknowledged by the source may be lost. So: ' +
    'the target is read-only; the source database is frozen (read-only for new sessions, fenced, client sessions ' +
    'terminated, prepared transactions checked); the frozen WAL position is taken after that and the subscription\'s slot ' +
    'must confirm it (not "small lag"); sequences, which logical replication does not carry, are copied with setval; the ' +
    'commit point is journaled durably; only then the target opens (one statement). Clients using host=old,new ' +
    'target_session_attrs=read-write move by themselves. Before the commit point any failure hands the source back; after ' +
    'it the run only goes forward, and a resumed run finishes either way by itself.',
  kind: 'sql',
  clusters: ['source', 'target'],
  risk: 'disruptive',
  plan: planActions,
  async isDone(ctx) {
    const d = await decideRun(ctx);
    if (d.state !== 'open') return false;
    const subs = await forEachDatabase(ctx, async (u) => findSubscription(await u.ctx.db('target'), u.ctx.params.subscription));
    return subs.every((x) => !x.value || !x.value.enabled);
  },
  async precondition(ctx) {
    try {
      const d = await decideRun(ctx);
      if (d.state === 'both-writable' || d.state === 'mixed') return { ok: false, message: describeRun(d) };
      if (d.state !== 'replicating') return { ok: true, message: describeRun(d) };
      const gates = await forEachDatabase(ctx, (u) => checkGate(u.ctx));
      return { ok: true, message: gates.map((x) => `${isClusterScope(ctx.params) ? `${quoteIdent(x.database)}: ` : ''}${x.value.tables} table(s) ready, ${x.value.lagBytes} bytes behind, ${x.value.sequences.length} sequence(s) to copy`).join('; ') };
    } catch (err) {
      if (err instanceof GateError || err instanceof DatabaseListError) return { ok: false, message: err.message };
      throw err;
    }
  },
  async execute(ctx): Promise<StepOutcome> {
    let r;
    try {
      const d = await decideRun(ctx);
      r = d.state === 'replicating' ? await guardedSwitchover(ctx) : await resumeRun(ctx, d);
    } catch (err) {
      // only the gate, the live reads or opening sessions can throw here: nothing was frozen on the source
      return { status: 'failed', message: `the switchover did not start (nothing was frozen on the source): ${messageOf(err)}` };
    }
    if (r.status === 'succeeded') faultPoint('after-switchover');
    return { status: r.status, message: r.message, outputs: r.outputs, findings: r.findings };
  },
  rollbackHint:
    'Before its commit point an aborted switchover has already handed the source back; a resumed run finishes an ' +
    'interrupted one by itself (docs/switchover.md). After a completed one, the way back is the reverse replication: ' +
    'logical-upgrade --rollback (when available) or, by hand, open the old server (ALTER DATABASE … RESET ' +
    'default_transaction_read_only) once the new one is read-only, and copy the sequences back.',
};
