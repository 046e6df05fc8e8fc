/**
 * Issue 10, database scope, on real servers (14 → 16, one server group): a source cluster with databases app1, app2
 * and app3, a writer on each. Upgrading app1 through the CLI leaves app2 and app3 committing on the source throughout
 * (their writers see no error, and commit inside app1's window); app1's acknowledged writes are all on the target,
 * app1 is frozen on the source, the target's other databases are untouched. A second run then upgrades app2 the same
 * way on the same clusters: its default names cannot collide with app1's, app3 still writes on the source, and app1
 * stays writable on the target.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from 'pg';
import { journalPath, parseJournal } from '../../src/core/runbook';
import type { Finding } from '../../src/core/runbook/types';
import { AckedWriter } from '../helpers/acked-writer';
import { runCliChild, type CliRun } from '../helpers/cli-child';
import { clientFor, type LabServer } from '../helpers/lab';
import { catalogSnapshot, scalar, sleep, startPair, type Pair } from './logical-kit';

const PORT_BASE = Number(process.env.PGPILOT_TEST_PORT_BASE ?? 22700) + 100;
const dir = mkdtempSync(join(tmpdir(), 'pgpilot-database-scope-'));
const journal = join(dir, 'journal');

type Ran = CliRun;
interface StepJson { id: string; status: string; message?: string; outputs?: Record<string, unknown> }

const cli = runCliChild;

describe('database scope: one database upgraded at a time leaves the others writable (14 → 16)', { concurrency: 1, timeout: 240_000 }, () => {
  let pair: Pair;
  let env: Record<string, string>;
  const writers: AckedWriter[] = [];
  const conn = (s: LabServer, db: string) => `host=127.0.0.1 port=${s.port} user=${s.user} dbname=${db} connect_timeout=5`;
  const upgrade = (db: string) => cli(['logical-upgrade', '--source', conn(pair.source, db), '--target', conn(pair.target, db), '--journal', journal, '--yes', '--json'], env);
  const stepsOf = (r: Ran): StepJson[] => (JSON.parse(r.stdout) as { steps: StepJson[] }).steps;
  const stepOf = (r: Ran, id: string): StepJson => stepsOf(r).find((s) => s.id === id)!;
  const on = async <T>(s: LabServer, db: string, f: (c: Client) => Promise<T>): Promise<T> => {
    const c = await clientFor(s, db);
    try { return await f(c); } finally { await c.end(); }
  };
  const readOnly = (s: LabServer, db: string) => on(s, db, (c) => scalar(c, 'SHOW default_transaction_read_only'));
  const start = async (s: LabServer, db: string) => { const w = await AckedWriter.start(s, db); writers.push(w); return w; };

  /** The writer's acknowledged values all present on the target database (nothing lost), and the target's count. */
  async function assertAllOnTarget(w: AckedWriter, db: string): Promise<void> {
    assert.ok(w.acked.length > 0, `${w.label} acknowledged nothing`);
    const vs = w.acked.map((a) => a.v);
    const found = Number(await on(pair.target, db, (c) => scalar(c, 'SELECT count(DISTINCT v) FROM w WHERE v = ANY($1::int[])', [vs])));
    assert.equal(found, vs.length, `${db}: ${vs.length - found} acknowledged write(s) missing on the target`);
  }

  function assertWindowDidNotStop(r: Ran, moved: string, others: AckedWriter[]): string {
    const sw = stepOf(r, 'switchover');
    const from = Date.parse(String(sw.outputs?.freezeStartedAt));
    const to = Date.parse(String(sw.outputs?.targetOpenedAt));
    assert.ok(Number.isFinite(from) && Number.isFinite(to) && to >= from, `the switchover of ${moved} reports its window: ${JSON.stringify(sw.outputs)}`);
    for (const w of others) {
      assert.deepEqual(w.errors, [], `${w.label} saw an error while ${moved} was upgraded`);
      // a window shorter than two writer iterations on a loaded machine proves nothing either way
      if (to - from >= 100) assert.ok(w.within(from, to) > 0, `${w.label} committed nothing during ${moved}'s ${to - from} ms window`);
    }
    return `${moved}'s window ${to - from} ms; commits inside it: ${others.map((w) => `${w.label} ${w.within(from, to)}`).join(', ')}`;
  }

  /** The preflight's findings, as the run journaled them. */
  function preflightFindings(r: Ran): Finding[] {
    const { runId } = JSON.parse(r.stdout) as { runId: string };
    const events = parseJournal(readFileSync(journalPath(journal, runId), 'utf8'));
    const done = events.filter((e) => e.type === 'step-finished' && e.stepId === 'preflight').at(-1);
    return (done && 'findings' in done ? done.findings : undefined) ?? [];
  }

  function fates(r: Ran): Map<string, string> {
    const infos = preflightFindings(r).filter((f) => f.id === 'database-scope');
    return new Map(infos.map((f) => [/^Database "([^"]+)"/.exec(f.message)![1], f.message]));
  }

  before(async () => {
    pair = await startPair('14', '16', PORT_BASE);
    const pgpass = join(dir, 'pgpass');
    writeFileSync(pgpass, [pair.source, pair.target].map((s) => `127.0.0.1:${s.port}:*:${s.user}:${s.password}\n`).join(''), { mode: 0o600 });
    env = { PGPASSFILE: pgpass };
    for (const db of ['app1', 'app2', 'app3']) {
      await pair.src.query(`CREATE DATABASE ${db}`);
      await pair.tgt.query(`CREATE DATABASE ${db}`);
      await on(pair.source, db, async (c) => {
        await c.query('CREATE TABLE w (id bigserial PRIMARY KEY, v int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())');
        await c.query('INSERT INTO w (v) SELECT -g FROM generate_series(1, 200) g');
      });
    }
    // the target's app3 holds something of its own: no run may touch it
    await on(pair.target, 'app3', (c) => c.query('CREATE TABLE mine (id int PRIMARY KEY); INSERT INTO mine VALUES (1), (2)'));
  });
  after(async () => {
    await Promise.all(writers.map((w) => w.stop()));
    await pair?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  let app2: AckedWriter;
  let app3: AckedWriter;

  test('upgrading app1 moves app1 only: app2 and app3 keep committing on the source throughout', async (t) => {
    const app1 = await start(pair.source, 'app1');
    app2 = await start(pair.source, 'app2');
    app3 = await start(pair.source, 'app3');
    await sleep(300);
    const r = await upgrade('app1');
    assert.equal(r.code, 0, `${r.stderr}\n${r.stdout.slice(0, 4000)}`);
    await sleep(300); // the other writers keep going after the run, too
    t.diagnostic(assertWindowDidNotStop(r, 'app1', [app2, app3]));

    // the preflight named every database and what happens to it
    const f = fates(r);
    assert.match(f.get('app1') ?? '', /moved now/);
    assert.match(f.get('app2') ?? '', /untouched; stays writable on the source; not replicated/);
    assert.match(f.get('app3') ?? '', /untouched; stays writable on the source; not replicated/);
    assert.ok(f.has('postgres'), 'every non-template database is listed');
    assert.match(preflightFindings(r).find((x) => x.id === 'databases-left-behind')?.message ?? '', /"app2", "app3"/);

    // app1: frozen on the source, every acknowledged write on the target, writable there
    await app1.stop();
    assert.ok(app1.errors.length > 0, 'the app1 writer was stopped on the source by the switchover');
    assert.equal(await readOnly(pair.source, 'app1'), 'on', 'app1 is frozen on the source');
    await assert.rejects(on(pair.source, 'app1', (c) => c.query('INSERT INTO w (v) VALUES (0)')), /read-only/);
    await assertAllOnTarget(app1, 'app1');
    assert.equal(await readOnly(pair.target, 'app1'), 'off', 'app1 is open on the target');
    await on(pair.target, 'app1', (c) => c.query('INSERT INTO w (v) VALUES (1000000)')); // the sequence continues: no duplicate key

    // the other databases: writable on the source, untouched on the target
    for (const db of ['app2', 'app3']) assert.equal(await readOnly(pair.source, db), 'off', `${db} stays writable on the source`);
    assert.equal(Number(await on(pair.target, 'app2', (c) => scalar(c, "SELECT count(*) FROM pg_class WHERE relname = 'w'"))), 0, 'the target app2 was not touched');
    assert.equal(Number(await on(pair.target, 'app3', (c) => scalar(c, 'SELECT count(*) FROM mine'))), 2, 'the target app3 was not touched');
    assert.deepEqual(await on(pair.target, 'app3', async (c) => (await c.query("SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'")).rows.map((x) => x.relname)), ['mine']);
    for (const db of ['app2', 'app3']) assert.equal(await readOnly(pair.target, db), 'off', `${db} on the target was never frozen`);
    // the run's slots carry app1's name
    assert.equal(Number(await scalar(pair.src, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'pgpilot_upgrade_app1' AND database = 'app1'")), 1);
  });

  test('a second run upgrades app2 the same way: app3 still writes on the source, app1 stays writable on the target', async (t) => {
    const app1New = await start(pair.target, 'app1');
    await sleep(300);
    const r = await upgrade('app2');
    assert.equal(r.code, 0, `${r.stderr}\n${r.stdout.slice(0, 4000)}`);
    await sleep(300);
    t.diagnostic(assertWindowDidNotStop(r, 'app2', [app3, app1New]));

    const f = fates(r);
    assert.match(f.get('app1') ?? '', /already read-only/);
    assert.match(f.get('app2') ?? '', /moved now/);
    assert.match(f.get('app3') ?? '', /not replicated/);

    await app2.stop();
    assert.ok(app2.errors.length > 0, 'the app2 writer was stopped on the source by its switchover');
    assert.equal(await readOnly(pair.source, 'app2'), 'on');
    await assertAllOnTarget(app2, 'app2');
    assert.equal(await readOnly(pair.target, 'app2'), 'off');
    await on(pair.target, 'app2', (c) => c.query('INSERT INTO w (v) VALUES (1000000)'));

    assert.deepEqual(app3.errors, []);
    assert.deepEqual(app1New.errors, []);
    assert.equal(await readOnly(pair.source, 'app3'), 'off');
    assert.equal(await readOnly(pair.target, 'app1'), 'off');
    assert.equal(Number(await on(pair.target, 'app3', (c) => scalar(c, 'SELECT count(*) FROM mine'))), 2, 'the target app3 was not touched');
    // both runs' slots coexist, each with its database's name
    const slots = (await pair.src.query("SELECT slot_name::text AS s FROM pg_replication_slots WHERE slot_name LIKE 'pgpilot_upgrade%' ORDER BY 1")).rows.map((x) => x.s);
    assert.deepEqual(slots, ['pgpilot_upgrade_app1', 'pgpilot_upgrade_app2']);
  });
  test('a run whose slot name another database already uses is refused before anything changes, naming that database', async () => {
    const before = await on(pair.source, 'app3', (c) => catalogSnapshot(c));
    const targetBefore = await on(pair.target, 'app3', (c) => catalogSnapshot(c));
    const r = await cli(['logical-upgrade', '--source', conn(pair.source, 'app3'), '--target', conn(pair.target, 'app3'), '--journal', journal,
      '--subscription', 'pgpilot_upgrade_app1', '--yes', '--json'], env);
    assert.equal(r.code, 1, `${r.stderr}\n${r.stdout.slice(0, 2000)}`);
    const collision = preflightFindings(r).find((f) => f.id === 'slot-name-collision');
    assert.equal(collision?.severity, 'error');
    assert.match(collision!.message, /"pgpilot_upgrade_app1".*database "app1"/);
    assert.equal(await on(pair.source, 'app3', (c) => catalogSnapshot(c)), before, 'nothing changed on the source');
    assert.equal(await on(pair.target, 'app3', (c) => catalogSnapshot(c)), targetBefore, 'nothing changed on the target');
    assert.deepEqual(app3.errors, [], 'app3 kept writing');
  });
});
