import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createPublicationSql, createSubscriptionSql, probeSubscriptionSql, publicationTarget, readSequencesSql, setvalSql,
  subscriberConninfo, alterPublicationSql,
} from '../../src/core/runbooks/logical/statements';
import { defaultLogicalUpgradeParams } from '../../src/core/runbooks/logical';

test('publication targets quote every identifier', () => {
  assert.equal(publicationTarget({ kind: 'all' }), 'FOR ALL TABLES');
  assert.equal(publicationTarget({ kind: 'schemas', schemas: ['we"ird', 'select'] }), 'FOR TABLES IN SCHEMA "we""ird", "select"');
  assert.equal(
    createPublicationSql('pub "x"', { kind: 'tables', tables: [{ schema: 'public', name: 'a b' }, { schema: 'ü', name: 'select' }] }),
    'CREATE PUBLICATION "pub ""x""" FOR TABLE "public"."a b", "ü"."select"',
  );
  assert.equal(alterPublicationSql('p', { kind: 'schemas', schemas: ['s'] }), 'ALTER PUBLICATION "p" SET TABLES IN SCHEMA "s"');
});

test('the subscriber conninfo gets the password (or ********), the database and a connect timeout', () => {
  const base = 'host=db1 port=5433 user=postgres';
  assert.equal(subscriberConninfo(base, { dbname: 'app', password: "p'w d" }), "host=db1 port=5433 dbname=app user=postgres password='p\\'w d'");
  const shown = subscriberConninfo(base, { dbname: 'app', password: 'secret', mask: true, connectTimeoutSeconds: 10 });
  assert.ok(!shown.includes('secret'));
  assert.match(shown, /password=\*{8}/);
  assert.match(shown, /connect_timeout=10/);
  // a password already in the given string is never carried over; a URI becomes keyword/value
  const fromUri = subscriberConninfo('postgresql://u:old@h:5432/db', { dbname: 'x', password: 'new' });
  assert.ok(!fromUri.includes('old'));
  assert.match(fromUri, /host=h port=5432 dbname=db user=u/);
  assert.match(fromUri, /password=new/);
  // no password known: none added (the subscriber host's .pgpass or trust applies)
  assert.doesNotMatch(subscriberConninfo(base, { dbname: 'app' }), /password/);
});

test('CREATE SUBSCRIPTION quotes names and the conninfo literal; streaming only when asked', () => {
  const sql = createSubscriptionSql('Sub "1"', "host=h password='a\\'b'", 'pub', { slotName: 'slot_1', copyData: true, streaming: true });
  assert.equal(sql, `CREATE SUBSCRIPTION "Sub ""1""" CONNECTION E'host=h password=''a\\\\''b''' PUBLICATION "pub" WITH (copy_data = true, create_slot = true, enabled = true, slot_name = 'slot_1', streaming = on)`);
  assert.doesNotMatch(createSubscriptionSql('s', 'host=h', 'p', { slotName: 's', copyData: false }), /streaming/);
  assert.match(probeSubscriptionSql('probe', 'host=h', 'p'), /WITH \(connect = true, create_slot = false, enabled = false, slot_name = NONE, copy_data = false\)/);
});

test('sequence reads and setval statements quote hostile names', () => {
  assert.equal(readSequencesSql([]), 'SELECT NULL::int AS i, NULL::text AS v, NULL::boolean AS c WHERE false');
  assert.equal(
    readSequencesSql([{ schema: 'a', name: 's"1' }, { schema: 'b b', name: 'select' }]),
    'SELECT 0 AS i, last_value::text AS v, is_called AS c FROM "a"."s""1"\nUNION ALL SELECT 1 AS i, last_value::text AS v, is_called AS c FROM "b b"."select"',
  );
  assert.equal(setvalSql({ schema: "o'k", name: 'q' }, '42', false), `SELECT pg_catalog.setval('"o''k"."q"', 42, false)`);
});

test('parameters: defaults, validation with clear messages', () => {
  const p = defaultLogicalUpgradeParams({ switchoverTimeoutMs: 5000 });
  assert.equal(p.switchoverTimeoutMs, 5000);
  assert.equal(p.publication, 'pgpilot_upgrade');
  assert.deepEqual(p.freezeRoles, []);
  assert.throws(() => defaultLogicalUpgradeParams({ subscription: 'Has Upper' }), /replication slot name "Has Upper" may contain only lower-case/);
  assert.doesNotThrow(() => defaultLogicalUpgradeParams({ subscription: 'Has Upper', slotName: 'ok_slot' }));
  assert.throws(() => defaultLogicalUpgradeParams({ publication: 'x'.repeat(64) }), /longer than 63 bytes/);
  assert.throws(() => defaultLogicalUpgradeParams({ switchoverTimeoutMs: 0 }), /switchoverTimeoutMs must be a positive number/);
  assert.throws(() => defaultLogicalUpgradeParams({ tables: [{ schema: '', name: 't' }] }), /table schema must be a non-empty name/);
});
