/**
 * Issue 9: the replicated set is re-derived at the gate. A partition created on the source during replication and a
 * new table each end either replicated and verified (rows equal on both sides) or with the switchover refused naming
 * the table and its fix — never a success with rows missing. One 14 → 16 pair for the file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultLogicalUpgradeParams, GateError } from '../../src/core/runbooks/logical';
import { checkReplicatedSet, inspectReplicatedSet, replicatedSetFix, sourceReplicatedTables } from '../../src/core/runbooks/logical/replicated-set';
import { runCli } from './cli-kit';
import { describeRun, startPair, runLogical, scalar, sleep, stepOf, type Pair } from './logical-kit';

const cli = (args: string[]) => runCli(args, pairForCli!.lab.servers);
let pairForCli: Pair | undefined;

const PORT_BASE = Number(process.env.PGPILOT_TEST_PORT_BASE ?? 23000) + 100;

/** Like startPair, with apply workers that restart after 1 s instead of 5 s (the default), so the test is short. */
function startFastPair(from: string, to: string): Promise<Pair> {
  return startPair(from, to, PORT_BASE, { wal_retrieve_retry_interval: '1s' });
}

async function until(what: string, ms: number, fn: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

async function rows(pair: Pair, table: string): Promise<[number, number]> {
  return [Number(await scalar(pair.src, `SELECT count(*) FROM ${table}`)), Number(await scalar(pair.tgt, `SELECT count(*) FROM ${table}`))];
}

describe('the replicated set, re-derived (14 → 16)', { concurrency: 1 }, () => {
  let pair: Pair;
  let journalDir: string;
  const params = { reverseReplication: false };
  let runId = '';

  before(async () => {
    pair = await startFastPair('14', '16');
    pairForCli = pair;
    journalDir = mkdtempSync(join(tmpdir(), 'pgpilot-repset-'));
    await pair.src.query(`CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, note text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
      CREATE TABLE events_2026_01 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
      CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL);
      CREATE TYPE mood AS ENUM ('sad', 'ok');
      CREATE TABLE feelings (id int PRIMARY KEY, m mood NOT NULL);
      INSERT INTO feelings VALUES (1, 'sad'), (2, 'ok');
      INSERT INTO events SELECT g, '2026-01-15', 'jan' FROM generate_series(1, 200) g;
      INSERT INTO accounts SELECT g, 100 FROM generate_series(1, 50) g;`);
  });
  after(async () => {
    await pair?.stop();
    if (journalDir) rmSync(journalDir, { recursive: true, force: true });
  });

  test('the set in scope, from the catalog: tables named (partitions through their parent), schemas, everything', async () => {
    const names = async (o: Parameters<typeof defaultLogicalUpgradeParams>[0]) =>
      (await sourceReplicatedTables(pair.src, defaultLogicalUpgradeParams(o))).map((x) => [x.name, x.publishedAs]);
    assert.deepEqual(await names({ tables: [{ schema: 'public', name: 'events' }] }), [['events_2026_01', null]]);
    assert.deepEqual(await names({ schemas: ['public'] }), [['accounts', null], ['events_2026_01', null], ['feelings', null]]);
    assert.deepEqual(await names({ tables: [{ schema: 'public', name: 'accounts' }, { schema: 'public', name: 'events_2026_01' }] }), [['accounts', null], ['events_2026_01', null]]);
    assert.equal((await names({})).length, 3);
  });

  test('replication up to verify-data publishes partitions via their root and verifies every leaf', { timeout: 180_000 }, async () => {
    const r = await runLogical(pair, params, { until: 'verify-data', journalDir });
    runId = r.runId;
    assert.equal(r.status, 'paused', describeRun(r));
    assert.equal(await scalar(pair.src, "SELECT pubviaroot::text FROM pg_publication WHERE pubname = 'pgpilot_upgrade'"), 'true');
    const v = stepOf(r, 'verify-data').outputs!;
    const compared = (v.tables as Array<{ name: string; method: string; comparedAt: string; equal: boolean }>);
    assert.deepEqual(compared.map((t) => t.name).sort(), ['accounts', 'events_2026_01', 'feelings']);
    assert.ok(compared.every((t) => t.equal && t.method === 'count+checksum' && !Number.isNaN(Date.parse(t.comparedAt))));
    assert.deepEqual(await rows(pair, 'events_2026_01'), [200, 200]);
  });

  test('a partition created on the source during replication stops the switchover, naming it; once created on the target and verified again, the switchover carries its rows', { timeout: 180_000 }, async () => {
    await pair.src.query(`CREATE TABLE events_2026_02 PARTITION OF events FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
      INSERT INTO events SELECT g, '2026-02-10', 'feb' FROM generate_series(1001, 1250) g;`);
    const p = defaultLogicalUpgradeParams(params);
    const ddl = `CREATE TABLE "public"."events_2026_02" PARTITION OF "public"."events" FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');`;
    await assert.rejects(checkReplicatedSet(pair.src, pair.tgt, p), (err: Error) => err instanceof GateError
      && /partition public\.events_2026_02 of public\.events .* is missing on the target/.test(err.message) && err.message.includes(ddl));

    const refused = await runLogical(pair, params, { runId, journalDir, until: 'switchover' });
    assert.equal(stepOf(refused, 'switchover').status, 'failed', describeRun(refused));
    assert.match(describeRun(refused), /events_2026_02/);
    assert.equal(await scalar(pair.src, 'SELECT count(*) FROM events_2026_02'), '250');
    assert.equal(await scalar(pair.src, "SELECT current_setting('default_transaction_read_only')"), 'off', 'the source stayed writable');

    // The fix: create the partition on the target; the stopped apply resumes and the rows arrive (via the root).
    await pair.tgt.query({ text: ddl, queryMode: 'extended' } as { text: string }); // the DDL the gate printed, one statement
    await until('the February rows on the target', 60_000, async () => (await rows(pair, 'events_2026_02'))[1] === 250);
    // The set changed since verify-data: the gate wants a new verification first.
    await assert.rejects(
      checkReplicatedSet(pair.src, pair.tgt, p, { inWindow: false, verified: (stepOf(refused, 'verify-data').outputs) }),
      /replicated set changed since verify-data/,
    );
    const verified = await runLogical(pair, params, { runId, journalDir, only: 'verify-data' });
    assert.equal(verified.status, 'paused', describeRun(verified));
    assert.ok((stepOf(verified, 'verify-data').outputs!.tables as Array<{ name: string }>).some((t) => t.name === 'events_2026_02'));
  });

  test('a new table is not published-and-ready until REFRESH PUBLICATION: the fix names it, and once applied the switchover verifies it and moves its rows', { timeout: 240_000 }, async () => {
    await pair.src.query("CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes SELECT g, 'n' FROM generate_series(1, 75) g");
    const p = defaultLogicalUpgradeParams(params);
    let state = await inspectReplicatedSet(pair.src, pair.tgt, p);
    assert.deepEqual(state.problems.map((x) => [x.table.name, x.kind]), [['notes', 'missing-on-target']]);
    await pair.tgt.query('CREATE TABLE notes (id int PRIMARY KEY, body text)');
    state = await inspectReplicatedSet(pair.src, pair.tgt, p);
    assert.deepEqual(state.problems.map((x) => [x.table.name, x.kind]), [['notes', 'not-subscribed']]);
    const fix = replicatedSetFix(state.problems, p);
    for (const st of fix.target) await pair.tgt.query(st);
    await until('notes copied', 60_000, async () => (await inspectReplicatedSet(pair.src, pair.tgt, p)).problems.length === 0);

    // DDL on the source during replication: a new column and a new enum value, used at once. The apply stops; the gate
    // names the column and the label with the DDL for the target; after running it the rows arrive.
    await pair.src.query(`ALTER TABLE accounts ADD COLUMN note text DEFAULT 'x'; ALTER TYPE mood ADD VALUE 'glad';`);
    await pair.src.query("INSERT INTO accounts VALUES (51, 7, 'new'); INSERT INTO feelings VALUES (3, 'glad')");
    let drift = '';
    await assert.rejects(checkReplicatedSet(pair.src, pair.tgt, p), (err: Error) => {
      drift = err.message;
      return err instanceof GateError;
    });
    assert.match(drift, /column public\.accounts\."note" \(text\) is missing on the target/);
    assert.match(drift, /enum public\.mood lacks the label 'glad'/);
    const before = await cli(['schema-drift', '--source', `host=127.0.0.1 port=${pair.source.port} user=postgres dbname=postgres`, '--target', `host=127.0.0.1 port=${pair.target.port} user=postgres dbname=postgres`]);
    assert.equal(before.code, 1, before.stdout + before.stderr);
    assert.match(before.stdout, /on the target: ALTER TABLE "public"\."accounts" ADD COLUMN "note" text DEFAULT 'x'::text;/);
    const stmts = [...drift.matchAll(/(ALTER (?:TABLE|TYPE) [^;]*;)/g)].map((m) => m[1]);
    assert.deepEqual(stmts, [`ALTER TYPE "public"."mood" ADD VALUE IF NOT EXISTS 'glad' AFTER 'ok';`, `ALTER TABLE "public"."accounts" ADD COLUMN "note" text DEFAULT 'x'::text;`]);
    for (const st of stmts) await pair.tgt.query({ text: st, queryMode: 'extended' } as { text: string }); // one statement each
    // the same through the CLI: nothing left to report (exit 0)
    const conn = (x: typeof pair.source) => `host=127.0.0.1 port=${x.port} user=${x.user} dbname=postgres`;
    const ran = await cli(['schema-drift', '--source', conn(pair.source), '--target', conn(pair.target)]);
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    assert.match(ran.stdout, /Schema drift: none/);
    await until('the new rows on the target', 60_000, async () => Number(await scalar(pair.tgt, "SELECT count(*) FROM accounts WHERE note = 'new'")) === 1
      && Number(await scalar(pair.tgt, "SELECT count(*) FROM feelings WHERE m = 'glad'")) === 1);
    await checkReplicatedSet(pair.src, pair.tgt, p);

    // verify-data ran before notes existed: resuming straight into the switchover is refused, not trusted
    const stale = await runLogical(pair, params, { runId, journalDir, until: 'switchover' });
    assert.equal(stepOf(stale, 'switchover').status, 'failed', describeRun(stale));
    assert.match(describeRun(stale), /replicated set changed since verify-data/);
    const again = await runLogical(pair, params, { runId, journalDir, only: 'verify-data' });
    assert.equal(stepOf(again, 'verify-data').status, 'succeeded', describeRun(again));
    const r = await runLogical(pair, params, { runId, journalDir });
    assert.equal(r.status, 'succeeded', describeRun(r));
    assert.ok((stepOf(r, 'verify-data').outputs!.tables as Array<{ name: string }>).some((t) => t.name === 'notes'));
    await pair.reconnect();
    assert.deepEqual(await rows(pair, 'notes'), [75, 75]);
    assert.deepEqual(await rows(pair, 'events_2026_02'), [250, 250]);
    assert.deepEqual(await rows(pair, 'events'), [450, 450]);
    assert.deepEqual(await rows(pair, 'accounts'), [51, 51]);
    assert.deepEqual(await rows(pair, 'feelings'), [3, 3]);
  });
});
