/**
 * Client routing through a REAL PgBouncer (Debian's 1.18, transaction pooling) in front of the source, under load:
 * a reconnecting heartbeat client every 20 ms plus TPC-B writers, all through the pooler. The guarantees:
 *   - an aborted switchover: 0 client errors, clients continue on the old server, the pooler still points there;
 *   - a switchover: 0 client errors, 0 lost commits, balances agree, the writes land on the new server, the pooler's
 *     pgbouncer.ini is repointed (comments and order kept) and the stall is measured in the step's outputs;
 *   - after-open / after-abort host hooks run (argv, no shell) and their results are journaled.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { startPgBouncer, stopPgBouncer, type LabPgBouncer } from '../../src/core/lab/pgbouncer';
import { isPortFree } from '../../src/core/lab/ports';
import { checkBalances, ensureProbeTable, initPgbenchData, startProbe, startWriters } from '../../src/core/probe';
import { clientRoutingFor, routingOutputsOf, setPoolerPasswordProvider } from '../../src/core/routing';
import type { StepContext } from '../../src/core/runbook/types';
import type { ClientRoutingParams } from '../../src/core/routing';
import { APP_PASSWORD, APP_ROLE, createAppRole, describeRun, runLogical, scalar, sleep, startPair, stepOf, type Pair } from './logical-kit';

const PORT_BASE = Number(process.env.PGPILOT_TEST_PORT_BASE) || 24500;
const journalDir = mkdtempSync(join(tmpdir(), 'pgpilot-routing-journal-'));
const work = mkdtempSync(join(tmpdir(), 'pgpilot-routing-'));
chmodSync(work, 0o755);

async function freePort(from: number): Promise<number> {
  for (let p = from; p < from + 200; p++) if (await isPortFree(p)) return p;
  throw new Error('no free port for the pooler');
}

async function poolerDb(pb: LabPgBouncer): Promise<{ host: string; port: number; paused: number }> {
  const c = new Client({ host: pb.host, port: pb.port, user: pb.adminUser, password: pb.adminPassword, database: 'pgbouncer' });
  await c.connect();
  try {
    const rows = (await c.query('SHOW DATABASES')).rows as Array<{ name: string; host: string; port: number; paused: number }>;
    const r = rows.find((x) => x.name === 'postgres')!;
    return { host: r.host, port: Number(r.port), paused: Number(r.paused) };
  } finally {
    await c.end();
  }
}

/** The shape of `routing.<hook>` in the step's outputs (what the journal and the record keep). */
interface RoutingOut {
  pgbouncer: { poolers: Array<Record<string, unknown>> };
  hooks: Array<{ ok: boolean }>;
}

const counts = async (c: Client, run: string) => Number(await scalar(c, 'SELECT count(*) FROM pgpilot_probe WHERE run = $1', [run]));

describe('client routing through PgBouncer', { concurrency: 1 }, () => {
  let pair: Pair;
  let pb: LabPgBouncer;
  let runId: string;
  let routing: ClientRoutingParams;
  const marks = join(work, 'marks');

  before(async () => {
    pair = await startPair('14', '16', PORT_BASE + 100);
    await createAppRole(pair.src);
    await ensureProbeTable(pair.src);
    await initPgbenchData(pair.src, 1);
    await pair.src.query(`GRANT ALL ON ALL TABLES IN SCHEMA public TO ${APP_ROLE}`);
    pb = await startPgBouncer({ port: await freePort(PORT_BASE + 190), dir: join(work, 'pgbouncer'), server: pair.source, users: { [APP_ROLE]: APP_PASSWORD }, databases: ['postgres'] });
    setPoolerPasswordProvider(async () => pb.adminPassword); // the extension's SecretStorage, as a test stand-in
    routing = {
      kind: 'pgbouncer',
      poolers: [{ admin: pb.adminConnection, config: { path: pb.configFile, executor: 'local', osUser: pb.osUser } }],
      hooks: [
        { at: 'after-open', argv: ['/usr/bin/mkdir', '-p', join(marks, 'after-open')] },
        { at: 'after-abort', argv: ['/usr/bin/mkdir', '-p', join(marks, 'after-abort')] },
      ],
    };
    const r = await runLogical(pair, { clientRouting: routing }, { until: 'verify-data', journalDir });
    assert.equal(r.status, 'paused', describeRun(r));
    const pre = stepOf(r, 'preflight');
    assert.equal(pre.status, 'succeeded', describeRun(r));
    runId = r.runId;
  });

  after(async () => {
    setPoolerPasswordProvider(undefined);
    if (pb) await stopPgBouncer(pb);
    await pair?.stop();
    rmSync(journalDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  const viaPooler = () => `host=${pb.host} port=${pb.port} user=${APP_ROLE} dbname=postgres connect_timeout=5`;

  test('a routing built afresh (a resumed run in another process) finds the PAUSEd pooler and RESUMEs it on abort', { timeout: 60_000 }, async () => {
    const ctxFor = (runId: string) => ({
      runId, params: { clientRouting: routing, switchoverTimeoutMs: 10_000 }, ui: { confirm: async () => ({ confirmed: true }), progress: () => undefined, log: () => undefined },
      signal: new AbortController().signal, dryRun: false,
      connection: (role: string) => {
        if (role === 'source') return pair.source.connection;
        if (role === 'target') return pair.target.connection;
        throw new Error(`no ${role}`);
      },
    }) as unknown as StepContext<{ clientRouting: ClientRoutingParams }>;
    const first = clientRoutingFor(ctxFor('run-a'));
    await first.beforeFreeze();
    assert.equal((await poolerDb(pb)).paused, 1, 'paused by the first process');
    const afresh = clientRoutingFor(ctxFor('run-b')); // nothing held for this run: the state comes from the pooler
    const out = await afresh.afterAbort() as { pgbouncer: { poolers: Array<{ ok: boolean; databases: string[] }> } };
    assert.equal(out.pgbouncer.poolers[0].ok, true, JSON.stringify(out));
    assert.deepEqual(out.pgbouncer.poolers[0].databases, ['postgres']);
    assert.deepEqual(await poolerDb(pb), { host: '127.0.0.1', port: pair.source.port, paused: 0 });
    assert.ok(!existsSync(`${pb.configFile}.pgpilot-new`), 'the copy prepared by the first process is gone');
    await first.afterAbort(); // settles the first one (its RESUME finds nothing paused)
  });

  test('a failing before-freeze hook: no switchover, the pooler never paused, the source never frozen', { timeout: 60_000 }, async () => {
    const failing = { ...routing, hooks: [{ at: 'before-freeze', argv: ['/bin/false'] }] } as ClientRoutingParams;
    const r = await runLogical(pair, { clientRouting: failing }, { only: 'switchover', runId, journalDir });
    await pair.reconnect();
    const step = stepOf(r, 'switchover');
    assert.equal(step.status, 'failed', describeRun(r));
    assert.match(step.message ?? '', /did not start[\s\S]*before-freeze hook failed/);
    assert.equal((await poolerDb(pb)).paused, 0);
    assert.equal((await poolerDb(pb)).port, pair.source.port);
    const fresh = new Client({ host: pair.source.host, port: pair.source.port, user: pair.source.user, password: pair.source.password, database: 'postgres' });
    await fresh.connect();
    assert.equal(await scalar(fresh, 'SHOW default_transaction_read_only'), 'off', 'the source was never frozen');
    await fresh.end();
  });

  test('a PAUSE that cannot finish in time (a transaction held open through the pooler): no switchover, clients resumed, the transaction commits', { timeout: 60_000 }, async () => {
    const app = new Client({ host: pb.host, port: pb.port, user: APP_ROLE, password: APP_PASSWORD, database: 'postgres' });
    await app.connect();
    try {
      await app.query('BEGIN');
      await app.query("INSERT INTO pgpilot_probe (id, run) VALUES (-1, 'held')");
      const slow = { ...routing, poolers: routing.kind === 'pgbouncer' ? routing.poolers.map((p) => ({ ...p, pauseTimeoutMs: 500 })) : [] } as ClientRoutingParams;
      const r = await runLogical(pair, { clientRouting: slow }, { only: 'switchover', runId, journalDir });
      await pair.reconnect();
      const step = stepOf(r, 'switchover');
      assert.equal(step.status, 'failed', describeRun(r));
      assert.match(step.message ?? '', /did not start[\s\S]*PAUSE postgres[\s\S]*did not finish within 500 ms[\s\S]*1 client\(s\) still inside a transaction/);
      assert.equal((await poolerDb(pb)).paused, 0, 'the pooler was RESUMEd');
      const fresh = new Client({ host: pair.source.host, port: pair.source.port, user: pair.source.user, password: pair.source.password, database: 'postgres' });
      await fresh.connect();
      assert.equal(await scalar(fresh, 'SHOW default_transaction_read_only'), 'off', 'the source was never frozen');
      await fresh.end();
      await app.query('COMMIT');
      assert.equal(Number(await scalar(pair.src, "SELECT count(*) FROM pgpilot_probe WHERE run = 'held'")), 1, 'the held transaction committed on the old server');
      assert.ok(!existsSync(`${pb.configFile}.pgpilot-new`), 'the prepared copy is gone');
    } finally {
      await app.end().catch(() => undefined);
    }
  });

  test('an aborted switchover: 0 client errors, clients continue on the old server; then the switchover moves them with 0 errors and 0 lost', { timeout: 180_000 }, async () => {
    // Clients that wait as long as the pooler lets them (the stall is measured, not an error).
    const probe = await startProbe({ connection: viaPooler(), password: APP_PASSWORD, intervalMs: 20, attemptTimeoutMs: 60_000 });
    const writers = await startWriters({ connection: viaPooler(), password: APP_PASSWORD, clients: 4, attemptTimeoutMs: 60_000 });
    const stopLoad = async () => ({ probeReport: await probe.stop(), writersReport: await writers.stop() });
    try {
      // ---- abort: the apply worker is blocked behind a lock, so the drain cannot finish in time ----
      const blocker = new Client({ host: pair.target.host, port: pair.target.port, user: pair.target.user, password: pair.target.password, database: 'postgres', application_name: 'pg-upgrade-pilot' });
      await blocker.connect();
      await blocker.query('BEGIN');
      // SHARE blocks the apply's inserts without taking an xid (the reverse slot, prepared before the freeze, must not wait)
      await blocker.query('LOCK TABLE pgpilot_probe IN SHARE MODE');
      let aborted;
      try {
        await sleep(500);
        aborted = await runLogical(pair, { clientRouting: routing, switchoverTimeoutMs: 2000, lagThresholdBytes: 64 << 20 }, { only: 'switchover', runId, journalDir });
      } finally {
        await blocker.query('ROLLBACK').catch(() => undefined);
        await blocker.end().catch(() => undefined);
      }
      assert.equal(aborted.status, 'aborted', describeRun(aborted));
      await pair.reconnect(); // the switchover terminated our sessions too
      const abortOut = { routing: routingOutputsOf(stepOf(aborted, 'switchover').outputs) as { afterAbort: RoutingOut } };
      const resumed = abortOut.routing.afterAbort.pgbouncer.poolers[0];
      assert.equal(resumed.ok, true, JSON.stringify(abortOut.routing));
      assert.equal(abortOut.routing.afterAbort.hooks[0].ok, true, 'the after-abort hook ran');
      assert.ok(existsSync(join(marks, 'after-abort')));
      assert.ok(!existsSync(`${pb.configFile}.pgpilot-new`), 'the copy prepared before the PAUSE is gone');
      assert.match(readFileSync(pb.configFile, 'utf8'), new RegExp(`^postgres = host=127\\.0\\.0\\.1 port=${pair.source.port} dbname=postgres$`, 'm'), 'the file was never touched');
      assert.deepEqual(await poolerDb(pb), { host: '127.0.0.1', port: pair.source.port, paused: 0 }, 'the pooler still points at the old server, resumed');
      const srcBefore = await counts(pair.src, probe.run);
      await sleep(600);
      assert.ok((await counts(pair.src, probe.run)) > srcBefore, 'clients continue on the old server after the abort');
      assert.equal(probe.snapshot().failedAttempts, 0, `probe errors after the abort: ${probe.snapshot().lastError}`);
      assert.equal(writers.snapshot().failedAttempts, 0, 'writer errors after the abort');

      // ---- the cause is gone: the switchover moves the clients ----
      await sleep(1000);
      const done = await runLogical(pair, { clientRouting: routing }, { only: 'switchover', runId, journalDir });
      assert.equal(stepOf(done, 'switchover').status, 'succeeded', describeRun(done));
      const outputs = stepOf(done, 'switchover').outputs ?? {};
      const out = { writeUnavailableMs: Number(outputs.writeUnavailableMs), routing: routingOutputsOf(outputs) as { beforeFreeze: RoutingOut; afterOpen: RoutingOut } };
      const moved = out.routing.afterOpen.pgbouncer.poolers[0];
      assert.equal(moved.ok, true, JSON.stringify(out.routing));
      assert.equal(moved.repointedTo, `127.0.0.1:${pair.target.port}`);
      assert.ok(Number(moved.stallMs) >= Number(out.writeUnavailableMs), `stall ${moved.stallMs} ms covers the window ${out.writeUnavailableMs} ms`);
      assert.equal(out.routing.afterOpen.hooks[0].ok, true, 'the after-open hook ran');
      assert.ok(existsSync(join(marks, 'after-open')));
      console.log(`# pgbouncer: paused ${out.routing.beforeFreeze.pgbouncer.poolers[0].pauseMs} ms to quiesce, window ${out.writeUnavailableMs} ms, client stall ${moved.stallMs} ms, ${moved.clientsWaitingAtResume} client(s) waiting at RESUME`);
      assert.deepEqual(await poolerDb(pb), { host: '127.0.0.1', port: pair.target.port, paused: 0 });
      const ini = readFileSync(pb.configFile, 'utf8');
      assert.match(ini, new RegExp(`^postgres = host=127\\.0\\.0\\.1 port=${pair.target.port} dbname=postgres$`, 'm'));
      assert.match(ini, /^; PgBouncer for the PostgreSQL Upgrade Pilot lab/m, 'comments kept');
      assert.ok(existsSync(`${pb.configFile}.pgpilot-${runId}`), 'the original is kept');
      await sleep(800);
    } catch (err) {
      await stopLoad();
      throw err;
    }
    const { probeReport, writersReport } = await stopLoad();
    await pair.reconnect();
    // 0 client errors, through the whole abort and switchover
    assert.equal(probeReport.failedAttempts, 0, `probe errors: ${JSON.stringify(probeReport.gaps.slice(0, 3))}`);
    assert.equal(writersReport.failedAttempts, 0, 'TPC-B writers saw no error');
    // 0 lost, and the writes after the switchover landed on the new server
    const v = await probe.verify(pair.tgt);
    assert.equal(v.lostCommits, 0, `lost: ${v.lostIds.slice(0, 5).join(', ')}`);
    const w = await writers.verify(pair.tgt);
    assert.equal(w.lostCommits, 0);
    assert.ok(w.balances.balanced, JSON.stringify(w.balances));
    assert.ok((await counts(pair.tgt, probe.run)) > (await counts(pair.src, probe.run)), 'writes after the switchover are on the new server only');
    const fresh = new Client({ host: pair.source.host, port: pair.source.port, user: pair.source.user, password: pair.source.password, database: 'postgres' });
    await fresh.connect();
    assert.equal(await scalar(fresh, 'SHOW default_transaction_read_only'), 'on', 'the old server stays read-only');
    await fresh.end();
    assert.ok((await checkBalances(pair.tgt)).balanced);
  });
});
