/**
 * Issue 13 items 1–2 on real servers: a canary password for a dedicated replication user ("repl", read from a
 * password file on this machine) must appear in no server log — with log_statement = all, every duration logged and
 * failing statements logged — and in no pg_subscription.subconninfo once a run ends (failed, aborted by Ctrl-C
 * during the initial copy, succeeded; a paused run keeps replicating and says so), nor in the journal. The full runbook runs under write load (a heartbeat probe
 * through host=old,new target_session_attrs=read-write) and loses nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureProbeTable, startProbe } from '../../src/core/probe';
import { abortWhenSubscribed, APP_PASSWORD, createAppRole, describeRun, multiHost, runLogical, scalar, startPair, stepOf, type Pair } from './logical-kit';

const CANARY = `Canary-${Math.random().toString(36).slice(2, 10)}`;
const LOUD_LOGS = { log_statement: 'all', log_min_duration_statement: '0', log_min_error_statement: 'error', log_parameter_max_length_on_error: '-1' };
const PORT_BASE = Number(process.env.PGPILOT_TEST_PORT_BASE) || 23500;

/** Creates the replication user without the password reaching this test's own server log. */
async function createReplicationUser(pair: Pair): Promise<void> {
  for (const c of [pair.src, pair.tgt]) {
    await c.query('SET log_statement = none');
    await c.query('SET log_min_duration_statement = -1');
    await c.query(`CREATE ROLE repl LOGIN REPLICATION PASSWORD '${CANARY}'`);
    await c.query('RESET log_statement');
    await c.query('RESET log_min_duration_statement');
    await c.query('GRANT pg_read_all_data TO repl');
  }
}

async function subconninfos(pair: Pair): Promise<string> {
  const rows = [];
  for (const c of [pair.src, pair.tgt]) rows.push(...(await c.query('SELECT subname, subenabled, subconninfo FROM pg_subscription')).rows);
  return JSON.stringify(rows);
}

for (const [from, to, port] of [['14', '16', PORT_BASE], ['16', '17', PORT_BASE + 10]] as const) {
  describe(`no password in logs or catalogs, ${from} → ${to}`, { concurrency: 1 }, () => {
    let pair: Pair;
    const dir = mkdtempSync(join(tmpdir(), 'pgpilot-secrets-'));
    const journalDir = join(dir, 'journal');
    const goodFile = join(dir, 'pgpass');
    const wrongFile = join(dir, 'pgpass-wrong');
    let params: Record<string, unknown>;
    before(async () => {
      pair = await startPair(from, to, port);
      pair.lab.servers.forEach((s) => assert.ok(s.logFile, 'the lab writes a server log'));
      for (const c of [pair.src, pair.tgt]) {
        for (const [k, v] of Object.entries(LOUD_LOGS)) await c.query(`ALTER SYSTEM SET ${k} = '${v}'`);
        await c.query('SELECT pg_reload_conf()');
      }
      await createReplicationUser(pair);
      await createAppRole(pair.src);
      await ensureProbeTable(pair.src);
      await pair.src.query('CREATE TABLE items (id bigserial PRIMARY KEY, v text)');
      await pair.src.query("INSERT INTO items (v) SELECT 'x' || g FROM generate_series(1, 500) g");
      await pair.src.query('GRANT ALL ON ALL TABLES IN SCHEMA public TO app');
      await pair.src.query('GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO app');
      if (from !== '14') {
        // pg_dump 15 cannot read a 16 source: the schema is created on the target by hand (the step only checks)
        await pair.tgt.query(`CREATE ROLE app LOGIN PASSWORD '${APP_PASSWORD}'`);
        await pair.tgt.query('CREATE TABLE items (id bigserial PRIMARY KEY, v text)');
        await ensureProbeTable(pair.tgt);
        await pair.tgt.query('GRANT ALL ON ALL TABLES IN SCHEMA public TO app');
        await pair.tgt.query('GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO app');
      }
      writeFileSync(goodFile, `127.0.0.1:*:*:repl:${CANARY}\n`, { mode: 0o600 });
      writeFileSync(wrongFile, `127.0.0.1:*:*:repl:${CANARY}-wrong\n`, { mode: 0o600 });
      params = {
        subscriberConnection: `host=127.0.0.1 port=${pair.source.port} dbname=postgres user=repl`,
        reverseSubscriberConnection: `host=127.0.0.1 port=${pair.target.port} dbname=postgres user=repl`,
        reverseReplication: true,
        switchoverTimeoutMs: 15_000,
        syncTimeoutMs: 90_000,
      };
    });
    after(async () => {
      await pair?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('a wrong password fails the preflight, named, and the canary reaches no log', async () => {
      const r = await runLogical(pair, { ...params, subscriberPasswordFile: wrongFile }, { journalDir });
      assert.equal(r.status, 'failed', describeRun(r));
      assert.match(stepOf(r, 'preflight').message ?? '', /cannot reach the source .*password authentication failed/s);
      assert.doesNotMatch(JSON.stringify(r), new RegExp(CANARY));
    });

    test('aborted, resumed through the switchover, finished: no password left in pg_subscription; nothing lost', { timeout: 300_000 }, async () => {
      const p = { ...params, subscriberPasswordFile: goodFile };
      // Ctrl-C during the initial copy: the run ends aborted, and the password goes with it
      const controller = new AbortController();
      const [first] = await Promise.all([
        runLogical(pair, p, { journalDir, until: 'verify-data', signal: controller.signal }),
        abortWhenSubscribed(pair.tgt, controller),
      ]);
      assert.equal(first.status, 'aborted', describeRun(first));
      assert.match(String(stepOf(first, 'create-subscription').outputs?.passwordPlacement), /only while a run is active/);
      let subs = await subconninfos(pair);
      const notes = readFileSync(first.journalFile, 'utf8').split('\n').filter((l) => /"note"/.test(l)).join('\n');
      assert.doesNotMatch(subs, new RegExp(CANARY), `aborted run: the password is gone from the catalog\n${notes}`);
      assert.match(subs, /"subenabled":false/, 'and the subscription waits, disabled');
      assert.match(notes, /password removed from the connection of subscription/);

      const probe = await startProbe({ connection: multiHost(pair), password: APP_PASSWORD, intervalMs: 25 });
      let second;
      try {
        second = await runLogical(pair, p, { journalDir, runId: first.runId, until: 'reverse-replication' });
      } finally {
        await probe.stop();
      }
      assert.equal(second.status, 'paused', describeRun(second));
      assert.equal(stepOf(second, 'switchover').status, 'succeeded', describeRun(second));
      await pair.reconnect();
      subs = await subconninfos(pair);
      assert.match(subs, /pgpilot_reverse/, 'the reverse subscription exists on the old server');
      assert.match(readFileSync(second.journalFile, 'utf8'), /the run is paused: subscription .* keeps replicating and keeps its password/, 'a paused run says the password is still there');
      const lost = await probe.verify(pair.tgt);
      assert.equal(lost.lostCommits, 0, `lost probe commits: ${lost.lostIds.join(', ')}`);
      assert.ok(lost.acked > 10, 'the probe wrote throughout');

      // the run ends with the way back open: both subscriptions stay, neither holds the password any more
      const third = await runLogical(pair, p, { journalDir, runId: first.runId });
      assert.equal(third.status, 'succeeded', describeRun(third));
      await pair.reconnect();
      subs = await subconninfos(pair);
      assert.match(subs, /pgpilot_reverse/, 'the way back stays until the finish');
      // the forward subscription (disabled at the switchover) holds no password; the way back keeps replicating — with
      // its password, said in the journal — until the finish drops it (docs/switchover.md)
      const rows = JSON.parse(subs) as { subname: string; subconninfo: string }[];
      assert.doesNotMatch(rows.find((x) => x.subname !== 'pgpilot_reverse')?.subconninfo ?? '', new RegExp(CANARY), 'the forward subscription holds no password');
      assert.match(readFileSync(third.journalFile, 'utf8'), /the way back is open: subscription .* keeps its password in pg_subscription until the finish/);
      const fourth = await runLogical(pair, p, { journalDir, runId: first.runId, finish: true });
      assert.equal(fourth.status, 'succeeded', describeRun(fourth));
      await pair.reconnect();
      assert.equal(await subconninfos(pair), '[]', 'the finish dropped both subscriptions');
      assert.equal(await scalar(pair.tgt, 'SELECT count(*)::int FROM items'), 500);
    });

    test('the canary is in no server log and no journal', async () => {
      for (const s of pair.lab.servers) {
        const log = readFileSync(s.logFile!, 'utf8');
        assert.ok(/statement: DO \$pgpilot_/.test(log), `${s.name}: log_statement = all logged our DO blocks (the test looks where a leak would be)`);
        assert.ok(!log.includes(CANARY), `${s.name}: the canary is in the server log:\n${log.split('\n').filter((l) => l.includes(CANARY)).slice(0, 3).join('\n')}`);
      }
      const { readdirSync } = await import('node:fs');
      for (const f of readdirSync(journalDir)) assert.ok(!readFileSync(join(journalDir, f), 'utf8').includes(CANARY), `journal ${f}`);
    });
  });
}
