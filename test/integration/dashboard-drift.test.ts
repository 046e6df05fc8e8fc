/**
 * Issue 9, the dashboard's schema drift on real servers (14 → 16): a column added on the source stops the target's
 * apply; the monitor's polls see the apply stop, which makes a comparison due at once (not only at the interval); it
 * reports "apply stopped by DDL" with the DDL for the target, names quoted; that DDL run on the target lets the apply
 * go on (the row arrives) and the next comparison finds nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { checkDrift, DriftSchedule } from '../../src/core/monitor/drift';
import { ReplicationMonitor } from '../../src/core/monitor';
import { quoteLiteral } from '../../src/core/sql';
import { scalar, sleep, startPair, type Pair } from './logical-kit';

const PORT_BASE = Number(process.env.PGPILOT_TEST_PORT_BASE ?? 23000) + 270;

describe('dashboard schema drift (14 → 16)', () => {
  let pair: Pair;
  before(async () => {
    pair = await startPair('14', '16', PORT_BASE);
    const ddl = 'CREATE TABLE "Order Items" (id int PRIMARY KEY, v text)';
    await pair.src.query(`${ddl}; INSERT INTO "Order Items" VALUES (1, 'one'); CREATE PUBLICATION drift_pub FOR ALL TABLES`);
    await pair.tgt.query(ddl);
    const conn = `host=127.0.0.1 port=${pair.source.port} user=${pair.source.user} dbname=postgres password=${pair.source.password}`;
    await pair.tgt.query(`CREATE SUBSCRIPTION drift_sub CONNECTION ${quoteLiteral(conn)} PUBLICATION drift_pub`);
  });
  after(async () => {
    // the subscription's connection holds the lab password: never left in a catalog
    await pair?.tgt.query('DROP SUBSCRIPTION IF EXISTS drift_sub').catch(() => undefined);
    await pair?.stop();
  });

  test('apply stopped by DDL: seen within the polls, named with its quoted DDL; the DDL run on the target lets the row through', { timeout: 180_000 }, async () => {
    const monitor = new ReplicationMonitor({ subscription: 'drift_sub' });
    const pollPair = () => monitor.poll({ source: { name: 'old', client: pair.src, version: { major: 14 } as never }, target: { name: 'new', client: pair.tgt, version: { major: 16 } as never } });
    for (const until = Date.now() + 60_000; await scalar<number>(pair.tgt, 'SELECT count(*)::int FROM "Order Items"') < 1;) {
      assert.ok(Date.now() < until, 'the initial copy did not finish');
      await sleep(300);
    }
    const schedule = new DriftSchedule(3_600_000);
    schedule.observe((await pollPair()).subscriptions[0]);
    assert.equal(schedule.due(), true, 'compared first');
    const before = await checkDrift(pair.src, pair.tgt, { stopped: false });
    schedule.checked();
    assert.equal(before.status, 'none', JSON.stringify(before));
    assert.equal(schedule.due(), false, 'not on every poll');

    await pair.src.query('ALTER TABLE "Order Items" ADD COLUMN "New col" text DEFAULT \'x\'');
    await pair.src.query('INSERT INTO "Order Items" (id, v, "New col") VALUES (2, \'two\', \'y\')');
    let stopped = false;
    for (const until = Date.now() + 90_000; !stopped;) {
      assert.ok(Date.now() < until, 'the apply was never seen stopped');
      stopped = schedule.observe((await pollPair()).subscriptions.find((s) => s.name === 'drift_sub'));
      if (!stopped) await sleep(500);
    }
    assert.equal(schedule.due(), true, 'the apply stopping makes a comparison due before the interval');
    const drift = await checkDrift(pair.src, pair.tgt, { stopped });
    schedule.checked();
    assert.equal(drift.status, 'apply-stopped', JSON.stringify(drift));
    const column = drift.items.find((i) => i.kind === 'column-missing');
    assert.ok(column, JSON.stringify(drift.items));
    assert.match(column.ddl.join(' '), /^ALTER TABLE "public"\."Order Items" ADD COLUMN "New col" text DEFAULT 'x'::text;$/);
    assert.match(drift.script, /^SET default_transaction_read_only = off;\n/);

    await pair.tgt.query(drift.script);
    for (const until = Date.now() + 60_000; await scalar<number>(pair.tgt, 'SELECT count(*)::int FROM "Order Items"') < 2;) {
      assert.ok(Date.now() < until, 'the row written after the DDL never arrived');
      await sleep(300);
    }
    assert.equal(await scalar(pair.tgt, 'SELECT "New col" FROM "Order Items" WHERE id = 2'), 'y');
    const afterFix = await checkDrift(pair.src, pair.tgt, { stopped: false });
    assert.equal(afterFix.status, 'none', JSON.stringify(afterFix));
  });
});
