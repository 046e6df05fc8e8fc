import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServerOverview, TableInfo } from '../../src/core/catalog';
import { versionFromNum } from '../../src/core/db';
import { defaultLogicalUpgradeParams } from '../../src/core/runbooks/logical';
import type { SourceFacts, TargetFacts } from '../../src/core/runbooks/logical/facts';
import { evaluatePreflight, hasErrors, ownedByRun } from '../../src/core/runbooks/logical/rules';
import { resolveScope } from '../../src/core/runbooks/logical/scope';
import { tableKey } from '../../src/core/runbooks/logical/queries';

function overview(num: number, o: Partial<ServerOverview> = {}): ServerOverview {
  return {
    version: versionFromNum(num), serverVersion: String(num), inRecovery: false, role: 'primary', walLevel: 'logical',
    maxReplicationSlots: 10, maxWalSenders: 10, maxLogicalReplicationWorkers: 4, maxWorkerProcesses: 8,
    maxSyncWorkersPerSubscription: 2, maxActiveReplicationOrigins: null, uptimeSeconds: 1, postmasterStartTime: '',
    totalDatabaseSizeBytes: 1, currentDatabase: 'app', currentUser: 'postgres', isSuperuser: true, ...o,
  };
}

function table(name: string, o: Partial<TableInfo> = {}): TableInfo {
  return { schema: 'public', name, hasPrimaryKey: true, replicaIdentity: 'd', isUnlogged: false, isPartition: false, isPartitioned: false, estimatedRows: 0, sizeBytes: 8192, ...o };
}

function facts(tables: TableInfo[], s: Partial<SourceFacts> = {}, t: Partial<TargetFacts> = {}): [SourceFacts, TargetFacts] {
  const p = defaultLogicalUpgradeParams();
  const src: SourceFacts = {
    overview: overview(140010), slotsInUse: 0, walSendersInUse: 0, maxSlotWalKeepSize: '-1', frozen: false, tables,
    scope: resolveScope(p, tables, 14), scopeError: null, sequenceCount: 2, largeObjectCount: 0, materializedViews: [],
    generatedColumns: [], extensions: [{ name: 'pgcrypto', version: '1.3' }], roles: ['app', 'postgres'], databaseSizeBytes: 1e6,
    encoding: 'UTF8', preparedXacts: 0, subscriptionCount: 0, publication: null, slot: null, subscriberUser: undefined, tablespaces: [],
    updatesAndDeletes: new Map(), ...s,
  };
  const tgt: TargetFacts = {
    overview: overview(170002), availableExtensions: new Map([['pgcrypto', { defaultVersion: '1.3', installedVersion: null }]]),
    roles: new Set(['postgres']), subscription: null, reversePublication: null, originsInUse: 0, existingTables: new Set(), frozen: false,
    encoding: 'UTF8', ...t,
  };
  return [src, tgt];
}

const rc = { runId: 'R1', subscriberConnection: 'host=old port=5432 user=postgres dbname=app password=********' };
const ids = (f: { id: string; severity: string }[], sev: string) => f.filter((x) => x.severity === sev).map((x) => x.id).sort();

test('a healthy pair has no error', () => {
  const [s, t] = facts([table('a')]);
  const f = evaluatePreflight(s, t, defaultLogicalUpgradeParams(), rc);
  assert.equal(hasErrors(f), false, JSON.stringify(f, null, 1));
  assert.ok(f.some((x) => x.id === 'roles' && x.severity === 'info' && /app/.test(x.message)), 'missing roles will be created');
});

test('versions, wal_level and capacity (privileges: logical-capabilities.test.ts) are errors with a fix', () => {
  const [s, t] = facts([table('a')], {
    overview: overview(110020, { walLevel: 'replica', isSuperuser: false, maxReplicationSlots: 2, maxWalSenders: 1 }), slotsInUse: 2, walSendersInUse: 1,
  }, { overview: overview(110020, { maxLogicalReplicationWorkers: 0 }) });
  const f = evaluatePreflight(s, t, defaultLogicalUpgradeParams(), rc);
  assert.deepEqual(ids(f, 'error'), ['replication-slots', 'source-version', 'target-workers', 'version-order', 'wal-senders', 'wal_level']);
  const wal = f.find((x) => x.id === 'wal_level')!;
  assert.match(wal.fix ?? '', /ALTER SYSTEM SET wal_level = logical; then restart/);
});

test('replica identity: tables without one are errors (updated or insert-only: the first UPDATE would break the application), FULL is fine', () => {
  const tables = [table('no_pk', { hasPrimaryKey: false }), table('log', { hasPrimaryKey: false }), table('full', { hasPrimaryKey: false, replicaIdentity: 'f' }), table('nothing', { replicaIdentity: 'n' })];
  const [s, t] = facts(tables, { updatesAndDeletes: new Map([[tableKey({ schema: 'public', name: 'no_pk' }), 3], [tableKey({ schema: 'public', name: 'nothing' }), 1]]) });
  const f = evaluatePreflight(s, t, defaultLogicalUpgradeParams(), rc);
  const err = f.find((x) => x.id === 'replica-identity')!;
  assert.equal(err.severity, 'error');
  assert.match(err.message, /no_pk/);
  assert.match(err.message, /nothing/);
  assert.doesNotMatch(err.message, /\blog\b/);
  assert.match(f.find((x) => x.id === 'replica-identity-insert-only')!.message, /public\.log/);
  assert.equal(f.find((x) => x.id === 'replica-identity-insert-only')!.severity, 'error');
  assert.match(f.find((x) => x.id === 'replica-identity-insert-only')!.fix ?? '', /ALTER TABLE "public"\."log" REPLICA IDENTITY FULL;/);
  assert.match(f.find((x) => x.id === 'replica-identity-full')!.message, /public\.full/);
});

test('unlogged tables, large objects, missing extensions, existing objects', () => {
  const [s, t] = facts([table('a'), table('u', { isUnlogged: true })], {
    largeObjectCount: 3, extensions: [{ name: 'postgis', version: '3.4' }],
    publication: { name: 'pgpilot_upgrade', allTables: true, comment: 'pg-upgrade-pilot logical upgrade, run OTHER', tables: [] },
    slot: { name: 'pgpilot_upgrade', type: 'logical', plugin: 'pgoutput', database: 'app', active: false, confirmedFlushLsn: null },
  });
  const f = evaluatePreflight(s, t, defaultLogicalUpgradeParams(), rc);
  assert.equal(f.find((x) => x.id === 'unlogged-tables')?.severity, 'warning');
  assert.equal(f.find((x) => x.id === 'large-objects')?.severity, 'warning');
  assert.match(f.find((x) => x.id === 'extensions')!.message, /postgis 3\.4/);
  const pub = f.find((x) => x.id === 'publication-exists')!;
  assert.equal(pub.severity, 'error');
  assert.match(pub.message, /created by pg-upgrade-pilot run OTHER/);
  assert.match(pub.fix ?? '', /Resume run OTHER/);
  assert.equal(f.find((x) => x.id === 'slot-exists')?.severity, 'error');
});

test('objects created by this very run are reused (resume), not errors', () => {
  const comment = 'pg-upgrade-pilot logical upgrade, run R1';
  assert.ok(ownedByRun(comment, 'R1'));
  assert.ok(!ownedByRun(comment, 'R2'));
  const [s, t] = facts([table('a')], { publication: { name: 'pgpilot_upgrade', allTables: true, comment, tables: [] } });
  const f = evaluatePreflight(s, t, defaultLogicalUpgradeParams(), rc);
  assert.equal(f.find((x) => x.id === 'publication-exists')?.severity, 'info');
});

test('a multi-host subscriber connection and a subscriber user without REPLICATION are reported', () => {
  const [s, t] = facts([table('a')], { subscriberUser: { name: 'repl', superuser: false, replication: false } });
  const f = evaluatePreflight(s, t, defaultLogicalUpgradeParams(), { runId: 'R1', subscriberConnection: 'host=a,b user=repl' });
  assert.equal(f.find((x) => x.id === 'subscriber-multihost')?.severity, 'warning');
  assert.match(f.find((x) => x.id === 'subscriber-user')!.fix ?? '', /ALTER ROLE "repl" REPLICATION/);
});

test('scope: named tables, schemas (FOR TABLES IN SCHEMA only on 15+), partitions and unknown names', () => {
  const tables = [table('a'), table('b', { schema: 's' }), table('c', { schema: 's', isUnlogged: true }), table('parted', { isPartitioned: true }), table('p1', { isPartition: true })];
  const bySchema = (major: number) => resolveScope(defaultLogicalUpgradeParams({ schemas: ['s'] }), tables, major);
  assert.deepEqual(bySchema(15).publication, { kind: 'schemas', schemas: ['s'] });
  assert.deepEqual(bySchema(14).publication, { kind: 'tables', tables: [{ schema: 's', name: 'b' }] });
  assert.deepEqual(bySchema(14).unlogged.map((x) => x.name), ['c']);
  const named = resolveScope(defaultLogicalUpgradeParams({ tables: [{ schema: 'public', name: 'parted' }] }), tables, 16,
    new Map([[tableKey({ schema: 'public', name: 'parted' }), [{ schema: 'public', name: 'p1' }]]]));
  assert.deepEqual(named.tables.map((x) => x.name), ['p1'], 'a named partitioned table brings its partitions');
  assert.deepEqual(named.publication, { kind: 'tables', tables: [{ schema: 'public', name: 'parted' }] });
  assert.throws(() => resolveScope(defaultLogicalUpgradeParams({ tables: [{ schema: 'x', name: 'nope' }] }), tables, 16), /the source has no table\(s\) x\.nope/);
  const all = resolveScope(defaultLogicalUpgradeParams(), tables, 16);
  assert.deepEqual(all.tables.map((x) => x.name).sort(), ['a', 'b', 'p1']);
});

test('scope on a 12 source names leaf partitions (12 cannot publish a partitioned table)', () => {
  const tables = [table('parted', { isPartitioned: true }), table('p1', { isPartition: true }), table('p2', { isPartition: true })];
  const leaves = new Map([[tableKey({ schema: 'public', name: 'parted' }), [{ schema: 'public', name: 'p1' }, { schema: 'public', name: 'p2' }]]]);
  const s = resolveScope(defaultLogicalUpgradeParams({ tables: [{ schema: 'public', name: 'parted' }] }), tables, 12, leaves);
  assert.deepEqual(s.publication, { kind: 'tables', tables: [{ schema: 'public', name: 'p1' }, { schema: 'public', name: 'p2' }] });
});
