/**
 * Cluster scope (issue 10), the pure parts: the database list checked against the source's catalog, the run's
 * resume state combined from every database's, findings of several databases merged, the CLI flags, the parameter's
 * validation, and the record's section per database with ONE window.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLogicalUpgradeArgs } from '../../src/cli/commands/logical-upgrade';
import { renderUpgradeRecord } from '../../src/core/record';
import type { JournalEvent } from '../../src/core/runbook/types';
import { checkDatabaseList, DatabaseListError, paramsFor } from '../../src/core/runbooks/logical/cluster';
import { defaultLogicalUpgradeParams } from '../../src/core/runbooks/logical';
import { mergeFindings } from '../../src/core/runbooks/logical/per-database';
import { combine } from '../../src/core/runbooks/logical/switchover/resume-databases';

const catalog = [
  { name: 'app1', template: false, allowsConnections: true },
  { name: 'app2', template: false, allowsConnections: true },
  { name: 'closed', template: false, allowsConnections: false },
  { name: 'template1', template: true, allowsConnections: true },
];

describe('cluster scope: the database list', () => {
  it('accepts databases of the source and refuses, naming it, an unknown one, a template, one refusing connections, a duplicate', () => {
    assert.deepEqual(checkDatabaseList(['app2', 'app1'], catalog), ['app2', 'app1']);
    assert.throws(() => checkDatabaseList(['app1', 'nope'], catalog), (e: Error) => e instanceof DatabaseListError && /no database "nope"/.test(e.message));
    assert.throws(() => checkDatabaseList(['template1'], catalog), /"template1" is a template/);
    assert.throws(() => checkDatabaseList(['closed'], catalog), /"closed" does not allow connections/);
    assert.throws(() => checkDatabaseList(['app1', 'app1'], catalog), /"app1" is named twice/);
    assert.throws(() => checkDatabaseList([], catalog), /empty/);
  });

  it('gives each database its own names in a cluster run, and leaves a one-database run as it was', () => {
    const p = defaultLogicalUpgradeParams({ databases: 'all' }, 'postgres');
    const app1 = paramsFor(p, 'app1', ['app1', 'app2']);
    assert.equal(app1.subscription, 'pgpilot_upgrade_app1');
    assert.equal(app1.reverseSubscription, 'pgpilot_reverse_app1');
    assert.deepEqual(app1.databases, ['app1', 'app2']);
    const single = defaultLogicalUpgradeParams({}, 'app1');
    assert.equal(paramsFor(single, 'app1', ['app1']), single);
  });

  it('validates the parameter: a list or all, nothing twice, not with the system-wide freeze', () => {
    assert.throws(() => defaultLogicalUpgradeParams({ databases: [] }), /non-empty/);
    assert.throws(() => defaultLogicalUpgradeParams({ databases: ['a', 'a'] }), /named twice/);
    assert.throws(() => defaultLogicalUpgradeParams({ databases: 'all', freezeMethod: 'system' }), /freezeMethod system/);
  });
});

describe('cluster scope: resume decides per database', () => {
  it('combines the states of the databases with the one commit point', () => {
    assert.equal(combine(['replicating', 'replicating'], false), 'replicating');
    assert.equal(combine(['frozen', 'replicating'], false), 'frozen'); // hand back what is still frozen
    assert.equal(combine(['committed', 'open'], true), 'committed'); // open what is still frozen
    assert.equal(combine(['open', 'open'], true), 'open');
    assert.equal(combine(['open', 'both-writable'], true), 'both-writable');
    assert.equal(combine(['replicating', 'open'], true), 'mixed'); // someone reopened a source after the commit point
    assert.equal(combine(['open', 'frozen'], false), 'mixed');
  });
});

describe('cluster scope: findings of several databases', () => {
  it('keeps a finding every database says once, and names the database of the others', () => {
    const shared = { id: 'wal_level', severity: 'info' as const, message: 'wal_level is logical' };
    const own = { id: 'replica-identity', severity: 'error' as const, message: 'table "t" has no replica identity' };
    const merged = mergeFindings([{ database: 'app1', findings: [shared] }, { database: 'app2', findings: [shared, own] }]);
    assert.deepEqual(merged.map((f) => f.message), ['wal_level is logical', 'Database "app2": table "t" has no replica identity']);
  });
});

describe('cluster scope: CLI flags', () => {
  const base = ['--source', 'host=a dbname=postgres', '--target', 'host=b dbname=postgres'];
  it('reads --all-databases and --databases a,b', () => {
    assert.equal(parseLogicalUpgradeArgs([...base, '--all-databases']).databases, 'all');
    assert.deepEqual(parseLogicalUpgradeArgs([...base, '--databases', 'app1,app2']).databases, ['app1', 'app2']);
  });
  it('refuses, before anything runs, an empty name, a duplicate, both flags, custom names or the system freeze with them', () => {
    assert.throws(() => parseLogicalUpgradeArgs([...base, '--databases', 'app1,,app2']), /empty database name/);
    assert.throws(() => parseLogicalUpgradeArgs([...base, '--databases', 'app1,app1']), /"app1" is named twice/);
    assert.throws(() => parseLogicalUpgradeArgs([...base, '--all-databases', '--databases', 'app1']), /exclude each other/);
    assert.throws(() => parseLogicalUpgradeArgs([...base, '--all-databases', '--subscription', 'x']), /leave out --publication and --subscription/);
    assert.throws(() => parseLogicalUpgradeArgs([...base, '--databases', 'a', '--freeze-method', 'system']), /cannot be combined/);
  });
});

describe('cluster scope: the record', () => {
  const ts = (s: number) => new Date(Date.UTC(2026, 11, 3, 12, 0, s)).toISOString();
  const events = [
    { type: 'run-started', ts: ts(0), runId: 'r1', runbook: 'logical-major-upgrade', operator: 'op', dryRun: false, params: { databases: 'all' }, clusters: [] },
    { type: 'step-started', ts: ts(1), stepId: 'wait-initial-sync', title: 'Wait', actions: [] },
    { type: 'step-finished', ts: ts(2), stepId: 'wait-initial-sync', status: 'succeeded', outputs: { databases: { app1: { status: 'succeeded', tables: 2, syncMs: 1500 }, app2: { status: 'succeeded', tables: 1, syncMs: 900 } } } },
    { type: 'step-started', ts: ts(3), stepId: 'verify-data', title: 'Verify', actions: [] },
    { type: 'step-finished', ts: ts(4), stepId: 'verify-data', status: 'succeeded', outputs: { databases: { app1: { status: 'succeeded', tablesCompared: 2, tablesChecksummed: 2, rowsSource: 300, rowsTarget: 300, mismatches: 0 }, app2: { status: 'succeeded', tablesCompared: 1, tablesChecksummed: 1, rowsSource: 10, rowsTarget: 10, mismatches: 0 } } } },
    { type: 'step-started', ts: ts(5), stepId: 'switchover', title: 'Switchover', actions: [] },
    { type: 'step-finished', ts: ts(6), stepId: 'switchover', status: 'succeeded', outputs: { writeUnavailableMs: 812, frozenLsn: '0/3000060', sequencesCopied: 3, databases: { app1: { sequencesCopied: 2, confirmedFlushLsn: '0/3000100' }, app2: { sequencesCopied: 1, confirmedFlushLsn: '0/3000100' } } } },
    { type: 'run-finished', ts: ts(7), status: 'succeeded', message: 'done' },
  ] as unknown as JournalEvent[];

  it('has a section per database (sync, verification, sequences, slot) and ONE window', () => {
    const md = renderUpgradeRecord(events, { lang: 'en', generatedAt: new Date(ts(8)) });
    assert.match(md, /## Databases\n\n2 database\(s\) moved in this run, in ONE switchover/);
    assert.match(md, /### Database `app1`\n\n- Initial sync: 2 table\(s\)[^\n]*\n- Sequences copied: 2\n- Its slot confirmed the frozen position: `0\/3000100`/);
    assert.match(md, /### Database `app2`[^]*#### Verification\n\n1 table\(s\) compared \(1 by checksum\); rows: 10 on the source, 10 on the target; 0 mismatch\(es\)/);
    assert.equal(md.match(/Frozen WAL position/g)?.length, 1, 'one window, one frozen position');
    assert.doesNotMatch(md, /^## Verification/m, 'no run-wide verification section mixing the databases');
  });
});
