/**
 * The guarded switchover: freeze the target, freeze the source (every writer), drain the subscription to the
 * frozen WAL position (slot confirmed_flush_lsn, not sent_lsn lag), copy every sequence, open the target.
 * Bounded: if the drain does not finish within switchoverTimeoutMs of the source's freeze, or anything fails,
 * the source is made writable again and the target stays read-only.
 *
 * Everything that can be prepared is prepared before the freeze: dedicated sessions, the sequence list and the
 * target's sequence oids, the subscription's synchronous_commit (so the subscriber confirms a flush at once
 * instead of after its WAL writer's next round).
 */
import { performance } from 'node:perf_hooks';
import { compareLsn } from '../../catalog';
import { quoteIdent } from '../../sql';
import type { Finding, StepContext } from '../../runbook/types';
import { COMPARE_SESSION_SETTINGS, compareTables, mismatchFinding, type TableToCompare } from './compare';
import { slotNameOf, type LogicalUpgradeParams, type TableName } from './params';
import { backendPid, display, findPublication, fromKey, findSlot, findSubscription, frozenBySystem, sequenceOids, slotLag, subscriptionRelStates, tableKey } from './queries';
import { messageOf, sleep, type Session } from './session';
import {
  alterSubscriptionSql, commentOnSql, createPublicationSql, DRAIN_MARKER_SQL, FREEZE, ownerComment, readSequencesSql, roleLoginSql,
  setSubscriptionOptionSql, SETVAL_ALL_SQL, TERMINATE_CLIENTS_SQL, UNFREEZE, WRITABLE_SESSION,
} from './statements';

type Ctx = StepContext<LogicalUpgradeParams>;

export const DRAIN_POLL_MS = 10;
const CONTROL_STATEMENT_TIMEOUT = "SET statement_timeout = '5s'";

export interface SwitchoverOutcome {
  status: 'succeeded' | 'aborted' | 'failed';
  message: string;
  outputs: Record<string, unknown>;
  findings?: Finding[];
}

export { GateError } from './gate-error';
import { GateError } from './gate-error';
import { checkReplicatedSet, sourceReplicatedTables } from './replicated-set';

export interface GateReport {
  tables: number;
  lagBytes: number;
  sequences: TableName[];
}

/** The conditions checked before anything is frozen (also the step's precondition). */
export async function checkGate(ctx: Ctx): Promise<GateReport> {
  const p = ctx.params;
  const src = await ctx.db('source');
  const tgt = await ctx.db('target');
  const sub = await findSubscription(tgt, p.subscription);
  if (!sub) throw new GateError(`the subscription "${p.subscription}" does not exist on the target`);
  if (!sub.enabled) throw new GateError(`the subscription "${p.subscription}" is disabled: the drain could never finish. ALTER SUBSCRIPTION ... ENABLE on the target first`);
  // issue 9: the set re-derived from the source's catalog (new tables/partitions), and verified as it is now; first, so that an apply stopped by DDL
  // or by a table missing on the target is reported as exactly that
  await checkReplicatedSet(src, tgt, p, { inWindow: false, verified: ctx.outputsOf('verify-data') });
  if (sub.workerPid === null) throw new GateError(`the apply worker of "${p.subscription}" is not running on the target (see its server log); the drain could not finish`);
  const states = await subscriptionRelStates(tgt, sub.oid);
  const notReady = states.filter((s) => s.state !== 'r');
  if (states.length === 0 && ((await findPublication(src, p.publication))?.tables.length ?? 0) > 0) {
    throw new GateError('the subscription lists no table yet although the publication has some; ALTER SUBSCRIPTION ... REFRESH PUBLICATION on the target');
  }
  if (notReady.length) throw new GateError(`${notReady.length} table(s) are not ready yet (e.g. ${notReady.slice(0, 5).map((s) => `${display(s)}: ${s.state}`).join(', ')}); wait for the initial sync`);
  const lag = await slotLag(src, slotNameOf(p));
  if (lag.lagBytes === null) throw new GateError(`the replication slot "${slotNameOf(p)}" is missing on the source or has not confirmed anything yet`);
  if (lag.lagBytes > p.lagThresholdBytes) throw new GateError(`the subscriber is ${lag.lagBytes} bytes behind (threshold ${p.lagThresholdBytes}); wait until it catches up`);
  if (await frozenBySystem(src)) {
    throw new GateError((await frozenBySystem(tgt))
      ? 'both servers are read-only: an earlier switchover attempt stopped inside its window (e.g. the process died). The target never opened, so handing the source back is safe: on the source ALTER SYSTEM RESET default_transaction_read_only; SELECT pg_reload_conf(); then run the switchover again'
      : `the source is read-only and the target is open: the switchover already happened. Finish it with ALTER SUBSCRIPTION ${quoteIdent(p.subscription)} DISABLE on the target`);
  }
  const prepared = await src.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_prepared_xacts WHERE database = current_database()');
  if (Number(prepared.rows[0].n) > 0) throw new GateError(`${prepared.rows[0].n} prepared transaction(s) are pending on the source; COMMIT PREPARED or ROLLBACK PREPARED them first (they could commit after the freeze)`);
  const srcSeqs = await sequenceOids(src);
  const tgtSeqs = await sequenceOids(tgt);
  const missing = [...srcSeqs.keys()].filter((k) => !tgtSeqs.has(k));
  const sequences = [...srcSeqs.keys()].map(fromKey);
  if (missing.length) {
    throw new GateError(`${missing.length} sequence(s) of the source do not exist on the target (${sequences.filter((s) => missing.includes(tableKey(s))).slice(0, 5).map(display).join(', ')}); create them (schema copy) before the switchover`);
  }
  if (p.reverseReplication) {
    const slot = await findSlot(tgt, p.reverseSubscription);
    if (slot) throw new GateError(`a replication slot "${p.reverseSubscription}" already exists on the target; drop it (SELECT pg_drop_replication_slot('${p.reverseSubscription}')) or rename reverseSubscription`);
  }
  return { tables: states.length, lagBytes: lag.lagBytes, sequences };
}

/** Resolves with the promise's value, or rejects once `ms` have passed (the promise keeps running). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${Math.round(ms)} ms`)), Math.max(0, ms));
    }),
  ]).finally(() => clearTimeout(timer));
}

interface Sessions {
  srcCtl: Session;
  /** Kept idle for the abort: reopening the source must not wait behind a stuck statement. */
  srcSpare: Session;
  /** Reads the sequences while srcCtl polls the drain. */
  srcSeq: Session;
  tgtCtl: Session;
  srcCmp?: Session;
  tgtCmp?: Session;
}

async function openSessions(ctx: Ctx, compare: boolean): Promise<Sessions> {
  const opened: Session[] = [];
  const open = async (role: 'source' | 'target', setup: string[]) => {
    const s = await ctx.connect(role);
    opened.push(s);
    for (const st of setup) await s.query(st);
    return s;
  };
  try {
    const control = [WRITABLE_SESSION, CONTROL_STATEMENT_TIMEOUT, 'SET synchronous_commit = on', "SET lock_timeout = '2s'"];
    const [srcCtl, srcSpare, srcSeq, tgtCtl] = await Promise.all([open('source', control), open('source', control), open('source', control), open('target', control)]);
    const s: Sessions = { srcCtl, srcSpare, srcSeq, tgtCtl };
    if (compare) {
      [s.srcCmp, s.tgtCmp] = await Promise.all([open('source', COMPARE_SESSION_SETTINGS), open('target', COMPARE_SESSION_SETTINGS)]);
    }
    return s;
  } catch (err) {
    await Promise.allSettled(opened.map((x) => x.end()));
    throw err;
  }
}

async function closeSessions(s: Sessions): Promise<void> {
  await Promise.allSettled([s.srcCtl, s.srcSpare, s.srcSeq, s.tgtCtl, s.srcCmp, s.tgtCmp].filter((x): x is Session => !!x).map((x) => x.end()));
}

const iso = (epochMs: number) => new Date(epochMs).toISOString();

/** Wall-clock and monotonic time together: ISO stamps for the record, exact differences for the window. */
function stamp(): { wall: number; mono: number } {
  return { wall: Date.now(), mono: performance.now() };
}

export async function guardedSwitchover(ctx: Ctx): Promise<SwitchoverOutcome> {
  const p = ctx.params;
  const slot = slotNameOf(p);
  const gate = await checkGate(ctx); // throws GateError: nothing frozen on the source
  const compare = p.verifyInWindow;
  const s = await openSessions(ctx, compare);
  const ui = ctx.ui;
  // ---- preparation (the source still takes writes) ----
  let subSyncBefore: string | null = null;
  const loginRoles: string[] = [];
  let sourceFrozen = false;
  let reverseSlotLsn: string | null = null;
  const outputs: Record<string, unknown> = { gateLagBytes: gate.lagBytes, tables: gate.tables };
  const t: { freeze?: ReturnType<typeof stamp>; open?: ReturnType<typeof stamp> } = {};
  try {
    const ourPids = await Promise.all([s.srcCtl, s.srcSpare, s.srcSeq, s.srcCmp].filter((x): x is Session => !!x).map(backendPid));
    const tgtPids = await Promise.all([s.tgtCtl, s.tgtCmp].filter((x): x is Session => !!x).map(backendPid));
    const srcOids = await sequenceOids(s.srcCtl);
    const tgtOids = await sequenceOids(s.tgtCtl);
    const seqs = [...srcOids.keys()].map((k) => ({ oid: tgtOids.get(k), name: fromKey(k) }));
    const absent = seqs.filter((x) => x.oid === undefined);
    if (absent.length) throw new GateError(`sequence(s) missing on the target: ${absent.slice(0, 5).map((x) => display(x.name)).join(', ')}`);
    const readSeqs = readSequencesSql(seqs.map((x) => x.name));
    const toCompare: TableToCompare[] = compare
      ? (await sourceReplicatedTables(s.srcCtl, p, false)).map((x) => ({ schema: x.schema, name: x.name, checksum: false }))
      : [];
    for (const role of p.freezeRoles) {
      const r = await s.srcCtl.query<{ l: boolean }>('SELECT rolcanlogin AS l FROM pg_roles WHERE rolname = $1', [role]);
      if (!r.rows[0]) throw new GateError(`freezeRoles: the role "${role}" does not exist on the source`);
      if (r.rows[0].l) loginRoles.push(role);
    }
    const sub = await findSubscription(s.tgtCtl, p.subscription);
    if (sub && sub.synchronousCommit !== 'on') {
      subSyncBefore = sub.synchronousCommit;
      await s.tgtCtl.query(setSubscriptionOptionSql(p.subscription, 'synchronous_commit', 'on'));
    }
    if (p.reverseReplication && !(await findPublication(s.tgtCtl, p.reversePublication))) {
      await s.tgtCtl.query(createPublicationSql(p.reversePublication, { kind: 'all' }));
      await s.tgtCtl.query(commentOnSql('PUBLICATION', p.reversePublication, ownerComment(ctx.runId)));
    }
    // The target: read-only (again, idempotent) and nobody but us connected to it.
    if (!(await frozenBySystem(s.tgtCtl))) for (const st of FREEZE) await s.tgtCtl.query(st);
    const tgtTerminated = await s.tgtCtl.query(TERMINATE_CLIENTS_SQL, [tgtPids]);
    outputs.targetSessionsTerminated = tgtTerminated.rowCount ?? 0;
    // Let the apply worker pick up synchronous_commit = on and catch up once more before the freeze.
    const settle = performance.now() + 2000;
    for (;;) {
      const lag = await slotLag(s.srcCtl, slot);
      if ((lag.lagBytes ?? Infinity) <= p.lagThresholdBytes || performance.now() > settle) break;
      await sleep(DRAIN_POLL_MS);
    }
    if (ctx.signal.aborted) throw new GateError('aborted by the operator before the freeze');

    // ================= the write-unavailable window starts here =================
    t.freeze = stamp();
    const deadline = t.freeze.mono + p.switchoverTimeoutMs;
    const left = () => deadline - performance.now();
    sourceFrozen = true;
    for (const st of FREEZE) await within(s.srcCtl.query(st), left(), 'freezing the source');
    for (const role of loginRoles) await within(s.srcCtl.query(roleLoginSql(role, false)), left(), `ALTER ROLE ${role} NOLOGIN`);
    const term = await within(s.srcCtl.query<{ pid: number }>(TERMINATE_CLIENTS_SQL, [ourPids]), left(), 'terminating client sessions');
    const killed = term.rows.map((r) => Number(r.pid));
    while (killed.length) {
      const r = await within(s.srcCtl.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1::int[])', [killed]), left(), 'waiting for terminated sessions to exit');
      if (Number(r.rows[0].n) === 0) break;
      if (left() <= 0) throw new Error(`terminated sessions did not exit within ${p.switchoverTimeoutMs} ms`);
      await sleep(2);
    }
    const frozenAt = performance.now();
    const prepared = await within(s.srcCtl.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_prepared_xacts WHERE database = current_database()'), left(), 'checking prepared transactions');
    if (Number(prepared.rows[0].n) > 0) throw new Error(`${prepared.rows[0].n} prepared transaction(s) appeared on the source; they could commit after the freeze`);
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
    // A synchronously committed marker flushes every earlier WAL record, asynchronous commits included; the WAL
    // position after it is the frozen point every acknowledged write is before.
    const markerStart = performance.now();
    await within(s.srcCtl.query(DRAIN_MARKER_SQL), left(), 'writing the drain marker');
    const frozenLsn = String((await within(s.srcCtl.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l'), left(), 'reading the WAL position')).rows[0].l);
    outputs.frozenLsn = frozenLsn;
    outputs.markerMs = round(performance.now() - markerStart);
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
    outputs.confirmedFlushLsn = confirmed;
    const copied = await within(sequenceCopy, Math.max(left(), 1000), 'copying the sequences');
    outputs.sequencesCopied = copied.copied;
    outputs.setvalMs = round(copied.ms);
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
    }
    if (p.reverseReplication) {
      // Created while the target is drained and frozen: the slot starts exactly where the new primary's own writes will.
      const r = await s.tgtCtl.query<{ l: string }>("SELECT lsn::text AS l FROM pg_create_logical_replication_slot($1, 'pgoutput')", [p.reverseSubscription]);
      reverseSlotLsn = String(r.rows[0].l);
      outputs.reverseSlotLsn = reverseSlotLsn;
    }
    // ---- open the target ----
    const openStart = performance.now();
    for (const st of UNFREEZE) await s.tgtCtl.query(st);
    t.open = stamp();
    outputs.openMs = round(t.open.mono - openStart);
    // ================= the window ends here =================
    outputs.freezeStartedAt = iso(t.freeze.wall);
    outputs.targetOpenedAt = iso(t.open.wall);
    outputs.writeUnavailableMs = round(t.open.mono - t.freeze.mono);
    outputs.sourceFreezeMs = round(frozenAt - t.freeze.mono);
    outputs.terminatedBackends = killed.length;
    // The old primary must not feed the new one any more.
    try {
      await s.tgtCtl.query(alterSubscriptionSql(p.subscription, 'DISABLE'));
      outputs.subscriptionDisabled = true;
    } catch (err) {
      ui.log('warn', `could not disable the subscription after the switchover: ${messageOf(err)}; disable it by hand (ALTER SUBSCRIPTION … DISABLE)`);
      outputs.subscriptionDisabled = false;
    }
    return {
      status: 'succeeded',
      outputs,
      message: `switched over: writes were unavailable for ${outputs.writeUnavailableMs} ms (drain ${outputs.drainMs} ms, ${outputs.sequencesCopied} sequence(s) copied); the old source stays read-only`,
    };
  } catch (err) {
    const findings = (err as { findings?: Finding[] }).findings;
    if (!sourceFrozen) {
      await restoreSubscription(s, p.subscription, subSyncBefore);
      return {
        status: 'failed',
        outputs,
        findings,
        message: `the switchover did not start (the source was never frozen): ${messageOf(err)}`,
      };
    }
    // ---- ABORT: hand the source back, keep the target frozen ----
    const abortStart = stamp();
    const reopened = await reopenSource(ctx, s, loginRoles);
    if (reverseSlotLsn) await s.tgtCtl.query('SELECT pg_drop_replication_slot($1)', [p.reverseSubscription]).catch(() => undefined);
    await restoreSubscription(s, p.subscription, subSyncBefore);
    const freeze = t.freeze ?? abortStart;
    Object.assign(outputs, {
      aborted: true,
      freezeStartedAt: iso(freeze.wall),
      sourceReopenedAt: reopened.ok ? iso(reopened.at.wall) : null,
      sourceReadOnlyMs: reopened.ok ? round(reopened.at.mono - freeze.mono) : null,
      targetFrozen: true,
    });
    if (!reopened.ok) {
      return {
        status: 'failed', outputs, findings,
        message: `SWITCHOVER ABORTED AND THE SOURCE COULD NOT BE REOPENED (${reopened.error}). Run on the source now: ALTER SYSTEM RESET default_transaction_read_only; SELECT pg_reload_conf();${loginRoles.length ? ` and ALTER ROLE … LOGIN for ${loginRoles.join(', ')}` : ''}. Cause: ${messageOf(err)}`,
      };
    }
    return {
      status: 'aborted', outputs, findings,
      message: `switchover aborted: ${messageOf(err)}. The source is writable again (read-only for ${outputs.sourceReadOnlyMs} ms); the target stays read-only and keeps replicating. Fix the cause and run the switchover again.`,
    };
  } finally {
    await closeSessions(s);
  }
}

async function restoreSubscription(s: Sessions, name: string, before: string | null): Promise<void> {
  if (before === null) return;
  await s.tgtCtl.query(setSubscriptionOptionSql(name, 'synchronous_commit', before)).catch(() => undefined);
}

/** Source writable again: on the spare session, else on a fresh one. */
async function reopenSource(ctx: Ctx, s: Sessions, loginRoles: string[]): Promise<{ ok: true; at: ReturnType<typeof stamp> } | { ok: false; error: string }> {
  const attempt = async (q: Session) => {
    for (const st of UNFREEZE) await q.query(st);
    const at = stamp();
    for (const role of loginRoles) await q.query(roleLoginSql(role, true));
    return at;
  };
  try {
    return { ok: true, at: await within(attempt(s.srcSpare), 1000, 'reopening the source') };
  } catch (first) {
    try {
      const fresh = await ctx.connect('source');
      try {
        return { ok: true, at: await attempt(fresh) };
      } finally {
        await fresh.end().catch(() => undefined);
      }
    } catch (second) {
      return { ok: false, error: `${messageOf(first)}; then ${messageOf(second)}` };
    }
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
