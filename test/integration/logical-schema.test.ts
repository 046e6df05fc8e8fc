/**
 * The schema step on a source newer than the installed pg_dump (Debian's 15 here): a clear error naming the version
 * needed, a partly present schema refused before anything is loaded, and a schema created by hand detected as done.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { catalogSnapshot, describeRun, runLogical, startPair, stepOf, type Pair } from './logical-kit';

const journalDir = mkdtempSync(join(tmpdir(), 'pgpilot-logical-schema-'));
const DDL = ['CREATE TABLE a (id int PRIMARY KEY, v text)', 'CREATE TABLE b (id bigserial PRIMARY KEY, a_id int REFERENCES a)'];

describe('schema copy with a 16 source', { concurrency: 1 }, () => {
  let pair: Pair;
  let runId: string;
  before(async () => {
    pair = await startPair('16', '18', 22320);
    for (const d of DDL) await pair.src.query(d);
    await pair.src.query("INSERT INTO a SELECT g, 'v' FROM generate_series(1, 100) g");
  });
  after(async () => {
    await pair?.stop();
    rmSync(journalDir, { recursive: true, force: true });
  });

  test('no pg_dump new enough: a clear error naming the version needed, nothing changed on the target', async () => {
    const before = await catalogSnapshot(pair.tgt);
    const r = await runLogical(pair, {}, { until: 'copy-schema', journalDir });
    runId = r.runId;
    assert.equal(r.status, 'failed', describeRun(r));
    assert.match(stepOf(r, 'copy-schema').message ?? '', /pg_dump 16 or newer is needed for a 16 source; found 15 at \S*pg_dump/);
    assert.equal(await catalogSnapshot(pair.tgt), before);
  });

  test('a partly present schema is refused before anything is loaded', async () => {
    await pair.tgt.query(DDL[0]);
    const r = await runLogical(pair, {}, { until: 'copy-schema', journalDir, runId });
    assert.equal(r.status, 'failed', describeRun(r));
    assert.match(stepOf(r, 'copy-schema').message ?? '', /already has 1 of the 2 tables .*"?a"?.* but not .*b/);
  });

  test('a schema created on the target by hand is detected and the run goes on to replicate', { timeout: 120_000 }, async () => {
    await pair.tgt.query(DDL[1]);
    const r = await runLogical(pair, {}, { until: 'verify-data', journalDir, runId });
    assert.equal(r.status, 'paused', describeRun(r));
    assert.equal(stepOf(r, 'copy-schema').status, 'skipped');
    assert.equal(stepOf(r, 'verify-data').status, 'succeeded', describeRun(r));
  });
});
