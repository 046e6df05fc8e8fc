/**
 * Every catalog query on real PostgreSQL 12, 13, 14, 15, 16, 17 and 18, against objects whose names are as
 * hostile as PostgreSQL allows (quotes, spaces, unicode, 63-byte names, reserved words): each function is one
 * round trip, returns the documented shape for that major, and gives names back exactly.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from 'pg';
import type { Queryable } from '../../src/core/db';
import {
  fetchServerOverview, isLsn, listCopyProgress, listDatabases, listPublications, listReplicationSlots, listSequences,
  listStandbys, listSubscriptions, listTablesForReplication, type CopyProgressInfo, type ServerOverview,
} from '../../src/core/catalog';
import { quoteIdent as qi, quoteLiteral as ql } from '../../src/core/sql';
import { clientFor, startTestServers, type LabServer, type TestServers } from '../helpers/lab';

const MAJORS = [12, 13, 14, 15, 16, 17, 18];


const N = {
  db: 'cat "db" ü',
  schema: 'my "schema"',
  quoted: `it's "quoted"`,
  spaced: ' two  spaces ',
  unicode: 'ünïcødé 表 ✓',
  ascii63: 'L'.repeat(63),
  multibyte63: `${'x'.repeat(58)}é表`, // 58 + 2 + 3 = 63 bytes: the longest name PostgreSQL keeps
  select: 'select',
  order: 'order',
  user: 'user',
  seq63: 'S'.repeat(63),
};
assert.equal(Buffer.byteLength(N.multibyte63), 63);

const SECRET = 'topsecret host=evil';

/** Fixture objects, created in database N.db on every server. */
function fixtureSql(major: number): string[] {
  const s = qi(N.schema);
  return [
    `CREATE SCHEMA ${s}`,
    `CREATE TABLE ${s}.${qi(N.quoted)} (id serial PRIMARY KEY, v text)`,
    `CREATE TABLE public.${qi(N.select)} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, ${qi(N.user)} text)`,
    `CREATE TABLE public.${qi(N.unicode)} (v int)`,
    `ALTER TABLE public.${qi(N.unicode)} REPLICA IDENTITY FULL`,
    `CREATE UNLOGGED TABLE public.${qi(N.ascii63)} (id int PRIMARY KEY)`,
    `CREATE TABLE public.${qi(N.multibyte63)} (k int NOT NULL, v text) PARTITION BY RANGE (k)`,
    `CREATE TABLE public.${qi(N.spaced)} PARTITION OF public.${qi(N.multibyte63)} FOR VALUES FROM (0) TO (1000)`,
    `CREATE TABLE public.${qi(N.order)} (k int NOT NULL, v text)`,
    `CREATE UNIQUE INDEX ${qi(`${N.order} idx`)} ON public.${qi(N.order)} (k)`,
    `ALTER TABLE public.${qi(N.order)} REPLICA IDENTITY USING INDEX ${qi(`${N.order} idx`)}`,
    `INSERT INTO ${s}.${qi(N.quoted)} (v) SELECT 'row ' || g FROM generate_series(1, 500) g`,
    `INSERT INTO public.${qi(N.multibyte63)} SELECT g, 'p' FROM generate_series(1, 100) g`,
    `ANALYZE`,
    `CREATE SEQUENCE ${s}.${qi(N.select)}`,
    `SELECT nextval(${ql(`${s}.${qi(N.select)}`)}), nextval(${ql(`${s}.${qi(N.select)}`)}), nextval(${ql(`${s}.${qi(N.select)}`)})`,
    `CREATE SEQUENCE public.${qi(N.seq63)}`,
    `CREATE SEQUENCE ${s}.${qi(N.spaced)} AS bigint`,
    `SELECT setval(${ql(`${s}.${qi(N.spaced)}`)}, 9007199254740993)`,
    `CREATE PUBLICATION ${qi(N.quoted)} FOR TABLE ${s}.${qi(N.quoted)}, public.${qi(N.select)} WITH (publish = 'insert, update')`,
    `CREATE PUBLICATION ${qi(N.unicode)} FOR ALL TABLES`,
    major >= 13
      ? `CREATE PUBLICATION ${qi(N.ascii63)} FOR TABLE public.${qi(N.multibyte63)} WITH (publish_via_partition_root = true)`
      : `CREATE PUBLICATION ${qi(N.ascii63)} FOR TABLE public.${qi(N.spaced)}`,
    `CREATE PUBLICATION ${qi(N.select)} FOR TABLE public.${qi(N.order)}`,
    // Subscriptions that never connect: enough for names, options, publications and the conninfo host.
    `CREATE SUBSCRIPTION ${qi(N.quoted)} CONNECTION ${ql(`host=10.1.2.3 port=6543 user=rep password='${SECRET}' dbname=app`)}
       PUBLICATION ${qi(N.quoted)}, ${qi(N.select)} WITH (connect = false, slot_name = 'cat_sub_a')`,
    `CREATE SUBSCRIPTION ${qi(N.multibyte63)} CONNECTION ${ql(`postgresql://rep:${encodeURIComponent(SECRET)}@db1.example:7000,[::1]:7001/app`)}
       PUBLICATION ${qi(N.unicode)} WITH (connect = false, slot_name = NONE, enabled = false, create_slot = false)`,
    // Escaped quote and space in an unquoted password that looks like a host, spaces around "=".
    `CREATE SUBSCRIPTION ${qi(N.unicode)} CONNECTION ${ql(`password=p\\'w\\ host=evil host='my \\'host\\'' port = 5 dbname=x`)}
       PUBLICATION ${qi(N.select)} WITH (connect = false, slot_name = NONE, enabled = false, create_slot = false)`,
    `CREATE ROLE cat_reader LOGIN`,
  ];
}

interface Counting extends Queryable {
  calls: number;
}

/** Counts round trips: every catalog function must make exactly one. */
function counting(client: Client): Counting {
  const c: Counting = {
    calls: 0,
    query: ((text: string, values?: unknown[]) => {
      c.calls++;
      return client.query(text, values);
    }) as Queryable['query'],
  };
  return c;
}

async function once<T>(q: Counting, call: () => Promise<T>): Promise<T> {
  const before = q.calls;
  const result = await call();
  assert.equal(q.calls - before, 1, 'one round trip');
  return result;
}

let lab: TestServers;

before(async () => {
  lab = await startTestServers(MAJORS.map(String), { portBase: 21400 });
  await Promise.all(lab.servers.map(async (server) => {
    const admin = await clientFor(server);
    try {
      await admin.query(`CREATE DATABASE ${qi(N.db)}`);
      // In "postgres": must not show up when connected to N.db (pg_subscription is cluster-wide).
      await admin.query(`CREATE SUBSCRIPTION other_db_sub CONNECTION 'host=10.9.9.9 dbname=x' PUBLICATION p
        WITH (connect = false, slot_name = NONE, enabled = false, create_slot = false)`);
    } finally {
      await admin.end();
    }
    const c = await clientFor(server, N.db);
    try {
      for (const sql of fixtureSql(server.major)) await c.query(sql);
    } finally {
      await c.end();
    }
  }));
});

after(async () => {
  await lab?.stop();
});

for (const [index, major] of MAJORS.entries()) {
  describe(`catalog on PostgreSQL ${major}`, () => {
    let server: LabServer;
    let client: Client;
    let q: Counting;
    let overview: ServerOverview;

    before(async () => {
      server = lab.servers[index];
      client = await clientFor(server, N.db);
      q = counting(client);
      overview = await once(q, () => fetchServerOverview(q));
    });
    after(async () => {
      await client?.end();
    });

    it('fetchServerOverview: version, role, replication settings, sizes, session', () => {
      assert.equal(server.major, major);
      assert.equal(overview.version.major, major);
      assert.equal(overview.version.text, server.version);
      assert.ok(overview.serverVersion.startsWith(server.version), overview.serverVersion);
      assert.equal(overview.inRecovery, false);
      assert.equal(overview.role, 'primary');
      assert.equal(overview.walLevel, 'logical');
      assert.equal(overview.maxReplicationSlots, 20);
      assert.equal(overview.maxWalSenders, 20);
      assert.equal(overview.maxLogicalReplicationWorkers, 8);
      assert.equal(overview.maxWorkerProcesses, 16);
      assert.equal(overview.maxSyncWorkersPerSubscription, 2);
      assert.equal(overview.maxActiveReplicationOrigins, major >= 18 ? 10 : null);
      assert.ok(overview.uptimeSeconds > 0 && overview.uptimeSeconds < 3600);
      assert.ok(Math.abs(Date.parse(overview.postmasterStartTime) - (Date.now() - overview.uptimeSeconds * 1000)) < 60_000);
      assert.ok(overview.totalDatabaseSizeBytes > 3 * 5_000_000);
      assert.equal(overview.currentDatabase, N.db);
      assert.equal(overview.currentUser, 'postgres');
      assert.equal(overview.isSuperuser, true);
    });

    it('listDatabases: hostile name with its size; templates flagged', async () => {
      const dbs = await once(q, () => listDatabases(q, overview.version));
      const mine = dbs.find((d) => d.name === N.db);
      assert.ok(mine, JSON.stringify(dbs.map((d) => d.name)));
      assert.equal(mine.owner, 'postgres');
      assert.equal(mine.encoding, 'UTF8');
      assert.equal(mine.allowConnections, true);
      assert.equal(mine.isTemplate, false);
      assert.ok(typeof mine.sizeBytes === 'number' && mine.sizeBytes > 1_000_000);
      const t0 = dbs.find((d) => d.name === 'template0');
      assert.deepEqual([t0?.isTemplate, t0?.allowConnections], [true, false]);
      assert.equal(dbs.find((d) => d.name === 'template1')?.isTemplate, true);
      const total = dbs.reduce((sum, d) => sum + (d.sizeBytes ?? 0), 0);
      assert.ok(Math.abs(total - overview.totalDatabaseSizeBytes) < 0.2 * total, `${total} vs ${overview.totalDatabaseSizeBytes}`);
    });

    it('listPublications: names, flags, table counts, viaRoot from 13', async () => {
      const pubs = await once(q, () => listPublications(q, overview.version));
      assert.deepEqual(pubs.map((p) => p.name).sort(), [N.quoted, N.unicode, N.ascii63, N.select].sort());
      const two = pubs.find((p) => p.name === N.quoted)!;
      assert.deepEqual(
        { ...two },
        { name: N.quoted, owner: 'postgres', allTables: false, tableCount: 2, insert: true, update: true, delete: false, truncate: false, viaRoot: major >= 13 ? false : null },
      );
      const all = pubs.find((p) => p.name === N.unicode)!;
      const expectedAll = (await client.query(`SELECT count(*)::int AS n FROM pg_publication_tables WHERE pubname = $1`, [N.unicode])).rows[0].n;
      assert.equal(all.allTables, true);
      assert.ok(all.tableCount >= 5);
      assert.equal(all.tableCount, expectedAll);
      assert.deepEqual([all.insert, all.update, all.delete, all.truncate], [true, true, true, true]);
      const part = pubs.find((p) => p.name === N.ascii63)!;
      assert.equal(part.viaRoot, major >= 13 ? true : null);
      assert.equal(part.tableCount, 1);
      assert.equal(pubs.find((p) => p.name === N.select)!.tableCount, 1);
    });

    it('listSubscriptions: only this database, exact names, host without the password, per-version options', async () => {
      const subs = await once(q, () => listSubscriptions(q, overview.version));
      assert.deepEqual(subs.map((s) => s.name).sort(), [N.quoted, N.multibyte63, N.unicode].sort());
      const json = JSON.stringify(subs);
      for (const secret of ['topsecret', 'evil', 'password', 'rep:']) assert.ok(!json.includes(secret), `${secret} leaked`);
      const a = subs.find((s) => s.name === N.quoted)!;
      assert.equal(a.owner, 'postgres');
      assert.equal(a.enabled, false); // connect = false implies enabled = false
      assert.deepEqual(a.publications, [N.quoted, N.select]);
      assert.equal(a.slotName, 'cat_sub_a');
      assert.deepEqual([a.conninfoHost, a.conninfoPort], ['10.1.2.3', '6543']);
      assert.equal(a.tableCount, 0);
      assert.deepEqual(a.tableStates, { i: 0, d: 0, f: 0, s: 0, r: 0 });
      assert.deepEqual([a.workerPid, a.syncWorkers, a.receivedLsn, a.lastMsgReceiptTime, a.lagSeconds], [null, 0, null, null, null]);
      assert.equal(a.applyErrorCount, major >= 15 ? 0 : null);
      assert.equal(a.syncErrorCount, major >= 15 ? 0 : null);
      assert.equal(a.conflictCount, major >= 18 ? 0 : null);
      assert.equal(a.streaming, major >= 18 ? 'parallel' : major >= 14 ? 'off' : null);
      assert.equal(a.disableOnError, major >= 15 ? false : null);
      const b = subs.find((s) => s.name === N.multibyte63)!;
      assert.equal(b.slotName, null);
      assert.deepEqual(b.publications, [N.unicode]);
      assert.deepEqual([b.conninfoHost, b.conninfoPort], ['db1.example,::1', '7000,7001']);
      const c = subs.find((s) => s.name === N.unicode)!;
      assert.deepEqual([c.conninfoHost, c.conninfoPort], ["my 'host'", '5']);
      // The regular expressions carry backslashes: the same answer with the pre-9.1 string syntax.
      await client.query('SET standard_conforming_strings = off');
      try {
        assert.deepEqual(await listSubscriptions(q, overview.version), subs);
      } finally {
        await client.query('RESET standard_conforming_strings');
      }
    });

    it('listSubscriptions as a non-superuser: conninfo: false works, the default is refused', async () => {
      await client.query('SET ROLE cat_reader');
      try {
        await assert.rejects(listSubscriptions(q, overview.version), /permission denied/);
        const subs = await once(q, () => listSubscriptions(q, overview.version, { conninfo: false }));
        assert.equal(subs.length, 3);
        assert.ok(subs.every((s) => s.conninfoHost === null && s.conninfoPort === null));
      } finally {
        await client.query('RESET ROLE');
      }
    });

    it('listTablesForReplication: keys, replica identity, unlogged, partitions, estimates, sizes', async () => {
      const tables = await once(q, () => listTablesForReplication(q, overview.version));
      const byName = new Map(tables.map((t) => [`${t.schema}.${t.name}`, t]));
      assert.deepEqual([...byName.keys()].sort(), [
        `${N.schema}.${N.quoted}`, `public.${N.select}`, `public.${N.unicode}`, `public.${N.ascii63}`,
        `public.${N.multibyte63}`, `public.${N.spaced}`, `public.${N.order}`,
      ].sort());
      const get = (k: string) => byName.get(k)!;
      assert.deepEqual(
        { ...get(`${N.schema}.${N.quoted}`), sizeBytes: 0 },
        { schema: N.schema, name: N.quoted, hasPrimaryKey: true, replicaIdentity: 'd', isUnlogged: false, isPartition: false, isPartitioned: false, estimatedRows: 500, sizeBytes: 0 },
      );
      assert.ok(get(`${N.schema}.${N.quoted}`).sizeBytes > 16_384);
      assert.equal(get(`public.${N.unicode}`).hasPrimaryKey, false);
      assert.equal(get(`public.${N.unicode}`).replicaIdentity, 'f');
      assert.equal(get(`public.${N.ascii63}`).isUnlogged, true);
      assert.equal(get(`public.${N.multibyte63}`).isPartitioned, true);
      assert.equal(get(`public.${N.spaced}`).isPartition, true);
      assert.equal(get(`public.${N.spaced}`).estimatedRows, 100);
      assert.equal(get(`public.${N.order}`).replicaIdentity, 'i');
      assert.equal(get(`public.${N.order}`).hasPrimaryKey, false);
    });

    it('listSequences: serial, identity and standalone sequences; bigint values as exact text', async () => {
      const seqs = await once(q, () => listSequences(q, overview.version));
      const byName = new Map(seqs.map((s) => [`${s.schema}.${s.name}`, s]));
      const serial = byName.get(`${N.schema}.${N.quoted}_id_seq`)!;
      assert.deepEqual(serial.ownedBy, { schema: N.schema, table: N.quoted, column: 'id' });
      assert.deepEqual([serial.isIdentity, serial.lastValue, serial.isCalled, serial.dataType], [false, '500', true, 'integer']);
      const identity = seqs.find((s) => s.isIdentity)!;
      assert.deepEqual(identity.ownedBy, { schema: 'public', table: N.select, column: 'id' });
      assert.deepEqual([identity.lastValue, identity.isCalled, identity.dataType], [null, false, 'bigint']);
      assert.deepEqual({ ...byName.get(`${N.schema}.${N.select}`)! }, {
        schema: N.schema, name: N.select, dataType: 'bigint', incrementBy: '1', lastValue: '3', isCalled: true,
        readable: true, ownedBy: null, isIdentity: false,
      });
      assert.equal(byName.get(`public.${N.seq63}`)?.lastValue, null);
      assert.equal(byName.get(`${N.schema}.${N.spaced}`)?.lastValue, '9007199254740993');
      assert.equal(seqs.length, 5);
    });

    it('listReplicationSlots: a logical slot retains WAL after writes; per-version columns', async () => {
      await client.query(`SELECT pg_create_logical_replication_slot('cat_logical', 'test_decoding')`);
      await client.query(`SELECT pg_create_physical_replication_slot('cat_physical', true)`);
      await client.query('SET synchronous_commit = on'); // pg_current_wal_lsn() must move past the writes
      await client.query(`INSERT INTO ${qi(N.schema)}.${qi(N.quoted)} (v) SELECT repeat('w', 200) FROM generate_series(1, 2000)`);
      const slots = await once(q, () => listReplicationSlots(q, overview.version));
      assert.deepEqual(slots.map((s) => s.name), ['cat_logical', 'cat_physical']);
      const [logical, physical] = slots;
      assert.equal(logical.type, 'logical');
      assert.equal(logical.plugin, 'test_decoding');
      assert.equal(logical.database, N.db);
      assert.deepEqual([logical.temporary, logical.active, logical.activePid], [false, false, null]);
      assert.ok(isLsn(logical.restartLsn!) && isLsn(logical.confirmedFlushLsn!));
      assert.ok(logical.retainedWalBytes! > 400_000, `retained ${logical.retainedWalBytes}`);
      assert.ok(logical.lagBytes! > 400_000, `lag ${logical.lagBytes}`);
      assert.equal(logical.walStatus, major >= 13 ? 'reserved' : null);
      assert.equal(logical.safeWalSizeBytes, null); // max_slot_wal_keep_size = -1
      assert.equal(logical.twoPhase, major >= 14 ? false : null);
      assert.equal(logical.conflicting, major >= 16 ? false : null);
      assert.equal(logical.invalidationReason, null);
      assert.equal(logical.failover, major >= 17 ? false : null);
      assert.equal(logical.synced, major >= 17 ? false : null);
      if (major >= 17) assert.ok(Date.parse(logical.inactiveSince!) > Date.now() - 600_000, String(logical.inactiveSince));
      else assert.equal(logical.inactiveSince, null);
      assert.deepEqual([physical.type, physical.plugin, physical.database, physical.confirmedFlushLsn, physical.lagBytes], ['physical', null, null, null, null]);
      assert.ok(physical.retainedWalBytes! > 400_000);
    });

    it('listStandbys: no WAL senders yet, an empty list', async () => {
      assert.deepEqual(await once(q, () => listStandbys(q, overview.version)), []);
    });

    it('listCopyProgress: a running COPY into a hostile table (14+), nothing to ask on 12/13', async () => {
      if (major < 14) {
        const before = q.calls;
        assert.deepEqual(await listCopyProgress(q, overview.version), []);
        assert.equal(q.calls, before, 'no query on 12/13');
        return;
      }
      const other = await clientFor(server, N.db);
      const otherPid: number = (await other.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      const copy = other.query(`COPY public.${qi(N.order)} (k) FROM PROGRAM 'sleep 2; seq 1 5'`);
      try {
        let seen: CopyProgressInfo | undefined;
        for (let i = 0; i < 100 && !seen; i++) {
          seen = (await once(q, () => listCopyProgress(q, overview.version))).find((r) => r.pid === otherPid && r.type !== null);
          if (!seen) await new Promise((r) => setTimeout(r, 20));
        }
        assert.ok(seen, 'COPY not seen in pg_stat_progress_copy');
        assert.deepEqual({ ...seen, pid: 0 }, {
          pid: 0, database: N.db, schema: 'public', table: N.order, command: 'COPY FROM', type: 'PROGRAM',
          bytesProcessed: 0, bytesTotal: null, tuplesProcessed: 0, tuplesExcluded: 0, tuplesSkipped: major >= 17 ? 0 : null,
        });
        await copy;
        assert.deepEqual(await once(q, () => listCopyProgress(q, overview.version)), []);
      } finally {
        await copy.catch(() => undefined);
        await other.end();
      }
    });
  });
}
