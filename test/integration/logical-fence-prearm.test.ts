/**
 * Issue 14, the pre-armed fence on REAL servers (14 = the old source, 16 = the new primary, a reverse subscription ON
 * the old server applying the new server's changes), under writers that opt out of read-only in every way:
 * - prepareFence, run while the source takes writes, puts the trigger on every table and lets every write through;
 * - the freeze and the arming in ONE transaction (freezeAndArmSql, as the window runs it): from then on the sessions
 *   that opted out — not terminated yet — get their writes refused, and a new session too;
 * - a table created after the preparation is not fenced by the arming; coverFence fences it after the terminations;
 * - the reverse subscription keeps applying on the armed old server; every write the new server acknowledged is there;
 * - liftFence removes everything and the old server takes writes again once the freeze is reset.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from 'pg';
import { formatConnString } from '../../src/core/conn';
import { multiHostConnection } from '../../src/core/probe';
import { coverFence, FENCE_SCHEMA, liftFence, prepareFence, type FenceApplied } from '../../src/core/runbooks/logical/fence';
import { freezeAndArmSql } from '../../src/core/runbooks/logical/switchover/window';
import { openDatabaseSql, TERMINATE_CLIENTS_SQL } from '../../src/core/runbooks/logical/statements';
import { quoteLiteral } from '../../src/core/sql';
import { clientFor, type LabServer, type TestServers } from '../helpers/lab';
import { missingOn, startFencePair, startRogueWriters, type RogueSpec } from '../helpers/rogue-writers';

const PORT_BASE = (Number(process.env.PGPILOT_TEST_PORT_BASE) || 21000) + 60;
const DB = 'app db';
const ROLE = 'app_writer';
const PASSWORD = 'rogue-S3cret';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('pre-armed fence: installed inert before the freeze, armed in the freeze\'s transaction (real 14 → 16)', { timeout: 240_000 }, () => {
  let lab: TestServers;
  let oldS: LabServer;
  let newS: LabServer;
  let o: Client;
  let n: Client;
  let admin: Client | undefined;
  let stopWriters: (() => Promise<unknown>) | undefined;
  const conn = (s: LabServer, extra: Record<string, string> = {}) => formatConnString({ host: s.host, port: String(s.port), user: ROLE, dbname: DB, connect_timeout: '5', ...extra });

  before(async () => {
    ({ lab, oldS, newS, o, n } = await startFencePair(['14', '16'], PORT_BASE, DB, ROLE, PASSWORD));
    await n.query('CREATE PUBLICATION rev FOR ALL TABLES');
    const revConn = formatConnString({ host: newS.host, port: String(newS.port), user: 'postgres', password: newS.password, dbname: DB }, { includePassword: true });
    await o.query(`CREATE SUBSCRIPTION rev CONNECTION ${quoteLiteral(revConn)} PUBLICATION rev WITH (copy_data = false)`);
  });
  after(async () => {
    await stopWriters?.();
    await admin?.end().catch(() => undefined);
    await o?.end().catch(() => undefined);
    await n?.end().catch(() => undefined);
    await lab?.stop();
  });

  it('lets writes through until armed; armed, it refuses the sessions already open; coverFence adds late tables; reverse apply unaffected', async () => {
    const specs: RogueSpec[] = [
      { name: 'old-options', connection: conn(oldS), optOut: 'options' },
      { name: 'old-set', connection: conn(oldS), optOut: 'set' },
      { name: 'old-session', connection: conn(oldS), optOut: 'session' },
      { name: 'multi-plain', connection: multiHostConnection([oldS, newS].map((s) => ({ host: s.host, port: s.port })), ROLE, DB, 5), optOut: 'none' },
    ];
    const writers = startRogueWriters(specs, PASSWORD, 5);
    stopWriters = writers.stop;
    await sleep(300);
    const oldHost = `${oldS.host}:${oldS.port}`;
    const newHost = `${newS.host}:${newS.port}`;

    admin = await clientFor(oldS, DB);
    await admin.query("SET default_transaction_read_only = off; SET application_name = 'pg-upgrade-pilot'");
    // before the freeze, under writes: every table gets the (inert) trigger, each in its own short transaction
    const prepared = await prepareFence(admin, DB);
    const preparedAt = Date.now();
    const applied = prepared.applied as unknown as FenceApplied;
    assert.equal(applied.armed, false);
    assert.deepEqual([...applied.tables, ...prepared.pending].sort(), ['"public"."rogue_writes"']);
    await sleep(500);
    for (const w of ['old-options', 'old-set', 'old-session']) {
      assert.ok(writers.acked().some((a) => a.writer === w && a.host === oldHost && a.at > preparedAt), `${w}: writes still go through the inert fence`);
    }
    // a table created after the preparation: the arming does not cover it, coverFence does
    await admin.query(`CREATE TABLE "late ""t""" (id int); GRANT ALL ON "late ""t""" TO ${ROLE}`);

    // the window's first round trip: the database read-only for new sessions AND the fence armed, atomically
    const [freezeAndArm] = freezeAndArmSql('database', DB);
    await admin.query(freezeAndArm);
    const armedAt = Date.now();
    await sleep(1500);
    // no session was terminated yet: those that opted out are refused by the arming alone (a commit acknowledged in
    // the first second may have been committed before the arming: left out)
    const lateOnOld = writers.acked().filter((a) => a.host === oldHost && a.at > armedAt + 1000);
    assert.deepEqual(lateOnOld, [], 'nothing acknowledged by the old server once armed, before any termination');
    const rogue = await clientFor(oldS, DB);
    rogue.on('error', () => undefined); // terminated below
    await rogue.query('SET default_transaction_read_only = off');
    await assert.rejects(rogue.query("INSERT INTO rogue_writes (id, writer) VALUES (-10, 'armed')"), (e: { code?: string; message?: string }) => e.code === '25006' && /takes no writes/.test(e.message ?? ''));
    await rogue.query('INSERT INTO "late ""t""" VALUES (1)'); // outside the fence until coverFence

    await admin.query(TERMINATE_CLIENTS_SQL, [[]]);
    const covered = (await coverFence(admin, DB, prepared)).applied as unknown as FenceApplied;
    assert.deepEqual(covered.coveredInWindow, ['"public"."late ""t"""']);
    assert.deepEqual([...covered.tables].sort(), ['"public"."late ""t"""', '"public"."rogue_writes"']);
    await rogue.end().catch(() => undefined);
    const rogue2 = await clientFor(oldS, DB);
    await rogue2.query('SET default_transaction_read_only = off');
    await assert.rejects(rogue2.query('INSERT INTO "late ""t""" VALUES (2)'), (e: { code?: string }) => e.code === '25006');
    await rogue2.end();
    assert.ok(writers.acked().some((a) => a.writer === 'multi-plain' && a.host === newHost && a.at > armedAt), 'the multi-host writer moved to the new server');

    // the way back: the reverse subscription applies on the armed old server (triggers do not fire in replica mode)
    await n.query("INSERT INTO rogue_writes (id, writer) VALUES (-1, 'reverse')");
    const deadline = Date.now() + 20_000;
    while (Number((await admin.query('SELECT count(*)::int AS c FROM rogue_writes WHERE id = -1')).rows[0].c) < 1) {
      assert.ok(Date.now() < deadline, 'the reverse subscription applied the row on the armed old server');
      await sleep(50);
    }
    const all = await writers.stop();
    assert.deepEqual(await missingOn(n, all.filter((a) => a.host === newHost)), [], 'every write the new server acknowledged is there');

    // abort / hand back: lifted, reset, writable again
    await liftFence(admin, DB);
    await admin.query(openDatabaseSql(DB));
    assert.equal(Number((await admin.query('SELECT count(*)::int AS c FROM pg_namespace WHERE nspname = $1', [FENCE_SCHEMA])).rows[0].c), 0);
    const back = await clientFor(oldS, DB);
    await back.query("INSERT INTO rogue_writes (id, writer) VALUES (-3, 'after lift')");
    await back.end();
  });
});
