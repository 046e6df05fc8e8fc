/**
 * The cases of the switchover fault suite (issue 8), shared by every version pair's test file. Each case places one
 * fault at an exact point of the protocol (docs/switchover.md), under a libpq multi-host writer and a sampler of both
 * servers, then lets only the tool act (the CLI's --resume) and asserts: never two writable servers, no acknowledged
 * write lost or duplicated, the documented end state, rows equal on both sides. docs/switchover-faults.md is the
 * table of these cases.
 *
 * Tiers: 'fast' cases run by default (every guarantee category); 'all' cases only with PGPILOT_FAULTS=all.
 */
import assert from 'node:assert/strict';
import { Client } from 'pg';
import { restartServer, stopServer, type LabServer } from './lab';
import { describeCli, sampleFigures, type CliRun, type FaultBench, type Role, type Seen } from './switchover-fault-kit';
import { describeTimeline, type WritableSampler } from './writable-sampler';

export type Tier = 'fast' | 'all';

export interface FaultCase {
  name: string;
  /** Where the fault hits, for the docs table. */
  where: string;
  /** Needs a run that has not switched over yet; 'forward' cases leave the target open (the next one resets). */
  endsOpen: boolean;
  run(b: FaultBench, ctx: CaseContext): Promise<void>;
}

export interface CaseContext {
  /** A run paused (or aborted) right before the switchover, prepared if needed. */
  runId: string;
}

/** The target's opening statement (docs/switchover.md: one atomic ALTER DATABASE … RESET). */
export const OPENING_STATEMENT = /ALTER\s+DATABASE\s+.*\bRESET\s+"?default_transaction_read_only/i;
/** Exit statuses of the CLI (src/cli/runs.ts EXIT). */
const EXIT = { succeeded: 0, failed: 1, paused: 3, aborted: 130 } as const;
/** How long the window is held open by a blocked apply before a server is stopped in it (bounded wait). */
const WINDOW_WAIT_MS = 90_000;
/** The switchover timeout of the cases that want it to fire (a blocked apply): seconds. */
const SHORT_TIMEOUT_S = 3;
/** A run whose opening statement lost its connection or reply must end by itself within this (from the fault). */
const OPENING_BOUND_MS = 60_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The CLI's last word on a run: the step table of a JSON result, for assertion messages. */
function statusOf(r: CliRun): string | undefined {
  return r.json?.status;
}

function expectExit(r: CliRun, status: keyof typeof EXIT, what: string): void {
  assert.equal(r.code, EXIT[status], `${what}: expected the CLI to end ${status} (exit ${EXIT[status]})\n${describeCli(r)}`);
}

/**
 * The apply on the target blocked: a lock that conflicts with the apply's inserts into the probe table, from a
 * session named like the tool's own (the switchover keeps those). SHARE mode: it assigns no transaction id, so the
 * reverse slot, created before the freeze, does not wait for it.
 */
async function blockApply(target: LabServer): Promise<Client> {
  const c = new Client({ host: target.host, port: target.port, user: target.user, password: target.password, database: 'postgres', application_name: 'pg-upgrade-pilot' });
  c.on('error', () => undefined);
  await c.connect();
  await c.query('BEGIN');
  await c.query('LOCK TABLE pgpilot_probe IN SHARE MODE');
  return c;
}

async function release(c: Client): Promise<void> {
  await c.query('ROLLBACK').catch(() => undefined);
  await c.end().catch(() => undefined);
}

/**
 * Resolves when the sampler sees the window (source not writable, target read-only) while the CLI run is still
 * going; bounded, and it fails at once with the run's account if the run ended first (e.g. refused at its gate).
 */
async function windowOpened(watch: { sampler: WritableSampler }, running: Promise<CliRun>): Promise<number> {
  let ended: CliRun | undefined;
  void running.then((r) => { ended = r; });
  await watch.sampler.waitFor((l) => {
    if (ended) throw new Error(`the run ended before its window was seen:\n${describeCli(ended)}`);
    // 'unreachable' counts: the freeze terminates every client session of the source, sampler sessions included
    return l.source !== undefined && l.source !== 'writable' && l.target === 'read-only';
  }, WINDOW_WAIT_MS, 'the switchover window (neither server writable)');
  return Date.now();
}

function firstSampleAt(seen: Seen, server: Role, state: string, from = 0): number | undefined {
  return seen.timeline.samples.find((s) => s.server === server && s.state === state && s.at >= from)?.at;
}

async function finish(b: FaultBench, name: string, where: string, seen: Seen, expect: { writable: Role; faultAt?: number; replicated?: boolean; note?: string }): Promise<void> {
  const recoveryMs = await b.assertEndState(seen, { ...expect, context: name });
  b.report({ name, endState: expect.writable === 'target' ? 'target open, source read-only' : 'source writable, target read-only', recoveryMs, ...sampleFigures(seen), note: [where, expect.note].filter(Boolean).join(' — ') });
}

// ---------------------------------------------------------------------------------------------------------------

/** The connection to the target is lost right after its opening statement ran (cut), or its reply is lost (swallow). */
function openingLost(action: 'cut' | 'swallow'): FaultCase {
  const name = action === 'cut' ? 'opening statement: connection cut after it ran' : 'opening statement: reply swallowed';
  const where = 'the target\'s ALTER DATABASE … RESET default_transaction_read_only, through the proxy';
  return {
    name, where, endsOpen: true,
    async run(b, { runId }) {
      b.proxies.target.arm({ on: OPENING_STATEMENT, action });
      const watch = await b.watch();
      let hang: string | undefined;
      let resumed: CliRun | undefined;
      try {
        const r = await b.cli(b.switchoverArgs(runId), { boundMs: OPENING_BOUND_MS, boundAfter: () => b.proxies.target.fired?.at });
        assert.ok(b.proxies.target.fired, `the opening statement never went through the proxy:\n${describeCli(r)}\nstatements: ${b.proxies.target.statements.slice(-15).map((x) => x.text).join('\n')}`);
        b.proxies.target.disarm();
        if (r.killedByBound) {
          // A finding, not the end of the case: the run was killed like a crashed runner; resume must still finish.
          hang = `${name}: the run did not end within ${OPENING_BOUND_MS / 1000} s of the fault (a wait without a bound); killed, then resumed\n${describeCli(r)}`;
        } else if (r.code !== EXIT.succeeded) {
          // After the commit point only forward: the run finishes by itself, or says resume finishes it.
          expectExit(r, 'failed', `${name}: the first run`);
        }
        if (r.code !== EXIT.succeeded) {
          resumed = await b.cli(b.resumeArgs(runId));
          expectExit(resumed, 'succeeded', `${name}: resume`);
        }
        await sleep(300);
      } finally {
        b.proxies.target.disarm();
      }
      const seen = await watch.stop();
      await finish(b, name, where, seen, {
        writable: 'target', faultAt: b.proxies.target.fired!.at,
        note: hang ? 'FINDING: the run hung after the lost reply; killed after 60 s, one --resume rolled forward' : resumed ? 'the run failed after the commit point; one --resume rolled forward' : 'the run itself rolled forward',
      });
      if (hang) assert.fail(hang);
    },
  };
}

/** The runner SIGKILLed at a fault point (src/core/runbooks/logical/fault-points.ts), then one --resume. */
function runnerKilled(point: string, expectWritable: Role): FaultCase {
  const name = `runner SIGKILL at ${point}`;
  return {
    name, where: `fault point ${point}`, endsOpen: expectWritable === 'target',
    async run(b, { runId }) {
      const watch = await b.watch();
      const killed = await b.cli(b.switchoverArgs(runId), { fault: `${point}:kill` });
      assert.equal(killed.signal, 'SIGKILL', `${name}: the runner should have been killed at ${point}\n${describeCli(killed)}`);
      const resumed = await b.cli(b.resumeArgs(runId));
      if (expectWritable === 'target') expectExit(resumed, 'succeeded', `${name}: resume rolls forward`);
      else expectExit(resumed, 'aborted', `${name}: resume aborts (the target never opened)`);
      await sleep(300);
      const seen = await watch.stop();
      await finish(b, name, `fault point ${point}`, seen, {
        writable: expectWritable, faultAt: killed.endedAt,
        note: `--resume (started at once) ended ${statusOf(resumed)} after ${resumed.endedAt - resumed.startedAt} ms; recovery includes starting that new CLI process`,
      });
    },
  };
}

/** The apply blocked by a lock on the target: the drain times out, the switchover aborts, the source takes writes again. */
const applyBlocked: FaultCase = {
  name: 'apply blocked by a lock on the target (drain timeout)', where: 'the drain (a session on the target locks a replicated table)', endsOpen: false,
  async run(b, { runId }) {
    const watch = await b.watch();
    const blocker = await blockApply(b.target);
    let r: CliRun;
    try {
      r = await b.cli(b.switchoverArgs(runId, ['--switchover-timeout', String(SHORT_TIMEOUT_S)]));
    } finally {
      await release(blocker);
    }
    expectExit(r, 'aborted', 'a drain that cannot finish aborts');
    await sleep(300);
    const seen = await watch.stop();
    const frozenAt = firstSampleAt(seen, 'source', 'read-only');
    assert.ok(frozenAt, `the source was never seen frozen\n${describeTimeline(seen.timeline)}`);
    await finish(b, this.name, this.where, seen, { writable: 'source', faultAt: frozenAt, note: `recovery = the source's whole read-only time (switchover timeout ${SHORT_TIMEOUT_S} s)` });
  },
};

/** A prepared transaction on the target: refused before anything is frozen, naming it. */
const preparedOnTarget: FaultCase = {
  name: 'prepared transaction on the target', where: 'before the freeze (the gate, or the reverse slot\'s bounded wait)', endsOpen: false,
  async run(b, { runId }) {
    const gid = 'fault-suite pending xact';
    const c = await b.admin('target');
    await c.query('BEGIN');
    await c.query('SELECT txid_current()'); // an xid: a logical slot on the target waits for it
    await c.query(`PREPARE TRANSACTION '${gid.replace(/'/g, "''")}'`);
    const watch = await b.watch();
    let r: CliRun;
    try {
      r = await b.cli(b.switchoverArgs(runId));
    } finally {
      await c.query(`ROLLBACK PREPARED '${gid.replace(/'/g, "''")}'`).catch(() => undefined);
    }
    await sleep(200);
    const seen = await watch.stop();
    assert.notEqual(r.code, EXIT.succeeded, `a prepared transaction on the target must stop the switchover\n${describeCli(r)}`);
    assert.ok((r.stdout + r.stderr).includes(gid), `the refusal must name the prepared transaction "${gid}"\n${describeCli(r)}`);
    assert.equal(firstSampleAt(seen, 'source', 'read-only'), undefined, `the source must never be frozen\n${describeTimeline(seen.timeline)}`);
    await finish(b, this.name, this.where, seen, { writable: 'source', note: `refused (exit ${r.code}) naming the transaction; the source never frozen` });
  },
};

/** A server stopped (-m immediate) inside the window, restarted after the run gave up, then --resume. */
function serverStopped(role: Role): FaultCase {
  const name = `${role} stopped -m immediate inside the window`;
  return {
    name, where: 'the drain (held open by a blocked apply), then pg_ctl stop -m immediate', endsOpen: role === 'target',
    async run(b, { runId }) {
      const server = role === 'source' ? b.source : b.target;
      const watch = await b.watch();
      const blocker = await blockApply(b.target);
      const running = b.cli(b.switchoverArgs(runId, ['--switchover-timeout', String(SHORT_TIMEOUT_S)]));
      let stoppedAt: number;
      try {
        await windowOpened(watch, running);
        stoppedAt = Date.now();
        await stopServer(server, { mode: 'immediate' });
      } finally {
        if (role === 'source') await release(blocker); // a stopped target took the lock with it
      }
      const first = await running;
      assert.notEqual(first.code, EXIT.succeeded, `the run cannot succeed with the ${role} gone\n${describeCli(first)}`);
      await restartServer(server, { mode: 'immediate' });
      await release(blocker);
      // Without the commit point the source is handed back (the target never opened): by the run itself, or by
      // --resume once the server is back. For a stopped target the switchover then completes on the next attempt,
      // which finds the reverse slot the aborted attempt could not drop on the stopped target.
      let resumed: CliRun | undefined;
      if (first.code !== EXIT.aborted) {
        resumed = await b.cli(b.resumeArgs(runId));
        expectExit(resumed, 'aborted', `${name}: resume after the restart aborts`);
      }
      let again: CliRun | undefined;
      if (role === 'target') {
        again = await b.cli(b.resumeArgs(runId));
        expectExit(again, 'succeeded', `${name}: the next attempt (reverse slot left behind) succeeds`);
      }
      const slotLeft = first.json?.steps?.find((x) => x.id === 'switchover')?.outputs?.reverseSlotLeft;
      await sleep(300);
      const seen = await watch.stop();
      await finish(b, name, this.where, seen, {
        writable: role === 'target' ? 'target' : 'source', faultAt: stoppedAt,
        note: `first run ${first.json?.status ?? `exit ${first.code}`}${slotLeft ? ` (reverse slot left: ${String(slotLeft).slice(0, 80)})` : ''}${resumed ? `; after the restart --resume ${statusOf(resumed)}` : ''}${again ? `; the next --resume ${statusOf(again)}` : ''}; recovery includes the switchover timeout${first.code === EXIT.aborted ? '' : ' and the restart'}`,
      });
    },
  };
}

/** The forward walsender terminated while the drain waits: the apply reconnects and the drain finishes. */
const walsenderKilled: FaultCase = {
  name: 'walsender terminated during the drain', where: 'the drain (held briefly by a blocked apply), pg_terminate_backend of the subscription\'s walsender', endsOpen: true,
  async run(b, { runId }) {
    const watch = await b.watch();
    const blocker = await blockApply(b.target);
    const running = b.cli(b.switchoverArgs(runId));
    let killedAt: number;
    try {
      await windowOpened(watch, running);
      // From another database: the freeze ends the replicated database's sessions, and this one could be among them.
      const r = await b.sql<{ pid: number }>('source', `SELECT active_pid AS pid, pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'pgpilot_upgrade' AND active_pid IS NOT NULL`, undefined, 'template1');
      assert.equal(r.length, 1, 'the subscription\'s walsender was running');
      killedAt = Date.now();
    } finally {
      await release(blocker);
    }
    const done = await running;
    expectExit(done, 'succeeded', 'the drain survives a walsender restart');
    await sleep(300);
    const seen = await watch.stop();
    await finish(b, this.name, this.where, seen, { writable: 'target', faultAt: killedAt, note: 'the apply reconnects (wal_retrieve_retry_interval 0.5 s) and the drain finishes' });
  },
};

/**
 * After the commit point the runner dies and someone reopens the old source by hand before resuming (the journal says
 * "committed", the live facts say the source takes writes and the target is read-only). Resume must not open the
 * target on the journal's word: it must start a new attempt (freeze, drain the writes made meanwhile, then open).
 */
const sourceReopenedAfterCommit: FaultCase = {
  name: 'source reopened by hand after the commit point, then resume',
  where: 'fault point after-commit-journaled (runner killed), then ALTER DATABASE … RESET on the source by a person',
  endsOpen: true,
  async run(b, { runId }) {
    const watch = await b.watch();
    const killed = await b.cli(b.switchoverArgs(runId), { fault: 'after-commit-journaled:kill' });
    assert.equal(killed.signal, 'SIGKILL', `the runner should have been killed after its commit point\n${describeCli(killed)}`);
    await (await b.admin('source')).query('ALTER DATABASE postgres RESET default_transaction_read_only');
    await watch.sampler.waitFor((l) => l.source === 'writable', 30_000, 'the source writable again (reopened by hand)');
    const reopenedAt = Date.now();
    await sleep(1000); // the writer lands on the source again
    const resumed = await b.cli(b.resumeArgs(runId));
    expectExit(resumed, 'succeeded', 'resume starts a new attempt (the live facts win over the journal)');
    await sleep(300);
    const seen = await watch.stop();
    await finish(b, this.name, this.where, seen, { writable: 'target', faultAt: reopenedAt, note: `--resume ${statusOf(resumed)}: a new attempt froze, drained and opened; every write made on the reopened source reached the target` });
  },
};

/** Every case; `tier` says which run by default. Abort-ending cases first: they reuse one prepared run. */
export function faultCases(): Array<FaultCase & { tier: Tier }> {
  return [
    { ...applyBlocked, tier: 'fast' },
    { ...preparedOnTarget, tier: 'fast' },
    { ...runnerKilled('after-source-freeze', 'source'), tier: 'fast' },
    { ...runnerKilled('during-drain', 'source'), tier: 'fast' },
    { ...runnerKilled('after-terminate', 'source'), tier: 'all' },
    { ...runnerKilled('after-drain', 'source'), tier: 'all' },
    { ...serverStopped('source'), tier: 'fast' },
    { ...openingLost('cut'), tier: 'fast' },
    { ...openingLost('swallow'), tier: 'fast' },
    { ...runnerKilled('after-commit-journaled', 'target'), tier: 'fast' },
    { ...runnerKilled('after-target-open', 'target'), tier: 'fast' },
    { ...runnerKilled('before-freeze', 'target'), tier: 'all' },
    { ...runnerKilled('after-switchover', 'target'), tier: 'all' },
    { ...serverStopped('target'), tier: 'fast' },
    { ...walsenderKilled, tier: 'fast' },
    { ...sourceReopenedAfterCommit, tier: 'all' },
  ];
}

export const allFaults = (): boolean => process.env.PGPILOT_FAULTS === 'all';
