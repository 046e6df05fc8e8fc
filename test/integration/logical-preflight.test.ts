/**
 * What the runbook refuses or reports before changing anything: the preflight's findings on real servers (a table
 * without primary key, an unlogged table, a large object), a publication of the same name already there, and a dry
 * run of the whole runbook — each leaves both servers exactly as they were.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readJournal, summarizeRun } from '../../src/core/runbook';
import { logicalUpgradeRunbook } from '../../src/core/runbooks/logical';
import { catalogSnapshot, describeRun, runLogical, startPair, stepOf, type Pair } from './logical-kit';

const journalDir = mkdtempSync(join(tmpdir(), 'pgpilot-logical-preflight-'));

async function findingsOf(runId: string, stepId: string) {
  const events = await readJournal(join(journalDir, `${runId}.jsonl`));
  return summarizeRun(events, { runbook: logicalUpgradeRunbook }).steps.find((s) => s.id === stepId)?.findings ?? [];
}

describe('logical upgrade: before any change', { concurrency: 1 }, () => {
  let pair: Pair;
  before(async () => {
    pair = await startPair('14', '16', 22240);
    const { src } = pair;
    await src.query('CREATE TABLE good (id int PRIMARY KEY, v text)');
    await src.query('CREATE TABLE no_pk_updated (id int, v text)');
    await src.query("INSERT INTO no_pk_updated VALUES (1, 'a'), (2, 'b')");
    await src.query("UPDATE no_pk_updated SET v = 'c' WHERE id = 1");
    await src.query('CREATE TABLE no_pk_log (at timestamptz DEFAULT now(), msg text)');
    await src.query("INSERT INTO no_pk_log (msg) VALUES ('x')");
    await src.query('CREATE UNLOGGED TABLE scratch (id int PRIMARY KEY)');
    await src.query('SELECT lo_create(0)');
    await src.query('CREATE MATERIALIZED VIEW mv AS SELECT count(*) FROM good');
    await new Promise((r) => setTimeout(r, 1200)); // table statistics reach pg_stat_user_tables asynchronously
  });
  after(async () => {
    await pair?.stop();
    rmSync(journalDir, { recursive: true, force: true });
  });

  test('preflight flags a table without primary key, an unlogged table and a large object; nothing changes', async () => {
    const before = [await catalogSnapshot(pair.src), await catalogSnapshot(pair.tgt)];
    const r = await runLogical(pair, {}, { journalDir });
    assert.equal(r.status, 'failed', describeRun(r));
    assert.equal(stepOf(r, 'preflight').status, 'failed');
    assert.equal(stepOf(r, 'copy-roles').status, 'pending', 'the run stops at the preflight');
    const findings = await findingsOf(r.runId, 'preflight');
    const byId = (id: string) => findings.find((f) => f.id === id);
    assert.equal(byId('replica-identity')?.severity, 'error', JSON.stringify(findings, null, 1));
    assert.match(byId('replica-identity')!.message, /no_pk_updated/);
    assert.match(byId('replica-identity')!.fix ?? '', /ALTER TABLE "public"\."no_pk_updated" REPLICA IDENTITY FULL/);
    assert.equal(byId('replica-identity-insert-only')?.severity, 'error');
    assert.match(byId('replica-identity-insert-only')!.message, /no_pk_log/);
    assert.equal(byId('unlogged-tables')?.severity, 'warning');
    assert.match(byId('unlogged-tables')!.message, /scratch/);
    assert.equal(byId('large-objects')?.severity, 'warning');
    assert.match(byId('large-objects')!.message, /1 large object/);
    assert.ok(byId('materialized-views'), 'materialized views reported');
    assert.equal(byId('subscriber-reachable')?.severity, 'info', 'the target reached the source (probe rolled back)');
    assert.deepEqual([await catalogSnapshot(pair.src), await catalogSnapshot(pair.tgt)], before);
  });

  test('an existing publication of the same name is reported before any change', async () => {
    await pair.src.query('ALTER TABLE no_pk_updated REPLICA IDENTITY FULL');
    await pair.src.query('CREATE PUBLICATION pgpilot_upgrade FOR TABLE good');
    try {
      const before = [await catalogSnapshot(pair.src), await catalogSnapshot(pair.tgt)];
      const r = await runLogical(pair, {}, { journalDir });
      assert.equal(r.status, 'failed', describeRun(r));
      const f = (await findingsOf(r.runId, 'preflight')).find((x) => x.id === 'publication-exists');
      assert.equal(f?.severity, 'error');
      assert.match(f!.message, /publication named "pgpilot_upgrade" already exists on the source/);
      assert.deepEqual([await catalogSnapshot(pair.src), await catalogSnapshot(pair.tgt)], before, 'nothing changed');
    } finally {
      await pair.src.query('DROP PUBLICATION pgpilot_upgrade');
    }
  });

  test('a dry run of the whole runbook changes nothing, shows every step, and never the password', async () => {
    const before = [await catalogSnapshot(pair.src), await catalogSnapshot(pair.tgt)];
    const r = await runLogical(pair, {}, { dryRun: true, journalDir });
    assert.equal(r.status, 'succeeded', describeRun(r));
    assert.deepEqual([await catalogSnapshot(pair.src), await catalogSnapshot(pair.tgt)], before);
    const sub = stepOf(r, 'create-subscription').actions ?? [];
    const sql = sub.flatMap((a) => (a.kind === 'sql' ? a.statements : [])).join('\n');
    // a superuser target: the password goes to a private file the target writes on its host (passfile.ts), never here
    assert.match(sql, /CREATE SUBSCRIPTION "pgpilot_upgrade" CONNECTION '[^']*passfile=[^' ]+\.pgpass[^']*' PUBLICATION "pgpilot_upgrade"/);
    assert.ok(!sql.includes('password='), sql);
    assert.match(sql, /ALTER DATABASE "postgres" SET default_transaction_read_only = on/);
    const sw = (stepOf(r, 'switchover').actions ?? []).flatMap((a) => (a.kind === 'sql' ? a.statements : [])).join('\n');
    assert.match(sw, /pg_terminate_backend/);
    assert.match(sw, /ALTER DATABASE "postgres" RESET default_transaction_read_only/);
    assert.match(sw, /THE COMMIT POINT/);
    const schema = stepOf(r, 'copy-schema').actions ?? [];
    assert.ok(schema.some((a) => a.kind === 'host' && a.argv.some((x) => x.includes('--schema-only'))), JSON.stringify(schema));
    const journal = readFileSync(join(journalDir, `${r.runId}.jsonl`), 'utf8');
    for (const pw of [pair.source.password, pair.target.password]) assert.ok(!journal.includes(pw), 'no password in the journal');
    for (const step of r.steps) assert.equal(step.status, 'skipped', `${step.id} not executed`);
  });
});
