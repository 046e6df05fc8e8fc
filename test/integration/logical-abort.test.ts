/**
 * The way back inside the switchover: when the drain cannot finish in time the source must be writable again within
 * the timeout + 1 s and the target must stay read-only; nothing acknowledged may be lost, and a later switchover
 * (once the cause is gone) must succeed. A disabled subscription is refused before anything is frozen.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { ensureProbeTable, startProbe } from '../../src/core/probe';
import { clientFor } from '../helpers/lab';
import { APP_PASSWORD, createAppRole, describeRun, multiHost, runLogical, scalar, sleep, startPair, stepOf, type Pair } from './logical-kit';

const journalDir = mkdtempSync(join(tmpdir(), 'pgpilot-logical-abort-'));

async function readOnlyForNewSessions(pair: Pair, role: 'source' | 'target'): Promise<string> {
  const c = await clientFor(role === 'source' ? pair.source : pair.target);
  try {
    return await scalar(c, 'SHOW default_transaction_read_only');
  } finally {
    await c.end();
  }
}

describe('switchover abort', { concurrency: 1 }, () => {
  let pair: Pair;
  let runId: string;
  let stopProbe: (() => Promise<unknown>) | undefined;
  before(async () => {
    pair = await startPair('16', '17', 22160);
    await createAppRole(pair.src);
    await ensureProbeTable(pair.src);
    await pair.src.query('CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL)');
    await pair.src.query('INSERT INTO accounts SELECT g, 0 FROM generate_series(1, 1000) g');
    await pair.src.query('GRANT ALL ON ALL TABLES IN SCHEMA public TO app');
    // pg_dump 15 cannot read a 16 source: the test creates the schema on the target itself, the step finds it there
    await createAppRole(pair.tgt);
    await ensureProbeTable(pair.tgt);
    await pair.tgt.query('CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL)');
    await pair.tgt.query('GRANT ALL ON ALL TABLES IN SCHEMA public TO app');
    const r = await runLogical(pair, {}, { until: 'verify-data', journalDir });
    assert.equal(r.status, 'paused', describeRun(r));
    assert.equal(stepOf(r, 'copy-schema').status, 'skipped', 'the schema already on the target is detected');
    assert.equal(stepOf(r, 'verify-data').status, 'succeeded', describeRun(r));
    runId = r.runId;
  });
  after(async () => {
    await stopProbe?.().catch(() => undefined);
    await pair?.stop();
    rmSync(journalDir, { recursive: true, force: true });
  });

  test('a disabled subscription is refused before anything is frozen', async () => {
    await pair.tgt.query('ALTER SUBSCRIPTION pgpilot_upgrade DISABLE');
    try {
      const r = await runLogical(pair, {}, { only: 'switchover', runId, journalDir });
      assert.equal(r.status, 'failed', describeRun(r));
      assert.match(stepOf(r, 'switchover').message ?? '', /disabled/);
      assert.equal(await readOnlyForNewSessions(pair, 'source'), 'off', 'the source was never frozen');
    } finally {
      await pair.tgt.query('ALTER SUBSCRIPTION pgpilot_upgrade ENABLE');
    }
  });

  test('a drain that cannot finish aborts: source writable within timeout + 1 s, target read-only, nothing lost; the retry succeeds', { timeout: 120_000 }, async () => {
    const probe = await startProbe({ connection: multiHost(pair), password: APP_PASSWORD, intervalMs: 20 });
    stopProbe = () => probe.stop();
    // The apply worker blocks behind this lock: the subscriber cannot confirm the frozen position. The session is
    // named like ours, because the switchover terminates every other client session on the target (which would
    // release an ordinary lock and let the drain finish).
    const blocker = new Client({ host: pair.target.host, port: pair.target.port, user: pair.target.user, password: pair.target.password, database: 'postgres', application_name: 'pg-upgrade-pilot' });
    await blocker.connect();
    await blocker.query('BEGIN');
    // SHARE blocks the apply's inserts without taking an xid (ACCESS EXCLUSIVE would: it is WAL-logged), so the
    // reverse slot, prepared before the freeze, is not held up by it.
    await blocker.query('LOCK TABLE pgpilot_probe IN SHARE MODE');
    const timeoutMs = 2000;
    let aborted;
    try {
      await sleep(300);
      // this attempt freezes by ALTER SYSTEM (the cluster-wide option); the retry below by the default ALTER DATABASE
      aborted = await runLogical(pair, { switchoverTimeoutMs: timeoutMs, lagThresholdBytes: 64 << 20, freezeMethod: 'system' }, { only: 'switchover', runId, journalDir });
      const afterRun = Date.now();
      assert.equal(aborted.status, 'aborted', describeRun(aborted));
      const out = stepOf(aborted, 'switchover').outputs!;
      assert.equal(out.aborted, true);
      assert.equal(out.freezeMethod, 'system');
      const readOnlyMs = Number(out.sourceReadOnlyMs);
      console.log(`# abort: source read-only for ${readOnlyMs} ms (timeout ${timeoutMs} ms); reopened ${afterRun - Date.parse(String(out.sourceReopenedAt))} ms before the run returned`);
      assert.ok(readOnlyMs <= timeoutMs + 1000, `source read-only for ${readOnlyMs} ms`);
      assert.equal(await readOnlyForNewSessions(pair, 'source'), 'off', 'the source takes writes again');
      assert.equal(await readOnlyForNewSessions(pair, 'target'), 'on', 'the target stays read-only');
      assert.equal(out.targetReadOnly, true, 'the abort proved the target read-only with a fresh session');
      await pair.reconnect(); // the switchover terminated every other session on the target
      assert.equal(Number(await scalar(pair.tgt, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'pgpilot_reverse'")), 0, 'the abort dropped the reverse slot it created');
      await sleep(300);
      assert.ok(probe.snapshot().perHost[`127.0.0.1:${pair.target.port}`] === undefined, 'no write reached the target');
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end().catch(() => undefined);
    }
    // the cause is gone: the apply catches up and the switchover succeeds this time
    await sleep(1000);
    const retry = await runLogical(pair, {}, { only: 'switchover', runId, journalDir });
    assert.equal(retry.status, 'paused', describeRun(retry));
    assert.equal(stepOf(retry, 'switchover').status, 'succeeded', describeRun(retry));
    const phases = (stepOf(retry, 'switchover').outputs!.windowBreakdown as Array<{ phase: string; ms: number }>).map((x) => x.phase);
    for (const ph of ['freeze', 'sessions terminated and gone', 'prepared check', 'marker', 'drain', 'sequences', 'reverse slot advanced', 'commit journaled', 'target opened']) {
      assert.ok(phases.includes(ph), `window breakdown has "${ph}": ${phases.join(', ')}`);
    }
    await sleep(500);
    const report = await probe.stop();
    await pair.reconnect();
    const v = await probe.verify(pair.tgt);
    assert.equal(v.lostCommits, 0, `lost: ${v.lostIds.join(', ')}`);
    assert.ok((report.perHost[`127.0.0.1:${pair.target.port}`] ?? 0) > 0, 'the probe moved to the new server');
  });
});
