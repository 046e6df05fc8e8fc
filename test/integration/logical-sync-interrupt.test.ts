/**
 * Issue 9: Ctrl-C during a sync wait that cannot finish — the target's table is locked by another session (a
 * migration holding a lock), so the initial copy blocks without any error signal — through the CLI as an operator
 * runs it: exit 130, the run aborted, and the output and the journal say exactly what is left (publication, slots,
 * subscription, the read-only target) and how to remove it or resume. Running the printed removal leaves both servers
 * as they were before the run: no slot, no publication, no subscription, the target writable, the source's rows intact.
 * One 14 → 16 pair.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from 'pg';
import { journalPath } from '../../src/core/runbook/journal';
import { runCliChild } from '../helpers/cli-child';
import { clientFor } from '../helpers/lab';
import { labConn } from './cli-kit';
import { describeRun, runLogical, scalar, sleep, startPair, type Pair } from './logical-kit';

const PORT_BASE = Number(process.env.PGPILOT_TEST_PORT_BASE ?? 23000) + 250;

/** The statements after "on the target" / "on the source" in the printed removal. */
function removal(text: string): { target: string[]; source: string[] } {
  const m = /remove them: on the target (.*?) and on the source (.*?;)(?:\s*$|\n|")/s.exec(text);
  assert.ok(m, text);
  const split = (s: string) => s.split(/;\s*/).map((x) => x.trim()).filter(Boolean).map((x) => `${x};`);
  return { target: split(m[1]), source: split(m[2]) };
}

describe('Ctrl-C during a sync wait that cannot finish (CLI, 14 → 16)', () => {
  let pair: Pair;
  let locker: Client | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'pgpilot-sync-interrupt-'));
  const journal = join(dir, 'journal');
  let env: Record<string, string>;
  const args = () => ['logical-upgrade', '--source', labConn(pair.source), '--target', labConn(pair.target), '--journal', journal, '--yes', '--json', '--no-reverse'];

  before(async () => {
    pair = await startPair('14', '16', PORT_BASE);
    const pgpass = join(dir, 'pgpass');
    writeFileSync(pgpass, pair.lab.servers.map((s) => `127.0.0.1:${s.port}:*:${s.user}:${s.password}\n`).join(''), { mode: 0o600 });
    env = { PGPASSFILE: pgpass };
    await pair.src.query("CREATE TABLE a (id int PRIMARY KEY, v text); INSERT INTO a SELECT g, 'row ' || g FROM generate_series(1, 1000) g");
  });
  after(async () => {
    await locker?.end().catch(() => undefined);
    await pair?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('SIGINT → 130, what is left named with its removal; the removal leaves both servers as before', { timeout: 300_000 }, async () => {
    // up to the schema copy (the engine, as VS Code runs it): the table exists on the target, nothing replicates yet;
    // the CLI resumes the run from the same journal
    const first = await runLogical(pair, { reverseReplication: false }, { until: 'copy-schema', journalDir: journal });
    assert.equal(first.status, 'paused', describeRun(first));
    const runId = first.runId;
    // another session holds a lock on the target's table: the initial copy waits for it, without an error
    locker = await clientFor(pair.target);
    await locker.query('BEGIN READ WRITE');
    await locker.query('LOCK TABLE a IN SHARE MODE');

    const r = await runCliChild([...args(), '--resume', runId], env, (stderr, send) => {
      if (/initial copy:/.test(stderr)) send('SIGINT');
    });
    const out = `${r.stdout}\n${r.stderr}`;
    assert.equal(r.code, 130, out.slice(-4000));
    const result = JSON.parse(r.stdout) as { status: string };
    assert.equal(result.status, 'aborted', out.slice(-4000));
    // the output names each object left and how to resume or remove it
    for (const what of [/the publication "pgpilot_upgrade"/, /replication slot "pgpilot_upgrade"/, /subscription "pgpilot_upgrade" on the target/, /the target read-only/, /resume the run/]) {
      assert.match(r.stderr, what, r.stderr.slice(-4000));
    }
    // the journal says the same
    const events = readFileSync(journalPath(journal, runId), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; stepId?: string; status?: string; message?: string });
    const wait = events.filter((e) => e.type === 'step-finished' && e.stepId === 'wait-initial-sync').at(-1);
    assert.equal(wait?.status, 'aborted', JSON.stringify(wait));
    assert.match(wait?.message ?? '', /Left in place by the earlier steps/);

    // while the copy is blocked, the sync slot and the subscription are really there
    assert.equal(await scalar(pair.tgt, 'SELECT count(*)::int FROM pg_subscription'), 1);
    assert.ok(await scalar<number>(pair.src, 'SELECT count(*)::int FROM pg_replication_slots') >= 1);

    // the printed removal, as the operator would paste it (the lock holder is still there)
    const { target, source } = removal(wait!.message!);
    for (const st of target) await pair.tgt.query(st);
    for (const st of source) {
      // a walsender of the dropped subscription may take a moment to exit; its slot is "active" until then
      for (let i = 0; ; i++) {
        try {
          await pair.src.query(st);
          break;
        } catch (err) {
          if (!/is active for PID/.test(String(err)) || i > 50) throw err;
          await sleep(200);
        }
      }
    }
    await locker.query('ROLLBACK');

    // both servers as before the run
    assert.equal(await scalar(pair.src, 'SELECT count(*)::int FROM pg_replication_slots'), 0, 'no slot left on the source');
    assert.equal(await scalar(pair.src, 'SELECT count(*)::int FROM pg_publication'), 0, 'no publication left on the source');
    assert.equal(await scalar(pair.tgt, 'SELECT count(*)::int FROM pg_subscription'), 0, 'no subscription left on the target');
    const fresh = await clientFor(pair.target);
    try {
      assert.equal(await scalar(fresh, "SELECT current_setting('default_transaction_read_only')"), 'off', 'the target is writable again for a new session');
      await fresh.query("INSERT INTO a VALUES (1, 'written on the target')");
      assert.equal(await scalar(fresh, 'SELECT count(*)::int FROM a'), 1, 'the blocked copy committed nothing');
    } finally {
      await fresh.end();
    }
    const src = await clientFor(pair.source);
    try {
      assert.equal(await scalar(src, "SELECT current_setting('default_transaction_read_only')"), 'off', 'the source was never frozen');
      assert.equal(await scalar(src, 'SELECT count(*)::int FROM a'), 1000);
    } finally {
      await src.end();
    }
  });

  test('a comparison older than verifyMaxAgeMs is refused at the gate naming its age; --only verify-data renews it and the switchover goes through, its age in the record', { timeout: 300_000 }, async () => {
    await pair.src.query('CREATE DATABASE b');
    await pair.tgt.query('CREATE DATABASE b');
    const srcB = await clientFor(pair.source, 'b');
    try {
      await srcB.query("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 200) g");
    } finally {
      await srcB.end();
    }
    const inB = (s: typeof pair.source) => ({ ...s, connection: `${s.connection.replace(/dbname=\S+/, '')} dbname=b` });
    const pairB: Pair = { ...pair, source: inB(pair.source), target: inB(pair.target) };
    const names = { publication: 'pgpilot_b', subscription: 'pgpilot_b' };
    const first = await runLogical(pairB, { ...names, reverseReplication: false, verifyMaxAgeMs: 1000 }, { until: 'verify-data', journalDir: journal });
    assert.equal(first.status, 'paused', describeRun(first));
    await sleep(1500);
    const cli = (...more: string[]) => runCliChild(['logical-upgrade', '--source', labConn(pair.source, 'b'), '--target', labConn(pair.target, 'b'), '--journal', journal, '--yes', '--json', '--resume', first.runId, ...more], env);

    const stale = await cli();
    assert.equal(stale.code, 1, stale.stderr.slice(-3000));
    assert.match(stale.stdout, /verify-data compared the data \d+ s ago .*limit of 1 s \(parameter verifyMaxAgeMs/, stale.stdout);
    assert.match(stale.stdout, /--only verify-data/);
    const srcAfter = await clientFor(pair.source, 'b');
    try {
      assert.equal(await scalar(srcAfter, "SELECT current_setting('default_transaction_read_only')"), 'off', 'refused before anything was frozen');
      await srcAfter.query("INSERT INTO t VALUES (201, 'after the refusal')");
    } finally {
      await srcAfter.end();
    }

    const renewed = await cli('--only', 'verify-data', '--verify-max-age', '30');
    assert.equal(renewed.code, 3, renewed.stderr.slice(-3000));
    const record = join(dir, 'record.md');
    const done = await cli('--verify-max-age', '30', '--record', record);
    assert.equal(done.code, 0, `${done.stdout}\n${done.stderr.slice(-3000)}`);
    const tgtB = await clientFor(pair.target, 'b');
    try {
      assert.equal(await scalar(tgtB, 'SELECT count(*)::int FROM t'), 201, 'the row written after the refusal is on the new server');
    } finally {
      await tgtB.end();
    }
    assert.match(readFileSync(record, 'utf8'), /The comparison was [\d.]+ (?:ms|s|min)[^\n]* old when the switchover froze the source\./);
  });
});
