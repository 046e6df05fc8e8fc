/** Pure parts of the replication monitor: WAL risk, the lag ring buffer, readiness, and the snapshot builder. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReplicationSlotInfo, StandbyInfo, SubscriptionInfo } from '../../src/core/catalog/types';
import { compareTableRows, diffTables, LagHistory, TableSet, tableKey, walRisk } from '../../src/core/monitor';
import { logicalSnapshot, SinceTracker, streamingSnapshot, type ClusterResult } from '../../src/core/monitor/snapshot';
import { sourceTickSql, targetTickSql } from '../../src/core/monitor/sql';
import type { PrimaryTick, SourceTick, TargetTick, TickHeader } from '../../src/core/monitor/tick';
import { versionFromNum } from '../../src/core/db';

const MiB = 1024 * 1024;

describe('walRisk', () => {
  it('lost and unreserved come from wal_status whatever the setting', () => {
    assert.equal(walRisk({ walStatus: 'lost', retainedWalBytes: null, safeWalSizeBytes: null }, 1024 * MiB), 'lost');
    assert.equal(walRisk({ walStatus: 'unreserved', retainedWalBytes: 10, safeWalSizeBytes: -5 }, 1024 * MiB), 'critical');
  });
  it('unbounded when max_slot_wal_keep_size is -1 or unknown (before 13)', () => {
    assert.equal(walRisk({ walStatus: 'reserved', retainedWalBytes: 5 * MiB, safeWalSizeBytes: null }, -1), 'unbounded');
    assert.equal(walRisk({ walStatus: null, retainedWalBytes: 5 * MiB, safeWalSizeBytes: null }, null), 'unbounded');
  });
  it('share of the budget used: < 50 % ok, ≥ 50 % warning, ≥ 80 % critical', () => {
    const keep = 1000 * MiB;
    assert.equal(walRisk({ walStatus: 'reserved', retainedWalBytes: 100 * MiB, safeWalSizeBytes: 900 * MiB }, keep), 'ok');
    assert.equal(walRisk({ walStatus: 'extended', retainedWalBytes: 600 * MiB, safeWalSizeBytes: 400 * MiB }, keep), 'warning');
    assert.equal(walRisk({ walStatus: 'extended', retainedWalBytes: 850 * MiB, safeWalSizeBytes: 150 * MiB }, keep), 'critical');
    assert.equal(walRisk({ walStatus: 'reserved', retainedWalBytes: 900 * MiB, safeWalSizeBytes: null }, keep), 'critical');
  });
});

describe('LagHistory', () => {
  it('keeps the last 10 minutes, oldest first', () => {
    const h = new LagHistory(600_000, 5000);
    for (let s = 0; s <= 900; s++) h.push({ t: s * 1000, bytes: s, seconds: 0 });
    const out = h.samples();
    assert.equal(out[0].t, 300_000);
    assert.equal(out[out.length - 1].t, 900_000);
    assert.equal(out.length, 601);
  });
  it('a full ring drops the oldest samples', () => {
    const h = new LagHistory(10 ** 9, 3);
    for (let i = 1; i <= 5; i++) h.push({ t: i, bytes: i, seconds: null });
    assert.deepEqual(h.samples().map((x) => x.t), [3, 4, 5]);
    h.clear();
    assert.deepEqual(h.samples(), []);
  });
});

const header = (num: number, inRecovery = false): TickHeader => ({
  serverVersion: versionFromNum(num).text, versionNum: num, inRecovery, walLevel: 'logical', walLsn: '0/3000000', maxSlotWalKeepSizeBytes: -1,
});

function subscription(over: Partial<SubscriptionInfo> = {}): SubscriptionInfo {
  return {
    name: 'sub', owner: 'postgres', enabled: true, publications: ['pub'], slotName: 'sub', conninfoHost: '10.0.0.1', conninfoPort: '5432',
    tableCount: 10_000, tableStates: { i: 9_000, d: 2, f: 0, s: 0, r: 998 }, workerPid: 42, syncWorkers: 2, receivedLsn: '0/3000000',
    latestEndLsn: null, latestEndTime: null, lastMsgSendTime: null, lastMsgReceiptTime: null, lagSeconds: 0.5,
    applyErrorCount: 0, syncErrorCount: 1, conflictCount: null, streaming: 'on', disableOnError: false, ...over,
  };
}

function slot(over: Partial<ReplicationSlotInfo> = {}): ReplicationSlotInfo {
  return {
    name: 'sub', type: 'logical', plugin: 'pgoutput', database: 'app', temporary: false, active: true, activePid: 7, restartLsn: '0/1000000',
    confirmedFlushLsn: '0/2000000', retainedWalBytes: 32 * MiB, lagBytes: 16 * MiB, walStatus: 'reserved', safeWalSizeBytes: null,
    twoPhase: false, conflicting: null, invalidationReason: null, inactiveSince: null, failover: null, synced: null, ...over,
  };
}

function sender(over: Partial<StandbyInfo> = {}): StandbyInfo {
  return {
    pid: 9, kind: 'logical', userName: 'postgres', applicationName: 'sub', clientAddr: '10.0.0.2', clientPort: 5000, backendStart: null,
    state: 'streaming', sentLsn: null, writeLsn: null, flushLsn: null, replayLsn: null, writeLagSeconds: 0.1, flushLagSeconds: 0.2,
    replayLagSeconds: 0.3, syncPriority: 0, syncState: 'async', replyTime: null, replayLagBytes: 1024, ...over,
  };
}

function targetTick(tables: TargetTick['tables']): ClusterResult<TargetTick> {
  return { name: 'new', role: 'target', tick: { header: header(170010), subscriptions: [subscription()], tables, sequences: [{ schema: 'public', name: 's1', readable: true }] } };
}

function sourceTick(over: Partial<SourceTick> = {}): ClusterResult<SourceTick> {
  return {
    name: 'old', role: 'source',
    tick: { header: header(140022), slots: [slot()], senders: [sender()], longTransactions: [], sequences: [{ schema: 'public', name: 's1', readable: true }], ...over },
  };
}

const ctx = (now: number, since = new SinceTracker()) => ({ now, tookMs: 3, thresholds: { lagThresholdBytes: MiB, longTransactionSeconds: 60 }, since });

describe('logicalSnapshot', () => {
  const tables: TargetTick['tables'] = [
    { subscription: 'sub', schema: 'public', name: 't_i1', state: 'i', bytesCopied: null },
    { subscription: 'sub', schema: 'public', name: 't_d_small', state: 'd', bytesCopied: 10 },
    { subscription: 'sub', schema: 'public', name: 't_d_big', state: 'd', bytesCopied: 5000 },
    { subscription: 'other', schema: 'public', name: 'foreign', state: 'i', bytesCopied: null },
  ];

  it('counts by state, lists non-ready tables copying first (most bytes first), omits the rest', () => {
    const s = logicalSnapshot(sourceTick(), targetTick(tables), ctx(1000));
    assert.deepEqual(s.tables.counts, { i: 9_000, d: 2, f: 0, s: 0, r: 998 });
    assert.equal(s.tables.total, 10_000);
    assert.deepEqual(s.tables.listed.map((t) => t.name), ['t_d_big', 't_d_small', 't_i1'], 'only the shown subscription, copying first');
    assert.equal(s.tables.omitted, 10_000 - 998 - 3);
  });

  it('lag from the source slot and its walsender; readiness says why it is not ready', () => {
    const s = logicalSnapshot(sourceTick(), targetTick(tables), ctx(1000));
    assert.equal(s.subscriptions[0].lagBytes, 16 * MiB);
    assert.equal(s.subscriptions[0].lagSeconds, 0.3);
    assert.equal(s.subscriptions[0].publisher, '10.0.0.1:5432');
    assert.equal(s.lag.bytes, 16 * MiB);
    const r = Object.fromEntries(s.readiness.map((x) => [x.id, x]));
    assert.equal(r['tables-ready'].ok, false);
    assert.equal(r['tables-ready'].detail, '9,002 of 10,000 tables not ready');
    assert.equal(r.lag.ok, false);
    assert.match(r.lag.detail, /lag 16 MiB, 300 ms \(threshold 1 MiB\)/);
    assert.equal(r['long-transactions'].ok, true);
    assert.equal(r.sequences.ok, true);
    assert.equal(s.ready, false);
  });

  it('"since" survives across ticks, so the longest-waiting tables come first among equals', () => {
    const since = new SinceTracker();
    logicalSnapshot(sourceTick(), targetTick([tables[0]]), ctx(1000, since));
    const s = logicalSnapshot(sourceTick(), targetTick([{ ...tables[0], name: 'newcomer' }, tables[0]]), ctx(5000, since));
    assert.deepEqual(s.tables.listed.map((t) => [t.name, t.since]), [['t_i1', 1000], ['newcomer', 5000]]);
  });

  it('ready when every table is r, the lag is under the threshold, no long transaction, sequences known', () => {
    const src = sourceTick({ slots: [slot({ lagBytes: 0 })], senders: [sender({ replayLagSeconds: null })] });
    const tgt = targetTick([]);
    tgt.tick!.subscriptions = [subscription({ tableCount: 3, tableStates: { i: 0, d: 0, f: 0, s: 0, r: 3 } })];
    const s = logicalSnapshot(src, tgt, ctx(1000));
    assert.equal(s.lag.seconds, 0, 'an idle caught-up subscriber is 0 s behind');
    assert.deepEqual(s.readiness.map((x) => [x.id, x.ok]), [['tables-ready', true], ['lag', true], ['long-transactions', true], ['sequences', true], ['slot-wal', true]]);
    assert.equal(s.ready, true);
  });

  it('an unreachable source: its error shown, its items unknown (null), never ready', () => {
    const s = logicalSnapshot({ name: 'old', role: 'source', error: 'connection refused' }, targetTick([]), ctx(1000));
    assert.equal(s.clusters[0].error, 'connection refused');
    assert.equal(s.readiness.find((x) => x.id === 'long-transactions')?.ok, null);
    assert.equal(s.readiness.find((x) => x.id === 'sequences')?.ok, null);
    assert.equal(s.ready, false);
  });

  it('sequences missing on the target or unreadable are named', () => {
    const src = sourceTick({ sequences: [{ schema: 'public', name: 's1', readable: true }, { schema: 'app', name: 'ids', readable: false }] });
    const s = logicalSnapshot(src, targetTick([]), ctx(1000));
    assert.deepEqual(s.sequences, { count: 2, unreadable: ['app.ids'], unreadableCount: 1, missingOnTarget: ['app.ids'], missingCount: 1 });
    assert.equal(s.readiness.find((x) => x.id === 'sequences')?.ok, false);
  });
});

describe('streamingSnapshot', () => {
  it('each standby with write/flush/replay lag; ready when streaming and close', () => {
    const primary: ClusterResult<PrimaryTick> = {
      name: 'p', role: 'primary',
      tick: { header: header(160014), senders: [sender({ kind: 'physical', applicationName: 'standby1', replayLagBytes: 2048 })], slots: [slot({ type: 'physical', name: 'standby1' })] },
    };
    const s = streamingSnapshot(primary, { name: 's', role: 'standby', tick: { header: header(160014, true) } }, ctx(1000));
    assert.deepEqual(s.clusters.map((c) => c.serverRole), ['primary', 'standby']);
    assert.deepEqual(s.standbys.map((x) => [x.name, x.writeLagSeconds, x.flushLagSeconds, x.replayLagSeconds]), [['standby1', 0.1, 0.2, 0.3]]);
    assert.equal(s.lag.bytes, 2048);
    assert.equal(s.ready, true);
  });
});

describe('monitor SQL', () => {
  it('is one statement per cluster, version-aware', () => {
    const t12 = targetTickSql(versionFromNum(120022), { conninfo: true });
    const t16 = targetTickSql(versionFromNum(160014), { conninfo: true });
    assert.doesNotMatch(t12, /pg_stat_progress_copy|pg_stat_subscription_stats/);
    assert.match(t16, /pg_stat_progress_copy/);
    assert.match(t16, /pg_stat_subscription_stats/);
    assert.match(sourceTickSql(versionFromNum(130000), { longTransactionSeconds: 30 }), /s.name = 'max_slot_wal_keep_size'/);
    assert.doesNotMatch(sourceTickSql(versionFromNum(120000), { longTransactionSeconds: 30 }), /s.name = 'max_slot_wal_keep_size'/);
    for (const sql of [t12, t16]) assert.ok(!/;\s*\S/.test(sql), 'a single statement');
    assert.throws(() => sourceTickSql(versionFromNum(140000), { longTransactionSeconds: -1 }), /seconds/);
    assert.throws(() => targetTickSql(versionFromNum(110000), { conninfo: true }), /not supported/);
  });
});

describe('table list delta (host → webview)', () => {
  const row = (name: string, state: 'i' | 'd' | 'f' | 's', bytes: number | null, since = 1000): import('../../src/core/monitor').TableSyncRow =>
    ({ subscription: 'sub', schema: 'public', name, state, bytesCopied: bytes, since });

  it('the webview rebuilds exactly the host\'s ordered list from a reset and then from deltas', () => {
    const ticks = [
      [row('a', 'i', null), row('b', 'i', null), row('c', 'd', 10), row('d', 'i', null, 500)],
      [row('a', 'i', null), row('b', 'f', null), row('c', 'd', 9000), row('d', 'i', null, 500), row('e', 'd', 20_000)],
      [row('a', 'd', 5), row('d', 'i', null, 500), row('e', 'd', 30_000), row('z', 'i', null, 2000)],
      [],
    ];
    const set = new TableSet();
    let held: Map<string, import('../../src/core/monitor').TableSyncRow> | undefined;
    for (const next of ticks) {
      const hostOrder = [...next].sort(compareTableRows);
      const { delta, rows } = diffTables(held, hostOrder);
      held = rows;
      set.apply(JSON.parse(JSON.stringify(delta)));
      assert.deepEqual(set.rows().map((r) => r.name), hostOrder.map((r) => r.name));
      assert.equal(set.size, next.length);
    }
  });

  it('a tick of a 10,000-table sync carries only what changed', () => {
    const all = Array.from({ length: 10_000 }, (_, k) => row(`t${String(k).padStart(5, '0')}`, k < 2 ? 'd' : 'i', k < 2 ? 100 : null));
    const first = diffTables(undefined, all);
    assert.equal(first.delta.reset, true);
    assert.equal(first.delta.upsert.length, 10_000);
    const next = all.slice(50).map((r) => (r.bytesCopied !== null ? { ...r, bytesCopied: r.bytesCopied + 1 } : r));
    const second = diffTables(first.rows, next);
    assert.equal(second.delta.reset, false);
    assert.equal(second.delta.remove.length, 50);
    assert.equal(second.delta.upsert.length, 0, 't0/t1 were copying and left with the first 50');
    assert.equal(tableKey(all[0]), 'sub\u0000public\u0000t00000');
  });
});
