/**
 * Issue 15, fixes offered as steps (real 14 → 16): a table without primary key or replica identity makes the preflight
 * refuse; `logical-upgrade --fixes` offers REPLICA IDENTITY FULL for it with the exact quoted statement, where it runs,
 * its risk and undo; `--apply-fix ID --yes` applies it through the tool (an unknown id changes nothing); then the
 * preflight passes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { labConn, runCli } from './cli-kit';
import { describeRun, runLogical, scalar, startPair, stepOf, type Pair } from './logical-kit';

const PORT_BASE = Number(process.env.PGPILOT_TEST_PORT_BASE ?? 23000) + 290;

describe('fixes offered as steps (14 → 16)', () => {
  let pair: Pair;
  before(async () => {
    pair = await startPair('14', '16', PORT_BASE);
    await pair.src.query(`CREATE TABLE "Event Log" (at timestamptz NOT NULL DEFAULT now(), msg text);
      INSERT INTO "Event Log" (msg) SELECT 'e' || g FROM generate_series(1, 20) g;
      CREATE TABLE keyed (id int PRIMARY KEY)`);
  });
  after(async () => {
    await pair?.stop();
  });

  test('the preflight refuses a PK-less table; the fix applied through the tool makes it pass', { timeout: 240_000 }, async () => {
    const refused = await runLogical(pair, { reverseReplication: false }, { only: 'preflight' });
    const pre = stepOf(refused, 'preflight');
    assert.equal(pre.status, 'failed', describeRun(refused));
    assert.ok(pre.findings?.some((f) => f.id.startsWith('replica-identity') && f.severity === 'error' && f.message.includes('public."Event Log"')), describeRun(refused));

    const cli = (...more: string[]) => runCli(['logical-upgrade', '--source', labConn(pair.source), '--target', labConn(pair.target), '--no-reverse', ...more], pair.lab.servers);
    const listed = await cli('--fixes');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /replica-identity:public\.Event Log — REPLICA IDENTITY FULL for public\."Event Log" \[reversible, on the source\]/);
    assert.match(listed.stdout, /^ {4}ALTER TABLE "public"\."Event Log" REPLICA IDENTITY FULL;$/m);
    assert.match(listed.stdout, /undo: ALTER TABLE "public"\."Event Log" REPLICA IDENTITY DEFAULT;/);
    assert.doesNotMatch(listed.stdout, /keyed/, 'a table with a primary key needs no fix');

    const unknown = await cli('--apply-fix', 'replica-identity:public.nope', '--yes');
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /no fix "replica-identity:public\.nope" applies now .*nothing was changed/);
    assert.equal(await scalar(pair.src, "SELECT relreplident::text FROM pg_class WHERE relname = 'Event Log'"), 'd');

    const applied = await cli('--apply-fix', 'replica-identity:public.Event Log', '--yes');
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stderr, /applied: replica-identity:public\.Event Log/);
    assert.equal(await scalar(pair.src, "SELECT relreplident::text FROM pg_class WHERE relname = 'Event Log'"), 'f');
    const none = await cli('--fixes');
    assert.match(none.stdout, /No fix to apply/);

    const passed = await runLogical(pair, { reverseReplication: false }, { only: 'preflight' });
    assert.equal(stepOf(passed, 'preflight').status, 'succeeded', describeRun(passed));
    // published with FULL, the application's UPDATE on the source keeps working
    await pair.src.query('CREATE PUBLICATION check_pub FOR TABLE "Event Log"');
    await pair.src.query(`UPDATE "Event Log" SET msg = 'changed' WHERE msg = 'e1'`);
    await pair.src.query('DROP PUBLICATION check_pub');
  });
});
