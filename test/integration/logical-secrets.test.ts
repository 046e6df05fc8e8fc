/**
 * Issue 13 items 1–2 on real servers: a canary password for a dedicated replication user ("repl", read from a
 * password file on this machine) must appear in no server log — with log_statement = all, every duration logged and
 * failing statements logged — and in no pg_subscription.subconninfo once a run ends (failed, aborted by Ctrl-C
 * during the initial copy, succeeded; a paused run keeps replicating and says so), nor in the journal. The full runbook runs under write load (a heartbeat probe
 * through host=old,new target_session_attrs=read-write) and loses nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureProbeTable, startProbe } from '../../src/core/probe';
import type { RunResult } from '../../src/core/runbook';
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

/** A password file as the server left it: absent, empty, or present with mode 0600 (anything else fails). */
function fileState(path: string): 'absent' | 'empty' | 'private' {
  if (!existsSync(path)) return 'absent';
  const st = statSync(path);
  if (st.size === 0) return 'empty';
  assert.equal((st.mode & 0o777).toString(8), '600', `${path} must be private (libpq ignores a group/world-readable password file)`);
  return 'private';
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
      // the probe wrote the target's password file (the route is tested before anything changes); the failed run emptied it
      const files = readdirSync(join(pair.target.dataDir, 'pg_stat_tmp')).filter((n) => n.startsWith('pgpilot_'));
      assert.ok(files.length >= 1, 'the preflight probe used the password file route');
      for (const f of files) assert.equal(fileState(join(pair.target.dataDir, 'pg_stat_tmp', f)), 'empty', `${f} emptied when the run failed`);
      assert.doesNotMatch(await subconninfos(pair), new RegExp(CANARY));
    });

    test('aborted, resumed through the switchover, way back open, finished: the password only ever in a private file on the subscriber\'s host, there exactly while needed; nothing lost; the way back delivers', { timeout: 300_000 }, async () => {
      const p = { ...params, subscriberPasswordFile: goodFile };
      const forwardFile = (r: RunResult) => String(stepOf(r, 'create-subscription').outputs?.passwordFile);
      // Ctrl-C during the initial copy: the run ends aborted, the subscription disabled, its file emptied
      const controller = new AbortController();
      const [first] = await Promise.all([
        runLogical(pair, p, { journalDir, until: 'verify-data', signal: controller.signal }),
        abortWhenSubscribed(pair.tgt, controller),
      ]);
      assert.equal(first.status, 'aborted', describeRun(first));
      assert.match(String(stepOf(first, 'create-subscription').outputs?.passwordPlacement), /is not in pg_subscription: the target server wrote it to .*pg_stat_tmp/);
      const fwd = forwardFile(first);
      assert.ok(fwd.startsWith(`${pair.target.dataDir}/pg_stat_tmp/`), `the forward file is on the target's host, outside what pg_basebackup copies: ${fwd}`);
      let subs = await subconninfos(pair);
      const notes = readFileSync(first.journalFile, 'utf8').split('\n').filter((l) => /"note"/.test(l)).join('\n');
      assert.doesNotMatch(subs, new RegExp(CANARY), `aborted run: no password in the catalog\n${notes}`);
      assert.match(subs, /passfile=/, 'the subscription names its password file');
      assert.match(subs, /"subenabled":false/, 'and the subscription waits, disabled');
      assert.equal(fileState(fwd), 'empty', `aborted run: the password file is emptied\n${notes}`);
      assert.match(notes, /password file .* emptied/);
      const said = (stepOf(first, 'preflight').findings ?? []).filter((f) => f.id === 'subscription-password').map((f) => f.message).join('\n');
      assert.match(said, /written by the target server to .*pg_stat_tmp.* never into pg_subscription/, 'the preflight says where the forward password goes');
      assert.match(said, /written by the source server to .*pg_stat_tmp/, 'and where the way back\'s goes');

      // a failed step (verify-data finds a row only the target has): the run stops and the subscription keeps
      // replicating — with its password in the file, not in the catalog
      await pair.tgt.query("INSERT INTO items (id, v) VALUES (-1, 'only-on-target')");
      const failed = await runLogical(pair, p, { journalDir, runId: first.runId, until: 'verify-data' });
      assert.equal(failed.status, 'failed', describeRun(failed));
      assert.equal(stepOf(failed, 'verify-data').status, 'failed', describeRun(failed));
      subs = await subconninfos(pair);
      assert.doesNotMatch(subs, new RegExp(CANARY), 'failed run: no password in the catalog');
      assert.match(subs, /"subenabled":true/, 'failed run: replication goes on');
      assert.equal(fileState(fwd), 'private', 'failed run: the subscription reads its password from its 0600 file');
      assert.match(readFileSync(failed.journalFile, 'utf8'), /stopped by a failed step: subscription .* keeps replicating and keeps its password in .*pg_stat_tmp.*\(not in pg_subscription\)/);
      await pair.tgt.query('DELETE FROM items WHERE id = -1');

      const probe = await startProbe({ connection: multiHost(pair), password: APP_PASSWORD, intervalMs: 25 });
      let second;
      try {
        second = await runLogical(pair, p, { journalDir, runId: first.runId, until: 'reverse-replication' });
      } finally {
        await probe.stop();
      }
      assert.equal(second.status, 'paused', describeRun(second));
      assert.equal(stepOf(second, 'switchover').status, 'succeeded', describeRun(second));
      const rev = String(stepOf(second, 'reverse-replication').outputs?.passwordFile);
      assert.ok(rev.startsWith(`${pair.source.dataDir}/pg_stat_tmp/`), `the reverse file is on the old server's host: ${rev}`);
      await pair.reconnect();
      subs = await subconninfos(pair);
      assert.match(subs, /pgpilot_reverse/, 'the reverse subscription exists on the old server');
      assert.doesNotMatch(subs, new RegExp(CANARY), 'switched over, way back open: no password in either catalog');
      assert.equal(fileState(rev), 'private', 'the way back reads its password from a 0600 file');
      assert.match(readFileSync(second.journalFile, 'utf8'), /the run is paused: subscription .* keeps replicating and keeps its password in .*pg_stat_tmp.* \(not in pg_subscription\)/);
      const lost = await probe.verify(pair.tgt);
      assert.equal(lost.lostCommits, 0, `lost probe commits: ${lost.lostIds.join(', ')}`);
      assert.ok(lost.acked > 10, 'the probe wrote throughout');

      // the run ends with the way back open: the reverse subscription replicates, with its file; the forward one's is emptied
      const third = await runLogical(pair, p, { journalDir, runId: first.runId });
      assert.equal(third.status, 'succeeded', describeRun(third));
      await pair.reconnect();
      subs = await subconninfos(pair);
      assert.match(subs, /pgpilot_reverse/, 'the way back stays until the finish');
      assert.doesNotMatch(subs, new RegExp(CANARY), 'ended with the way back open: no password in either catalog');
      assert.equal(fileState(fwd), 'empty', 'the forward subscription (stopped at the switchover) has no password file any more');
      assert.equal(fileState(rev), 'private', 'the way back keeps its file while it replicates');
      assert.match(readFileSync(third.journalFile, 'utf8'), /the way back is open: subscription .* keeps its password in .*\(not in pg_subscription\) until the finish/);
      // the way back really works: a row written on the new server reaches the old one (through the passfile)
      await pair.tgt.query("INSERT INTO items (v) VALUES ('written-on-new')");
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && Number(await scalar(pair.src, "SELECT count(*)::int FROM items WHERE v = 'written-on-new'")) === 0) await new Promise((r) => setTimeout(r, 200));
      assert.equal(await scalar(pair.src, "SELECT count(*)::int FROM items WHERE v = 'written-on-new'"), 1, 'reverse replication delivered the new server\'s write to the old one');

      const fourth = await runLogical(pair, p, { journalDir, runId: first.runId, finish: true });
      assert.equal(fourth.status, 'succeeded', describeRun(fourth));
      await pair.reconnect();
      assert.equal(await subconninfos(pair), '[]', 'the finish dropped both subscriptions');
      assert.equal(fileState(fwd), 'empty', 'finished: no password file on the target');
      assert.equal(fileState(rev), 'empty', 'finished: no password file on the old server');
      assert.equal(await scalar(pair.tgt, 'SELECT count(*)::int FROM items'), 501);
      assert.equal(await scalar(pair.src, 'SELECT count(*)::int FROM items'), 501, 'rows equal on both sides');
    });

    test('the canary is in no server log and no journal', async () => {
      for (const s of pair.lab.servers) {
        const log = readFileSync(s.logFile!, 'utf8');
        assert.ok(/statement: DO \$pgpilot_/.test(log), `${s.name}: log_statement = all logged our DO blocks (the test looks where a leak would be)`);
        assert.ok(!log.includes(CANARY), `${s.name}: the canary is in the server log:\n${log.split('\n').filter((l) => l.includes(CANARY)).slice(0, 3).join('\n')}`);
      }
      for (const f of readdirSync(journalDir)) assert.ok(!readFileSync(join(journalDir, f), 'utf8').includes(CANARY), `journal ${f}`);
    });
  });
}
