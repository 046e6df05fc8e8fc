/**
 * The ROLLING switchover with client routing through a REAL PgBouncer (Debian's 1.18, transaction pooling) in front
 * of the primary of a real PostgreSQL 15 streaming pair (issue 12: the logical upgrade was tested, the rolling one
 * was not). Clients reach the database ONLY through the pooler: a reconnecting heartbeat every 20 ms and TPC-B
 * writers. The guarantees: 0 client errors, 0 acknowledged commits lost, balances agree on the new primary, the
 * pooler points at the new primary (in SHOW DATABASES and in its pgbouncer.ini, comments kept), resumed, the stall
 * measured in the step's outputs; the old primary never takes a write after the switchover.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { hostSpecFromCluster } from '../../src/core/hosts';
import { startPgBouncer, stopPgBouncer, type LabPgBouncer } from '../../src/core/lab/pgbouncer';
import { isPortFree } from '../../src/core/lab/ports';
import { checkBalances, ensureProbeTable, initPgbenchData, startProbe, startWriters } from '../../src/core/probe';
import { routingOutputsOf, setPoolerPasswordProvider, type ClientRoutingParams } from '../../src/core/routing';
import { runRunbook } from '../../src/core/runbook/engine';
import type { RunResult } from '../../src/core/runbook/types';
import { defaultRollingSwitchoverParams, rollingSwitchoverRunbook } from '../../src/core/runbooks/rolling';
import { clientFor, startTestServers, startTestStandby, type LabServer, type TestServers } from '../helpers/lab';

const PORT_BASE = (Number(process.env.PGPILOT_TEST_PORT_BASE) || 24500) + 70;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const step = (r: RunResult, id: string) => r.steps.find((s) => s.id === id)!;
const explain = (r: RunResult) => `${r.status}: ${r.message}\n${JSON.stringify(r.steps.map((s) => [s.id, s.status, s.message]), null, 1)}`;
const local = (s: LabServer) => hostSpecFromCluster({ executor: 'local', lab: { dataDir: s.dataDir, binDir: s.binDir, osUser: s.osUser, version: s.version } });

async function freePort(from: number): Promise<number> {
  for (let p = from; p < from + 20; p++) if (await isPortFree(p)) return p;
  throw new Error('no free port for the pooler');
}

async function poolerDb(pb: LabPgBouncer): Promise<{ port: number; paused: number }> {
  const c = new Client({ host: pb.host, port: pb.port, user: pb.adminUser, password: pb.adminPassword, database: 'pgbouncer' });
  await c.connect();
  try {
    const r = ((await c.query('SHOW DATABASES')).rows as Array<{ name: string; port: number; paused: number }>).find((x) => x.name === 'postgres')!;
    return { port: Number(r.port), paused: Number(r.paused) };
  } finally {
    await c.end();
  }
}

describe('rolling switchover through PgBouncer under write load (real PG 15 pair, real PgBouncer)', { timeout: 300_000 }, () => {
  let lab: TestServers;
  let primary: LabServer;
  let standby: LabServer;
  let pb: LabPgBouncer;
  const work = mkdtempSync(join(tmpdir(), 'pgpilot-rolling-pgbouncer-'));
  chmodSync(work, 0o755);

  before(async () => {
    lab = await startTestServers(['15'], { portBase: PORT_BASE });
    primary = lab.servers[0];
    const c = await clientFor(primary);
    try {
      await ensureProbeTable(c);
      await initPgbenchData(c, 1);
    } finally {
      await c.end();
    }
    standby = await startTestStandby(primary);
    pb = await startPgBouncer({ port: await freePort(PORT_BASE + 20), dir: join(work, 'pgbouncer'), server: primary, databases: ['postgres'] });
    setPoolerPasswordProvider(async () => pb.adminPassword); // the extension's SecretStorage, as a test stand-in
  });

  after(async () => {
    setPoolerPasswordProvider(undefined);
    if (pb) await stopPgBouncer(pb).catch(() => undefined);
    await lab?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('moves the clients to the promoted standby: 0 client errors, 0 lost, the pooler repointed and resumed', async () => {
    const viaPooler = `host=${pb.host} port=${pb.port} user=${primary.user} dbname=postgres connect_timeout=5`;
    // Clients that wait as long as the pooler lets them: the stall is measured, not an error.
    const probe = await startProbe({ connection: viaPooler, password: primary.password, intervalMs: 20, attemptTimeoutMs: 60_000 });
    const writers = await startWriters({ connection: viaPooler, password: primary.password, clients: 4, attemptTimeoutMs: 60_000 });
    const routing: ClientRoutingParams = { kind: 'pgbouncer', poolers: [{ admin: pb.adminConnection, config: { path: pb.configFile, executor: 'local', osUser: pb.osUser } }] };
    let r: RunResult;
    let stopped: [Awaited<ReturnType<typeof probe.stop>>, Awaited<ReturnType<typeof writers.stop>>] | undefined;
    try {
      await sleep(500);
      r = await runRunbook({
        runbook: rollingSwitchoverRunbook,
        clusters: {
          primary: { name: primary.name, connection: primary.connection, password: async () => primary.password },
          standby: { name: standby.name, connection: standby.connection, password: async () => standby.password },
        },
        params: defaultRollingSwitchoverParams({ hosts: { primary: local(primary), standby: local(standby) }, clientRouting: routing }),
        ui: { confirm: async () => ({ confirmed: true, by: 'test' }), progress: () => undefined, log: () => undefined },
        journalDir: join(work, 'journal'), operator: 'test',
      });
      await sleep(800); // writes after the switchover, through the pooler
    } finally {
      stopped = [await probe.stop(), await writers.stop()];
    }
    const [probeReport, writersReport] = stopped;
    assert.equal(r.status, 'succeeded', explain(r));
    const so = step(r, 'switchover').outputs ?? {};
    const routed = routingOutputsOf(so) as { afterOpen: { pgbouncer: { poolers: Array<Record<string, unknown>> } } };
    const moved = routed.afterOpen.pgbouncer.poolers[0];
    assert.equal(moved.ok, true, JSON.stringify(routed));
    assert.equal(moved.repointedTo, `127.0.0.1:${standby.port}`);
    assert.ok(Number(moved.stallMs) >= Number(so.writeUnavailableMs), `stall ${moved.stallMs} ms covers the window ${so.writeUnavailableMs} ms`);
    console.log(`# rolling via pgbouncer: window ${so.writeUnavailableMs} ms, client stall ${moved.stallMs} ms, ${moved.clientsWaitingAtResume} client(s) waiting at RESUME; probe ${probeReport.acked} commits, max gap ${probeReport.maxGapMs} ms`);

    // 0 client errors through the whole run
    assert.equal(probeReport.failedAttempts, 0, `probe errors: ${JSON.stringify(probeReport.gaps.slice(0, 3))}`);
    assert.equal(writersReport.failedAttempts, 0, 'TPC-B writers saw no error');
    // the pooler points at the new primary, resumed; its file repointed with comments kept, the original kept
    assert.deepEqual(await poolerDb(pb), { port: standby.port, paused: 0 });
    const ini = readFileSync(pb.configFile, 'utf8');
    assert.match(ini, new RegExp(`^postgres = host=127\\.0\\.0\\.1 port=${standby.port} dbname=postgres$`, 'm'));
    assert.match(ini, /^; PgBouncer for the PostgreSQL Upgrade Pilot lab/m, 'comments kept');
    assert.ok(existsSync(`${pb.configFile}.pgpilot-${r.runId}`), 'the original is kept');
    // 0 lost, balances agree, the writes after the switchover are on the new primary
    const np = await clientFor(standby);
    try {
      assert.equal((await np.query('SELECT pg_is_in_recovery() AS r')).rows[0].r, false, 'the standby is the primary now');
      const v = await probe.verify(np);
      assert.equal(v.lostCommits, 0, `lost: ${v.lostIds.slice(0, 5).join(', ')}`);
      assert.equal(v.duplicates, 0);
      const w = await writers.verify(np);
      assert.equal(w.lostCommits, 0);
      assert.ok(w.balances.balanced, JSON.stringify(w.balances));
      assert.ok((await checkBalances(np)).balanced);
    } finally {
      await np.end();
    }
    assert.ok(probeReport.perHost[`${pb.host}:${pb.port}`] > 0, 'the clients wrote through the pooler');
    // the old primary rejoined as a standby: it cannot take a write
    const op = await clientFor(primary);
    try {
      assert.equal((await op.query('SELECT pg_is_in_recovery() AS r')).rows[0].r, true, 'the old primary is a standby now');
    } finally {
      await op.end();
    }
  });
});
