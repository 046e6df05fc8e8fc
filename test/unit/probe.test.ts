/** Pure parts of the workload probe: gap bookkeeping, window figures, commit comparison, ids, argv. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareCommits, GapTracker, hostSwitch, longestSilence, multiHostConnection, percentile, pgbenchInitPlan,
  pgbenchTerminalCommand, switchoverGap, tpcbTransaction,
} from '../../src/core/probe';
import { describeError } from '../../src/core/probe/errors';
import { ProbeIds } from '../../src/core/probe/table';

describe('GapTracker', () => {
  it('measures a gap from the last ack before the failure to the next ack, with hosts and errors', () => {
    const g = new GapTracker();
    assert.equal(g.ack(1000, 'a:1'), undefined);
    assert.equal(g.fail(1060, '[25006] read-only'), true);
    assert.equal(g.fail(1080, '[read-only] could not connect'), false);
    assert.equal(g.fail(1100, '[25006] read-only'), false);
    const gap = g.ack(1400, 'b:2');
    assert.deepEqual(gap, {
      startMs: 1000, firstErrorMs: 1060, endMs: 1400, durationMs: 400, error: '[25006] read-only',
      errorKinds: ['[25006] read-only', '[read-only] could not connect'], failedAttempts: 3, fromHost: 'a:1', toHost: 'b:2', resolved: true,
    });
    assert.equal(g.current, undefined);
    assert.equal(g.gaps.length, 1);
  });

  it('starts at the first failure when nothing was acknowledged yet, and records an unresolved gap at finish', () => {
    const g = new GapTracker();
    g.fail(500, 'x');
    assert.equal(g.current?.startMs, 500);
    const open = g.finish(800);
    assert.equal(open?.resolved, false);
    assert.equal(open?.durationMs, 300);
    assert.equal(open?.fromHost, undefined);
    assert.equal(g.finish(900), undefined);
  });
});

describe('window figures', () => {
  const gap = (d: number, from?: string, to?: string) => ({ startMs: 0, endMs: d, durationMs: d, firstErrorMs: 0, error: 'e', errorKinds: ['e'], failedAttempts: 1, fromHost: from, toHost: to, resolved: true });

  it('switchoverGap prefers the gap in which writes changed host, else the longest', () => {
    assert.equal(switchoverGap([gap(900, 'a', 'a'), gap(300, 'a', 'b'), gap(200, 'b', 'b')])?.durationMs, 300);
    assert.equal(switchoverGap([gap(100, 'a', 'a'), gap(250, 'a', 'a')])?.durationMs, 250);
    assert.equal(switchoverGap([]), undefined);
  });

  it('hostSwitch: last ack on the old host → first on the new; flags overlap (both writable)', () => {
    const acks = [{ at: 1, host: 'a' }, { at: 5, host: 'a' }, { at: 9, host: 'a' }, { at: 300, host: 'b' }, { at: 301, host: 'b' }];
    assert.deepEqual(hostSwitch(acks), { startMs: 9, endMs: 300, durationMs: 291, fromHost: 'a', toHost: 'b', overlapped: false });
    const overlap = hostSwitch([{ at: 1, host: 'a' }, { at: 2, host: 'b' }, { at: 3, host: 'a' }]);
    assert.equal(overlap?.overlapped, true);
    assert.equal(overlap?.durationMs, 0);
    assert.equal(hostSwitch([{ at: 1, host: 'a' }]), undefined);
  });

  it('longestSilence finds the longest stretch without any ack', () => {
    assert.deepEqual(longestSilence([{ at: 0, host: 'a' }, { at: 10, host: 'a' }, { at: 250, host: 'b' }, { at: 260, host: 'b' }]),
      { startMs: 10, endMs: 250, durationMs: 240, fromHost: 'a', toHost: 'b' });
    assert.equal(longestSilence([]), undefined);
  });

  it('percentile is nearest-rank', () => {
    assert.equal(percentile([5, 1, 3, 2, 4], 50), 3);
    assert.equal(percentile([10, 20], 50), 10);
    assert.equal(percentile([10, 20], 100), 20);
    assert.equal(percentile([], 50), undefined);
  });
});

describe('compareCommits', () => {
  it('counts lost, duplicated and unacknowledged-but-present ids', () => {
    const v = compareCommits(['1', '2', '3', '4', '4'], [{ id: '1', n: 1 }, { id: '2', n: 2 }, { id: '9', n: 1 }, { id: '4', n: 1 }]);
    assert.deepEqual(v, { acked: 4, present: 3, lostCommits: 1, lostIds: ['3'], duplicates: 1, duplicateIds: ['2'], unacknowledgedPresent: 1 });
  });
});

describe('ids and statements', () => {
  it('ProbeIds are increasing bigints and move on after rebase()', () => {
    const ids = new ProbeIds();
    const a = BigInt(ids.next());
    const b = BigInt(ids.next());
    assert.equal(b, a + 1n);
    ids.rebase();
    assert.ok(BigInt(ids.next()) > b);
    assert.ok(a < 2n ** 63n);
  });

  it('tpcbTransaction is pgbench\'s tpcb-like script with the id in history.filler', () => {
    const sql = tpcbTransaction(3, 'wabc:1:7');
    const aid = Number(/WHERE aid = (\d+)/.exec(sql)![1]);
    assert.ok(aid >= 1 && aid <= 300_000);
    assert.equal(sql.split(';\n').length, 5);
    assert.match(sql, /INSERT INTO pgbench_history \(tid, bid, aid, delta, mtime, filler\) VALUES \(\d+, [1-3], \d+, -?\d+, CURRENT_TIMESTAMP, 'wabc:1:7'\)$/);
  });

  it('pgbenchInitPlan matches pgbench -i row counts and refuses bad scales', () => {
    const data = pgbenchInitPlan(10).find((s) => s.id === 'data')!.statements.join('\n');
    assert.match(data, /generate_series\(1, 10\) AS bid/);
    assert.match(data, /generate_series\(1, 100\) AS tid/);
    assert.match(data, /generate_series\(1, 1000000\) AS aid/);
    assert.throws(() => pgbenchInitPlan(0), /scale must be an integer/);
  });

  it('multiHostConnection and pgbenchTerminalCommand give seed 001\'s command', () => {
    const conn = multiHostConnection([{ host: 'pg14', port: 5432 }, { host: 'pg16', port: 5432 }], 'pgbench', 'pgbench');
    assert.equal(conn, 'host=pg14,pg16 port=5432,5432 dbname=pgbench user=pgbench connect_timeout=20 target_session_attrs=read-write');
    assert.deepEqual(pgbenchTerminalCommand(conn), ['pgbench', '--client=20', '--connect', '--jobs=4', '--time=3600', '--progress=5', conn]);
    assert.deepEqual(pgbenchTerminalCommand(conn, { clients: 2, pgbench: '/usr/bin/pgbench' }).slice(0, 4), ['/usr/bin/pgbench', '--client=2', '--connect', '--jobs=2']);
    assert.throws(() => pgbenchTerminalCommand(conn, { clients: 0 }), /clients must be a positive integer/);
    assert.throws(() => multiHostConnection([], 'u', 'd'), /at least one host/);
  });

  it('describeError names the SQLSTATE or connect-failure kind and keeps one line', () => {
    assert.equal(describeError(Object.assign(new Error('cannot execute INSERT in a read-only transaction'), { code: '25006' })), '[25006] cannot execute INSERT in a read-only transaction');
    const multi = Object.assign(new Error('could not connect to any of 2 hosts:\n  - a:1: session is read-only\n  - b:2: session is read-only'), { kind: 'read-only' });
    assert.equal(describeError(multi), '[read-only] could not connect to any of 2 hosts: a:1: session is read-only; b:2: session is read-only');
  });
});
