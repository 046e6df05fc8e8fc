/**
 * The guarded switchover, one attempt (docs/switchover.md): prepare (sessions, sequences, the target frozen, the
 * reverse slot), freeze the source's database, fence it, terminate its client sessions, drain the subscription to the
 * frozen WAL position, copy every sequence, advance the reverse slot, journal the COMMIT POINT durably, open the target.
 * Before the commit point every failure hands the source back (target proved read-only); after it only forward.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { compareLsn } from '../../../catalog';
import { clientRoutingFor } from '../../../routing';
import { quoteIdent } from '../../../sql';
import { waitReconnecting } from '../../../runbook/reconnect';
import type { Finding, StepContext } from '../../../runbook/types';
import { compareTables, mismatchFinding, type TableToCompare } from '../compare';
import { faultPoint } from '../fault-points';
import { ARM_SQL, coverFence, liftFence, prepareFence, UNFENCED_COUNT_SQL, type FenceState } from '../fence';
import { GateError } from '../gate-error';
import { slotNameOf, type LogicalUpgradeParams } from '../params';
import { checkReplicatedSet, sourceReplicatedTables } from '../replicated-set';
import { backendPid, currentDatabase, display, findPublication, findSubscription, fromKey, sequenceOids, slotLag } from '../queries';
import { messageOf, sleep, type Session } from '../session';
import {
  commentOnSql, createPublicationSql, freezeDatabaseSql, freezeSql, ownerComment, readSequencesSql, roleLoginSql,
  setSubscriptionOptionSql, SETVAL_ALL_SQL, TERMINATE_CLIENTS_SQL, UNFREEZE,
} from '../statements';
import { checkGate } from './gate';
import { openServer, openStatements, readLive, type ServerLive } from './live';
import { afterTargetOpen, handSourceBack, type SwitchoverOutcome } from './outcomes';
import { advanceReverseSlot, prepareReverseSlot } from './reverse-slot';
import { Breakdown, closeSessions, iso, openSessions, round, stamp, within } from './sessions';

type Ctx = StepContext<LogicalUpgradeParams>;

export const DRAIN_POLL_MS = 10;
/** How long the target may take to show read-only to a fresh session after its freeze (a reload is asynchronous). */
const TARGET_FREEZE_BOUND_MS = 5000;
/** The target's opening statement: its reply must come within this (else the roll-forward path opens and proves it). */
const OPEN_BOUND_MS = 5000;

export async function guardedSwitchover(ctx: Ctx): Promise<SwitchoverOutcome> {
  const p = ctx.params;
  const slot = slotNameOf(p);
  const gate = await checkGate(ctx); // throws GateError: nothing frozen on the source
  for (const w of gate.longOnSource) ctx.ui.log('warn', `a transaction is open on the source (${w}); the freeze will end it`);
  const compare = p.verifyInWindow;
  const routing = clientRoutingFor(ctx);
  const s = await openSessions(ctx, compare);
  let phase: 'preparing' | 'frozen' | 'committed' = 'preparing';
  let subSyncBefore: string | null = null;
  const loginRoles: string[] = [];
  let fence: FenceState | undefined;
  let fencePrepared = false;
  let sourceDatabase = '';
  let targetFrozen: ServerLive | undefined;
  const outputs: Record<string, unknown> = { gateLagBytes: gate.lagBytes, tables: gate.tables, freezeMethod: p.freezeMethod };
  const breakdown = new Breakdown();
  outputs.windowBreakdown = breakdown.phases;
  const t: { freeze?: ReturnType<typeof stamp>; open?: ReturnType<typeof stamp> } = {};
  try {
    // ---- preparation (the source still takes writes) ----
    sourceDatabase = await currentDatabase(s.srcCtl);
    // An earlier attempt killed between ALTER SYSTEM and its reload leaves a freeze pending on the source (the file says
    // on, new sessions still write): undo it now, or any later reload would freeze the whole cluster.
    const srcLive = await readLive(ctx, 'source');
    if (srcLive.bySystemFile && !srcLive.readOnly) {
      for (const st of UNFREEZE) await s.srcCtl.query(st);
      outputs.pendingSourceFreezeUndone = true;
    }
    const ourPids = await Promise.all([s.srcCtl, s.srcSpare, s.srcSeq, s.srcCmp].filter((x): x is Session => !!x).map(backendPid));
    const tgtPids = await Promise.all([s.tgtCtl, s.tgtCmp].filter((x): x is Session => !!x).map(backendPid));
    const srcOids = await sequenceOids(s.srcCtl);
    const tgtOids = await sequenceOids(s.tgtCtl);
    const seqs = [...srcOids.keys()].map((k) => ({ oid: tgtOids.get(k), name: fromKey(k) }));
    const absent = seqs.filter((x) => x.oid === undefined);
    if (absent.length) throw new GateError(`sequence(s) missing on the target: ${absent.slice(0, 5).map((x) => display(x.name)).join(', ')}`);
    const readSeqs = readSequencesSql(seqs.map((x) => x.name));
    const toCompare: TableToCompare[] = compare ? (await sourceReplicatedTables(s.srcCtl, p, false)).map((x) => ({ schema: x.schema, name: x.name, checksum: false })) : [];
    for (const role of p.freezeRoles) {
      const r = await s.srcCtl.query<{ l: boolean }>('SELECT rolcanlogin AS l FROM pg_roles WHERE rolname = $1', [role]);
      if (!r.rows[0]) throw new GateError(`freezeRoles: the role "${role}" does not exist on the source`);
      if (r.rows[0].l) loginRoles.push(role);
    }
    const sub = await findSubscription(s.tgtCtl, p.subscription);
    const syncMode = subscriptionSyncMode();
    outputs.subscriptionSyncAt = syncMode;
    if (sub && sub.synchronousCommit !== 'on' && syncMode !== 'never') {
      subSyncBefore = sub.synchronousCommit;
      if (syncMode === 'prepare') await s.tgtCtl.query(setSubscriptionOptionSql(p.subscription, 'synchronous_commit', 'on'));
    }
    if (p.reverseReplication && !(await findPublication(s.tgtCtl, p.reversePublication))) {
      await s.tgtCtl.query(createPublicationSql(p.reversePublication, { kind: 'all' }));
      await s.tgtCtl.query(commentOnSql('PUBLICATION', p.reversePublication, ownerComment(ctx.runId)));
    }
    // The target: read-only for every new session (proved by one) and nobody but us connected to it.
    targetFrozen = await freezeTarget(ctx, s.tgtCtl);
    const tgtTerminated = await s.tgtCtl.query(TERMINATE_CLIENTS_SQL, [tgtPids]);
    outputs.targetSessionsTerminated = tgtTerminated.rowCount ?? 0;
    // The way back, prepared before the freeze: creating a slot may wait for the target's open transactions.
    if (p.reverseReplication) {
      const r = await prepareReverseSlot(ctx, s.tgtCtl);
      outputs.reverseSlotCreatedBeforeFreeze = r.created;
    }
    // The fence, installed inert while the source still takes writes (each table in its own short transaction);
    // armed inside the window by one UPDATE in the freeze's transaction.
    fence = await prepareFence(s.srcCtl, sourceDatabase);
    fencePrepared = true;
    outputs.fencePreparedTables = (fence.applied.tables as string[]).length;
    const pendingFence = (fence as { pending?: string[] }).pending ?? [];
    if (pendingFence.length) outputs.fencePendingBeforeFreeze = pendingFence;
    // Let the apply worker pick up synchronous_commit = on and catch up once more before the freeze.
    const settle = performance.now() + 2000;
    for (;;) {
      const lag = await slotLag(s.srcCtl, slot);
      if ((lag.lagBytes ?? Infinity) <= p.lagThresholdBytes || performance.now() > settle) break;
      await sleep(DRAIN_POLL_MS);
    }
    // The reverse slot brought up to now (the target takes no client writes: only the forward apply wrote since its
    // creation), so that the advance inside the window decodes only what the drain writes.
    if (p.reverseReplication) await advanceReverseSlot(s.tgtCtl, p.reverseSubscription);
    outputs['routing.beforeFreeze'] = await routing.beforeFreeze();
    if (ctx.signal.aborted) throw new GateError('aborted by the operator before the freeze');
    const attempt = randomBytes(4).toString('hex');
    await ctx.checkpoint('freezing', { attempt, method: p.freezeMethod, sourceDatabase, loginRoles, subSyncBefore, at: iso(Date.now()) });
    faultPoint('before-freeze');

    // ================= the write-unavailable window starts here =================
    breakdown.restart();
    t.freeze = stamp();
    phase = 'frozen';
    const deadline = t.freeze.mono + p.switchoverTimeoutMs;
    const left = () => deadline - performance.now();
    // In parallel on the target (its own session): the apply flushes each transaction from now on (prompt
    // confirmations). Not awaited before the drain ends, and a failure only makes the confirmations slower.
    const subSync = subSyncBefore && syncMode === 'freeze'
      ? s.tgtCtl.query(setSubscriptionOptionSql(p.subscription, 'synchronous_commit', 'on')).then(() => 'on', (e: unknown) => `not set: ${messageOf(e)}`)
      : undefined;
    for (const st of freezeAndArmSql(p.freezeMethod, sourceDatabase)) await within(s.srcCtl.query(st), left(), 'freezing and fencing the source');
    breakdown.mark('freeze'); // the source's freeze and the fence's arming: one transaction
    faultPoint('after-source-freeze');
    for (const role of loginRoles) await within(s.srcCtl.query(roleLoginSql(role, false)), left(), `ALTER ROLE ${quoteIdent(role)} NOLOGIN`);
    if (loginRoles.length) breakdown.mark('roles NOLOGIN');
    const term = await within(s.srcCtl.query<{ pid: number }>(TERMINATE_CLIENTS_SQL, [ourPids]), left(), 'terminating client sessions');
    const killed = term.rows.map((r) => Number(r.pid));
    while (killed.length) {
      const r = await within(s.srcCtl.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1::int[])', [killed]), left(), 'waiting for terminated sessions to exit');
      if (Number(r.rows[0].n) === 0) break;
      if (left() <= 0) throw new Error(`terminated sessions did not exit within ${p.switchoverTimeoutMs} ms`);
      await sleep(2);
    }
    const frozenAt = performance.now();
    breakdown.mark('sessions terminated and gone');
    faultPoint('after-terminate');
    const prepared = await within(s.srcCtl.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_prepared_xacts WHERE database = current_database()'), left(), 'checking prepared transactions');
    if (Number(prepared.rows[0].n) > 0) throw new Error(`${prepared.rows[0].n} prepared transaction(s) appeared on the source; they could commit after the freeze`);
    breakdown.mark('prepared check');
    // ONE statement: the tables the fence misses, and the drain marker. The marker, committed synchronously (the
    // control session's synchronous_commit), flushes every earlier WAL record, asynchronous commits included; its
    // position is the frozen point: every commit a writer was ever acknowledged is before it (every writer is gone).
    const checked = (await within(s.srcCtl.query<{ unfenced: number; lsn: string }>(MARKER_SQL), left(), 'writing the drain marker')).rows[0];
    const unfenced = checked.unfenced;
    const frozenLsn = String(checked.lsn);
    outputs.frozenLsn = frozenLsn;
    breakdown.mark('marker');
    outputs.markerMs = breakdown.phases[breakdown.phases.length - 1].ms;
    // ---- sequences, alongside the drain: with every writer gone their values are final, and setval on the
    // frozen target does not interfere with the apply (it never touches sequences) ----
    const sequenceCopy = (async () => {
      const started = performance.now();
      const rows = (await s.srcSeq.query<{ i: number; v: string; c: boolean }>(readSeqs)).rows;
      const byIndex = new Map(rows.map((r) => [Number(r.i), r]));
      const oids: number[] = [];
      const values: string[] = [];
      const called: boolean[] = [];
      seqs.forEach((q, i) => {
        const r = byIndex.get(i);
        if (!r) throw new Error(`sequence ${display(q.name)} was not read`);
        oids.push(q.oid!);
        values.push(String(r.v));
        called.push(r.c === true);
      });
      const set = await s.tgtCtl.query<{ n: number }>(SETVAL_ALL_SQL, [oids, values, called]);
      return { copied: Number(set.rows[0].n), ms: performance.now() - started };
    })();
    sequenceCopy.catch(() => undefined); // awaited below; an early failure must not go unhandled meanwhile
    // the replicated set, alongside the drain too: with every client gone the source's catalog is final
    const setCheck = checkReplicatedSet(s.srcSeq, s.tgtCtl, p, { inWindow: true });
    setCheck.catch(() => undefined);
    // Tables created since the fence was prepared (or busy then) get their trigger now, with every client gone.
    fence = Number(unfenced) > 0 ? await within(coverFence(s.srcCtl, sourceDatabase, fence), left(), 'fencing the tables not fenced yet') : { applied: { ...fence!.applied, armed: true } };
    outputs.fence = fence;
    if (Number(unfenced) > 0) breakdown.mark('fence coverage');
    faultPoint('during-drain');
    // ---- drain: the subscriber's slot must confirm the frozen position ----
    const drainStart = performance.now();
    let confirmed: string | null = null;
    for (;;) {
      const r = await within(s.srcCtl.query<{ c: string | null }>('SELECT confirmed_flush_lsn::text AS c FROM pg_replication_slots WHERE slot_name = $1', [slot]), left(), 'polling the slot');
      confirmed = r.rows[0]?.c ?? null;
      if (confirmed && compareLsn(confirmed, frozenLsn) >= 0) break;
      if (ctx.signal.aborted) throw new Error('aborted by the operator during the drain');
      if (left() <= 0) {
        outputs.confirmedFlushLsn = confirmed;
        throw new Error(`the subscriber did not confirm the frozen position ${frozenLsn} within ${p.switchoverTimeoutMs} ms of the freeze (its slot is at ${confirmed ?? 'nothing'}); the apply is stuck or too far behind`);
      }
      await sleep(Math.min(DRAIN_POLL_MS, Math.max(0, left())));
    }
    outputs.drainMs = round(performance.now() - drainStart);
    if (subSync) outputs.subscriptionSyncInWindow = await subSync;
    outputs.confirmedFlushLsn = confirmed;
    breakdown.mark('drain');
    const copied = await within(sequenceCopy, Math.max(left(), 1000), 'copying the sequences');
    outputs.sequencesCopied = copied.copied;
    outputs.setvalMs = round(copied.ms);
    await within(setCheck, Math.max(left(), 1000), 'checking the replicated set');
    breakdown.mark('sequences'); // and the replicated-set check: both ran alongside the drain
    // ---- optional strict check: both servers frozen and drained, so counts must be equal ----
    if (compare && s.srcCmp && s.tgtCmp) {
      const vStart = performance.now();
      const results = await compareTables(s.srcCmp, s.tgtCmp, toCompare);
      const bad = results.filter((r) => !r.equal);
      outputs.verifiedInWindowTables = results.length;
      outputs.verifyInWindowMs = round(performance.now() - vStart);
      if (bad.length) {
        const findings = bad.map((c) => mismatchFinding(c, 'error', ' with both servers frozen and drained'));
        throw Object.assign(new Error(`${bad.length} table(s) differ with both servers frozen: ${bad.slice(0, 5).map(display).join(', ')}`), { findings });
      }
      breakdown.mark('in-window count check');
    }
    if (p.reverseReplication) {
      outputs.reverseSlotLsn = await within(advanceReverseSlot(s.tgtCtl, p.reverseSubscription), Math.max(left(), 1000), 'advancing the reverse slot');
      breakdown.mark('reverse slot advanced');
    }
    faultPoint('after-drain');
    // ================= THE COMMIT POINT: journaled (fsync'd) before the target's opening is sent =================
    if (left() <= 0) throw new Error(`the window's checks took longer than ${p.switchoverTimeoutMs} ms`);
    await ctx.checkpoint('commit', { attempt, frozenLsn, at: iso(Date.now()) });
    phase = 'committed';
    outputs.commitPointAt = iso(Date.now());
    breakdown.mark('commit journaled');
    faultPoint('after-commit-journaled');
    // Bounded on our side: a lost reply must not hang the run. Past the commit point a timeout only means "not proved
    // yet": rollForwardAfterError opens (idempotently) through fresh sessions and proves it.
    for (const st of openStatements(targetFrozen)) await within(s.tgtCtl.query(st), OPEN_BOUND_MS, 'opening the target');
    t.open = stamp();
    breakdown.mark('target opened');
    faultPoint('after-target-open');
    // ================= the window ends here =================
    outputs.freezeStartedAt = iso(t.freeze.wall);
    outputs.targetOpenedAt = iso(t.open.wall);
    outputs.writeUnavailableMs = round(t.open.mono - t.freeze.mono);
    outputs.openMs = breakdown.phases[breakdown.phases.length - 1].ms;
    outputs.sourceFreezeMs = round(frozenAt - t.freeze.mono);
    outputs.terminatedBackends = killed.length;
    await afterTargetOpen(ctx, outputs);
    return {
      status: 'succeeded', outputs,
      message: `switched over: writes were unavailable for ${outputs.writeUnavailableMs} ms (drain ${outputs.drainMs} ms, ${outputs.sequencesCopied} sequence(s) copied); the old source stays read-only${p.reverseReplication ? ' and the way back (reverse replication) is prepared' : ''}`,
    };
  } catch (err) {
    const findings = (err as { findings?: Finding[] }).findings;
    if (phase === 'preparing') {
      // Client routing already PAUSEd (beforeFreeze returned) but nothing froze: RESUME, clients stay on the source.
      if (outputs['routing.beforeFreeze']) outputs['routing.afterAbort'] = await routing.afterAbort().catch((e: unknown) => ({ error: messageOf(e) }));
      if (subSyncBefore) await s.tgtCtl.query(setSubscriptionOptionSql(p.subscription, 'synchronous_commit', subSyncBefore)).catch(() => undefined);
      // the inert fence prepared by this attempt: removed (its triggers cost every write a little)
      if (fencePrepared) await liftFence(s.srcSpare, sourceDatabase).catch((e: unknown) => ctx.ui.log('warn', `the inert fence prepared on the source could not be removed (${messageOf(e)}); the next attempt reuses it, finish/abort removes it`));
      return { status: 'failed', outputs, findings, message: `the switchover did not start (the source was never frozen): ${messageOf(err)}` };
    }
    if (phase === 'committed') return rollForwardAfterError(ctx, outputs, t.freeze!, targetFrozen!, err);
    // ---- before the commit point: hand the source back (target proved read-only first) ----
    const back = await handSourceBack(ctx, {
      sourceDatabase, method: p.freezeMethod, loginRoles, fence, subSyncBefore, session: s.srcSpare, freezeMono: t.freeze?.mono,
    }, messageOf(err), findings);
    Object.assign(outputs, back.outputs, { freezeStartedAt: t.freeze ? iso(t.freeze.wall) : undefined });
    return { ...back, outputs };
  } finally {
    await closeSessions(s);
  }
}

/** The tables the fence misses and the drain marker (its WAL position), in one autocommit statement. */
const MARKER_SQL = `SELECT (${UNFENCED_COUNT_SQL}) AS unfenced, pg_logical_emit_message(true, 'pg-upgrade-pilot', 'switchover drain marker')::text AS lsn`;

/**
 * When the subscription's apply turns synchronous_commit on (its confirmations then follow each applied transaction
 * instead of the WAL writer's next flush): 'prepare' before the settle (every applied transaction waits for an fsync
 * while the source still takes writes: the backlog at the freeze grows), 'freeze' in the window in parallel with the
 * source's freeze, 'never' (the subscription's own setting). Measured by the bench (issue 14).
 */
function subscriptionSyncMode(): 'prepare' | 'freeze' | 'never' {
  const v = process.env.PGPILOT_SUBSCRIPTION_SYNC;
  return v === 'prepare' || v === 'never' ? v : 'freeze';
}

/**
 * The source's freeze and the fence's arming. Per database: ONE transaction (one round trip), so the database turns
 * read-only for new sessions and write-refusing for every session at the same instant. Cluster-wide (ALTER SYSTEM
 * cannot run in a transaction): the freeze, then the arming.
 */
export function freezeAndArmSql(method: LogicalUpgradeParams['freezeMethod'], database: string): string[] {
  if (method === 'database') return [`BEGIN READ WRITE; ${freezeDatabaseSql(database)}; ${ARM_SQL}; COMMIT`];
  return [...freezeSql(method, database), ARM_SQL];
}

/** Freezes the target's database (or the cluster) for new sessions and waits until a fresh session proves it. */
async function freezeTarget(ctx: Ctx, tgt: Session): Promise<ServerLive> {
  const live = await readLive(ctx, 'target');
  if (live.readOnly) return live;
  for (const st of freezeSql(ctx.params.freezeMethod, live.database)) await tgt.query(st);
  try {
    return await waitReconnecting(ctx, 'target', async () => {
      const now = await readLive(ctx, 'target');
      return now.readOnly ? now : undefined;
    }, { what: 'the target to be read-only for new sessions', timeoutMs: TARGET_FREEZE_BOUND_MS, intervalMs: 20, reconnectMs: TARGET_FREEZE_BOUND_MS, signal: ctx.signal });
  } catch (err) {
    throw new GateError(messageOf(err));
  }
}

/** The commit point passed and something failed: only forward. The target is opened through fresh sessions. */
async function rollForwardAfterError(ctx: Ctx, outputs: Record<string, unknown>, freeze: ReturnType<typeof stamp>, targetFrozen: ServerLive, err: unknown): Promise<SwitchoverOutcome> {
  outputs.freezeStartedAt = iso(freeze.wall);
  try {
    await openServer(ctx, 'target', targetFrozen, undefined, 5000);
    const open = stamp();
    outputs.targetOpenedAt = iso(open.wall);
    outputs.writeUnavailableMs = round(open.mono - freeze.mono);
    outputs.openedAfterError = messageOf(err);
    await afterTargetOpen(ctx, outputs);
    return { status: 'succeeded', outputs, message: `switched over (after the commit point: ${messageOf(err)}; the target was opened again through a new session, proved writable): writes were unavailable for ${outputs.writeUnavailableMs} ms; the old source stays read-only` };
  } catch (second) {
    return {
      status: 'failed', outputs,
      message: `THE COMMIT POINT PASSED but the target could not be opened yet (${messageOf(err)}; then ${messageOf(second)}). The source stays read-only (it is never reopened after the commit point). Resume the run when the target answers: it opens the target by itself.`,
    };
  }
}
