/**
 * Issue 16 on the logical runbook, through the whole switchover (real 14 → 16, the engine as the CLI runs it): writers
 * that opt out of read-only in every way (options='-c default_transaction_read_only=off', SET
 * default_transaction_read_only = off, SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE) keep writing straight at
 * the old server and through the multi-host string (host=old,new target_session_attrs=read-write) before, during and
 * after the switchover. Outcome: every write acknowledged by either server is on the new server — the drain carries
 * what the old server acknowledged before its freeze, the hard fence refuses everything after it — and the old server
 * acknowledged nothing once the new one opened.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { multiHostConnection } from '../../src/core/probe';
import { APP_PASSWORD, APP_ROLE, createAppRole, describeRun, runLogical, sleep, startPair, stepOf, type Pair } from './logical-kit';
import { missingOn, ROGUE_TABLE_DDL, startRogueWriters, type RogueSpec } from '../helpers/rogue-writers';

const PORT_BASE = (Number(process.env.PGPILOT_TEST_PORT_BASE) || 21000) + 160;

describe('logical switchover: the fence holds against writers that ignore read-only (real 14 → 16)', { timeout: 300_000 }, () => {
  let pair: Pair;
  const journalDir = mkdtempSync(join(tmpdir(), 'pgpilot-fence-run-'));
  before(async () => {
    pair = await startPair('14', '16', PORT_BASE);
    await createAppRole(pair.src);
    await pair.src.query(ROGUE_TABLE_DDL);
    await pair.src.query(`GRANT ALL ON rogue_writes TO ${APP_ROLE}`);
  });
  after(async () => {
    await pair?.stop();
    rmSync(journalDir, { recursive: true, force: true });
  });

  test('0 acknowledged writes lost, none acknowledged by the old server after the new one opened', async () => {
    const prepared = await runLogical(pair, { reverseReplication: true }, { until: 'verify-data', journalDir });
    assert.equal(prepared.status, 'paused', describeRun(prepared));
    const direct = `host=127.0.0.1 port=${pair.source.port} user=${APP_ROLE} dbname=postgres connect_timeout=5`;
    const multi = multiHostConnection([pair.source, pair.target].map((s) => ({ host: s.host, port: s.port })), APP_ROLE, 'postgres', 5);
    const specs: RogueSpec[] = [
      { name: 'old-options', connection: direct, optOut: 'options' },
      { name: 'old-set', connection: direct, optOut: 'set' },
      { name: 'old-session', connection: direct, optOut: 'session' },
      { name: 'multi-options', connection: multi, optOut: 'options' },
      { name: 'multi-set', connection: multi, optOut: 'set' },
      { name: 'multi-plain', connection: multi, optOut: 'none' },
    ];
    const writers = startRogueWriters(specs, APP_PASSWORD, 5);
    let acks;
    let r;
    try {
      await sleep(500);
      r = await runLogical(pair, {}, { runId: prepared.runId, until: 'switchover', journalDir });
      await sleep(1000); // the rogue writers keep trying the old server after the switchover
    } finally {
      acks = await writers.stop();
    }
    assert.equal(stepOf(r, 'switchover').status, 'succeeded', describeRun(r));
    const opened = Date.parse(String(stepOf(r, 'switchover').outputs?.targetOpenedAt));
    const oldPort = `:${pair.source.port}`;
    const lateOnOld = acks.filter((a) => a.host.endsWith(oldPort) && a.at > opened);
    assert.deepEqual(lateOnOld, [], 'no write acknowledged by the old server after the new one opened');
    assert.ok(acks.some((a) => a.host.endsWith(oldPort)), 'the writers did write on the old server before the switchover');
    assert.ok(acks.some((a) => !a.host.endsWith(oldPort)), 'the multi-host writers moved to the new server');
    await pair.reconnect();
    assert.deepEqual(await missingOn(pair.tgt, acks), [], 'every acknowledged write is on the new server');
  });
});
