/**
 * The guarded physical switchover: fence the primary, drain the standby to a frozen WAL position, promote it,
 * CHECKPOINT it. Bounded: if the standby has not replayed the frozen position within switchoverTimeoutMs of the fence
 * (or the fence itself fails), the primary is handed back (writable again, or started again) and the standby is NOT
 * promoted. Once pg_promote() was asked for, the primary is never reopened automatically (two primaries is worse
 * than a longer outage).
 *
 * read-only fence: ALTER SYSTEM default_transaction_read_only = on + reload, wait until sessions see it, terminate
 * every client backend (all databases; our own sessions are named pg-upgrade-pilot), no prepared transaction, then a
 * transactional marker committed with synchronous_commit = on flushes every earlier commit; the standby must replay
 * it (a stuck or delayed standby aborts here, and the abort is a mere reload). That fence is advisory: a client can
 * SET default_transaction_read_only = off. So both fences end with the HARD fence, before anything is promoted:
 * pg_ctl stop -m fast (a host step). The walsenders send everything up to the shutdown checkpoint and wait for the
 * standby to confirm it before the postmaster exits, so the standby's received position afterwards is the frozen
 * position: every write the old primary ever acknowledged is before it, and nothing can be written after it.
 */
import { performance } from 'node:perf_hooks';
import { compareLsn } from '../../catalog/lsn';
import { formatEndpoint, parseConnString, resolveConn } from '../../conn';
import { startServerCommand, stopServerCommand } from '../../hosts/commands';
import { runHostBatch } from '../../hosts/context';
import { messageOf, sleep, waitForServer } from '../../hosts/wait';
import { ensureProbeTable, multiHostConnection, startProbe, type Probe, type ProbeReport } from '../../probe';
import { APPLICATION_NAME } from '../../runbook/connections';
import { clientRoutingFor } from '../../routing';
import type { Finding, StepOutcome } from '../../runbook/types';
import { DRAIN_MARKER_SQL, FREEZE, UNFREEZE, WRITABLE_SESSION } from '../logical/statements';
import { TERMINATE_ALL_CLIENTS_SQL } from '../minor/queries';
import { pairHost, type Ctx } from './context';

export const DRAIN_POLL_MS = 10;
const PROMOTE_WAIT_SECONDS = 60;
const PROMOTE_POLL_MS = 2;

type Session = Awaited<ReturnType<Ctx['connect']>>;

interface Stamp { wall: number; mono: number }
const stamp = (): Stamp => ({ wall: Date.now(), mono: performance.now() });
const iso = (s: Stamp) => new Date(s.wall).toISOString();
const round = (ms: number) => Math.round(ms * 10) / 10;

/** Resolves with the promise's value, or rejects once `ms` have passed (the promise keeps running). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than the switchover timeout allows`)), Math.max(0, ms));
    }),
  ]).finally(() => clearTimeout(timer));
}

/** The gate: checked before anything is fenced (also the step's precondition, which adds the lag and pause checks). */
export async function checkRoles(ctx: Ctx): Promise<void> {
  const p = await (await ctx.db('primary')).query<{ rec: boolean }>('SELECT pg_is_in_recovery() AS rec');
  if (p.rows[0].rec) throw new Error('the primary connection reaches a server in recovery: nothing to switch over from');
  const s = await (await ctx.db('standby')).query<{ rec: boolean }>('SELECT pg_is_in_recovery() AS rec');
  if (!s.rows[0].rec) throw new Error('the standby is not in recovery (already promoted?)');
}

async function openSession(ctx: Ctx, role: 'primary' | 'standby', setup: string[]): Promise<Session> {
  const s = await ctx.connect(role);
  try {
    for (const st of setup) await s.query(st);
    return s;
  } catch (err) {
    await s.end().catch(() => undefined);
    throw err;
  }
}

async function endpointOf(connection: string): Promise<{ host: string; port: number; user: string; dbname: string; text: string }> {
  const r = await resolveConn(parseConnString(connection));
  const ep = r.endpoints[0];
  return { host: ep.host, port: ep.port, user: r.user, dbname: r.dbname, text: formatEndpoint(ep) };
}

interface ProbeRun {
  probe: Probe;
  standbyHost: string;
}

async function startSwitchoverProbe(ctx: Ctx, pCtl: Session): Promise<ProbeRun> {
  const p = await endpointOf(ctx.connection('primary'));
  const s = await endpointOf(ctx.connection('standby'));
  const connection = ctx.params.clientConnection ?? multiHostConnection([p, s], p.user, p.dbname, 5);
  await ensureProbeTable(pCtl, ctx.params.probeTable);
  const probe = await startProbe({ connection, password: await ctx.password('primary'), table: ctx.params.probeTable, intervalMs: 50 });
  const t0 = performance.now();
  while (probe.snapshot().acked < 5 && performance.now() - t0 < 5000) await sleep(20);
  return { probe, standbyHost: s.text };
}

async function finishProbe(run: ProbeRun, verifyOn: Session | undefined, waitMs: number): Promise<{ report: ProbeReport; outputs: Record<string, unknown>; lost: number }> {
  const t0 = performance.now();
  if (verifyOn) while (!(run.standbyHost in run.probe.snapshot().perHost) && performance.now() - t0 < waitMs) await sleep(20);
  const report = await run.probe.stop();
  const v = verifyOn ? await run.probe.verify(verifyOn) : undefined;
  const gap = report.switchoverGap;
  return {
    report,
    lost: v?.lostCommits ?? 0,
    outputs: {
      acked: report.acked, gaps: report.gaps.length, maxGapMs: report.maxGapMs,
      writeUnavailableMs: gap?.durationMs ?? null, fromHost: gap?.fromHost ?? null, toHost: gap?.toHost ?? null,
      perHost: report.perHost, lostCommits: v?.lostCommits ?? null, duplicates: v?.duplicates ?? null,
      unacknowledgedPresent: v?.unacknowledgedPresent ?? null, errorKinds: gap?.errorKinds ?? [],
    },
  };
}

/** Client backends of every database except our own sessions, terminated; resolves when they are gone. */
async function terminateClients(s: Session, left: () => number): Promise<number> {
  const r = await within(s.query<{ pid: number }>(TERMINATE_ALL_CLIENTS_SQL, [APPLICATION_NAME]), left(), 'terminating client sessions');
  const pids = r.rows.map((x) => Number(x.pid));
  while (pids.length) {
    const n = await within(s.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1::int[])', [pids]), left(), 'waiting for terminated sessions to exit');
    if (Number(n.rows[0].n) === 0) break;
    if (left() <= 0) throw new Error(`terminated sessions did not exit within the switchover timeout`);
    await sleep(2);
  }
  return pids.length;
}

/** Polls the standby until it has replayed `lsn`; throws (→ abort) once the bound has passed. */
async function drainTo(ctx: Ctx, sCtl: Session, lsn: string, left: () => number, outputs: Record<string, unknown>): Promise<string> {
  for (;;) {
    const r = await within(sCtl.query<{ r: string | null }>('SELECT pg_last_wal_replay_lsn()::text AS r'), Math.max(left(), 1000), 'polling the standby');
    const replayed = r.rows[0].r;
    if (replayed && compareLsn(replayed, lsn) >= 0) return replayed;
    if (ctx.signal.aborted) throw new Error('aborted by the operator during the drain');
    if (left() <= 0) {
      outputs.standbyReplayLsn = replayed;
      throw new Error(`the standby did not replay the frozen position ${lsn} within ${ctx.params.switchoverTimeoutMs} ms of the fence (it is at ${replayed ?? 'nothing'}): replay is paused, delayed, stuck or too slow`);
    }
    await sleep(Math.min(DRAIN_POLL_MS, Math.max(0, left())));
  }
}

export async function guardedPhysicalSwitchover(ctx: Ctx): Promise<StepOutcome> {
  const params = ctx.params;
  await checkRoles(ctx);
  const outputs: Record<string, unknown> = { fence: params.fence, hardFence: 'stop' };
  const findings: Finding[] = [];
  const breakdown: Array<{ phase: string; ms: number }> = [];
  const routing = clientRoutingFor(ctx);
  const primaryHost = await pairHost(ctx, 'primary');
  const control = [WRITABLE_SESSION, 'SET synchronous_commit = on', "SET statement_timeout = '5s'", "SET lock_timeout = '2s'"];
  const sCtl = await openSession(ctx, 'standby', ['SET statement_timeout = 0']);
  let pCtl: Session | undefined;
  let pWatch: Session | undefined;
  let probe: ProbeRun | undefined;
  let fenced = false;
  let stopped = false;
  let promoteAsked = false;
  const t: { freeze?: Stamp; open?: Stamp } = {};
  const phase = (name: string, since: number) => {
    const v = round(performance.now() - since);
    breakdown.push({ phase: name, ms: v });
    return v;
  };
  try {
    pCtl = await openSession(ctx, 'primary', control);
    if (params.fence === 'read-only') pWatch = await openSession(ctx, 'primary', []);
    if (params.probe) probe = await startSwitchoverProbe(ctx, pCtl);
    if (ctx.signal.aborted) throw new Error('aborted by the operator before the fence');
    outputs.routing = { beforeFreeze: await routing.beforeFreeze() };

    // ================= the write-unavailable window starts here =================
    t.freeze = stamp();
    outputs.windowBreakdown = breakdown;
    let deadline = t.freeze.mono + params.switchoverTimeoutMs;
    const left = () => deadline - performance.now();
    fenced = true;
    if (params.fence === 'read-only') {
      // 1. the soft fence, cheap to undo: new transactions read-only, every client session ended, a flushed marker
      for (const st of FREEZE) await within(pCtl.query(st), left(), 'fencing the primary');
      // every backend forked from now on inherits read-only; the watch session proves the postmaster has reloaded
      for (;;) {
        const r = await within(pWatch!.query<{ v: string }>("SELECT current_setting('default_transaction_read_only') AS v"), left(), 'waiting for the reload');
        if (r.rows[0].v === 'on') break;
        if (left() <= 0) throw new Error('the primary did not reload its configuration in time');
        await sleep(2);
      }
      outputs.terminatedBackends = await terminateClients(pCtl, left);
      const prepared = await within(pCtl.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_prepared_xacts'), left(), 'checking prepared transactions');
      if (Number(prepared.rows[0].n) > 0) throw new Error(`${prepared.rows[0].n} prepared transaction(s) appeared on the primary; they could commit after the fence`);
      await within(pCtl.query(DRAIN_MARKER_SQL), left(), 'writing the drain marker');
      const marker = String((await within(pCtl.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l'), left(), 'reading the WAL position')).rows[0].l);
      outputs.markerLsn = marker;
      outputs.fenceMs = phase('read-only fence', t.freeze.mono);
      // 2. the standby replays everything a well-behaved client had acknowledged: if it cannot, the abort is cheap
      const d0 = performance.now();
      await drainTo(ctx, sCtl, marker, left, outputs);
      phase('drain to the marker', d0);
    }
    // 3. the hard fence: a fast stop. No session on the old primary can commit anything after it, whatever it SET
    //    (a client that turned read-only off could still write until now); the walsenders send everything up to the
    //    shutdown checkpoint and wait for the standby to confirm it before the postmaster exits.
    const lower = String((await within(pCtl.query<{ l: string }>('SELECT pg_current_wal_insert_lsn()::text AS l'), Math.max(left(), 1000), 'reading the WAL position')).rows[0].l);
    await pCtl.end().catch(() => undefined);
    await pWatch?.end().catch(() => undefined);
    pCtl = undefined;
    pWatch = undefined;
    const s0 = performance.now();
    stopped = true;
    const stop = await runHostBatch(ctx, {
      stepId: 'switchover', role: 'primary', risk: 'disruptive', title: 'stop the primary (the hard fence)',
      why: 'The fence no client can lift: a fast stop ends every session, and sends the standby everything up to the shutdown checkpoint before the primary exits.',
      actions: [stopServerCommand(primaryHost, 'fast')], timeoutMs: 130_000, // a killed pg_ctl would not stop the shutdown
    });
    outputs.stopMs = stop[0]?.durationMs ?? round(performance.now() - s0);
    phase('stop the primary', s0);
    if (params.fence === 'stop') outputs.fenceMs = outputs.stopMs;
    // a manual stop took the operator's time: the drain still gets its full bound from the stop on
    if (primaryHost.executor === 'manual') deadline = performance.now() + params.switchoverTimeoutMs;
    const r = await sCtl.query<{ w: string | null }>('SELECT pg_last_wal_receive_lsn()::text AS w');
    const frozenLsn = r.rows[0].w ?? lower;
    if (compareLsn(frozenLsn, lower) < 0) throw new Error(`the standby received only up to ${frozenLsn}, before the primary's last position ${lower}: it was not streaming when the primary stopped`);
    outputs.frozenLsn = frozenLsn;
    outputs.sentLsn = frozenLsn; // a clean stop returns only once the standby confirmed everything sent

    // ---- drain: the standby must replay the frozen position (everything the stopped primary ever acknowledged) ----
    const drainStart = performance.now();
    const replayed = await drainTo(ctx, sCtl, frozenLsn, left, outputs);
    outputs.drainMs = phase('drain to the shutdown checkpoint', drainStart);
    outputs.standbyReplayLsn = replayed;

    // ---- promote: from here on the primary is never restarted automatically ----
    const promoteStart = performance.now();
    promoteAsked = true;
    // pg_promote(true) polls every 100 ms; asking without waiting and polling ourselves dates the opening exactly
    const pr = await sCtl.query<{ ok: boolean }>('SELECT pg_promote(false) AS ok');
    if (pr.rows[0].ok !== true) throw new Error('pg_promote() refused to signal the promotion');
    for (;;) {
      const q = await sCtl.query<{ rec: boolean }>('SELECT pg_is_in_recovery() AS rec');
      if (!q.rows[0].rec) break;
      if (performance.now() - promoteStart > PROMOTE_WAIT_SECONDS * 1000) throw new Error(`the standby is still in recovery ${PROMOTE_WAIT_SECONDS} s after pg_promote()`);
      await sleep(PROMOTE_POLL_MS);
    }
    t.open = stamp();
    // ================= the window ends here: the new primary takes writes =================
    outputs.promoteMs = phase('promote the standby', promoteStart);
    outputs.freezeStartedAt = iso(t.freeze);
    outputs.newPrimaryOpenedAt = iso(t.open);
    outputs.targetOpenedAt = iso(t.open);
    outputs.commitPointAt = iso(t.open);
    outputs.writeUnavailableMs = round(t.open.mono - t.freeze.mono);
    (outputs.routing as Record<string, unknown>).afterOpen = await routing.afterOpen().catch((err: unknown) => ({ error: messageOf(err) }));
    // Without it pg_rewind compares against the last checkpoint still on the old timeline and says "no rewind required".
    const ck = performance.now();
    await sCtl.query('CHECKPOINT');
    outputs.checkpointMs = round(performance.now() - ck);
    outputs.newTimeline = Number((await sCtl.query<{ tli: number }>('SELECT timeline_id AS tli FROM pg_control_checkpoint()')).rows[0].tli);
    if (probe) {
      const pr2 = await finishProbe(probe, sCtl, 20_000);
      probe = undefined;
      outputs.probe = pr2.outputs;
      if (pr2.lost > 0) {
        findings.push({ id: 'lost-commits', severity: 'error', message: `${pr2.lost} commit(s) the probe saw acknowledged are missing on the new primary.` });
        return { status: 'failed', outputs, findings, message: `the standby was promoted, but ${pr2.lost} acknowledged probe commit(s) are missing on it — investigate before moving clients (the old primary is stopped and holds them)` };
      }
    }
    return {
      status: 'succeeded', outputs, findings,
      message: `switched over: writes were unavailable for ${outputs.writeUnavailableMs} ms (${breakdown.map((b) => `${b.phase} ${b.ms} ms`).join(', ')}); the old primary is stopped; new timeline ${outputs.newTimeline}` +
        (outputs.probe ? `; the probe saw a ${String((outputs.probe as Record<string, unknown>).writeUnavailableMs)} ms gap` : ''),
    };
  } catch (err) {
    if (!fenced) return { status: 'failed', outputs, message: `the switchover did not start (the primary was never fenced): ${messageOf(err)}` };
    if (promoteAsked) {
      return {
        status: 'failed', outputs,
        message: `PROMOTION DID NOT COMPLETE (${messageOf(err)}). The old primary stays stopped so that there are never two primaries. Look at the standby's log: if it is promoted (SELECT pg_is_in_recovery() is false), go on with the run; if it is not, start the old primary by hand (${startServerCommand(primaryHost).argv.join(' ')}${params.fence === 'read-only' ? `; then ${UNFREEZE.join('; ')}` : ''}) and run the switchover again.`,
      };
    }
    // ---- ABORT: hand the primary back; the standby stays a standby ----
    const freeze = t.freeze ?? stamp();
    const back = await reopenPrimary(ctx, pCtl, primaryHost, stopped);
    Object.assign(outputs, {
      aborted: true, freezeStartedAt: iso(freeze), primaryReopenedAt: back.ok ? iso(back.at) : null,
      writeUnavailableMs: back.ok ? round(back.at.mono - freeze.mono) : null, standbyPromoted: false,
    });
    if (!back.ok) {
      const how = [stopped ? `start it: ${startServerCommand(primaryHost).argv.join(' ')}` : '', params.fence === 'read-only' ? `run on it: ${UNFREEZE.join('; ')};` : ''].filter(Boolean).join(', then ');
      return { status: 'failed', outputs, message: `SWITCHOVER ABORTED AND THE PRIMARY COULD NOT BE REOPENED (${back.error}). Now ${how} Cause: ${messageOf(err)}` };
    }
    (outputs.routing as Record<string, unknown> | undefined ?? (outputs.routing = {}) as Record<string, unknown>).afterAbort =
      await routing.afterAbort().catch((e: unknown) => ({ error: messageOf(e) }));
    return {
      status: 'aborted', outputs,
      message: `switchover aborted: ${messageOf(err)}. The primary takes writes again (unavailable for ${outputs.writeUnavailableMs} ms); the standby was not promoted. Fix the cause (e.g. SELECT pg_wal_replay_resume() on the standby, or recovery_min_apply_delay) and run the switchover again.`,
    };
  } finally {
    if (probe) {
      const pr3 = await finishProbe(probe, undefined, 0).catch(() => undefined);
      if (pr3) outputs.probe = pr3.outputs;
    }
    await Promise.allSettled([pCtl?.end(), pWatch?.end(), sCtl.end()]);
  }
}

async function reachable(ctx: Ctx): Promise<boolean> {
  try {
    const s = await ctx.connect('primary');
    await s.end().catch(() => undefined);
    return true;
  } catch {
    return false;
  }
}

/** The abort path: the primary started again if the hard fence stopped it, and writable again (read-only fence). */
async function reopenPrimary(ctx: Ctx, pCtl: Session | undefined, host: Awaited<ReturnType<typeof pairHost>>, stopped: boolean): Promise<{ ok: true; at: Stamp } | { ok: false; error: string }> {
  try {
    if (stopped && !(await reachable(ctx))) {
      await runHostBatch(ctx, {
        stepId: 'switchover', role: 'primary', risk: 'disruptive', title: 'start the primary again (switchover aborted)',
        why: 'The standby did not catch up in time: the primary goes back to work.', actions: [startServerCommand(host)], timeoutMs: ctx.params.startTimeoutMs,
      });
      await waitForServer(ctx, 'primary', { timeoutMs: ctx.params.startTimeoutMs, what: 'the primary to accept connections' });
    }
    if (ctx.params.fence === 'stop') return { ok: true, at: stamp() };
    const attempt = async (q: Session) => {
      for (const st of UNFREEZE) await q.query(st);
      return stamp();
    };
    if (pCtl && !stopped) {
      try {
        return { ok: true, at: await within(attempt(pCtl), 2000, 'reopening the primary') };
      } catch {
        // the control session is gone: a fresh one below
      }
    }
    const fresh = await ctx.connect('primary');
    try {
      return { ok: true, at: await attempt(fresh) };
    } finally {
      await fresh.end().catch(() => undefined);
    }
  } catch (err) {
    return { ok: false, error: messageOf(err) };
  }
}
