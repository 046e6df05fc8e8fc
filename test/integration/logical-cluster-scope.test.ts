/**
 * Issue 10, cluster scope, on real servers (14 → 16, one server group): several databases move in ONE coordinated
 * switchover. `--all-databases` moves app1, app2, app3 (and postgres) with a writer on each: every acknowledged write
 * of each database is on the target, each sequence continues there, the run reports one window, and no database is
 * ever writable on both servers (sampled by fresh sessions). Then app4 and app5 move with `--databases`: an apply
 * blocked in ONE of them (app5) makes the drain time out and EVERY database is handed back to the source; a runner
 * killed after the commit point and `--resume` opens every database on the target. The list is checked before
 * anything changes (unknown database, template, no connections, named twice).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from 'pg';
import { runRunbook } from '../../src/core/runbook';
import { defaultLogicalUpgradeParams, logicalUpgradeRunbook } from '../../src/core/runbooks/logical';
import { AckedWriter } from '../helpers/acked-writer';
import { runCliChild, type CliRun } from '../helpers/cli-child';
import { clientFor, type LabServer } from '../helpers/lab';
import { assertNeverTwoWritable, describeTimeline, startWritableSampler, type Timeline, type WritableSampler } from '../helpers/writable-sampler';
import { autoUi, scalar, sleep, startPair, type Pair } from './logical-kit';

const PORT_BASE = Number(process.env.PGPILOT_TEST_PORT_BASE ?? 22700) + 60;
const dir = mkdtempSync(join(tmpdir(), 'pgpilot-cluster-scope-'));
const journal = join(dir, 'journal');

interface StepJson { id: string; status: string; message?: string; outputs?: Record<string, unknown> }

describe('cluster scope: several databases in ONE switchover (14 → 16)', { concurrency: 1, timeout: 900_000 }, () => {
  let pair: Pair;
  let env: Record<string, string>;
  const writers: AckedWriter[] = [];
  const conn = (s: LabServer, db: string) => `host=127.0.0.1 port=${s.port} user=${s.user} dbname=${db} connect_timeout=20`;
  const cli = (args: string[], extra: Record<string, string> = {}) => runCliChild(args, { ...env, ...extra });
  const upgradeArgs = (db: string, ...more: string[]) => ['logical-upgrade', '--source', conn(pair.source, db), '--target', conn(pair.target, db), '--journal', journal, '--yes', '--json', ...more];
  const stepOf = (r: CliRun, id: string): StepJson | undefined => (JSON.parse(r.stdout) as { steps: StepJson[] }).steps.find((s) => s.id === id);
  const on = async <T>(s: LabServer, db: string, f: (c: Client) => Promise<T>): Promise<T> => {
    const c = await clientFor(s, db);
    try { return await f(c); } finally { await c.end(); }
  };
  /** default_transaction_read_only as a brand-new session of the database sees it. */
  const readOnly = (s: LabServer, db: string) => on(s, db, (c) => scalar(c, 'SHOW default_transaction_read_only'));
  const startWriter = async (db: string) => { const w = await AckedWriter.start(pair.source, db); writers.push(w); return w; };
  const server = (s: LabServer, database: string) => ({ host: '127.0.0.1', port: s.port, user: s.user, password: s.password, database });
  const samplers = (dbs: string[]): Array<{ db: string; sampler: WritableSampler }> =>
    // at most 3 samples in flight per server and database: 4 databases × 20 (the default) would exhaust the lab's
    // max_connections (50) on a loaded machine, and the run's own fresh sessions would be refused
    dbs.map((db) => ({ db, sampler: startWritableSampler({ servers: { source: server(pair.source, db), target: server(pair.target, db) }, intervalMs: 10, maxInFlight: 3 }) }));
  /**
   * Samplers started once the run prepares its window (the first reverse slot appears on the target, just before the
   * freeze): sampling six servers every 10 ms through the whole run would starve a loaded 2-core machine.
   */
  async function samplersNearTheWindow(dbs: string[], running: () => boolean): Promise<Array<{ db: string; sampler: WritableSampler }>> {
    while (running()) {
      const n = await on(pair.target, dbs[0], (c) => scalar(c, "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'pgpilot\\_reverse\\_%'")).catch(() => '0');
      if (Number(n) > 0) break;
      await sleep(50);
    }
    return samplers(dbs);
  }
  async function stopSamplers(list: Array<{ db: string; sampler: WritableSampler }>): Promise<Array<{ db: string; t: Timeline }>> {
    return Promise.all(list.map(async (x) => ({ db: x.db, t: await x.sampler.stop() })));
  }

  async function createDatabase(db: string): Promise<void> {
    await pair.src.query(`CREATE DATABASE ${db}`);
    await pair.tgt.query(`CREATE DATABASE ${db}`);
    await on(pair.source, db, async (c) => {
      await c.query('CREATE TABLE w (id bigserial PRIMARY KEY, v int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())');
      await c.query('INSERT INTO w (v) SELECT -g FROM generate_series(1, 200) g');
    });
  }

  /** Every acknowledged write of the writers is on the target database; its sequence continues past the source's. */
  async function assertMoved(db: string, ws: AckedWriter[]): Promise<string> {
    const vs = ws.flatMap((w) => w.values());
    assert.ok(vs.length > 0, `${db}: the writers acknowledged nothing`);
    const found = Number(await on(pair.target, db, (c) => scalar(c, 'SELECT count(DISTINCT v) FROM w WHERE v = ANY($1::int[])', [vs])));
    assert.equal(found, new Set(vs).size, `${db}: ${new Set(vs).size - found} acknowledged write(s) missing on the target`);
    assert.equal(await readOnly(pair.source, db), 'on', `${db} stays read-only on the old source`);
    assert.equal(await readOnly(pair.target, db), 'off', `${db} is open on the target`);
    const last = Number(await on(pair.source, db, (c) => scalar(c, 'SELECT last_value FROM w_id_seq')));
    const next = Number(await on(pair.target, db, async (c) => {
      await c.query('SET default_transaction_read_only = off');
      return scalar(c, "SELECT nextval('w_id_seq')");
    }));
    assert.ok(next > last, `${db}: the target's sequence continues (nextval ${next} > the source's last value ${last})`);
    await on(pair.target, db, (c) => c.query('INSERT INTO w (v) VALUES (1000000)')); // no duplicate key on the target
    return `${db}: ${vs.length} acknowledged, all on the target; sequence ${last} → ${next}`;
  }

  before(async () => {
    pair = await startPair('14', '16', PORT_BASE);
    const pgpass = join(dir, 'pgpass');
    writeFileSync(pgpass, [pair.source, pair.target].map((s) => `127.0.0.1:${s.port}:*:${s.user}:${s.password}\n`).join(''), { mode: 0o600 });
    env = { PGPASSFILE: pgpass };
    for (const db of ['app1', 'app2', 'app3']) await createDatabase(db);
    await pair.src.query('CREATE DATABASE closed ALLOW_CONNECTIONS false');
  });
  after(async () => {
    await Promise.all(writers.map((w) => w.stop()));
    await pair?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the database list is checked against the source before anything changes', async () => {
    // templates and names given twice: test/unit/logical-cluster-scope.test.ts (each CLI child costs seconds)
    const cases: Array<[string[], RegExp]> = [
      [['--databases', 'app1,nope'], /no database "nope"/],
      [['--databases', 'app1,closed'], /"closed" does not allow connections/],
    ];
    for (const [flags, expected] of cases) {
      const r = await cli(upgradeArgs('postgres', ...flags));
      assert.notEqual(r.code, 0, `${flags.join(' ')} was accepted`);
      assert.match(r.stderr, expected);
    }
    assert.equal(Number(await on(pair.source, 'app1', (c) => scalar(c, 'SELECT count(*) FROM pg_publication'))), 0, 'nothing was created');
  });

  test('--all-databases moves every database in ONE window: 0 acknowledged writes lost, sequences continue, never two writable', async (t) => {
    const dbs = ['app1', 'app2', 'app3'];
    const ws = await Promise.all(dbs.map((db) => startWriter(db)));
    await sleep(300);
    let running = true;
    const run = cli(upgradeArgs('postgres', '--all-databases')).finally(() => { running = false; });
    const sampled = await samplersNearTheWindow(dbs, () => running);
    const r = await run;
    const timelines = await stopSamplers(sampled);
    assert.equal(r.code, 0, `${r.stderr.slice(-3000)}\n${r.stdout.slice(0, 3000)}`);
    await pair.reconnect(); // the freeze of "postgres" ended the test's own sessions there
    for (const w of ws) await w.stop();

    const sw = stepOf(r, 'switchover')!;
    const per = sw.outputs?.databases as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(per).sort(), ['app1', 'app2', 'app3', 'postgres'], 'every database that allows connections moved, in one switchover step');
    assert.equal(typeof sw.outputs?.writeUnavailableMs, 'number', 'one measured window');
    assert.match(String(sw.outputs?.frozenLsn), /^[0-9A-F]+\/[0-9A-F]+$/, 'one frozen WAL position');
    for (const db of dbs) assert.ok(String(per[db].confirmedFlushLsn) >= '0', `${db}'s slot confirmed`);
    for (const { db, t: tl } of timelines) assertNeverTwoWritable(tl, `${db}\n${describeTimeline(tl)}`);
    for (const db of dbs) t.diagnostic(await assertMoved(db, ws.filter((w) => w.label.startsWith(`${db}@`))));
    t.diagnostic(`one window of ${sw.outputs?.writeUnavailableMs} ms for ${Object.keys(per).length} databases`);
    // each database has its own slot, named after it
    for (const db of dbs) {
      assert.equal(Number(await scalar(pair.src, 'SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1 AND database = $2', [`pgpilot_upgrade_${db}`, db])), 1);
    }
  });

  let runId: string;

  test('--databases: an apply blocked in ONE database times the drain out and EVERY database is handed back', async (t) => {
    const dbs = ['app4', 'app5'];
    for (const db of dbs) await createDatabase(db);
    // replication set up and verified for both, in-process (the CLI has no --until)
    const cluster = (s: LabServer, name: string) => ({ name, connection: conn(s, 'app4'), password: async () => s.password });
    const setup = await runRunbook({
      runbook: logicalUpgradeRunbook, clusters: { source: cluster(pair.source, 'old'), target: cluster(pair.target, 'new') },
      params: defaultLogicalUpgradeParams({ databases: dbs, switchoverTimeoutMs: 3000, lagThresholdBytes: 64 * 1024 * 1024 }),
      ui: autoUi().ui, journalDir: journal, until: 'verify-data', operator: 'test',
    });
    assert.equal(setup.status, 'paused', setup.message);
    runId = setup.runId;
    const ws = await Promise.all(dbs.map((db) => startWriter(db)));
    // app5's apply blocks on a lock held on the target (a session the switchover spares, as it spares its own)
    const holder = await clientFor(pair.target, 'app5');
    await holder.query("SET application_name = 'pg-upgrade-pilot'");
    await holder.query('SET default_transaction_read_only = off');
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE w IN SHARE MODE');
    await sleep(300);
    const sampled = samplers(dbs);
    const r = await cli(upgradeArgs('app4', '--resume', runId));
    const timelines = await stopSamplers(sampled);
    await holder.query('ROLLBACK');
    await holder.end();
    for (const w of ws) await w.stop();
    const sw = stepOf(r, 'switchover');
    assert.equal(sw?.status, 'aborted', `${r.stderr.slice(-3000)}\n${r.stdout.slice(0, 3000)}`);
    assert.match(String(sw?.message), /did not confirm the frozen position[^]*app5/, 'the cause names the blocked database');
    for (const { db, t: tl } of timelines) assertNeverTwoWritable(tl, `${db}\n${describeTimeline(tl)}`);
    for (const db of dbs) {
      assert.equal(await readOnly(pair.source, db), 'off', `${db} is writable on the source again`);
      assert.equal(await readOnly(pair.target, db), 'on', `${db} stays read-only on the target`);
      await on(pair.source, db, (c) => c.query('INSERT INTO w (v) VALUES (-1000000)')); // really writable (fence lifted)
    }
    t.diagnostic(`aborted: ${sw?.message}`);
  });

  test('a runner killed after the commit point: --resume opens EVERY database on the target', async (t) => {
    const dbs = ['app4', 'app5'];
    const ws = await Promise.all(dbs.map((db) => startWriter(db)));
    await sleep(500);
    const sampled = samplers(dbs);
    const killed = await cli(upgradeArgs('app4', '--resume', runId), { PGPILOT_FAULT: 'after-commit-journaled:kill' });
    assert.equal(killed.signal, 'SIGKILL', `the runner was to be killed after the commit point: exit ${killed.code}\n${killed.stderr.slice(-2000)}`);
    for (const db of dbs) {
      assert.equal(await readOnly(pair.source, db), 'on', `${db}: frozen on the source after the commit point`);
      assert.equal(await readOnly(pair.target, db), 'on', `${db}: not opened yet on the target`);
    }
    const r = await cli(upgradeArgs('app4', '--resume', runId));
    const timelines = await stopSamplers(sampled);
    for (const w of ws) await w.stop();
    assert.equal(r.code, 0, `${r.stderr.slice(-3000)}\n${r.stdout.slice(0, 3000)}`);
    const sw = stepOf(r, 'switchover')!;
    assert.equal(sw.outputs?.resumedFrom, 'committed', JSON.stringify(sw.outputs));
    for (const { db, t: tl } of timelines) assertNeverTwoWritable(tl, `${db}\n${describeTimeline(tl)}`);
    for (const db of dbs) t.diagnostic(await assertMoved(db, ws.filter((w) => w.label.startsWith(`${db}@`))));
  });
});
