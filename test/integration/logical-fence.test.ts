/**
 * Issue 16, the logical runbook at the fence level: on REAL servers (14 = the old source, 16 = the new primary), a
 * reverse subscription ON the old server applying the new server's changes, and writers that opt out of read-only in
 * every way (options='-c default_transaction_read_only=off', SET default_transaction_read_only = off, SET SESSION
 * CHARACTERISTICS AS TRANSACTION READ WRITE) straight at the old server and through a multi-host string
 * (host=old,new target_session_attrs=read-write). The source is frozen (read-only), hard-fenced (hardFence), its
 * client sessions terminated — as the switchover does inside its window.
 * Outcomes: from then on the old server acknowledges no write at all (nothing can be lost after the drain point);
 * every acknowledged write on the new server stays; a well-behaved multi-host client (node and psql 15's libpq) lands
 * on the new server; the reverse subscription keeps applying, even after its worker restarts; liftFence leaves the
 * old server as it was (writable again once the freeze is reset). Also measured: why not REVOKE CONNECT — libpq gives
 * up on "permission denied for database" instead of trying the next host.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { Client } from 'pg';
import { formatConnString } from '../../src/core/conn';
import { multiHostConnection } from '../../src/core/probe';
import { FENCE_SCHEMA, hardFence, liftFence } from '../../src/core/runbooks/logical/fence';
import { FREEZE, TERMINATE_CLIENTS_SQL, UNFREEZE } from '../../src/core/runbooks/logical/statements';
import { quoteLiteral } from '../../src/core/sql';
import { clientFor, type LabServer, type TestServers } from '../helpers/lab';
import { missingOn, startFencePair, startRogueWriters, type RogueSpec } from '../helpers/rogue-writers';

const PORT_BASE = (Number(process.env.PGPILOT_TEST_PORT_BASE) || 21000) + 140;
const PSQL = '/usr/lib/postgresql/15/bin/psql';
const DB = 'app db';
const ROLE = 'app_writer';
const PASSWORD = 'rogue-S3cret';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('logical fence: hardFence on a frozen 14 source with a reverse subscription from 16 (real servers)', { timeout: 240_000 }, () => {
  let lab: TestServers;
  let oldS: LabServer;
  let newS: LabServer;
  let o: Client;
  let n: Client;
  const conn = (s: LabServer, extra: Record<string, string> = {}) => formatConnString({ host: s.host, port: String(s.port), user: ROLE, dbname: DB, connect_timeout: '5', ...extra });

  before(async () => {
    ({ lab, oldS, newS, o, n } = await startFencePair(['14', '16'], PORT_BASE, DB, ROLE, PASSWORD));
    await o.query('CREATE TABLE "Odd ""name"" t" (id int)');
    await o.query(`GRANT ALL ON "Odd ""name"" t" TO ${ROLE}`);
    // the way back: the new server publishes, the old one subscribes (copy_data = false), as the reverse step does
    await n.query('CREATE PUBLICATION rev FOR ALL TABLES');
    const revConn = formatConnString({ host: newS.host, port: String(newS.port), user: 'postgres', password: newS.password, dbname: DB }, { includePassword: true });
    await o.query(`CREATE SUBSCRIPTION rev CONNECTION ${quoteLiteral(revConn)} PUBLICATION rev WITH (copy_data = false)`);
  });
  let stopWriters: (() => Promise<unknown>) | undefined;
  after(async () => {
    await stopWriters?.();
    await o?.end().catch(() => undefined);
    await n?.end().catch(() => undefined);
    await lab?.stop();
  });

  it('the old server acknowledges no write once fenced; the reverse subscription keeps applying; liftFence hands it back', async () => {
    const specs: RogueSpec[] = [
      { name: 'old-options', connection: conn(oldS), optOut: 'options' },
      { name: 'old-set', connection: conn(oldS), optOut: 'set' },
      { name: 'old-session', connection: conn(oldS), optOut: 'session' },
      { name: 'multi-options', connection: multiHostConnection([oldS, newS].map((s) => ({ host: s.host, port: s.port })), ROLE, DB, 5), optOut: 'options' },
      { name: 'multi-plain', connection: multiHostConnection([oldS, newS].map((s) => ({ host: s.host, port: s.port })), ROLE, DB, 5), optOut: 'none' },
    ];
    const writers = startRogueWriters(specs, PASSWORD, 5);
    stopWriters = writers.stop;
    await sleep(300);

    // the window, as the switchover runs it on the source: freeze, hard fence, terminate client sessions
    const admin = await clientFor(oldS, DB);
    await admin.query("SET default_transaction_read_only = off; SET application_name = 'pg-upgrade-pilot'");
    const t0 = performance.now();
    for (const st of FREEZE) await admin.query(st);
    const f0 = performance.now();
    const state = await hardFence(admin, DB);
    const fenceMs = performance.now() - f0;
    await admin.query(TERMINATE_CLIENTS_SQL, [[]]);
    const fencedAt = Date.now();
    const windowMs = performance.now() - t0;
    await sleep(1500);

    const oldHost = `${oldS.host}:${oldS.port}`;
    const newHost = `${newS.host}:${newS.port}`;
    const acks = writers.acked();
    const lateOnOld = acks.filter((a) => a.host === oldHost && a.at > fencedAt);
    console.log(`# logical fence (write trigger): hardFence ${fenceMs.toFixed(1)} ms for ${(state.applied.tables as string[]).length} tables ` +
      `(freeze + fence + terminate ${windowMs.toFixed(1)} ms); ${acks.length} writes acknowledged, ${acks.filter((a) => a.host === oldHost).length} by the old server ` +
      `(${lateOnOld.length} after the fence), ${acks.filter((a) => a.host === newHost).length} by the new one`);
    assert.deepEqual(lateOnOld, [], 'nothing acknowledged by the old server after the fence');
    assert.ok(acks.some((a) => a.writer === 'multi-plain' && a.host === newHost && a.at > fencedAt), 'the well-behaved multi-host writer moved to the new server');
    assert.deepEqual((state.applied.tables as string[]).sort(), ['"public"."Odd ""name"" t"', '"public"."rogue_writes"']);

    // libpq (psql 15): the old server is read-only by default, so a plain multi-host client moves on to the next host;
    // one that opts out lands on the old server and its write is refused
    const env = { ...process.env, PGPASSWORD: PASSWORD, PGCONNECT_TIMEOUT: '5' };
    const hosts = `host=${oldS.host},${newS.host} port=${oldS.port},${newS.port} user=${ROLE} dbname='${DB}' target_session_attrs=read-write`;
    const psql = (connStr: string, sql: string) => promisify(execFile)(PSQL, ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-d', connStr, '-c', sql], { env })
      .then((r) => r.stdout.trim(), (e: { stderr?: string }) => `ERROR ${e.stderr ?? ''}`);
    assert.equal(await psql(hosts, 'SELECT inet_server_port()'), String(newS.port), 'psql 15 moved on to the next host');
    assert.match(await psql(`${hosts} options='-c default_transaction_read_only=off'`, "INSERT INTO rogue_writes (id, writer) VALUES (-9, 'psql') RETURNING id"),
      /ERROR .*takes no writes/);

    // the way back still works, also for a fresh apply worker
    await o.end().catch(() => undefined);
    o = await clientFor(oldS, DB);
    await o.query('SET default_transaction_read_only = off');
    await n.query("INSERT INTO rogue_writes (id, writer) VALUES (-1, 'reverse')");
    await o.query('ALTER SUBSCRIPTION rev DISABLE');
    await o.query('ALTER SUBSCRIPTION rev ENABLE');
    await n.query("INSERT INTO rogue_writes (id, writer) VALUES (-2, 'reverse after worker restart')");
    const deadline = Date.now() + 20_000;
    while (Number((await o.query('SELECT count(*)::int AS c FROM rogue_writes WHERE id IN (-1, -2)')).rows[0].c) < 2) {
      assert.ok(Date.now() < deadline, 'the reverse subscription applied both rows on the fenced old server');
      await sleep(50);
    }

    const all = await writers.stop();
    assert.deepEqual(await missingOn(n, all.filter((a) => a.host === newHost)), [], 'every write the new server acknowledged is there');

    // why not REVOKE CONNECT: libpq gives up on the first host's "permission denied for database"
    await admin.query(`REVOKE CONNECT ON DATABASE "${DB}" FROM PUBLIC`);
    const refused = await psql(hosts, 'SELECT inet_server_port()');
    await admin.query(`GRANT CONNECT ON DATABASE "${DB}" TO PUBLIC`);
    console.log(`# REVOKE CONNECT instead: psql 15 with host=old,new target_session_attrs=read-write → ${refused.replace(/\s+/g, ' ')}`);
    assert.match(refused, /permission denied for database/);

    // hand back: again (resume) is harmless, lift twice is harmless, then the old server takes writes again
    const again = await hardFence(admin, DB, state);
    assert.deepEqual(again.applied.tables, state.applied.tables);
    await liftFence(admin, DB, again);
    await liftFence(admin, DB, again);
    for (const st of UNFREEZE) await admin.query(st);
    assert.equal(Number((await admin.query('SELECT count(*)::int AS c FROM pg_namespace WHERE nspname = $1', [FENCE_SCHEMA])).rows[0].c), 0);
    await admin.end();
    assert.equal(await psql(conn(oldS), "INSERT INTO rogue_writes (id, writer) VALUES (-3, 'after lift') RETURNING id"), '-3', 'the old server takes writes again');
  });
});
