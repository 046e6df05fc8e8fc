/**
 * Issue 13 item 3 on a real scratch server (16): each printed fix, built for objects with hostile names, is run as
 * printed through the extended protocol (which refuses a second statement) and does exactly what it says — the canary
 * table "t" that the names try to drop is still there. Schema-drift DDL too: a database of hostile objects is
 * reproduced in an empty one from the DDL alone, after which there is no drift left.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client } from 'pg';
import { quoteIdent, quoteLiteral, quoteQualified } from '../../src/core/sql';
import * as fixes from '../../src/core/runbooks/logical/fixes';
import { compareSchemas } from '../../src/core/runbooks/logical/drift';
import { databaseLocale } from '../../src/core/runbooks/logical/missing-database';
import { clientFor, startTestServers, type TestServers } from '../helpers/lab';

const PORT_BASE = Number(process.env.PGPILOT_TEST_PORT_BASE ?? 23000) + 220;
const NAMES = [`x"; DROP TABLE t; --`, `it's\\'; DROP TABLE t; --`, `new\nline ünï ☃`, 'a'.repeat(63)];

describe('printed fixes run as printed (16)', { concurrency: 1 }, () => {
  let lab: TestServers;
  let c: Client;
  const run = (sql: string) => c.query({ text: sql, queryMode: 'extended' } as { text: string });
  const one = async (sql: string, values: unknown[] = []) => Object.values((await c.query(sql, values)).rows[0] ?? {})[0];
  const canary = async () => assert.equal(await one("SELECT to_regclass('public.t') IS NOT NULL"), true, 'the canary table survived');

  before(async () => {
    lab = await startTestServers(['16'], { portBase: PORT_BASE });
    c = await clientFor(lab.servers[0]);
    await c.query('CREATE TABLE public.t (id int)');
  });
  after(async () => {
    await c?.end().catch(() => undefined);
    await lab?.stop();
  });

  for (const [i, n] of NAMES.entries()) {
    test(`fixes for name #${i} ${JSON.stringify(n).slice(0, 30)}`, async () => {
      const s = quoteIdent(n);
      const tb = { schema: n, name: n };
      await c.query(`CREATE SCHEMA ${s}; CREATE TABLE ${quoteQualified(n, n)} (${s} int NOT NULL); INSERT INTO ${quoteQualified(n, n)} VALUES (1)`);
      const idx = `i${n}`.slice(0, 60);
      await c.query(`CREATE UNIQUE INDEX ${quoteIdent(idx)} ON ${quoteQualified(n, n)} (${s})`);
      await c.query(`CREATE ROLE ${s}`);

      await run(fixes.replicaIdentityFullFix(tb));
      assert.equal(await one('SELECT relreplident::text FROM pg_class WHERE oid = $1::regclass', [quoteQualified(n, n)]), 'f');
      await run(fixes.replicaIdentityIndexFix(tb, idx));
      assert.equal(await one('SELECT relreplident::text FROM pg_class WHERE oid = $1::regclass', [quoteQualified(n, n)]), 'i');
      await run(fixes.grantReplicationFix(n));
      assert.equal(await one('SELECT rolreplication FROM pg_roles WHERE rolname = $1', [n]), true);
      await run(fixes.grantUsageFix(n, [n]));
      await run(fixes.grantSelectFix(n, [tb]));
      assert.equal(await one("SELECT has_table_privilege($1, $2::regclass, 'SELECT')", [n, quoteQualified(n, n)]), true);
      await run(fixes.truncateFix([tb]));
      assert.equal(await one(`SELECT count(*)::int FROM ${quoteQualified(n, n)}`), 0);

      await c.query(`CREATE PUBLICATION ${s}`);
      await run(fixes.addTablesFix(n, [tb]));
      assert.equal(await one('SELECT count(*)::int FROM pg_publication_tables WHERE pubname = $1 AND schemaname = $2 AND tablename = $3', [n, n, n]), 1);
      await run(fixes.dropPublicationFix(n));
      assert.equal(await one('SELECT count(*)::int FROM pg_publication WHERE pubname = $1', [n]), 0);

      await c.query(`CREATE SUBSCRIPTION ${s} CONNECTION ${quoteLiteral('host=127.0.0.1 port=1 dbname=x')} PUBLICATION ${s} WITH (connect = false, slot_name = NONE, enabled = false)`);
      await run(fixes.dropSubscriptionFix(n));
      assert.equal(await one('SELECT count(*)::int FROM pg_subscription WHERE subname = $1', [n]), 0);

      const loc = await databaseLocale(c);
      await run(fixes.createDatabaseFix(n, loc.locale, 16));
      assert.deepEqual(
        (await c.query('SELECT pg_encoding_to_char(encoding) AS e, datcollate AS c FROM pg_database WHERE datname = $1', [n])).rows[0],
        { e: loc.locale.encoding, c: loc.locale.collate },
      );
      await c.query(`DROP DATABASE ${s}`);
      await c.query(`DROP SCHEMA ${s} CASCADE; DROP OWNED BY ${s}; DROP ROLE ${s}`);
      await canary();
    });
  }

  test('the slot fix drops exactly that slot', async () => {
    await c.query("SELECT pg_create_logical_replication_slot('pgpilot_fix_test', 'pgoutput')");
    await run(fixes.dropSlotFix('pgpilot_fix_test'));
    assert.equal(await one('SELECT count(*)::int FROM pg_replication_slots'), 0);
  });

  test('schema-drift DDL recreates hostile tables, partitions, columns, enums, domains, constraints and sequences; no drift is left', async () => {
    await c.query('CREATE DATABASE drift_src');
    await c.query('CREATE DATABASE drift_tgt');
    const a = await clientFor(lab.servers[0], 'drift_src');
    const b = await clientFor(lab.servers[0], 'drift_tgt');
    try {
      const n = NAMES[0];
      const s = quoteIdent(n);
      await a.query(`CREATE SCHEMA ${s};
        CREATE TYPE ${quoteQualified(n, 'mood')} AS ENUM ('sad', ${quoteLiteral(n)});
        CREATE DOMAIN ${quoteQualified(n, 'pos')} AS integer CONSTRAINT ${s} CHECK (VALUE > 0);
        CREATE SEQUENCE ${quoteQualified(n, 'seq')} AS integer;
        CREATE TABLE ${quoteQualified(n, n)} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, ${s} text DEFAULT ${quoteLiteral(n)} NOT NULL,
          m ${quoteQualified(n, 'mood')}, p ${quoteQualified(n, 'pos')}, doubled int GENERATED ALWAYS AS (p * 2) STORED, CONSTRAINT ${quoteIdent(`${n}_u`)} UNIQUE (${s}));
        CREATE TABLE ${quoteQualified(n, 'ev')} (id int NOT NULL, at date NOT NULL, parent bigint REFERENCES ${quoteQualified(n, n)} (id), PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
        CREATE TABLE ${quoteQualified(n, `ev ${n}`.slice(0, 60))} PARTITION OF ${quoteQualified(n, 'ev')} FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');`);
      await b.query(`CREATE SCHEMA ${s}; CREATE TABLE public.t (id int)`);
      const drift = await compareSchemas(a, b);
      assert.ok(drift.items.length >= 6, JSON.stringify(drift.items.map((x) => x.kind)));
      for (const d of drift.ddl) await b.query({ text: d, queryMode: 'extended' } as { text: string });
      const after = await compareSchemas(a, b);
      assert.deepEqual(after.items, [], JSON.stringify(after.items, null, 1));
      assert.equal(Object.values((await b.query("SELECT to_regclass('public.t') IS NOT NULL AS x")).rows[0])[0], true);
    } finally {
      await a.end();
      await b.end();
      await c.query('DROP DATABASE drift_src');
      await c.query('DROP DATABASE drift_tgt');
    }
  });
});
