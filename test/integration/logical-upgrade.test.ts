/**
 * The logical major upgrade end to end on real servers under write load, through the engine (runRunbook):
 * TPC-B writers, a heartbeat probe and an order writer (bigserial) keep writing through a libpq-style multi-host
 * connection (host=old,new target_session_attrs=read-write) while the runbook copies roles and schema, replicates,
 * switches over and cleans up. Every acknowledged write must be on the new server, the TPC-B sums must balance,
 * and sequences must continue without collision.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { multiHostConnector, startProbe, startWriters, ensureProbeTable, initPgbenchData } from '../../src/core/probe';
import { APP_ROLE, APP_PASSWORD, createAppRole, describeRun, multiHost, readOnlyForNewSessions, runLogical, scalar, sleep, startPair, stepOf, type Pair } from './logical-kit';

interface OrderWriter {
  acked: { id: string; host: string }[];
  stop(): Promise<void>;
}

/** Inserts into a bigserial table (the id comes from the server's sequence) through the multi-host list, retrying. */
function startOrderWriter(pair: Pair): OrderWriter {
  const connect = multiHostConnector(multiHost(pair), APP_PASSWORD);
  const acked: { id: string; host: string }[] = [];
  let stopped = false;
  const loop = (async () => {
    let conn: Awaited<ReturnType<typeof connect>> | undefined;
    while (!stopped) {
      try {
        conn ??= await connect();
        const r = await conn.client.query<{ id: string }>("INSERT INTO orders (note) VALUES ('order') RETURNING id::text AS id");
        acked.push({ id: r.rows[0].id, host: conn.host });
        await sleep(5);
      } catch {
        await conn?.client.end().catch(() => undefined);
        conn = undefined;
        await sleep(10);
      }
    }
    await conn?.client.end().catch(() => undefined);
  })();
  return { acked, stop: async () => { stopped = true; await loop; } };
}

async function prepareSource(pair: Pair): Promise<void> {
  const { src } = pair;
  await createAppRole(src);
  await initPgbenchData(src, 1);
  await ensureProbeTable(src);
  await src.query('CREATE TABLE orders (id bigserial PRIMARY KEY, note text, created timestamptz DEFAULT now())');
  await src.query('CREATE TABLE items (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL)');
  await src.query('CREATE SEQUENCE free_counter START 1000 INCREMENT 7'); // owned by no column
  await src.query("INSERT INTO items (name) SELECT 'item ' || g FROM generate_series(1, 500) g");
  await src.query("SELECT nextval('free_counter') FROM generate_series(1, 3)");
  await src.query('CREATE MATERIALIZED VIEW branch_totals AS SELECT bid, sum(abalance) AS total FROM pgbench_accounts GROUP BY bid');
  await src.query(`GRANT ALL ON ALL TABLES IN SCHEMA public TO ${APP_ROLE}`);
  await src.query(`GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ${APP_ROLE}`);
  await src.query('ALTER TABLE orders OWNER TO app');
}

const PAIRS: [string, string, number][] = [
  ['14', '16', 22000],
  ['15', '17', 22040],
  ['13', '18', 22080],
  ['12', '16', 22120],
];

describe('logical major upgrade under write load (runRunbook)', { concurrency: 1 }, () => {
  const pairs: Pair[] = [];
  after(async () => {
    for (const p of pairs) await p.stop().catch(() => undefined);
  });

  for (const [from, to, portBase] of PAIRS) {
    test(`${from} → ${to}: nothing lost, sums equal, sequences continue, sub-second switchover`, { timeout: 300_000 }, async () => {
      const pair = await startPair(from, to, portBase);
      pairs.push(pair);
      const journalDir = mkdtempSync(join(tmpdir(), 'pgpilot-logical-upgrade-'));
      await prepareSource(pair);
      const maxItemBefore = Number(await scalar(pair.src, 'SELECT max(id) FROM items'));

      const writers = await startWriters({ connection: multiHost(pair), password: APP_PASSWORD, clients: 4 });
      const probe = await startProbe({ connection: multiHost(pair), password: APP_PASSWORD, intervalMs: 20 });
      const orders = startOrderWriter(pair);
      let result;
      try {
        await sleep(500);
        result = await runLogical(pair, { verifyInWindow: true, switchoverTimeoutMs: 10_000 }, { journalDir });
        await sleep(1000); // writes go on, on the new server
      } finally {
        await orders.stop();
        await probe.stop();
      }
      const wr = await writers.stop();
      const report = await probe.stop();
      assert.equal(result.status, 'succeeded', describeRun(result));
      await pair.reconnect();

      const sw = stepOf(result, 'switchover').outputs!;
      console.log(`# ${from} → ${to}: writeUnavailableMs=${sw.writeUnavailableMs} (in-window count check ${sw.verifyInWindowMs} ms) drainMs=${sw.drainMs} ` +
        `sourceFreezeMs=${sw.sourceFreezeMs} setvalMs=${sw.setvalMs} sequences=${sw.sequencesCopied} terminated=${sw.terminatedBackends}; ` +
        `probe gap ${report.switchoverGap?.durationMs?.toFixed?.(0)} ms; writers ${wr.acked} acked, worst client gap ${wr.window.worstClientGapMs?.toFixed?.(0)} ms`);
      for (const k of ['freezeStartedAt', 'targetOpenedAt', 'writeUnavailableMs', 'drainMs', 'sequencesCopied', 'frozenLsn']) assert.ok(sw[k] !== undefined, `switchover output ${k}`);
      assert.ok(Number(sw.writeUnavailableMs) > 0 && Number(sw.writeUnavailableMs) < 10_000);
      assert.ok(Number(sw.sequencesCopied) >= 3, 'orders, items and the free sequence were copied');

      // every acknowledged commit is on the new server, exactly once; TPC-B sums balance
      const wv = await writers.verify(pair.tgt);
      assert.equal(wv.lostCommits, 0, `lost TPC-B commits: ${wv.lostIds.join(', ')}`);
      assert.equal(wv.duplicates, 0);
      assert.ok(wv.balances.balanced, `balances: ${JSON.stringify(wv.balances)}`);
      const pv = await probe.verify(pair.tgt);
      assert.equal(pv.lostCommits, 0, `lost probe commits: ${pv.lostIds.join(', ')}`);
      assert.ok(Object.keys(report.perHost).length === 2, `the probe wrote to both servers: ${JSON.stringify(report.perHost)}`);
      const targetHost = `127.0.0.1:${pair.target.port}`;
      assert.ok((wr.perHost[targetHost] ?? 0) > 0, 'the writers moved to the new server');

      // sequences continue: orders written on the new server got fresh ids, none lost
      const onTarget = orders.acked.filter((o) => o.host === targetHost);
      assert.ok(onTarget.length > 0, 'orders were inserted on the new server after the switchover');
      const ids = orders.acked.map((o) => o.id);
      const found = await pair.tgt.query<{ n: number }>('SELECT count(*)::int AS n FROM orders WHERE id = ANY($1::bigint[])', [ids]);
      assert.equal(found.rows[0].n, ids.length, 'every acknowledged order is on the new server');
      await pair.tgt.query("INSERT INTO items (name) VALUES ('after the switchover')");
      assert.ok(Number(await scalar(pair.tgt, 'SELECT max(id) FROM items')) > maxItemBefore);
      const free = Number(await scalar(pair.tgt, "SELECT nextval('free_counter')"));
      assert.equal(free, 1000 + 3 * 7, 'the free sequence continues where the source left it');

      // the record the dashboard reads, and the end state
      assert.ok(Number(await scalar(pair.tgt, 'SELECT count(*) FROM branch_totals')) > 0, 'materialized view refreshed');
      assert.equal(await readOnlyForNewSessions(pair.source), 'on', 'old server stays read-only for new sessions');
      assert.equal(await readOnlyForNewSessions(pair.target), 'off', 'the new server takes writes');
      for (const k of ['windowBreakdown', 'commitPointAt']) assert.ok(sw[k] !== undefined, `switchover output ${k}`);
      // a headless run keeps the way back: the cleanup runs only when asked (finish)
      assert.equal(stepOf(result, 'cleanup').status, 'pending', describeRun(result));
      assert.equal(Number(await scalar(pair.src, 'SELECT count(*) FROM pg_subscription')), 1, 'reverse subscription on the old server');
      const finished = await runLogical(pair, {}, { runId: result.runId, journalDir, finish: true });
      assert.equal(finished.status, 'succeeded', describeRun(finished));
      assert.equal(stepOf(finished, 'cleanup').status, 'succeeded', describeRun(finished));
      await pair.reconnect();
      assert.equal(await readOnlyForNewSessions(pair.source), 'on', 'old server stays read-only after the finish');
      assert.equal(Number(await scalar(pair.src, 'SELECT count(*) FROM pg_replication_slots')), 0, 'slot dropped by the cleanup');
      assert.equal(Number(await scalar(pair.tgt, 'SELECT count(*) FROM pg_replication_slots')), 0, 'reverse slot dropped by the cleanup');
      assert.equal(Number(await scalar(pair.tgt, 'SELECT count(*) FROM pg_subscription')), 0, 'subscription dropped');
      assert.equal(Number(await scalar(pair.src, 'SELECT count(*) FROM pg_publication')), 0, 'publication dropped');
      assert.ok(Number(await scalar(pair.tgt, `SELECT count(*) FROM pg_roles WHERE rolname = '${APP_ROLE}'`)) === 1, 'app role copied');
      // secrets never reach the journal: passwords, nor the role's password hash
      const journal = readFileSync(join(journalDir, `${result.runId}.jsonl`), 'utf8');
      const hash = String(await scalar(pair.src, `SELECT rolpassword FROM pg_authid WHERE rolname = '${APP_ROLE}'`));
      for (const secret of [pair.source.password, pair.target.password, APP_PASSWORD, hash]) assert.ok(!journal.includes(secret), 'no secret in the journal');
      rmSync(journalDir, { recursive: true, force: true });
      await pair.stop();
      pairs.splice(pairs.indexOf(pair), 1);
    });
  }
});
