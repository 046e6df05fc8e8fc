/**
 * The in-place minor upgrade on REAL servers with the local executor: a 16.12 lab cluster is upgraded to 16.14 on
 * the same data directory (cold-copy backup, read-only mode, drain with termination, extension update, amcheck),
 * and a 15.15 one to 15.18 with the pg_dump backup (Debian's pg_dump 15, -j 2), verified and restored into a scratch
 * database. A pg_dump backup of a 16 server is refused up front with a clear error, changing nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from 'pg';
import { writeRecord } from '../../src/cli/record';
import { hostSpecFromCluster, MANUAL_HOST_TITLE_PREFIX, runArgv } from '../../src/core/hosts';
import { defaultMinorUpgradeParams, minorUpgradeRunbook, type MinorUpgradeParams } from '../../src/core/runbooks/minor';
import { runRunbook } from '../../src/core/runbook/engine';
import type { ConfirmRequest, RunnerUi, RunResult } from '../../src/core/runbook/types';
import { clientFor, startTestServers, type LabServer, type TestServers } from '../helpers/lab';

const PORT_BASE = Number(process.env.PGPILOT_MINOR_TEST_PORT_BASE) || (Number(process.env.PGPILOT_TEST_PORT_BASE) ? Number(process.env.PGPILOT_TEST_PORT_BASE) + 300 : 22800);

function testUi(): RunnerUi & { requests: ConfirmRequest[]; logs: string[] } {
  const requests: ConfirmRequest[] = [];
  const logs: string[] = [];
  return {
    requests, logs,
    async confirm(req) { requests.push(req); return { confirmed: true, by: 'test' }; },
    progress() {},
    log(level, message) { logs.push(`${level}: ${message}`); if (process.env.PGPILOT_TEST_ECHO) process.stderr.write(`${level}: ${message}\n`); },
  };
}

function localHost(s: LabServer) {
  return hostSpecFromCluster({ executor: 'local', lab: { dataDir: s.dataDir, binDir: s.binDir, osUser: s.osUser, version: s.version } });
}

async function upgrade(s: LabServer, journalDir: string, params: Partial<MinorUpgradeParams> & { toVersion: string }): Promise<RunResult> {
  return runRunbook({
    runbook: minorUpgradeRunbook,
    clusters: { server: { name: s.name, connection: s.connection, password: async () => s.password } },
    params: defaultMinorUpgradeParams({ hosts: { server: localHost(s) }, ...params }),
    ui: testUi(), journalDir, operator: 'test',
  });
}

const step = (r: RunResult, id: string) => r.steps.find((s) => s.id === id)!;

async function dataFingerprint(c: Client): Promise<{ n: number; sum: string; md5: string }> {
  const r = await c.query<{ n: number; sum: string; md5: string }>(
    "SELECT count(*)::int AS n, sum(v)::text AS sum, md5(string_agg(id::text || ':' || v || ':' || t, ',' ORDER BY id)) AS md5 FROM app_data",
  );
  return r.rows[0];
}

describe('minor upgrade on real servers (local executor)', { timeout: 600_000 }, () => {
  let lab: TestServers;
  let journalDir: string;
  let s16: LabServer;
  let s15: LabServer;

  before(async () => {
    journalDir = mkdtempSync(join(tmpdir(), 'pgpilot-minor-journal-'));
    lab = await startTestServers(['pg16old', 'pg15old'], { portBase: PORT_BASE });
    [s16, s15] = lab.servers;
    assert.equal(s16.version, '16.12');
    assert.equal(s15.version, '15.15');
    for (const s of [s16, s15]) {
      const c = await clientFor(s);
      try {
        await c.query('CREATE TABLE app_data (id bigint PRIMARY KEY, v int NOT NULL, t text NOT NULL)');
        await c.query("INSERT INTO app_data SELECT g, g % 997, md5(g::text) FROM generate_series(1, 20000) g");
        await c.query('CREATE INDEX app_data_t ON app_data (t)');
        await c.query("CREATE EXTENSION hstore VERSION '1.4'");
      } finally {
        await c.end();
      }
    }
  });

  after(async () => {
    await lab?.stop();
    rmSync(journalDir, { recursive: true, force: true });
  });

  it('refuses a pg_dump backup of a 16 server when only pg_dump 15 exists, changing nothing', async (t) => {
    const dump16 = spawnSync('sh', ['-c', 'ls /usr/lib/postgresql/*/bin/pg_dump 2>/dev/null'], { encoding: 'utf8' }).stdout;
    if (/\/(1[6-9])\/bin\/pg_dump/.test(dump16)) return t.skip('a pg_dump ≥ 16 is installed here');
    const r = await upgrade(s16, journalDir, { toVersion: '16.14', backup: 'pg_dump', backupPath: join(journalDir, 'never') });
    assert.equal(r.status, 'failed');
    assert.equal(step(r, 'checklist').status, 'failed');
    assert.match(r.message ?? '', /pg_dump 16 or newer is needed/);
    assert.match(r.message ?? '', /cold-copy/);
    const c = await clientFor(s16);
    try {
      assert.equal((await c.query("SELECT current_setting('server_version_num') AS v")).rows[0].v, '160012');
    } finally {
      await c.end();
    }
    assert.equal(existsSync(join(journalDir, 'never')), false);
  });

  it('upgrades 16.12 → 16.14 in place: same data directory, data intact, extension updated, cold copy verified', async () => {
    const c = await clientFor(s16);
    const before = await dataFingerprint(c);
    const dataDir = (await c.query('SHOW data_directory')).rows[0].data_directory;
    await c.end();
    // a session stuck idle in transaction: the drain must end it
    const idle = await clientFor(s16);
    idle.on('error', () => undefined);
    await idle.query('BEGIN');
    await idle.query('SELECT count(*) FROM app_data');

    const r = await upgrade(s16, journalDir, { toVersion: '16.14', backup: 'cold-copy', readOnly: true, drainTimeoutMs: 1000 });
    await idle.end().catch(() => undefined);
    assert.equal(r.status, 'succeeded', `${r.message}\n${JSON.stringify(r.steps.map((s) => [s.id, s.status, s.message]), null, 1)}`);

    const up = step(r, 'upgrade-server').outputs!;
    assert.equal(up.versionBefore, '16.12');
    assert.equal(up.versionAfter, '16.14');
    assert.equal(up.coldCopyVerified, true);
    assert.ok(existsSync(join(String(up.coldCopy), 'PG_VERSION')));
    assert.equal(typeof up.downtimeMs, 'number');
    console.log(`# minor upgrade 16.12 → 16.14: downtime ${up.downtimeMs} ms (stop ${up.stopMs} ms, cold copy ${up.coldCopyMs} ms, start ${up.startMs} ms)`);
    assert.ok(Number(step(r, 'drain').outputs!.terminated) >= 1, 'the idle-in-transaction session was terminated');
    assert.deepEqual(step(r, 'update-extensions').outputs!.updated, ['postgres.hstore 1.4 → 1.8']);
    assert.equal(step(r, 'post-checks').outputs!.amcheck, 'ok');
    assert.ok(Number(step(r, 'post-checks').outputs!.indexesChecked) > 0);
    assert.equal(step(r, 'reopen-writes').status, 'succeeded');
    const rec = step(r, 'record').outputs!;
    assert.equal(rec.versionAfter, '16.14');
    assert.equal(rec.backupKind, 'cold-copy');
    assert.ok(Array.isArray(rec.rollback) && (rec.rollback as string[]).some((l) => l.includes('pg16old')), 'the rollback names the old binaries');

    // --record: the CLI's markdown record of the run
    const file = join(journalDir, 'records', 'minor.md');
    await writeRecord(file, 'es', minorUpgradeRunbook, r, { async confirm() { return { confirmed: true }; }, progress() {}, log() {} });
    const md = readFileSync(file, 'utf8');
    assert.match(md, /- \*\*Resultado:\*\* \*\*Terminó correctamente\.\*\* PostgreSQL 16\.12 → 16\.14\. El servidor estuvo detenido durante [\d.]+ (ms|s)\./);
    assert.match(md, /- \*\*Tiempo de parada \(medido\):\*\* \*\*[\d.]+ (ms|s)\*\*/);
    assert.match(md, /\| Método de copia de seguridad \| cold-copy \|/);
    assert.match(md, /\| # \| Paso \| Inicio \| Esperando confirmación \| Trabajando \|/);
    assert.match(md, /## Vuelta atrás y copia de seguridad|## Rollback/);

    const after = await clientFor(s16);
    try {
      assert.match((await after.query('SELECT version() AS v')).rows[0].v, /^PostgreSQL 16\.14/);
      assert.equal((await after.query('SHOW data_directory')).rows[0].data_directory, dataDir);
      assert.deepEqual(await dataFingerprint(after), before);
      await after.query('INSERT INTO app_data VALUES (0, 0, \'writable again\')'); // read-only mode ended
      assert.equal((await after.query("SELECT extversion FROM pg_extension WHERE extname = 'hstore'")).rows[0].extversion, '1.8');
    } finally {
      await after.end();
    }
    // a second run finds everything done
    const again = await upgrade(s16, journalDir, { toVersion: '16.14', backup: 'none' });
    assert.equal(again.status, 'succeeded', again.message);
    assert.equal(step(again, 'upgrade-server').status, 'skipped');
  });

  it('upgrades 15.15 → 15.18 after a pg_dump backup (directory format, -j 2) that restores', async () => {
    const c = await clientFor(s15);
    await c.query('CREATE DATABASE app');
    const before = await dataFingerprint(c);
    await c.end();
    const backupPath = join(journalDir, 'dump15');
    const r = await upgrade(s15, journalDir, { toVersion: '15.18', backup: 'pg_dump', backupPath, backupJobs: 2, amcheckMaxIndexes: 50 });
    assert.equal(r.status, 'succeeded', `${r.message}\n${JSON.stringify(r.steps.map((s) => [s.id, s.status, s.message]), null, 1)}`);
    assert.ok(!readFileSync(r.journalFile, 'utf8').includes(s15.password), 'the journal never holds the password (pg_dump got it in its environment)');
    const bk = step(r, 'backup').outputs!;
    assert.equal(bk.backupVerified, true);
    assert.equal(bk.backupPath, backupPath);
    const dbs = bk.databases as { name: string; dir: string; tocEntries: number }[];
    assert.deepEqual(dbs.map((d) => d.name), ['app', 'postgres']);
    assert.ok(dbs.find((d) => d.name === 'postgres')!.tocEntries > 0, 'the postgres database has entries (app is empty)');
    assert.ok(existsSync(join(backupPath, 'globals.sql')), 'globals.sql');
    assert.ok(existsSync(join(backupPath, 'manifest.json')), 'manifest.json');
    const up = step(r, 'upgrade-server').outputs!;
    assert.equal(up.versionAfter, '15.18');
    console.log(`# minor upgrade 15.15 → 15.18: downtime ${up.downtimeMs} ms; backup ${bk.totalBytes} bytes in ${bk.backupMs} ms`);

    // the dump restores: pg_restore into a scratch database gives the same rows
    const admin = await clientFor(s15);
    try {
      assert.match((await admin.query('SELECT version() AS v')).rows[0].v, /^PostgreSQL 15\.18/);
      await admin.query('CREATE DATABASE restored');
      const pgDir = dbs.find((d) => d.name === 'postgres')!.dir;
      const rr = spawnSync(String(bk.pgDump).replace(/pg_dump$/, 'pg_restore'), ['--no-owner', '--jobs=2', `--dbname=host=127.0.0.1 port=${s15.port} user=postgres dbname=restored`, pgDir], {
        env: { ...process.env, PGPASSWORD: s15.password }, encoding: 'utf8',
      });
      assert.equal(rr.status, 0, rr.stderr);
      const restored = await clientFor(s15, 'restored');
      try {
        assert.deepEqual(await dataFingerprint(restored), before);
      } finally {
        await restored.end();
      }
    } finally {
      await admin.end();
    }
  });
});

describe('minor upgrade with the MANUAL executor: the operator runs exactly the commands shown', { timeout: 300_000 }, () => {
  let lab: TestServers;
  let server: LabServer;
  let journalDir: string;
  let binLink: string;

  before(async () => {
    journalDir = mkdtempSync(join(tmpdir(), 'pgpilot-minor-manual-'));
    chmodSync(journalDir, 0o755); // the lab's OS user runs pg_ctl through the link below
    lab = await startTestServers(['pg16old'], { portBase: PORT_BASE + 40 });
    server = lab.servers[0];
    // a "package-managed" binary directory: upgrading the package replaces what it points at
    binLink = join(journalDir, 'bin');
    symlinkSync(server.binDir, binLink);
  });
  after(async () => {
    await lab?.stop();
    rmSync(journalDir, { recursive: true, force: true });
  });

  it('shows pg_ctl commands, waits for the operator, then verifies the version over SQL', async () => {
    const newBin = server.binDir.replace('/pg16old/', '/pg16/');
    const ran: string[][] = [];
    const ui = testUi();
    ui.confirm = async (req) => {
      ui.requests.push(req);
      if (req.title.startsWith(MANUAL_HOST_TITLE_PREFIX)) {
        // the operator: runs each command as shown (sudo → runuser here), and "upgrades the package"
        for (const a of req.actions) {
          if (a.kind === 'host') {
            assert.deepEqual(a.argv.slice(0, 4), ['sudo', '-u', server.osUser, '--']);
            const argv = ['runuser', ...a.argv.slice(1)];
            ran.push(a.argv);
            const r = await runArgv(argv);
            assert.equal(r.exitCode, 0, r.stderr);
          } else if (a.kind === 'manual') {
            rmSync(binLink);
            symlinkSync(newBin, binLink);
          }
        }
      }
      return { confirmed: true, by: 'operator' };
    };
    const r = await runRunbook({
      runbook: minorUpgradeRunbook,
      clusters: { server: { name: server.name, connection: server.connection, password: async () => server.password } },
      params: defaultMinorUpgradeParams({
        toVersion: '16.14', backup: 'none',
        hosts: { server: { executor: 'manual', osUser: server.osUser, binDir: binLink, logFile: server.logFile } },
      }),
      ui, journalDir, operator: 'test',
    });
    assert.equal(r.status, 'succeeded', `${r.message}`);
    assert.ok(ran.some((a) => a.includes('stop')) && ran.some((a) => a.includes('start')), 'the operator ran a stop and a start');
    assert.equal(step(r, 'upgrade-server').outputs!.versionAfter, '16.14');
    // the data directory came from SQL (SHOW data_directory): the plan named it
    assert.ok(ran.flat().includes(server.dataDir));
    const c = await clientFor(server);
    try {
      assert.match((await c.query('SELECT version() AS v')).rows[0].v, /^PostgreSQL 16\.14/);
    } finally {
      await c.end();
    }
  });
});
