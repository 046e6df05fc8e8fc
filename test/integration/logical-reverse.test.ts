/**
 * Reverse replication: the way back after the switchover. The old server subscribes to the new one from a slot
 * created while both were frozen and drained, so it receives exactly the writes made on the new server, none twice.
 * The cleanup then removes everything, both directions.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureProbeTable, startProbe } from '../../src/core/probe';
import { APP_PASSWORD, createAppRole, describeRun, multiHost, runLogical, scalar, sleep, startPair, stepOf, type Pair } from './logical-kit';

const journalDir = mkdtempSync(join(tmpdir(), 'pgpilot-logical-reverse-'));

describe('reverse replication', { concurrency: 1 }, () => {
  let pair: Pair;
  before(async () => {
    pair = await startPair('14', '17', 22360);
    await createAppRole(pair.src);
    await ensureProbeTable(pair.src);
    await pair.src.query('GRANT ALL ON ALL TABLES IN SCHEMA public TO app');
  });
  after(async () => {
    await pair?.stop();
    rmSync(journalDir, { recursive: true, force: true });
  });

  test('writes on the new server reach the old one; cleanup removes both directions', { timeout: 180_000 }, async () => {
    const probe = await startProbe({ connection: multiHost(pair), password: APP_PASSWORD, intervalMs: 20 });
    let r;
    try {
      r = await runLogical(pair, { reverseReplication: true }, { until: 'analyze-target', journalDir });
      await sleep(1500);
    } finally {
      await probe.stop();
    }
    assert.equal(r.status, 'succeeded', 'nothing but the explicit cleanup is left: ' + describeRun(r));
    assert.equal(stepOf(r, 'reverse-replication').status, 'succeeded', describeRun(r));
    const sw = stepOf(r, 'switchover').outputs!;
    console.log(`# 14 → 17 with reverse slot: writeUnavailableMs=${sw.writeUnavailableMs} drainMs=${sw.drainMs}`);
    assert.ok(sw.reverseSlotLsn, 'reverse slot advanced inside the window');
    assert.equal(sw.reverseSlotCreatedBeforeFreeze, true, 'reverse slot created before the freeze');
    await pair.reconnect();
    // every acknowledged probe commit is on the new server, and — through the reverse subscription — on the old one
    assert.equal((await probe.verify(pair.tgt)).lostCommits, 0);
    const deadline = Date.now() + 20_000;
    let back = await probe.verify(pair.src);
    while (back.lostCommits > 0 && Date.now() < deadline) {
      await sleep(250);
      back = await probe.verify(pair.src);
    }
    assert.equal(back.lostCommits, 0, 'the old server has every write, also those made on the new one');
    assert.equal(back.duplicates, 0, 'and none twice');
    const onNew = Number(await scalar(pair.tgt, 'SELECT count(*) FROM pgpilot_probe WHERE server_version_num >= 170000'));
    assert.ok(onNew > 0, 'some writes were made on the new server');

    // without finish the run ends succeeded with the way back open; the cleanup runs only when asked
    const rest = await runLogical(pair, { reverseReplication: true }, { runId: r.runId, journalDir });
    assert.equal(rest.status, 'succeeded', describeRun(rest));
    assert.equal(stepOf(rest, 'cleanup').status, 'pending', describeRun(rest));
    await pair.reconnect();
    assert.equal(Number(await scalar(pair.src, 'SELECT count(*) FROM pg_subscription')), 1, 'the way back is still there');
    const c = await runLogical(pair, { reverseReplication: true }, { runId: r.runId, journalDir, finish: true });
    assert.equal(c.status, 'succeeded', describeRun(c));
    assert.equal(stepOf(c, 'cleanup').status, 'succeeded', describeRun(c));
    await pair.reconnect();
    for (const cl of [pair.src, pair.tgt]) {
      assert.equal(Number(await scalar(cl, 'SELECT count(*) FROM pg_replication_slots')), 0);
      assert.equal(Number(await scalar(cl, 'SELECT count(*) FROM pg_publication')), 0);
      assert.equal(Number(await scalar(cl, 'SELECT count(*) FROM pg_subscription')), 0);
    }
  });
});
