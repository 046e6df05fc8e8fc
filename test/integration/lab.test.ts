import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, chmodSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { PortInUseError, isPortFree, labDown, labStatus, labUp, listInstalledBuilds, readLabState, resolveBuild, restartServer, startServer, stopServer } from '../../src/core/lab';
import { clientFor, startTestServers, startTestStandby, waitForReplay, type LabServer, type TestServers } from '../helpers/lab';

const run = promisify(execFile);
// This file's ports: 21000–21099 for test servers, 21100–21189 for the lab under test, 21190+ for the taken port.
const TEST_PORT_BASE = Number(process.env.PGPILOT_TEST_PORT_BASE) || 21000;
const LAB_PORT_BASE = TEST_PORT_BASE + 100;
const TAKEN_PORT = TEST_PORT_BASE + 190;

const builds = listInstalledBuilds().filter((b) => b.major >= 12 && b.major <= 18);

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

async function one<R>(server: LabServer, sql: string): Promise<R> {
  const c = await clientFor(server);
  try {
    return (await c.query(sql)).rows[0] as R;
  } finally {
    await c.end();
  }
}

function occupy(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

describe('lab: every installed PostgreSQL build', () => {
  let lab: TestServers;
  before(async () => {
    assert.ok(builds.length >= 7, `expected the npm builds 12–18, found ${builds.map((b) => b.alias).join(', ')}`);
    const t0 = Date.now();
    lab = await startTestServers(builds.map((b) => b.alias), { portBase: TEST_PORT_BASE });
    console.log(`# started ${builds.length} servers (${builds.map((b) => b.version).join(', ')}) in parallel in ${Date.now() - t0} ms`);
  });
  after(() => lab?.stop());

  for (const [i, build] of builds.entries()) {
    it(`${build.alias} (${build.version}) runs with the right version, wal_level=logical and scram only`, async () => {
      const server = lab.servers[i];
      assert.equal(server.version, build.version);
      assert.equal(server.major, build.major);
      assert.ok(server.port >= TEST_PORT_BASE && server.port < 32768);
      const row = await one<{ num: string; wal: string; enc: string; listen: string; secret: boolean }>(server, `
        SELECT current_setting('server_version_num') AS num, current_setting('wal_level') AS wal,
               current_setting('password_encryption') AS enc, current_setting('listen_addresses') AS listen,
               (SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = 'postgres') AS secret`);
      assert.equal(Number(row.num), build.major * 10000 + build.minor);
      assert.equal(row.wal, 'logical');
      assert.equal(row.enc, 'scram-sha-256');
      assert.equal(row.listen, '127.0.0.1');
      assert.equal(row.secret, true, 'the superuser password is stored as a SCRAM secret');

      const wrong = new Client({ host: server.host, port: server.port, user: server.user, password: `${server.password}x`, database: 'postgres' });
      await assert.rejects(wrong.connect(), (e: Error & { code?: string }) => e.code === '28P01' && /password authentication failed/.test(e.message));
    });
  }

  for (const [version, slotName] of [['15', undefined], ['12', 'lab_standby_slot'], ['18', undefined]] as const) {
    it(`PG${version}: a standby${slotName ? ' on a physical slot' : ''} streams and shows the primary's data`, async (t) => {
      const primary = lab.servers[builds.findIndex((b) => b.alias === resolveBuild(version).alias)];
      const t0 = Date.now();
      const standby = await startTestStandby(primary, { slotName });
      t.diagnostic(`PG${version} standby streaming after ${Date.now() - t0} ms`);
      if (slotName) {
        const slot = await one<{ active: boolean }>(primary, `SELECT active FROM pg_replication_slots WHERE slot_name = '${slotName}'`);
        assert.equal(slot?.active, true, 'the standby streams through its slot');
      }
      const p = await clientFor(primary);
      try {
        const repl = await p.query<{ state: string }>('SELECT state FROM pg_stat_replication WHERE application_name = $1', [standby.name]);
        assert.deepEqual(repl.rows.map((r) => r.state), ['streaming']);
        await p.query('CREATE TABLE lab_probe (id int PRIMARY KEY, note text)');
        await p.query("INSERT INTO lab_probe SELECT g, 'row ' || g FROM generate_series(1, 1000) g");
      } finally {
        await p.end();
      }
      await waitForReplay(primary, standby);
      const row = await one<{ n: string; recovery: boolean }>(standby, 'SELECT count(*) AS n, pg_is_in_recovery() AS recovery FROM lab_probe');
      assert.equal(Number(row.n), 1000);
      assert.equal(row.recovery, true);
      const autoConf = readFileSync(join(standby.dataDir, 'postgresql.auto.conf'), 'utf8');
      assert.match(autoConf, /primary_conninfo = 'host=127\.0\.0\.1 port=\d+ user=postgres application_name=/);
      assert.ok(!autoConf.includes(primary.password), 'no password in postgresql.auto.conf');
      assert.equal(statSync(join(standby.baseDir as string, 'pgpass')).mode & 0o777, 0o600);
    });
  }

  it('resolves versions and names the missing alias', () => {
    assert.equal(resolveBuild('16').version, builds.find((b) => b.major === 16)?.version);
    if (builds.some((b) => b.version === '16.12')) assert.equal(resolveBuild('16.12').alias, 'pg16old');
    assert.throws(() => resolveBuild('11'), /PostgreSQL 11 is not installed: no npm alias such as "pg11".*Installed: .*\(pg16\)/);
    assert.throws(() => resolveBuild('16.99'), /PostgreSQL 16\.99 is not installed/);
    assert.throws(() => resolveBuild('latest'), /not a PostgreSQL version/);
  });
});

describe('lab: ports, idempotence, minor upgrade, up/down', () => {
  let dir: string;
  before(() => { dir = tempDir('pgpilot-labtest-'); });
  after(async () => {
    await labDown({ dir }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a taken port gives a clear error and leaves nothing behind', async () => {
    const blocker = await occupy(TAKEN_PORT);
    try {
      const baseDir = join(dir, 'taken');
      await assert.rejects(
        startServer({ name: 'taken', version: '16', port: TAKEN_PORT, baseDir }),
        (e: Error) => e instanceof PortInUseError && e.message === `port ${TAKEN_PORT} on 127.0.0.1 is in use; choose another with --port-base`,
      );
      assert.equal(existsSync(baseDir), false);
      // Through the lab: port base + 16 is the taken port.
      const labDir = join(dir, 'lab-taken');
      await assert.rejects(labUp(['14', '16'], { dir: labDir, portBase: TAKEN_PORT - 16 }), /port \d+ on 127\.0\.0\.1 is in use; choose another with --port-base/);
      assert.equal(existsSync(join(labDir, 'lab.json')), false);
      assert.equal(existsSync(join(labDir, 'pg14')), false, 'nothing started before the port check failed');
    } finally {
      blocker.close();
    }
  });

  it('lab up twice is idempotent, writes lab.json (0600) and down stops everything', async (t) => {
    const t0 = Date.now();
    const first = await labUp(['14', '16'], { dir, portBase: LAB_PORT_BASE });
    const firstMs = Date.now() - t0;
    assert.deepEqual(first.servers.map((s) => s.port), [LAB_PORT_BASE + 14, LAB_PORT_BASE + 16]);
    assert.deepEqual(first.started.sort(), ['lab-pg14', 'lab-pg16']);
    const started = await Promise.all(first.servers.map((s) => one<{ t: string }>(s, 'SELECT pg_postmaster_start_time()::text AS t')));

    const t1 = Date.now();
    const second = await labUp(['14', '16'], { dir, portBase: LAB_PORT_BASE });
    t.diagnostic(`lab up 14 16: first ${firstMs} ms, again (no-op) ${Date.now() - t1} ms`);
    assert.deepEqual(second.started, []);
    assert.deepEqual(second.servers.map((s) => s.password), first.servers.map((s) => s.password));
    const again = await Promise.all(second.servers.map((s) => one<{ t: string }>(s, 'SELECT pg_postmaster_start_time()::text AS t')));
    assert.deepEqual(again, started, 'the running servers were not restarted');

    const file = join(dir, 'lab.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const state = await readLabState(dir);
    assert.deepEqual(state.servers.map((s) => s.name), ['lab-pg14', 'lab-pg16']);
    for (const s of state.servers) assert.equal(s.connection, `host=127.0.0.1 port=${s.port} user=postgres dbname=postgres`);

    const down = await labDown({ dir });
    assert.equal(down.stopped.length, 2);
    const status = await labStatus({ dir });
    assert.deepEqual(status.servers.map((s) => s.running), [false, false]);
    for (const s of first.servers) assert.equal(await isPortFree(s.port), true, `port ${s.port} is free again`);
  });

  it('the CLI brings the lab up (no passwords printed), reports status and stops it', async () => {
    const cli = ['--import', 'tsx', join(__dirname, '..', '..', 'src', 'cli', 'main.ts'), 'lab'];
    const cliDir = join(dir, 'cli');
    const up = await run(process.execPath, [...cli, 'up', '15', '--dir', cliDir, '--port-base', String(LAB_PORT_BASE)]);
    assert.match(up.stdout, new RegExp(`lab-pg15 .* started .*host=127\\.0\\.0\\.1 port=${LAB_PORT_BASE + 15} user=postgres dbname=postgres`));
    const [server] = (await readLabState(cliDir)).servers;
    assert.ok(!up.stdout.includes(server.password));
    const status = await run(process.execPath, [...cli, 'status', '--dir', cliDir, '--json']);
    const parsed = JSON.parse(status.stdout) as { servers: Array<{ name: string; running: boolean; password?: string }> };
    assert.deepEqual(parsed.servers.map((s) => [s.name, s.running, s.password]), [['lab-pg15', true, undefined]]);
    const down = await run(process.execPath, [...cli, 'down', '--dir', cliDir, '--purge']);
    assert.match(down.stdout, /stopped lab-pg15/);
    assert.equal(existsSync(cliDir), false);
  });

  it('restarting 16.12 with 16.14 binaries is an in-place minor upgrade that keeps the data', async (t) => {
    if (!builds.some((b) => b.version === '16.12')) return t.skip('pg16old (16.12) is not installed');
    const baseDir = join(dir, 'minor');
    let server = await startServer({ name: 'minor', version: '16.12', port: LAB_PORT_BASE + 80, baseDir, settings: { fsync: 'off' } });
    try {
      const c = await clientFor(server);
      await c.query('CREATE TABLE kept AS SELECT g FROM generate_series(1, 500) g');
      await c.end();
      const t0 = Date.now();
      server = await restartServer(server, { version: '16' });
      t.diagnostic(`minor upgrade 16.12 → ${server.version}: stop + start ${Date.now() - t0} ms`);
      const row = await one<{ num: string; n: string }>(server, "SELECT current_setting('server_version_num') AS num, (SELECT count(*) FROM kept) AS n");
      assert.equal(Number(row.num), 160000 + resolveBuild('16').minor);
      assert.equal(Number(row.n), 500);
    } finally {
      await stopServer(server);
    }
  });
});
