/**
 * Issue 9: the preflight refuses what would break once replication starts, before anything changes on either server:
 * target tables already holding rows, a replication role without SELECT, a publication name the walsender cannot
 * parse, a target database that does not exist (with the CREATE DATABASE to run, which then works). One 14 → 16 pair.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { logicalUpgradeRunbook } from '../../src/core/runbooks/logical';
import { readJournal, summarizeRun, type RunResult } from '../../src/core/runbook';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catalogSnapshot, describeRun, labCluster, runLogical, scalar, startPair, stepOf, type Pair } from './logical-kit';
import { runRunbook } from '../../src/core/runbook';
import { defaultLogicalUpgradeParams } from '../../src/core/runbooks/logical';
import { autoUi } from './logical-kit';

const PORT_BASE = Number(process.env.PGPILOT_TEST_PORT_BASE ?? 23000) + 140;
const journalDir = mkdtempSync(join(tmpdir(), 'pgpilot-refusals-'));

async function preflightFindings(r: RunResult) {
  const events = await readJournal(join(journalDir, `${r.runId}.jsonl`));
  return summarizeRun(events, { runbook: logicalUpgradeRunbook }).steps.find((s) => s.id === 'preflight')?.findings ?? [];
}

describe('preflight refusals, before any change (14 → 16)', { concurrency: 1 }, () => {
  let pair: Pair;
  const snap = async () => [await catalogSnapshot(pair.src), await catalogSnapshot(pair.tgt)];
  before(async () => {
    pair = await startPair('14', '16', PORT_BASE);
    await pair.src.query("CREATE TABLE accounts (id int PRIMARY KEY, v text); INSERT INTO accounts VALUES (1, 'a'), (2, 'b')");
  });
  after(async () => {
    await pair?.stop();
    rmSync(journalDir, { recursive: true, force: true });
  });

  async function refused(params: Parameters<typeof runLogical>[1], id: string) {
    const before = await snap();
    const r = await runLogical(pair, params, { journalDir });
    assert.equal(stepOf(r, 'preflight').status, 'failed', describeRun(r));
    assert.equal(stepOf(r, 'copy-roles').status, 'pending');
    assert.deepEqual(await snap(), before, 'nothing changed on either server');
    const f = (await preflightFindings(r)).find((x) => x.id === id);
    assert.ok(f && f.severity === 'error', `${id} is an error: ${JSON.stringify(await preflightFindings(r), null, 1)}`);
    return f;
  }

  test('a target table that already holds rows is refused (TRUNCATE offered); allowTargetRows lets it through as a warning', async () => {
    await pair.tgt.query("CREATE TABLE accounts (id int PRIMARY KEY, v text); INSERT INTO accounts VALUES (1, 'x')");
    const f = await refused({}, 'target-rows');
    assert.match(f.message, /accounts/);
    assert.match(f.fix ?? '', /TRUNCATE ONLY "public"\."accounts";/);
    const r = await runLogical(pair, { allowTargetRows: true }, { journalDir, until: 'preflight' });
    assert.equal(stepOf(r, 'preflight').status, 'succeeded', describeRun(r));
    assert.equal((await preflightFindings(r)).find((x) => x.id === 'target-rows')?.severity, 'warning');
    await pair.tgt.query('DROP TABLE accounts');
  });

  test('a replication role without SELECT is refused with the GRANT to run; after running it the preflight passes', async () => {
    await pair.src.query("CREATE ROLE repl LOGIN REPLICATION PASSWORD 'repl-pw'; CREATE SCHEMA hidden; CREATE TABLE hidden.secret (id int PRIMARY KEY)");
    await pair.src.query('GRANT SELECT ON accounts TO repl');
    const sub = `host=127.0.0.1 port=${pair.source.port} user=repl dbname=postgres`;
    const f = await refused({ subscriberConnection: sub }, 'replication-select');
    assert.match(f.message, /hidden\.secret/);
    assert.doesNotMatch(f.message, /accounts/);
    assert.equal(f.fix, 'GRANT USAGE ON SCHEMA "hidden" TO "repl"; GRANT SELECT ON TABLE "hidden"."secret" TO "repl";');
    await pair.src.query(f.fix!);
    const r = await runLogical(pair, { subscriberConnection: sub }, { journalDir, until: 'preflight' });
    assert.equal((await preflightFindings(r)).find((x) => x.id === 'replication-select'), undefined, describeRun(r));
    await pair.src.query('DROP SCHEMA hidden CASCADE; REVOKE ALL ON accounts FROM repl; DROP ROLE repl');
  });

  test('a publication name with a backslash (the walsender cannot parse it) is refused', async () => {
    const f = await refused({ publication: 'pub\\one' }, 'unparsable-name');
    assert.match(f.message, /"pub\\one"/);
  });

  test('a missing target database is refused with the CREATE DATABASE to run (source encoding and locale); running it works', async () => {
    const missing = 'app "new"';
    const target = { ...labCluster(pair.target, 'new'), connection: `${pair.target.connection} dbname='${missing.replace(/'/g, "\\'")}'` };
    const before = await snap();
    const log = autoUi();
    const r = await runRunbook({
      runbook: logicalUpgradeRunbook, clusters: { source: labCluster(pair.source, 'old'), target }, params: defaultLogicalUpgradeParams({}),
      ui: log.ui, journalDir, operator: 'test',
    });
    assert.equal(r.status, 'failed', describeRun(r));
    assert.deepEqual(await snap(), before);
    assert.match(r.message ?? '', /database "app "new"" does not exist\. Nothing was changed\./);
    const create = /CREATE DATABASE .*;$/.exec(r.message ?? '')?.[0];
    assert.ok(create, r.message);
    assert.match(create, /^CREATE DATABASE "app ""new""" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE '[^']+' LC_CTYPE '[^']+';$/);
    await pair.tgt.query({ text: create, queryMode: 'extended' } as { text: string }); // the extended protocol refuses two statements
    const enc = await scalar(pair.tgt, 'SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = $1', [missing]);
    assert.equal(enc, await scalar(pair.src, 'SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()'));
    await pair.tgt.query(`DROP DATABASE "app ""new"""`);
  });
});
