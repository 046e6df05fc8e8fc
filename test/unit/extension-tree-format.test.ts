import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PublicationInfo, ReplicationSlotInfo, ServerOverview, StandbyInfo, SubscriptionInfo } from '../../src/core/catalog/types';
import type { ClusterDefinition } from '../../src/core/clusters';
import { versionFromNum } from '../../src/core/db';
import { clusterContextValue, errorKindLabel, type ClusterStatus } from '../../src/extension/clusters/status';
import {
  clusterDescription, clusterTooltip, databaseDescription, endpointsSummary, escapeMarkdown, publicationDescription,
  slotDescription, slotHealth, standbyDescription, subscriptionDescription, subscriptionHealth,
} from '../../src/extension/tree/format';
import { nodeContextValue, standbyKey } from '../../src/extension/tree/nodes';
import { plainTranslate as t } from '../../src/extension/translate';

const cluster: ClusterDefinition = { id: 'c1', name: 'orders-eu', connection: 'host=db1,db2 port=5432 dbname=app' };
const overview: ServerOverview = {
  version: versionFromNum(160004), serverVersion: '16.4 (Debian 16.4-1.pgdg120+1)', inRecovery: false, role: 'primary',
  walLevel: 'logical', maxReplicationSlots: 10, maxWalSenders: 12, maxLogicalReplicationWorkers: 4, maxWorkerProcesses: 8,
  maxSyncWorkersPerSubscription: 2, maxActiveReplicationOrigins: null, uptimeSeconds: 3 * 86400 + 4 * 3600,
  postmasterStartTime: '2025-01-01T00:00:00Z', totalDatabaseSizeBytes: 1.5 * 1024 ** 3, currentDatabase: 'app',
  currentUser: 'admin', isSuperuser: true,
};
const connected: ClusterStatus = { state: 'connected', version: overview.version, overview, endpoint: 'db1:5432', checkedAt: 0 };

test('cluster description: version and role, then group (when not a parent) and production', () => {
  assert.equal(clusterDescription(cluster, connected, t), '16.4 · primary');
  const standby: ClusterStatus = { ...connected, overview: { ...overview, role: 'standby', inRecovery: true } };
  assert.equal(clusterDescription({ ...cluster, group: 'eu', production: true }, standby, t, { showGroup: true }), '16.4 · standby · eu · production');
  assert.equal(clusterDescription({ ...cluster, group: 'eu' }, standby, t, { showGroup: false }), '16.4 · standby');
  assert.equal(clusterDescription(cluster, { state: 'unknown' }, t), '');
  assert.equal(clusterDescription(cluster, { state: 'error', kind: 'auth-failed', message: 'x', checkedAt: 0 }, t), 'authentication failed');
});

test('error kinds have short labels for the node description', () => {
  assert.equal(errorKindLabel('unreachable', t), 'unreachable');
  assert.equal(errorKindLabel('password-required', t), 'password required');
  assert.equal(errorKindLabel('read-only', t), 'no server matches target_session_attrs');
});

test('cluster tooltip lists the server facts a DBA checks before an upgrade', () => {
  const md = clusterTooltip(cluster, connected, { endpoints: 'db1:5432, db2:5432', database: 'app', user: 'admin', targetSessionAttrs: 'read-write', hasStoredPassword: true }, t);
  for (const fact of ['`db1:5432, db2:5432`', '| wal_level | `logical` |', '| max_replication_slots | 10 |', '| max_wal_senders | 12 |', '| Uptime | 3 d 4 h |', '| Size | 1.5 GiB |', '16.4 (Debian', 'in secret storage', '`read-write`']) {
    assert.ok(md.includes(fact), `tooltip lacks ${fact}:\n${md}`);
  }
});

test('cluster tooltip shows the error and each host\'s reason, escaped', () => {
  const status: ClusterStatus = {
    state: 'error', kind: 'unreachable', message: 'could not connect to any of 2 hosts', checkedAt: 0,
    attempts: [
      { endpoint: { host: 'db1', port: 5432 }, ok: false, kind: 'unreachable', reason: 'connection refused', ssl: false, elapsedMs: 3, wanted: 'read-write' },
      { endpoint: { host: 'db2', port: 5432 }, ok: false, kind: 'read-only', reason: 'session is read-only', ssl: false, elapsedMs: 9, wanted: 'read-write' },
    ],
  };
  const md = clusterTooltip({ ...cluster, name: 'a*b' }, status, {}, t);
  assert.ok(md.startsWith('**a\\*b**'));
  assert.ok(md.includes('$(error) **unreachable**'));
  assert.ok(md.includes('`db2:5432`: session is read-only'));
});

test('escapeMarkdown neutralises markup and theme icons in names', () => {
  assert.equal(escapeMarkdown('$(alert) [x](command:evil) a*b'), '\\$(alert) \\[x\\](command:evil) a\\*b');
});

test('endpointsSummary pairs hosts with ports (one port for all, or one each)', () => {
  assert.equal(endpointsSummary('db1,db2', '5432'), 'db1:5432, db2:5432');
  assert.equal(endpointsSummary('db1,db2', '5432,5433'), 'db1:5432, db2:5433');
  assert.equal(endpointsSummary('db1', undefined), 'db1');
  assert.equal(endpointsSummary(undefined, '5433'), 'local socket:5433');
});

test('contextValue of cluster nodes drives the menus', () => {
  assert.equal(clusterContextValue(false, { state: 'unknown' }), 'cluster');
  assert.equal(clusterContextValue(true, connected), 'cluster.production');
  assert.equal(clusterContextValue(false, { state: 'error', kind: 'unreachable', message: '', checkedAt: 0 }), 'cluster.error');
  assert.equal(clusterContextValue(true, { state: 'error', kind: 'auth-failed', message: '', checkedAt: 0 }), 'cluster.production.error.auth');
});

const subscription: SubscriptionInfo = {
  name: 'upgrade_sub', owner: 'postgres', enabled: true, publications: ['upgrade_pub'], slotName: 'upgrade_sub',
  conninfoHost: 'db1', conninfoPort: '5432', tableCount: 13, tableStates: { i: 0, d: 1, f: 0, s: 0, r: 12 },
  workerPid: 4242, syncWorkers: 1, receivedLsn: '0/3000060', latestEndLsn: '0/3000060', latestEndTime: null,
  lastMsgSendTime: null, lastMsgReceiptTime: null, lagSeconds: 0.4, applyErrorCount: 0, syncErrorCount: 0,
  conflictCount: null, streaming: 'on', disableOnError: false,
};

test('subscription description: enabled, i/d/f/s/r counts, lag; health', () => {
  assert.equal(subscriptionDescription(subscription, t), 'enabled · i/d/f/s/r 0/1/0/0/12 · lag 400 ms');
  assert.equal(subscriptionHealth(subscription), 'syncing');
  assert.equal(subscriptionHealth({ ...subscription, tableStates: { i: 0, d: 0, f: 0, s: 0, r: 13 } }), 'ok');
  const broken = { ...subscription, workerPid: null, applyErrorCount: 3, lagSeconds: null };
  assert.equal(subscriptionDescription(broken, t), 'enabled · i/d/f/s/r 0/1/0/0/12 · no apply worker · 3 errors');
  assert.equal(subscriptionHealth(broken), 'warning');
  assert.equal(nodeContextValue({ kind: 'subscription', id: 'x', clusterId: 'c1', database: 'app', info: { ...subscription, enabled: false } }), 'subscription.disabled');
});

const slot: ReplicationSlotInfo = {
  name: 'upgrade_sub', type: 'logical', plugin: 'pgoutput', database: 'app', temporary: false, active: true, activePid: 99,
  restartLsn: '0/3000028', confirmedFlushLsn: '0/3000060', retainedWalBytes: 12 * 1024 ** 2, lagBytes: 0,
  walStatus: 'reserved', safeWalSizeBytes: null, twoPhase: false, conflicting: false, invalidationReason: null,
  inactiveSince: null, failover: false, synced: false,
};

test('slot description: type, active, retained WAL, wal_status; inactive or lost slots stand out', () => {
  assert.equal(slotDescription(slot, t), 'logical · active · 12 MiB retained · reserved');
  assert.equal(slotHealth(slot), 'ok');
  assert.equal(slotHealth({ ...slot, active: false }), 'warning');
  assert.equal(slotHealth({ ...slot, walStatus: 'lost' }), 'error');
  assert.equal(slotDescription({ ...slot, active: false, walStatus: 'lost', invalidationReason: 'wal_removed' }, t), 'logical · inactive · 12 MiB retained · lost · invalidated: wal_removed');
});

const standby: StandbyInfo = {
  pid: 77, kind: 'physical', userName: 'replicator', applicationName: 'walreceiver', clientAddr: '10.0.0.5', clientPort: 50000,
  backendStart: null, state: 'streaming', sentLsn: null, writeLsn: null, flushLsn: null, replayLsn: null,
  writeLagSeconds: 0.001, flushLagSeconds: 0.002, replayLagSeconds: null, syncPriority: 0, syncState: 'async', replyTime: null,
  replayLagBytes: 0,
};

test('standby description: client, state, write/flush/replay lags; rows keyed so equal names do not clash', () => {
  assert.equal(standbyDescription(standby, t), '10.0.0.5 · streaming · lag 1 ms/2 ms/–');
  assert.equal(standbyDescription({ ...standby, kind: 'logical', clientAddr: null, syncState: 'sync' }, t), 'logical · local socket · streaming · sync · lag 1 ms/2 ms/–');
  assert.notEqual(standbyKey(standby), standbyKey({ ...standby, pid: 78 }));
});

test('database and publication descriptions', () => {
  assert.equal(databaseDescription({ name: 'app', owner: 'o', sizeBytes: 2048, encoding: 'UTF8', allowConnections: true, isTemplate: false }, t), '2 KiB');
  assert.equal(databaseDescription({ name: 'template0', owner: 'o', sizeBytes: null, encoding: 'UTF8', allowConnections: false, isTemplate: true }, t), 'no CONNECT privilege · template · connections not allowed');
  const pub: PublicationInfo = { name: 'p', owner: 'o', allTables: false, tableCount: 1, insert: true, update: true, delete: true, truncate: true, viaRoot: false };
  assert.equal(publicationDescription(pub, t), '1 table');
  assert.equal(publicationDescription({ ...pub, allTables: true, tableCount: 12, truncate: false }, t), 'all tables (12) · insert, update, delete');
});
