/**
 * Issue 9: replication errors surface within a minute with their cause, not after the 12 h sync timeout — rows on the
 * target colliding with the initial copy, and a replication role that lost SELECT — and the step says exactly what is
 * left and how to remove it (those statements are run and leave nothing behind). A table added to a replicated schema (FOR TABLE list) is
 * named and fixed by `schema-drift --apply`. One 14 → 16 pair, three databases.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from 'pg';
import { clientFor, reloadServer } from '../helpers/lab';
import { defaultLogicalUpgradeParams } from '../../src/core/runbooks/logical';
import { checkReplicatedSet, inspectReplicatedSet } from '../../src/core/runbooks/logical/replicated-set';
import { labConn, runCli } from './cli-kit';
import { describeRun, runLogical, scalar, sleep, startPair, stepOf, type Pair } from './logical-kit';

const PORT_BASE = Number(process.env.PGPILOT_TEST_PORT_BASE ?? 23000) + 180;

/** The statements after "on the target" / "on the source" in a leftInPlace text. */
function removal(message: string): { target: string[]; source: string[] } {
  const m = /remove them: on the target (.*) and on the source (.*)$/s.exec(message);
  assert.ok(m, message);
  const split = (s: string) => s.split(/;\s*/).map((x) => x.trim()).filter(Boolean).map((x) => `${x};`);
  return { target: split(m[1]), source: split(m[2]) };
}

describe('replication errors within a minute (14 → 16)', { concurrency: 1 }, () => {
  let pair: Pair;
  before(async () => {
    pair = await startPair('14', '16', PORT_BASE);
  });
  after(async () => {
    await pair?.stop();
  });

  test('rows on the target colliding with the initial copy stop the wait with the table named; the removal printed leaves nothing', { timeout: 240_000 }, async () => {
    await pair.src.query('CREATE TABLE a (id int PRIMARY KEY, v text); INSERT INTO a SELECT g, \'s\' FROM generate_series(1, 100) g');
    await pair.tgt.query("CREATE TABLE a (id int PRIMARY KEY, v text); INSERT INTO a VALUES (5, 'already here')");
    const r = await runLogical(pair, { allowTargetRows: true, reverseReplication: false }, { until: 'wait-initial-sync' });
    const wait = stepOf(r, 'wait-initial-sync');
    assert.equal(wait.status, 'failed', describeRun(r));
    assert.match(wait.message ?? '', /collides with rows already on the target in public\.a/);
    assert.ok((wait.durationMs ?? Infinity) < 120_000, `stopped after ${wait.durationMs} ms, not at the 12 h timeout`);
    // what is left, and the statements that remove it
    const { target, source } = removal(wait.message ?? '');
    await pair.reconnect();
    for (const st of target) await pair.tgt.query(st);
    for (const st of source) await pair.src.query(st);
    await pair.reconnect();
    assert.equal(await scalar(pair.src, 'SELECT count(*)::int FROM pg_replication_slots'), 0, 'no slot left on the source');
    assert.equal(await scalar(pair.src, 'SELECT count(*)::int FROM pg_publication'), 0);
    assert.equal(await scalar(pair.tgt, 'SELECT count(*)::int FROM pg_subscription'), 0);
    assert.equal(await scalar(pair.tgt, "SELECT current_setting('default_transaction_read_only')"), 'off', 'the target is writable again');
    assert.equal(await scalar(pair.tgt, 'SELECT v FROM a WHERE id = 5'), 'already here');
  });

  test('a replication role that lost SELECT stops the wait with the GRANT to run; after it, the copy completes', { timeout: 240_000 }, async () => {
    await pair.src.query('CREATE DATABASE b');
    await pair.tgt.query('CREATE DATABASE b');
    await pair.src.query("CREATE ROLE repl LOGIN REPLICATION PASSWORD 'unused'");
    // the target connects as repl: trust it from 127.0.0.1 on the source (the password would come from a .pgpass there)
    const hba = join(pair.source.dataDir, 'pg_hba.conf');
    writeFileSync(hba, `host all repl 127.0.0.1/32 trust\nhost replication repl 127.0.0.1/32 trust\n${readFileSync(hba, 'utf8')}`);
    await reloadServer(pair.source);
    const srcB: Client = await clientFor(pair.source, 'b');
    try {
      await srcB.query("CREATE TABLE s1 (id int PRIMARY KEY); INSERT INTO s1 SELECT generate_series(1, 50); GRANT SELECT ON s1 TO repl");
      const clusterB = (s: typeof pair.source) => ({ ...s, connection: `${s.connection.replace(/dbname=\S+/, '')} dbname=b` });
      const pairB: Pair = { ...pair, source: clusterB(pair.source), target: clusterB(pair.target) };
      const params = { reverseReplication: false, subscriberConnection: `host=127.0.0.1 port=${pair.source.port} user=repl dbname=b` };
      const journalDir = mkdtempSync(join(tmpdir(), 'pgpilot-repl-errors-'));
      const first = await runLogical(pairB, params, { until: 'create-publication', journalDir });
      assert.equal(first.status, 'paused', describeRun(first));
      await srcB.query('REVOKE SELECT ON s1 FROM repl');
      const r = await runLogical(pairB, params, { runId: first.runId, until: 'wait-initial-sync', journalDir });
      const wait = stepOf(r, 'wait-initial-sync');
      assert.equal(wait.status, 'failed', describeRun(r));
      assert.match(wait.message ?? '', /replication role "repl" may not read public\.s1/);
      assert.ok((wait.durationMs ?? Infinity) < 120_000, `stopped after ${wait.durationMs} ms`);
      const grant = /GRANT SELECT ON TABLE "public"\."s1" TO "repl";/.exec(wait.message ?? '')?.[0];
      assert.ok(grant, wait.message);
      await srcB.query({ text: grant, queryMode: 'extended' } as { text: string });
      const again = await runLogical(pairB, params, { runId: first.runId, until: 'wait-initial-sync', journalDir });
      assert.equal(stepOf(again, 'wait-initial-sync').status, 'succeeded', describeRun(again));
      const tgtB = await clientFor(pair.target, 'b');
      try {
        assert.equal(await scalar(tgtB, 'SELECT count(*)::int FROM s1'), 50);
      } finally {
        await tgtB.end();
      }
    } finally {
      await srcB.end();
    }
  });

  test('a table added to a replicated schema (FOR TABLE list on a 14 source) is named at the gate; schema-drift --apply creates, publishes and subscribes it', { timeout: 240_000 }, async () => {
    await pair.reconnect();
    await pair.src.query('CREATE DATABASE c');
    await pair.tgt.query('CREATE DATABASE c');
    const srcC = await clientFor(pair.source, 'c');
    const tgtC = await clientFor(pair.target, 'c');
    try {
      await srcC.query("CREATE SCHEMA app; CREATE TABLE app.a1 (id int PRIMARY KEY); INSERT INTO app.a1 SELECT generate_series(1, 30); CREATE TABLE public.other (id int PRIMARY KEY)");
      const inC = (s: typeof pair.source) => ({ ...s, connection: `${s.connection.replace(/dbname=\S+/, '')} dbname=c` });
      const pairC: Pair = { ...pair, source: inC(pair.source), target: inC(pair.target) };
      const params = { reverseReplication: false, schemas: ['app'], publication: 'pgpilot_c', subscription: 'pgpilot_c' };
      const r = await runLogical(pairC, params, { until: 'wait-initial-sync' });
      assert.equal(r.status, 'paused', describeRun(r));
      assert.equal(await scalar(srcC, "SELECT puballtables::text FROM pg_publication WHERE pubname = 'pgpilot_c'"), 'false');
      await srcC.query('CREATE TABLE app.a2 (id int PRIMARY KEY, v text); INSERT INTO app.a2 SELECT g, \'v\' FROM generate_series(1, 40) g');
      const p = defaultLogicalUpgradeParams(params);
      await assert.rejects(checkReplicatedSet(srcC, tgtC, p), /table app\.a2 is missing on the target/);
      await tgtC.query('SET default_transaction_read_only = off');
      const ran = await runCli(['schema-drift', '--source', labConn(pair.source, 'c'), '--target', labConn(pair.target, 'c'), '--schema', 'app', '--publication', 'pgpilot_c', '--subscription', 'pgpilot_c', '--apply', '--yes'], pair.lab.servers);
      assert.match(ran.stderr, /ALTER PUBLICATION "pgpilot_c" ADD TABLE "app"\."a2";/, ran.stdout + ran.stderr);
      assert.match(ran.stderr, /ALTER SUBSCRIPTION "pgpilot_c" REFRESH PUBLICATION;/);
      assert.ok(ran.code === 0 || ran.code === 1, ran.stderr);
      const deadline = Date.now() + 60_000;
      while ((await inspectReplicatedSet(srcC, tgtC, p)).problems.length && Date.now() < deadline) await sleep(300);
      await checkReplicatedSet(srcC, tgtC, p);
      assert.equal(await scalar(tgtC, 'SELECT count(*)::int FROM app.a2'), 40);
      assert.equal(await scalar(srcC, "SELECT count(*)::int FROM pg_publication_tables WHERE pubname = 'pgpilot_c' AND tablename = 'other'"), 0, 'a table outside the scope is not published');
    } finally {
      await srcC.end();
      await tgtC.end();
    }
  });
});
