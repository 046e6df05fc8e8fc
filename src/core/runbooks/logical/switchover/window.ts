/**
 * The guarded switchover, one attempt (docs/switchover.md): prepare (sessions, sequences, the target frozen, the
 * reverse slot), freeze the source's database, fence it, terminate its client sessions, drain the subscription to the
 * frozen WAL position, copy every sequence, advance the reverse slot, journal the COMMIT POINT durably, open the target.
 * Before the commit point every failure hands the source back (target proved read-only); after it only forward.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { clientRoutingFor } from '../../../routing';
import { quoteIdent } from '../../../sql';
import { waitReconnecting } from '../../../runbook/reconnect';
import type { Finding, StepContext } from '../../../runbook/types';
import { openDatabaseUnits, type DatabaseUnit } from '../cluster';
import { compareTables, mismatchFinding } from '../compare';
import { faultPoint } from '../fault-points';
import { ARM_SQL, coverFence, liftFence, prepareFence, UNFENCED_COUNT_SQL } from '../fence';
import { GateError } from '../gate-error';
import type { LogicalUpgradeParams } from '../params';
import { checkReplicatedSet, sourceReplicatedTables } from '../replicated-set';
import { reversePublicationScope } from '../scope';
import { backendPid, display, findPublication, findSubscription, slotLag } from '../queries';
import { messageOf, sleep, type Session } from '../session';
import {
  commentOnSql, createPublicationSql, freezeDatabaseSql, freezeSql, ownerComment, roleLoginSql,
  setSubscriptionOptionSql, SETVAL_ALL_SQL, TERMINATE_CLIENTS_SQL, UNFREEZE,
} from '../statements';
import { checkGate, type GateReport } from './gate';
import { openServer, openStatements, readLive, type ServerLive } from './live';
import { afterTargetOpen, handSourceBack, type SwitchoverOutcome } from './outcomes';
import { advanceReverseSlot, prepareReverseSlot } from './reverse-slot';
import { Breakdown, iso, round, stamp, within } from './sessions';
import { closeWindowDatabases, openWindowDatabases, ourSourcePids, prepareSequences, slotsBehind, type WindowDatabase } from './window-databases';

type Ctx = StepContext<LogicalUpgradeParams>;

export const DRAIN_POLL_MS = 10;
/** How long the target may take to show read-only to a fresh session after its freeze (a reload is asynchronous). */
const TARGET_FREEZE_BOUND_MS = 5000;
/** The target's opening statement: its reply must come within this (else the roll-forward path opens and proves it). */
const OPEN_BOUND_MS = 5000;

export async function guardedSwitchover(ctx: Ctx): Promise<SwitchoverOutcome> {
  // the databases of the run, re-derived from the source now (cluster scope); one for a one-database run
  const opened = await openDatabaseUnits(ctx);
  try {
    return await coordinatedSwitchover(ctx, opened.units);
  } finally {
    await opened.close();
  }
}

/** ONE window for every database of the run: one freeze, one frozen WAL position, one commit point, one opening. */
async function coordinatedSwitchover(ctx: Ctx, units: DatabaseUnit[]): Promise<SwitchoverOutcome> {
  const p = ctx.params;
  const gates: GateReport[] = [];
  for (const u of units) gates.push(await checkGate(u.ctx)); // throws GateError: nothing frozen on the source
  for (const w of gates.flatMap((g) => g.longOnSource)) ctx.ui.log('warn', `a transaction is open on the source (${w}); the freeze will end it`);
  const compare = p.verifyInWindow;
  const routing = clientRoutingFor(ctx);
  const outputs: Record<string, unknown> = {
    gateLagBytes: Math.max(...gates.map((g) => g.lagBytes)), tables: gates.reduce((n, g) => n + g.tables, 0), freezeMethod: p.freezeMethod,
  };
  const dbs = await openWindowDatabases(units, gates, compare, outputs);
  const first = dbs[0];
  let phase: 'preparing' | 'frozen' | 'committed' = 'preparing';
  const loginRoles: string[] = [];
  const fencePrepared: WindowDatabase[] = [];
  const syncMode = subscriptionSyncMode();
  outputs.subscriptionSyncAt = syncMode;
  const breakdown = new Breakdown();
  outputs.windowBreakdown = breakdown.phases;
  const t: { freeze?: ReturnType<typeof stamp>; open?: ReturnType<typeof stamp> } = {};
  try {
    // ---- preparation (the source still takes writes) ----
    // An earlier attempt killed between ALTER SYSTEM and its reload leaves a freeze pending on the source (the file says
    // on, new sessions still write): undo it now, or any later reload would freeze the whole cluster.
    const srcLive = await readLive(ctx, 'source');
    if (srcLive.bySystemFile && !srcLive.readOnly) {
      for (const st of UNFREEZE) await first.s.srcCtl.query(st);
      outputs.pendingSourceFreezeUndone = true;
    }
    const ourPids = await ourSourcePids(dbs);
    for (const role of p.freezeRoles) {
      const r = await first.s.srcCtl.query<{ l: boolean }>('SELECT rolcanlogin AS l FROM pg_roles WHERE rolname = $1', [role]);
      if (!r.rows[0]) throw new GateError(`freezeRoles: the role "${role}" does not exist on the source`);
      if (r.rows[0].l) loginRoles.push(role);
    }
    for (const d of dbs) {
      const dp = d.ctx.params;
      await prepareSequences(d, compare);
      const tgtPids = await Promise.all([d.s.tgtCtl, d.s.tgtCmp].filter((x): x is Session => !!x).map(backendPid));
      const sub = await findSubscription(d.s.tgtCtl, dp.subscription);
      if (sub && sub.synchronousCommit !== 'on' && syncMode !== 'never') {
        d.subSyncBefore = sub.synchronousCommit;
        if (syncMode === 'prepare') await d.s.tgtCtl.query(setSubscriptionOptionSql(dp.subscription, 'synchronous_commit', 'on'));
      }
      if (dp.reverseReplication && !(await findPublication(d.s.tgtCtl, dp.reversePublication))) {
        const scope = await reversePublicationScope(d.s.tgtCtl, () => sourceReplicatedTables(d.s.srcCtl, dp, false));
        await d.s.tgtCtl.query(createPublicationSql(dp.reversePublication, scope));
        await d.s.tgtCtl.query(commentOnSql('PUBLICATION', dp.reversePublication, ownerComment(ctx.runId)));
      }
      // The target: read-only for every new session (proved by one) and nobody but us connected to it.
      d.targetFrozen = await freezeTarget(d.ctx, d.s.tgtCtl);
      const tgtTerminated = await d.s.tgtCtl.query(TERMINATE_CLIENTS_SQL, [tgtPids]);
      d.out.targetSessionsTerminated = tgtTerminated.rowCount ?? 0;
      // The way back, prepared before the freeze: creating a slot may wait for the target's open transactions.
      if (dp.reverseReplication) {
        const r = await prepareReverseSlot(d.ctx, d.s.tgtCtl);
        d.out.reverseSlotCreatedBeforeFreeze = r.created;
      }
      // The fence, installed inert while the source still takes writes (each table in its own short transaction);
      // armed inside the window in the freeze's own transaction.
      const fence = await prepareFence(d.s.srcCtl, d.database);
      d.fence = fence;
      fencePrepared.push(d);
      d.out.fencePreparedTables = (fence.applied.tables as string[]).length;
      if (fence.pending.length) d.out.fencePendingBeforeFreeze = fence.pending;
    }
    // Let the apply workers catch up once more before the freeze.
    const settle = performance.now() + 2000;
    for (const d of dbs) {
      for (;;) {
        const lag = await slotLag(d.s.srcCtl, d.slot);
        if ((lag.lagBytes ?? Infinity) <= p.lagThresholdBytes || performance.now() > settle) break;
        await sleep(DRAIN_POLL_MS);
      }
    }
    // The reverse slots brought up to now (the target takes no client writes: only the forward apply wrote since their
    // creation), so that the advance inside the window decodes only what the drain writes.
    if (p.reverseReplication) for (const d of dbs) await advanceReverseSlot(d.s.tgtCtl, d.ctx.params.reverseSubscription);
    outputs['routing.beforeFreeze'] = await routing.beforeFreeze();
    if (ctx.signal.aborted) throw new GateError('aborted by the operator before the freeze');
    const attempt = randomBytes(4).toString('hex');
    const subSync = Object.fromEntries(dbs.filter((d) => d.subSyncBefore).map((d) => [d.database, d.subSyncBefore]));
    await ctx.checkpoint('freezing', {
      attempt, method: p.freezeMethod, sourceDatabase: first.database, loginRoles, subSyncBefore: first.subSyncBefore, at: iso(Date.now()),
      ...(outputs.databases ? { databases: dbs.map((d) => d.database), subSyncBeforeByDatabase: subSync } : {}),
    });
    faultPoint('before-freeze');

    // ================= the write-unavailable window starts here =================
    breakdown.restart();
    t.freeze = stamp();
    phase = 'frozen';
    const deadline = t.freeze.mono + p.switchoverTimeoutMs;
    const left = () => deadline - performance.now();
    // In parallel on the target (each database's own session): the apply flushes each transaction from now on (prompt
    // confirmations). Not awaited before the drain ends, and a failure only makes the confirmations slower.
    const subSyncs = dbs.map((d) => (d.subSyncBefore && syncMode === 'freeze'
      ? d.s.tgtCtl.query(setSubscriptionOptionSql(d.ctx.params.subscription, 'synchronous_commit', 'on')).then(() => 'on', (e: unknown) => `not set: ${messageOf(e)}`)
      : undefined));
    for (const d of dbs) for (const st of freezeAndArmSql(p.freezeMethod, d.database)) await within(d.s.srcCtl.query(st), left(), `freezing and fencing ${quoteIdent(d.database)} on the source`);
    breakdown.mark('freeze'); // each database's freeze and its fence's arming: one transaction
    faultPoint('after-source-freeze');
    for (const role of loginRoles) await within(first.s.srcCtl.query(roleLoginSql(role, false)), left(), `ALTER ROLE ${quoteIdent(role)} NOLOGIN`);
    if (loginRoles.length) breakdown.mark('roles NOLOGIN');
    const killed: number[] = [];
    for (const d of dbs) {
      const term = await within(d.s.srcCtl.query<{ pid: number }>(TERMINATE_CLIENTS_SQL, [ourPids]), left(), `terminating client sessions of ${quoteIdent(d.database)}`);
      d.out.terminatedBackends = term.rows.length;
      killed.push(...term.rows.map((r) => Number(r.pid)));
    }
    while (killed.length) {
      const r = await within(first.s.srcCtl.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1::int[])', [killed]), left(), 'waiting for terminated sessions to exit');
      if (Number(r.rows[0].n) === 0) break;
      if (left() <= 0) throw new Error(`terminated sessions did not exit within ${p.switchoverTimeoutMs} ms`);
      await sleep(2);
    }
    const frozenAt = performance.now();
    breakdown.mark('sessions terminated and gone');
    faultPoint('after-terminate');
    for (const d of dbs) {
      const prepared = await within(d.s.srcCtl.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_prepared_xacts WHERE database = current_database()'), left(), 'checking prepared transactions');
      if (Number(prepared.rows[0].n) > 0) throw new Error(`${prepared.rows[0].n} prepared transaction(s) appeared on the source in ${quoteIdent(d.database)}; they could commit after the freeze`);
    }
    breakdown.mark('prepared check');
    // ---- sequences, alongside the drain: with every writer gone their values are final, and setval on the
    // frozen target does not interfere with the apply (it never touches sequences) ----
    const sequenceCopies = dbs.map((d) => copySequences(d));
    sequenceCopies.forEach((c) => c.catch(() => undefined)); // awaited below; an early failure must not go unhandled meanwhile
    // ONE statement per database: the tables its fence misses, and its drain marker. The marker, committed
    // synchronously, flushes every earlier WAL record, asynchronous commits included; every writer is gone, so every
    // commit a writer was ever acknowledged is before it. WAL is cluster-wide: ONE frozen position, the last marker's
    // (written after every other database's), which every slot must confirm.
    const markerStart = performance.now();
    const unfenced = new Map<WindowDatabase, number>();
    let frozenLsn = '';
    for (const d of dbs) {
      const checked = (await within(d.s.srcCtl.query<{ unfenced: number; lsn: string }>(MARKER_SQL), left(), `writing the drain marker in ${quoteIdent(d.database)}`)).rows[0];
      unfenced.set(d, Number(checked.unfenced));
      frozenLsn = String(checked.lsn);
    }
    outputs.frozenLsn = frozenLsn;
    outputs.markerMs = round(performance.now() - markerStart);
    breakdown.mark('marker');
    // the replicated sets, alongside the drain: with every client gone the source's catalogs are final
    const setChecks = dbs.map((d) => checkReplicatedSet(d.s.srcSeq, d.s.tgtCtl, d.ctx.params, { inWindow: true }));
    setChecks.forEach((c) => c.catch(() => undefined));
    // Tables created since the fence was prepared (or busy then) get their trigger now, with every client gone.
    let covered = false;
    for (const d of dbs) {
      if ((unfenced.get(d) ?? 0) > 0) {
        d.fence = await within(coverFence(d.s.srcCtl, d.database, d.fence), left(), `fencing the tables of ${quoteIdent(d.database)} not fenced yet`);
        covered = true;
      } else d.fence = { ...d.fence!, applied: { ...d.fence!.applied, armed: true } };
      d.out.fence = d.fence;
    }
    if (covered) breakdown.mark('fence coverage');
    faultPoint('during-drain');
    // ---- drain: EVERY database's slot must confirm the frozen position ----
    const drainStart = performance.now();
    let behind: Awaited<ReturnType<typeof slotsBehind>> | undefined;
    for (;;) {
      let answered = true;
      try {
        behind = await within(slotsBehind(first.s.srcCtl, dbs, frozenLsn), left(), 'polling the slots');
      } catch (err) {
        if (left() > 0) throw err;
        answered = false; // the deadline passed during this poll: the cause is the last answer, not the poll
      }
      if (answered && behind!.length === 0) break;
      if (ctx.signal.aborted) throw new Error('aborted by the operator during the drain');
      if (left() <= 0) {
        const what = behind?.length
          ? `slot ${behind.map((b) => `${b.slot} of ${quoteIdent(b.database)} at ${b.confirmed ?? 'nothing'}`).join(', ')}`
          : 'the slots could not be read in time';
        throw new Error(`the subscriber did not confirm the frozen position ${frozenLsn} within ${p.switchoverTimeoutMs} ms of the freeze (${what}); the apply is stuck or too far behind`);
      }
      await sleep(Math.min(DRAIN_POLL_MS, Math.max(0, left())));
    }
    outputs.drainMs = round(performance.now() - drainStart);
    if (dbs.length === 1) outputs.confirmedFlushLsn = first.out.confirmedFlushLsn;
    for (const [i, d] of dbs.entries()) if (subSyncs[i]) d.out.subscriptionSyncInWindow = await subSyncs[i];
    breakdown.mark('drain');
    let copiedTotal = 0;
    let setvalMs = 0;
    for (const [i, d] of dbs.entries()) {
      const copied = await within(sequenceCopies[i], Math.max(left(), 1000), `copying the sequences of ${quoteIdent(d.database)}`);
      d.out.sequencesCopied = copied.copied;
      copiedTotal += copied.copied;
      setvalMs = Math.max(setvalMs, copied.ms);
    }
    outputs.sequencesCopied = copiedTotal;
    outputs.setvalMs = round(setvalMs);
    for (const [i, d] of dbs.entries()) await within(setChecks[i], Math.max(left(), 1000), `checking the replicated set of ${quoteIdent(d.database)}`);
    breakdown.mark('sequences'); // and the replicated-set checks: both ran alongside the drain
    // ---- optional strict check: both servers frozen and drained, so counts must be equal ----
    if (compare) {
      const vStart = performance.now();
      let tables = 0;
      for (const d of dbs) {
        if (!d.s.srcCmp || !d.s.tgtCmp) continue;
        const results = await compareTables(d.s.srcCmp, d.s.tgtCmp, d.toCompare);
        const bad = results.filter((r) => !r.equal);
        tables += results.length;
        d.out.verifiedInWindowTables = results.length;
        if (bad.length) {
          const findings = bad.map((c) => mismatchFinding(c, 'error', ' with both servers frozen and drained'));
          throw Object.assign(new Error(`${bad.length} table(s) of ${quoteIdent(d.database)} differ with both servers frozen: ${bad.slice(0, 5).map(display).join(', ')}`), { findings });
        }
      }
      outputs.verifiedInWindowTables = tables;
      outputs.verifyInWindowMs = round(performance.now() - vStart);
      breakdown.mark('in-window count check');
    }
    if (p.reverseReplication) {
      for (const d of dbs) d.out.reverseSlotLsn = await within(advanceReverseSlot(d.s.tgtCtl, d.ctx.params.reverseSubscription), Math.max(left(), 1000), 'advancing the reverse slot');
      breakdown.mark('reverse slot advanced');
    }
    faultPoint('after-drain');
    // ================= THE COMMIT POINT (one for every database): journaled (fsync'd) before any opening is sent =================
    if (left() <= 0) throw new Error(`the window's checks took longer than ${p.switchoverTimeoutMs} ms`);
    await ctx.checkpoint('commit', { attempt, frozenLsn, at: iso(Date.now()), ...(outputs.databases ? { databases: dbs.map((d) => d.database) } : {}) });
    phase = 'committed';
    outputs.commitPointAt = iso(Date.now());
    breakdown.mark('commit journaled');
    faultPoint('after-commit-journaled');
    // Bounded on our side: a lost reply must not hang the run. Past the commit point a timeout only means "not proved
    // yet": rollForwardAfterError opens (idempotently) through fresh sessions and proves it.
    for (const d of dbs) for (const st of openStatements(d.targetFrozen!)) await within(d.s.tgtCtl.query(st), OPEN_BOUND_MS, `opening ${quoteIdent(d.database)} on the target`);
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
    if (dbs.length === 1) outputs.fence = first.fence;
    for (const d of dbs) await afterTargetOpen(d.ctx, d === first ? outputs : { ...d.out, targetOpenedAt: outputs.targetOpenedAt }, d === first);
    const names = outputs.databases ? ` (${dbs.length} database(s): ${dbs.map((d) => quoteIdent(d.database)).join(', ')}, one window)` : '';
    return {
      status: 'succeeded', outputs,
      message: `switched over${names}: writes were unavailable for ${outputs.writeUnavailableMs} ms (drain ${outputs.drainMs} ms, ${outputs.sequencesCopied} sequence(s) copied); the old source stays read-only${p.reverseReplication ? ' and the way back (reverse replication) is prepared' : ''}`,
    };
  } catch (err) {
    const findings = (err as { findings?: Finding[] }).findings;
    if (phase === 'preparing') {
      // Client routing already PAUSEd (beforeFreeze returned) but nothing froze: RESUME, clients stay on the source.
      if (outputs['routing.beforeFreeze']) outputs['routing.afterAbort'] = await routing.afterAbort().catch((e: unknown) => ({ error: messageOf(e) }));
      for (const d of dbs) if (d.subSyncBefore) await d.s.tgtCtl.query(setSubscriptionOptionSql(d.ctx.params.subscription, 'synchronous_commit', d.subSyncBefore)).catch(() => undefined);
      // the inert fences prepared by this attempt: removed (their triggers cost every write a little)
      for (const d of fencePrepared) {
        await liftFence(d.s.srcSpare, d.database).catch((e: unknown) => ctx.ui.log('warn', `the inert fence prepared on the source in ${quoteIdent(d.database)} could not be removed (${messageOf(e)}); the next attempt reuses it, finish/abort removes it`));
      }
      return { status: 'failed', outputs, findings, message: `the switchover did not start (the source was never frozen): ${messageOf(err)}` };
    }
    if (phase === 'committed') return await rollForwardAfterError(ctx, dbs, outputs, t.freeze!, err);
    // ---- before the commit point: hand EVERY database back (each one's target proved read-only first) ----
    return await handEveryDatabaseBack(dbs, outputs, loginRoles, t.freeze, messageOf(err), findings);
  } finally {
    await closeWindowDatabases(dbs);
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

/** Reads the database's sequences on the source (writers gone) and sets them on the target in one round trip each. */
async function copySequences(d: WindowDatabase): Promise<{ copied: number; ms: number }> {
  const started = performance.now();
  const rows = (await d.s.srcSeq.query<{ i: number; v: string; c: boolean }>(d.readSeqs)).rows;
  const byIndex = new Map(rows.map((r) => [Number(r.i), r]));
  const oids: number[] = [];
  const values: string[] = [];
  const called: boolean[] = [];
  d.seqs.forEach((q, i) => {
    const r = byIndex.get(i);
    if (!r) throw new Error(`sequence ${display(q.name)} of ${quoteIdent(d.database)} was not read`);
    oids.push(q.oid!);
    values.push(String(r.v));
    called.push(r.c === true);
  });
  if (oids.length === 0) return { copied: 0, ms: performance.now() - started };
  const set = await d.s.tgtCtl.query<{ n: number }>(SETVAL_ALL_SQL, [oids, values, called]);
  return { copied: Number(set.rows[0].n), ms: performance.now() - started };
}

/** Before the commit point: every database handed back in turn (its target proved read-only, then its source reopened). */
async function handEveryDatabaseBack(
  dbs: WindowDatabase[], outputs: Record<string, unknown>, loginRoles: string[], freeze: ReturnType<typeof stamp> | undefined, cause: string, findings?: Finding[],
): Promise<SwitchoverOutcome> {
  const results: SwitchoverOutcome[] = [];
  for (const [i, d] of dbs.entries()) {
    const back = await handSourceBack(d.ctx, {
      sourceDatabase: d.database, method: d.ctx.params.freezeMethod, loginRoles: i === dbs.length - 1 ? loginRoles : [], fence: d.fence,
      subSyncBefore: d.subSyncBefore, session: d.s.srcSpare, freezeMono: freeze?.mono,
    }, cause, findings);
    Object.assign(d === dbs[0] ? outputs : d.out, back.outputs);
    results.push(back);
  }
  Object.assign(outputs, { freezeStartedAt: freeze ? iso(freeze.wall) : undefined });
  if (dbs.length === 1) return { ...results[0], outputs };
  const failed = results.map((r, i) => ({ r, d: dbs[i] })).filter((x) => x.r.status !== 'aborted');
  if (failed.length === 0) {
    return { status: 'aborted', outputs, findings, message: `${results[0].message} Every database of the run (${dbs.map((d) => quoteIdent(d.database)).join(', ')}) was handed back the same way.` };
  }
  return { status: 'failed', outputs, findings, message: failed.map((x) => `${quoteIdent(x.d.database)}: ${x.r.message}`).join(' | ') };
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

/** The commit point passed and something failed: only forward. Every database is opened on the target through fresh sessions. */
async function rollForwardAfterError(ctx: Ctx, dbs: WindowDatabase[], outputs: Record<string, unknown>, freeze: ReturnType<typeof stamp>, err: unknown): Promise<SwitchoverOutcome> {
  outputs.freezeStartedAt = iso(freeze.wall);
  try {
    for (const d of dbs) await openServer(d.ctx, 'target', d.targetFrozen, undefined, 5000);
    const open = stamp();
    outputs.targetOpenedAt = iso(open.wall);
    outputs.writeUnavailableMs = round(open.mono - freeze.mono);
    outputs.openedAfterError = messageOf(err);
    for (const d of dbs) await afterTargetOpen(d.ctx, d === dbs[0] ? outputs : { ...d.out, targetOpenedAt: outputs.targetOpenedAt }, d === dbs[0]);
    return { status: 'succeeded', outputs, message: `switched over (after the commit point: ${messageOf(err)}; the target was opened again through a new session, proved writable): writes were unavailable for ${outputs.writeUnavailableMs} ms; the old source stays read-only` };
  } catch (second) {
    return {
      status: 'failed', outputs,
      message: `THE COMMIT POINT PASSED but the target could not be opened yet (${messageOf(err)}; then ${messageOf(second)}). The source stays read-only (it is never reopened after the commit point). Resume the run when the target answers: it opens the target by itself${dbs.length > 1 ? ', every database still frozen' : ''}.`,
    };
  }
}
