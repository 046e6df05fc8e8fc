/**
 * The rolling switchover on a REAL PostgreSQL 15 streaming pair with the local executor, under write load:
 *  - a full rolling minor upgrade 15.15 → 15.18: the standby is upgraded, the primary fenced (read-only, then stopped), the standby
 *    promoted once it replayed the frozen position, the old primary pg_rewound (Debian's pg_rewind 15) into a standby of
 *    the new one on 15.18; a probe writing through "host=a,b target_session_attrs=read-write" lost no acknowledged
 *    commit, and a row written on the new primary appears on the old one;
 *  - the abort path: replay paused on the standby → the drain times out, the primary takes writes again, the standby
 *    is not promoted.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from 'pg';
import { hostSpecFromCluster } from '../../src/core/hosts';
import { ensureProbeTable, multiHostConnection, startProbe } from '../../src/core/probe';
import { runRunbook } from '../../src/core/runbook/engine';
import type { ConfirmRequest, RunnerUi, RunOptions, RunResult } from '../../src/core/runbook/types';
import { defaultRollingSwitchoverParams, rollingSwitchoverRunbook, type RollingSwitchoverParams } from '../../src/core/runbooks/rolling';
import { clientFor, startTestServers, startTestStandby, type LabServer, type TestServers } from '../helpers/lab';

const PORT_BASE = Number(process.env.PGPILOT_ROLLING_TEST_PORT_BASE) || (Number(process.env.PGPILOT_TEST_PORT_BASE) ? Number(process.env.PGPILOT_TEST_PORT_BASE) + 200 : 22900);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function testUi(onConfirm?: (req: ConfirmRequest) => Promise<void>): RunnerUi & { requests: ConfirmRequest[] } {
  const requests: ConfirmRequest[] = [];
  return {
    requests,
    async confirm(req) {
      requests.push(req);
      await onConfirm?.(req);
      return { confirmed: true, by: 'test' };
    },
    progress() {},
    log(level, message) { if (process.env.PGPILOT_TEST_ECHO) process.stderr.write(`${level}: ${message}\n`); },
  };
}

const local = (s: LabServer) => hostSpecFromCluster({ executor: 'local', lab: { dataDir: s.dataDir, binDir: s.binDir, osUser: s.osUser, version: s.version } });
const both = (a: LabServer, b: LabServer) => multiHostConnection([{ host: a.host, port: a.port }, { host: b.host, port: b.port }], 'postgres', 'postgres', 5);

function options(primary: LabServer, standby: LabServer, journalDir: string, params: Partial<RollingSwitchoverParams>, ui: RunnerUi): RunOptions<RollingSwitchoverParams> {
  return {
    runbook: rollingSwitchoverRunbook,
    clusters: {
      primary: { name: primary.name, connection: primary.connection, password: async () => primary.password },
      standby: { name: standby.name, connection: standby.connection, password: async () => standby.password },
    },
    params: defaultRollingSwitchoverParams({ hosts: { primary: local(primary), standby: local(standby) }, ...params }),
    ui, journalDir, operator: 'test',
  };
}

const step = (r: RunResult, id: string) => r.steps.find((s) => s.id === id)!;
const explain = (r: RunResult) => `${r.status}: ${r.message}\n${JSON.stringify(r.steps.map((s) => [s.id, s.status, s.message]), null, 1)}`;

async function one<T>(c: Client, sql: string, values?: unknown[]): Promise<T> {
  return (await c.query(sql, values)).rows[0] as T;
}

async function fingerprint(c: Client): Promise<{ n: number; md5: string }> {
  return one(c, "SELECT count(*)::int AS n, md5(string_agg(id::text || ':' || v, ',' ORDER BY id)) AS md5 FROM app_data");
}

describe('rolling switchover: abort path (real PG 15 pair)', { timeout: 300_000 }, () => {
  let lab: TestServers;
  let primary: LabServer;
  let standby: LabServer;
  let journalDir: string;

  before(async () => {
    journalDir = mkdtempSync(join(tmpdir(), 'pgpilot-rolling-abort-'));
    lab = await startTestServers(['15'], { portBase: PORT_BASE + 50 });
    primary = lab.servers[0];
    standby = await startTestStandby(primary);
    const c = await clientFor(primary);
    await c.query('CREATE TABLE app_data (id bigint PRIMARY KEY, v int NOT NULL)');
    await c.end();
  });
  after(async () => {
    await lab?.stop();
    rmSync(journalDir, { recursive: true, force: true });
  });

  it('hands the primary back when the standby does not catch up in time; the standby is not promoted', async () => {
    const ui = testUi(async (req) => {
      if (req.stepId !== 'switchover') return;
      // between the precondition (which refuses a paused standby) and the execution: replay stops, writes go on
      const s = await clientFor(standby);
      await s.query('SELECT pg_wal_replay_pause()');
      await s.end();
      const p = await clientFor(primary);
      await p.query('INSERT INTO app_data SELECT g, g FROM generate_series(1, 5000) g');
      await p.end();
    });
    const r = await runRunbook(options(primary, standby, journalDir, { switchoverTimeoutMs: 2000 }, ui));
    assert.equal(r.status, 'aborted', explain(r));
    const out = step(r, 'switchover').outputs!;
    assert.equal(out.aborted, true);
    assert.equal(out.standbyPromoted, false);
    assert.equal(typeof out.writeUnavailableMs, 'number');
    console.log(`# aborted switchover: the primary was read-only for ${out.writeUnavailableMs} ms`);
    assert.match(step(r, 'switchover').message ?? '', /did not replay the frozen position/);

    const p = await clientFor(primary);
    try {
      assert.equal((await one<{ v: string }>(p, "SELECT current_setting('default_transaction_read_only') AS v")).v, 'off');
      await p.query('INSERT INTO app_data VALUES (100000, 1)'); // writable again
    } finally {
      await p.end();
    }
    const s = await clientFor(standby);
    try {
      assert.equal((await one<{ r: boolean }>(s, 'SELECT pg_is_in_recovery() AS r')).r, true, 'the standby was not promoted');
      await s.query('SELECT pg_wal_replay_resume()');
    } finally {
      await s.end();
    }
  });
});

describe('rolling switchover with a minor upgrade 15.15 → 15.18 under write load (real PG 15 pair)', { timeout: 600_000 }, () => {
  let lab: TestServers;
  let primary: LabServer;
  let standby: LabServer;
  let journalDir: string;

  before(async () => {
    journalDir = mkdtempSync(join(tmpdir(), 'pgpilot-rolling-'));
    lab = await startTestServers(['pg15old'], { portBase: PORT_BASE });
    primary = lab.servers[0];
    standby = await startTestStandby(primary);
    assert.equal(standby.version, '15.15');
    const c = await clientFor(primary);
    try {
      await c.query('CREATE TABLE app_data (id bigint PRIMARY KEY, v int NOT NULL)');
      await c.query('INSERT INTO app_data SELECT g, g % 101 FROM generate_series(1, 20000) g');
      await ensureProbeTable(c, 'ext_probe');
    } finally {
      await c.end();
    }
  });
  after(async () => {
    await lab?.stop();
    rmSync(journalDir, { recursive: true, force: true });
  });

  it('upgrades the standby, switches over, rewinds the old primary into a standby; no acknowledged commit lost', async () => {
    const clients = both(primary, standby);
    const load = await startProbe({ connection: clients, password: primary.password, table: 'ext_probe', intervalMs: 20 });
    const r = await runRunbook(options(primary, standby, journalDir, { upgradeTo: '15.18', probe: true, clientConnection: clients }, testUi()));
    await sleep(300);
    const report = await load.stop();
    assert.equal(r.status, 'succeeded', explain(r));

    const so = step(r, 'switchover').outputs!;
    const probe = so.probe as Record<string, unknown>;
    console.log(`# rolling switchover: write-unavailable ${so.writeUnavailableMs} ms (fence ${so.fenceMs}, drain ${so.drainMs}, promote ${so.promoteMs} ms); ` +
      `runbook probe gap ${probe.writeUnavailableMs} ms; external probe max gap ${report.maxGapMs} ms over ${report.acked} commits; standby down ${step(r, 'upgrade-standby').outputs!.standbyDownMs} ms`);
    assert.equal(typeof so.writeUnavailableMs, 'number');
    assert.equal(probe.lostCommits, 0);
    assert.equal(probe.toHost, `${standby.host}:${standby.port}`);
    assert.equal(step(r, 'upgrade-standby').outputs!.versionAfter, '15.18');
    assert.equal(step(r, 'move-clients').outputs!.landedOn, `${standby.host}:${standby.port}`);
    const rb = step(r, 'rebuild-old-primary').outputs!;
    // the hard fence stops the old primary before the promotion: its last record is the shutdown checkpoint the new
    // primary replayed, so pg_rewind may find nothing to rewind; either way it ran against the new timeline
    assert.match(String(rb.rewind), /diverged at|no rewind required/);
    assert.equal(rb.versionAfter, '15.18');
    assert.ok(!readFileSync(r.journalFile, 'utf8').includes(primary.password), 'the journal never holds the password');
    const vr = step(r, 'verify-replication').outputs!;
    assert.equal(vr.state, 'streaming');
    assert.equal(vr.newPrimaryVersion, '15.18');
    assert.equal(vr.newStandbyVersion, '15.18');

    // the external load: every acknowledged commit is on the new primary, once
    const np = await clientFor(standby);
    const op = await clientFor(primary);
    try {
      const v = await load.verify(np);
      assert.equal(v.lostCommits, 0, `lost ${v.lostIds.join(',')}`);
      assert.equal(v.duplicates, 0);
      assert.ok(report.perHost[`${standby.host}:${standby.port}`] > 0, 'the load moved to the new primary');
      assert.equal((await one<{ r: boolean }>(np, 'SELECT pg_is_in_recovery() AS r')).r, false);
      assert.equal((await one<{ r: boolean }>(op, 'SELECT pg_is_in_recovery() AS r')).r, true);
      const rep = await one<{ state: string }>(np, 'SELECT state FROM pg_stat_replication WHERE application_name = $1', [vr.applicationName]);
      assert.equal(rep.state, 'streaming');
      assert.deepEqual(await fingerprint(op), await fingerprint(np));
      // a row written on the new primary appears on the old one
      await np.query('INSERT INTO app_data VALUES (999999, 7)');
      const deadline = Date.now() + 15_000;
      for (;;) {
        const found = await one<{ n: number }>(op, 'SELECT count(*)::int AS n FROM app_data WHERE id = 999999');
        if (found.n === 1) break;
        assert.ok(Date.now() < deadline, 'the row reached the old primary');
        await sleep(50);
      }
      assert.equal((await one<{ v: string }>(op, "SELECT current_setting('default_transaction_read_only') AS v")).v, 'off', 'the fence was reset on the rejoined standby');
    } finally {
      await np.end();
      await op.end();
    }
  });
});

describe('rolling switchover with the stop fence and a base-backup rebuild (real PG 15 pair)', { timeout: 300_000 }, () => {
  let lab: TestServers;
  let primary: LabServer;
  let standby: LabServer;
  let journalDir: string;

  before(async () => {
    journalDir = mkdtempSync(join(tmpdir(), 'pgpilot-rolling-stop-'));
    lab = await startTestServers(['15'], { portBase: PORT_BASE + 60 });
    primary = lab.servers[0];
    standby = await startTestStandby(primary);
    const c = await clientFor(primary);
    try {
      await c.query('CREATE TABLE app_data (id bigint PRIMARY KEY, v int NOT NULL)');
      await c.query('INSERT INTO app_data SELECT g, g % 7 FROM generate_series(1, 5000) g');
    } finally {
      await c.end();
    }
  });
  after(async () => {
    await lab?.stop();
    rmSync(journalDir, { recursive: true, force: true });
  });

  it('stops the primary as the fence, promotes the standby, rebuilds the old primary with pg_basebackup', async () => {
    const r = await runRunbook(options(primary, standby, journalDir, { fence: 'stop', rebuild: 'basebackup', probe: true }, testUi()));
    assert.equal(r.status, 'succeeded', explain(r));
    const so = step(r, 'switchover').outputs!;
    console.log(`# stop-fence switchover: write-unavailable ${so.writeUnavailableMs} ms (stop ${so.fenceMs} ms, drain ${so.drainMs} ms, promote ${so.promoteMs} ms); probe gap ${(so.probe as Record<string, unknown>).writeUnavailableMs} ms`);
    assert.equal((so.probe as Record<string, unknown>).lostCommits, 0);
    assert.equal(step(r, 'upgrade-standby').status, 'skipped', 'no upgradeTo: nothing to upgrade');
    const rb = step(r, 'rebuild-old-primary').outputs!;
    assert.equal(rb.method, 'basebackup');
    assert.ok(String(rb.oldDataDirKept).endsWith(`.pgpilot-old-${r.runId}`));
    assert.equal(step(r, 'verify-replication').outputs!.state, 'streaming');
    const np = await clientFor(standby);
    const op = await clientFor(primary);
    try {
      await np.query('INSERT INTO app_data VALUES (424242, 1)');
      const deadline = Date.now() + 15_000;
      while ((await one<{ n: number }>(op, 'SELECT count(*)::int AS n FROM app_data WHERE id = 424242')).n !== 1) {
        assert.ok(Date.now() < deadline, 'the row reached the old primary');
        await sleep(50);
      }
      assert.deepEqual(await fingerprint(op), await fingerprint(np));
    } finally {
      await np.end();
      await op.end();
    }
  });
});
