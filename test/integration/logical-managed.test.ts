/**
 * Issue 11 on real servers, 14 → 16 and 16 → 17 (one server group per pair): the runbook as a managed service's admin role — CREATEDB CREATEROLE
 * REPLICATION, member of pg_signal_backend, pg_monitor (and pg_read_all_data, pg_create_subscription on the 16
 * target), owner of the database, NOT a superuser. The preflight adapts its plan instead of failing; a removed privilege
 * is named with its GRANT before anything changes; roles come without hashes (listed), the schema with
 * --no-owner, the subscription through pg_create_subscription, under write load, with the admin's password
 * (a canary) in no server log and not left in pg_subscription when the run is aborted (Ctrl-C), then resumed.
 * Then the switchover as the same admin: per-database freeze, fence, sessions ended through pg_signal_backend, under a
 * multi-host probe (target_session_attrs=read-write): 0 acknowledged writes lost, the new server open, the old one not,
 * sequences continued. 16 → 17: pg_dump 15 cannot read a 16 source, so the admin creates the schema on the target
 * after the roles were copied (copy-schema then only checks); the way back is on: the reverse subscription is created
 * on the OLD 16 server by the same non-superuser through pg_create_subscription, and carries the new server's writes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from 'pg';
import { ensureProbeTable, startProbe } from '../../src/core/probe';
import { renderUpgradeRecord } from '../../src/core/record';
import { readJournal, runRunbook, summarizeRun } from '../../src/core/runbook';
import { defaultLogicalUpgradeParams, logicalUpgradeRunbook, type LogicalUpgradeParams } from '../../src/core/runbooks/logical';
import { clientFor } from '../helpers/lab';
import { adminCluster, ADMIN_PW, asAdmin, createManagedAdmin } from './managed-kit';
import { abortWhenSubscribed, autoUi, catalogSnapshot, describeRun, scalar, startPair, stepOf, type Pair } from './logical-kit';

const PORT_BASE = (Number(process.env.PGPILOT_TEST_PORT_BASE) || 23500) + 30;
const PAIRS = [{ from: '14', to: '16', ports: PORT_BASE, reverse: false }, { from: '16', to: '17', ports: PORT_BASE + 10, reverse: true }];
const APP_PW = 'app-pw';
const cluster = adminCluster;

for (const { from, to, ports, reverse } of PAIRS) {
describe(`logical upgrade as a managed admin (not a superuser), ${from} → ${to}`, { concurrency: 1 }, () => {
  let pair: Pair;
  let src: Client;
  const journalDir = mkdtempSync(join(tmpdir(), 'pgpilot-managed-'));
  const params: Partial<LogicalUpgradeParams> = {
    // 16 → 17: every table (no list given): a non-superuser's publication still names them (FOR ALL TABLES needs one)
    tables: from === '14' ? [{ schema: 'public', name: 'items' }, { schema: 'public', name: 'pgpilot_probe' }] : [],
    reverseReplication: reverse, syncTimeoutMs: 90_000, switchoverTimeoutMs: 20_000,
  };
  const run = (o: { until?: string; runId?: string; signal?: AbortSignal; finish?: boolean } = {}) =>
    runRunbook({
      runbook: logicalUpgradeRunbook, clusters: { source: cluster(pair, 'source'), target: cluster(pair, 'target') },
      params: defaultLogicalUpgradeParams(params), ui: autoUi().ui, journalDir, operator: 'test', ...o,
    });
  let pausedRunId = '';
  const findingsOf = async (runId: string) =>
    summarizeRun(await readJournal(join(journalDir, `${runId}.jsonl`)), { runbook: logicalUpgradeRunbook }).steps.find((s) => s.id === 'preflight')?.findings ?? [];

  before(async () => {
    pair = await startPair(from, to, ports);
    await createManagedAdmin(pair.src, Number(from), false);
    await createManagedAdmin(pair.tgt, Number(to), true);
    await pair.src.query(`CREATE ROLE app LOGIN PASSWORD '${APP_PW}'`);
    src = await asAdmin(pair, 'source');
    await src.query('CREATE TABLE items (id bigserial PRIMARY KEY, v text)');
    await src.query("INSERT INTO items (v) SELECT 'item ' || g FROM generate_series(1, 300) g");
    await ensureProbeTable(src);
    await src.query('GRANT ALL ON items, pgpilot_probe TO app');
    await src.query('GRANT ALL ON SEQUENCE items_id_seq TO app');
  });
  after(async () => {
    await src?.end().catch(() => undefined);
    await pair?.stop();
    rmSync(journalDir, { recursive: true, force: true });
  });

  test('a privilege removed: the preflight names it and its GRANT; nothing changes', async () => {
    await pair.tgt.query('REVOKE pg_create_subscription FROM admin');
    try {
      const before = [await catalogSnapshot(pair.src), await catalogSnapshot(pair.tgt)];
      const r = await run();
      assert.equal(r.status, 'failed', describeRun(r));
      assert.equal(stepOf(r, 'preflight').status, 'failed');
      const f = (await findingsOf(r.runId)).find((x) => x.id === 'plan-subscription');
      assert.equal(f?.severity, 'error', JSON.stringify(f));
      assert.match(f!.fix ?? '', /GRANT pg_create_subscription TO "admin";/);
      assert.deepEqual([await catalogSnapshot(pair.src), await catalogSnapshot(pair.tgt)], before, 'nothing changed');
    } finally {
      await pair.tgt.query('GRANT pg_create_subscription TO admin');
    }
  });

  test('the adapted plan is shown by the dry run', async () => {
    const r = await runRunbook({
      runbook: logicalUpgradeRunbook, clusters: { source: cluster(pair, 'source'), target: cluster(pair, 'target') },
      params: defaultLogicalUpgradeParams(params), ui: autoUi().ui, journalDir, operator: 'test', dryRun: true,
    });
    assert.equal(r.status, 'succeeded', describeRun(r));
    const shown = JSON.stringify(stepOf(r, 'preflight').actions);
    assert.match(shown, /Publication FOR TABLE/);
    assert.match(shown, /WITHOUT password hashes/);
    assert.match(shown, /pg_create_subscription/);
    assert.match(shown, /--no-owner|pg_dump --no-owner/);
    if (from === '14') assert.match(JSON.stringify(stepOf(r, 'copy-schema').actions), /--no-owner/); // pg_dump 15 cannot read 16
    if (reverse) assert.match(shown, /Reverse replication.*pg_create_subscription/);
  });

  test('preflight passes, roles without hashes, schema --no-owner, subscription synced under writes; no password left', { timeout: 240_000 }, async () => {
    let runId: string | undefined;
    if (from !== '14') {
      // pg_dump 15 cannot read a 16 source: once the roles are copied, the admin creates the schema on the target
      const roles = await run({ until: 'copy-roles' });
      assert.equal(roles.status, 'paused', describeRun(roles));
      runId = roles.runId;
      const tgtAdmin = await asAdmin(pair, 'target');
      try {
        await tgtAdmin.query('CREATE TABLE items (id bigserial PRIMARY KEY, v text)');
        await ensureProbeTable(tgtAdmin);
        await tgtAdmin.query('GRANT ALL ON items, pgpilot_probe TO app');
        await tgtAdmin.query('GRANT ALL ON SEQUENCE items_id_seq TO app');
      } finally {
        await tgtAdmin.end();
      }
    }
    const probe = await startProbe({ connection: `host=127.0.0.1 port=${pair.source.port} user=app dbname=app`, password: APP_PW, intervalMs: 25 });
    // Ctrl-C during the initial copy, with the probe writing
    const controller = new AbortController();
    let first;
    try {
      [first] = await Promise.all([run({ runId, until: 'verify-data', signal: controller.signal }), abortWhenSubscribed(pair.tgt, controller)]);
    } finally {
      await probe.stop();
    }
    assert.equal(first.status, 'aborted', describeRun(first));
    const sub = await pair.tgt.query('SELECT subenabled, subconninfo FROM pg_subscription');
    assert.equal(sub.rows[0].subenabled, false, 'disabled once the run ended');
    assert.doesNotMatch(String(sub.rows[0].subconninfo), new RegExp(ADMIN_PW), 'no password in pg_subscription after the run');
    assert.match(String(sub.rows[0].subconninfo), /password=\S+/, 'a placeholder where 16 demands one of a non-superuser (never the real one: checked above)');
    // resumed: the password put back (through the unlogged route), the subscription enabled again, caught up
    const r = await run({ runId: first.runId, until: 'wait-initial-sync' });
    assert.equal(r.status, 'paused', describeRun(r));
    pausedRunId = r.runId;
    const findings = await findingsOf(r.runId);
    assert.deepEqual(findings.filter((f) => f.severity === 'error'), [], 'no refusal for a managed admin');
    assert.match(findings.find((f) => f.id === 'target-unchecked')?.message ?? '', /pg_file_settings/, 'what it could not read is said');
    const pre = stepOf(r, 'preflight').outputs as { adaptedPlan: { publication: string; rolePasswords: boolean; schemaNoOwner: boolean } };
    assert.deepEqual([pre.adaptedPlan.publication, pre.adaptedPlan.rolePasswords, pre.adaptedPlan.schemaNoOwner], ['table-list', false, true]);
    assert.deepEqual((stepOf(r, 'copy-roles').outputs as { rolesWithoutPassword: string[] }).rolesWithoutPassword, ['app'], 'the record lists the roles whose password must be set');
    if (from === '14') assert.equal(stepOf(r, 'copy-schema').outputs?.noOwner, true);
    const tgtApp = await clientFor(pair.target, 'app'); // the test's superuser session, in database "app"
    try {
      assert.equal(await scalar(tgtApp, "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'items'"), 'admin');
      // under write load, the rows reached the target before the run paused: the same rows on both sides
      const s = await scalar<string>(src, 'SELECT count(*)::text FROM pgpilot_probe');
      assert.ok(Number(s) > 10, 'the probe wrote during the run');
      assert.equal(await scalar(tgtApp, 'SELECT count(*)::text FROM pgpilot_probe'), s, 'every probe row is on the target');
      assert.equal(await scalar(tgtApp, 'SELECT count(*)::int FROM items'), 300);
    } finally {
      await tgtApp.end();
    }
    assert.equal(await scalar(src, "SELECT puballtables FROM pg_publication WHERE pubname = 'pgpilot_upgrade'"), false, 'a FOR TABLE list: FOR ALL TABLES needs a superuser');
    assert.equal(await scalar(pair.tgt, "SELECT rolpassword IS NULL FROM pg_authid WHERE rolname = 'app'"), true);
    assert.equal(await scalar(pair.tgt, "SELECT pg_get_userbyid(subowner) FROM pg_subscription WHERE subname = 'pgpilot_upgrade'"), 'admin');
    assert.equal(await scalar(pair.tgt, "SELECT array_to_string(setconfig, ',') FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = 'app' AND s.setrole = 0"), 'default_transaction_read_only=on', 'the target database is frozen (per database: no ALTER SYSTEM)');
    for (const sv of pair.lab.servers) assert.ok(!readFileSync(sv.logFile!, 'utf8').includes(ADMIN_PW), `${sv.name}: the password is in the server log`);
    for (const f of readdirSync(journalDir)) assert.ok(!readFileSync(join(journalDir, f), 'utf8').includes(ADMIN_PW), `journal ${f}`);
  });

  test('the switchover as the managed admin: 0 acknowledged writes lost, the new server open, the old one read-only', { timeout: 240_000 }, async () => {
    assert.ok(pausedRunId, 'the run of the previous test');
    await pair.tgt.query(`ALTER ROLE app PASSWORD '${APP_PW}'`); // the record listed "app": its password set by the DBA
    const probe = await startProbe({
      connection: `host=127.0.0.1,127.0.0.1 port=${pair.source.port},${pair.target.port} user=app dbname=app target_session_attrs=read-write connect_timeout=5`,
      password: APP_PW, intervalMs: 25,
    });
    let r;
    try {
      r = await run({ runId: pausedRunId });
      await new Promise((done) => setTimeout(done, 500)); // writes go on, on the new server
    } finally {
      await probe.stop();
    }
    assert.equal(r.status, 'succeeded', describeRun(r));
    assert.equal(stepOf(r, 'switchover').status, 'succeeded', describeRun(r));
    const tgtApp = await clientFor(pair.target, 'app');
    const srcApp = await clientFor(pair.source, 'app');
    try {
      const v = await probe.verify(tgtApp);
      assert.equal(v.lostCommits, 0, `lost probe commits: ${v.lostIds.join(', ')}`);
      assert.equal(v.duplicates, 0);
      assert.ok(v.acked > 10, 'the probe committed');
      assert.equal(await scalar(tgtApp, 'SHOW default_transaction_read_only'), 'off', 'the new server takes writes');
      assert.equal(await scalar(srcApp, 'SHOW default_transaction_read_only'), 'on', 'the old server is read-only for new sessions');
      assert.equal(await scalar(tgtApp, 'SELECT count(*)::int FROM items'), 300);
      // sequences continued: the application's next row on the new server gets a fresh id
      const app = await clientFor({ ...pair.target, user: 'app', password: APP_PW, database: 'app' });
      try {
        assert.ok(Number(await scalar(app, "INSERT INTO items (v) VALUES ('after the switchover') RETURNING id")) > 300, 'the sequence continued on the new server');
      } finally {
        await app.end();
      }
      if (reverse) {
        // the way back, created on the OLD 16 server by the non-superuser admin (pg_create_subscription), carries it back
        assert.equal(await scalar(srcApp, "SELECT pg_get_userbyid(subowner) FROM pg_subscription WHERE subname = 'pgpilot_reverse'"), 'admin');
        const deadline = Date.now() + 60_000;
        while (Number(await scalar(srcApp, 'SELECT count(*)::int FROM items')) < 301 && Date.now() < deadline) await new Promise((done) => setTimeout(done, 200));
        assert.equal(await scalar(srcApp, 'SELECT count(*)::int FROM items'), 301, 'the new server\'s write reached the old one through the reverse subscription');
      }
    } finally {
      await tgtApp.end();
      await srcApp.end();
    }
    if (reverse) {
      const fin = await run({ runId: pausedRunId, finish: true });
      assert.equal(fin.status, 'succeeded', describeRun(fin));
      await pair.reconnect();
      assert.equal(await scalar(pair.src, 'SELECT count(*)::int FROM pg_subscription'), 0, 'the finish dropped the way back');
      assert.equal(await scalar(pair.tgt, 'SELECT count(*)::int FROM pg_subscription'), 0);
    }
    for (const sv of pair.lab.servers) assert.ok(!readFileSync(sv.logFile!, 'utf8').includes(ADMIN_PW), `${sv.name}: the password is in the server log`);
    // the upgrade record (what the DBA keeps) lists the roles copied without their password, with the statement to run
    const record = renderUpgradeRecord(await readJournal(join(journalDir, `${pausedRunId}.jsonl`)), { lang: 'en', runbook: logicalUpgradeRunbook });
    const line = record.split('\n').find((l) => l.includes('role-passwords')) ?? '';
    assert.match(line, /WITHOUT a password .*"app"/, `the record names the roles whose password must be set:\n${line}`);
    assert.match(line, /ALTER ROLE "app" PASSWORD/);
    assert.doesNotMatch(line, /"admin"|"repl"/, 'only the roles copied without a password');
    assert.ok(!record.includes(ADMIN_PW), 'no password in the record');
  });
});
}
