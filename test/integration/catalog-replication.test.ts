/**
 * The catalog while replication really runs: a publication of two tables on an old major feeding a
 * subscription on a newer one until every table is ready (12 → 18 and 13 → 15), seen from both sides; and
 * physical streaming standbys (12 and 17) seen from the primary and from the standby itself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from 'pg';
import {
  fetchServerOverview, isLsn, listDatabases, listPublications, listReplicationSlots, listSequences, listStandbys,
  listSubscriptions, listTablesForReplication, type SubscriptionInfo,
} from '../../src/core/catalog';
import { kv } from '../../src/core/lab/conf';
import { quoteIdent as qi, quoteLiteral as ql } from '../../src/core/sql';
import { clientFor, startTestServers, startTestStandby, waitForReplay, type LabServer, type TestServers } from '../helpers/lab';


const DB = 'repl "db" ✓';
const T1 = 'Order "Lines"';
const T2 = 'select';
const PUB = `pub 'two' "tables" ✓`;
// application_name is ASCII-only on the publisher, so the walsender check needs an ASCII (but hostile) name.
const SUB = `sub "new" 'side'`;
const SLOT = 'cat_repl_slot';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let lab: TestServers;
const server = (major: number) => lab.servers.find((s) => s.major === major)!;

before(async () => {
  lab = await startTestServers(['12', '13', '15', '17', '18'], { portBase: 21500 });
});
after(async () => {
  await lab?.stop();
});

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(200);
  }
}

for (const [pubMajor, subMajor] of [[12, 18], [13, 15]] as const) {
  describe(`logical replication ${pubMajor} → ${subMajor}`, () => {
    let pub: Client;
    let sub: Client;
    let publisher: LabServer;

    before(async () => {
      publisher = server(pubMajor);
      for (const s of [publisher, server(subMajor)]) {
        const admin = await clientFor(s);
        await admin.query(`CREATE DATABASE ${qi(DB)}`);
        await admin.end();
      }
      pub = await clientFor(publisher, DB);
      sub = await clientFor(server(subMajor), DB);
      for (const c of [pub, sub]) {
        await c.query(`CREATE TABLE ${qi(T1)} (id bigint PRIMARY KEY, item text)`);
        await c.query(`CREATE TABLE ${qi(T2)} (id int PRIMARY KEY, ${qi('from')} text)`);
      }
      await pub.query(`INSERT INTO ${qi(T1)} SELECT g, 'item ' || g FROM generate_series(1, 5000) g`);
      await pub.query(`INSERT INTO ${qi(T2)} SELECT g, 'x' FROM generate_series(1, 300) g`);
      await pub.query(`CREATE PUBLICATION ${qi(PUB)} FOR TABLE ${qi(T1)}, ${qi(T2)}`);
      const conninfo = [
        kv('host', publisher.host), kv('port', publisher.port), kv('user', publisher.user),
        kv('password', publisher.password), kv('dbname', DB),
      ].join(' ');
      await sub.query(`CREATE SUBSCRIPTION ${qi(SUB)} CONNECTION ${ql(conninfo)} PUBLICATION ${qi(PUB)} WITH (slot_name = ${ql(SLOT)})`);
    });
    after(async () => {
      await sub?.query(`DROP SUBSCRIPTION IF EXISTS ${qi(SUB)}`).catch(() => undefined);
      await pub?.end();
      await sub?.end();
    });

    it('the publication lists its 2 tables', async () => {
      const v = (await fetchServerOverview(pub)).version;
      const pubs = await listPublications(pub, v);
      assert.deepEqual(pubs.map((p) => [p.name, p.tableCount, p.allTables]), [[PUB, 2, false]]);
    });

    it('the subscription reaches state r for both tables, then applies new writes', async () => {
      const overview = await fetchServerOverview(sub);
      assert.equal(overview.version.major, subMajor);
      const ready = await waitFor('both tables in state r', async () => {
        const [s] = await listSubscriptions(sub, overview.version);
        return s && s.tableStates.r === 2 ? s : undefined;
      });
      assert.equal(ready.name, SUB);
      assert.deepEqual(ready.tableStates, { i: 0, d: 0, f: 0, s: 0, r: 2 });
      assert.equal(ready.tableCount, 2);
      assert.deepEqual(ready.publications, [PUB]);
      assert.equal(ready.slotName, SLOT);
      assert.deepEqual([ready.conninfoHost, ready.conninfoPort], [publisher.host, String(publisher.port)]);
      assert.ok(!JSON.stringify(ready).includes(publisher.password), 'password leaked');
      assert.equal(ready.enabled, true);
      assert.equal(ready.applyErrorCount, subMajor >= 15 ? 0 : null);
      assert.equal(ready.syncErrorCount, subMajor >= 15 ? 0 : null);
      assert.equal(ready.conflictCount, subMajor >= 18 ? 0 : null);
      assert.equal(ready.streaming, subMajor >= 18 ? 'parallel' : 'off');
      assert.equal((await sub.query(`SELECT count(*)::int AS n FROM ${qi(T1)}`)).rows[0].n, 5000);

      await pub.query(`INSERT INTO ${qi(T2)} SELECT g, 'later' FROM generate_series(301, 400) g`);
      await waitFor('the new rows on the subscriber', async () =>
        (await sub.query(`SELECT count(*)::int AS n FROM ${qi(T2)}`)).rows[0].n === 400 ? true : undefined);
      const live: SubscriptionInfo = await waitFor('the apply worker reporting', async () => {
        const [s] = await listSubscriptions(sub, overview.version);
        return s.workerPid !== null && s.receivedLsn !== null ? s : undefined;
      });
      assert.ok(isLsn(live.receivedLsn!) && isLsn(live.latestEndLsn!), JSON.stringify(live));
      assert.ok(Date.parse(live.lastMsgReceiptTime!) > Date.now() - 120_000);
      assert.ok(typeof live.lagSeconds === 'number' && live.lagSeconds >= 0);
      assert.equal(live.syncWorkers, 0);
    });

    it('the publisher shows the active logical slot and the subscription walsender', async () => {
      const v = (await fetchServerOverview(pub)).version;
      const slot = (await listReplicationSlots(pub, v)).find((x) => x.name === SLOT);
      assert.ok(slot);
      assert.deepEqual([slot.type, slot.plugin, slot.database, slot.active], ['logical', 'pgoutput', DB, true]);
      assert.ok(isLsn(slot.confirmedFlushLsn!));
      assert.ok(slot.lagBytes !== null && slot.lagBytes >= 0 && slot.retainedWalBytes !== null && slot.retainedWalBytes >= 0);
      const senders = await listStandbys(pub, v);
      const walsender = senders.find((s) => s.applicationName === SUB);
      assert.ok(walsender, JSON.stringify(senders));
      assert.equal(walsender.kind, 'logical');
      assert.equal(walsender.state, 'streaming');
      assert.equal(walsender.pid, slot.activePid);
      assert.equal(walsender.clientAddr, '127.0.0.1');
      assert.ok(isLsn(walsender.sentLsn!) && walsender.replayLagBytes !== null);
    });
  });
}

for (const major of [12, 17]) {
  describe(`physical streaming standby on ${major}`, () => {
    let primary: LabServer;
    let standby: LabServer;
    let p: Client;
    let s: Client;

    before(async () => {
      primary = server(major);
      standby = await startTestStandby(primary, { slotName: 'cat_standby_slot' });
      p = await clientFor(primary);
      await p.query('CREATE TABLE IF NOT EXISTS standby_probe (id serial PRIMARY KEY, v text)');
      await p.query(`INSERT INTO standby_probe (v) SELECT 'v' FROM generate_series(1, 1000)`);
      await waitForReplay(primary, standby);
      s = await clientFor(standby);
    });
    after(async () => {
      await p?.end();
      await s?.end();
    });

    it('the primary lists the standby as streaming, on its physical slot', async () => {
      const v = (await fetchServerOverview(p)).version;
      const rows = (await listStandbys(p, v)).filter((r) => r.kind === 'physical');
      assert.equal(rows.length, 1, JSON.stringify(rows));
      const [row] = rows;
      assert.equal(row.applicationName, standby.name);
      assert.equal(row.state, 'streaming');
      assert.equal(row.clientAddr, '127.0.0.1');
      assert.equal(row.syncState, 'async');
      for (const lsn of [row.sentLsn, row.writeLsn, row.flushLsn, row.replayLsn]) assert.ok(isLsn(lsn!), String(lsn));
      assert.ok(row.replayLagBytes !== null && row.replayLagBytes >= 0);
      for (const lag of [row.writeLagSeconds, row.flushLagSeconds, row.replayLagSeconds]) assert.ok(lag === null || lag >= 0);
      assert.ok(Date.parse(row.backendStart!) <= Date.now());
      const slot = (await listReplicationSlots(p, v)).find((x) => x.name === 'cat_standby_slot');
      assert.deepEqual([slot?.type, slot?.active, slot?.activePid], ['physical', true, row.pid]);
    });

    it('every catalog query also works on the standby, which reports itself as one', async () => {
      const overview = await fetchServerOverview(s);
      assert.deepEqual([overview.role, overview.inRecovery, overview.version.major], ['standby', true, major]);
      const v = overview.version;
      assert.ok((await listDatabases(s, v)).some((d) => d.name === 'postgres'));
      assert.deepEqual(await listPublications(s, v), []);
      assert.deepEqual(await listSubscriptions(s, v), []);
      assert.ok(Array.isArray(await listReplicationSlots(s, v)));
      assert.deepEqual(await listStandbys(s, v), []);
      const probe = (await listTablesForReplication(s, v)).find((t) => t.name === 'standby_probe');
      assert.equal(probe?.hasPrimaryKey, true);
      const seq = (await listSequences(s, v)).find((x) => x.name === 'standby_probe_id_seq');
      assert.ok(seq && seq.isCalled && Number(seq.lastValue) >= 1000, JSON.stringify(seq));
    });
  });
}
