import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderUpgradeRecord } from '../../src/core/record';
import type { JournalEvent } from '../../src/core/runbook/types';

const ts = '2026-11-22T01:00:00.000Z';
const events: JournalEvent[] = [
  { type: 'run-started', ts, runId: 'r1', runbook: 'logical-major-upgrade', operator: 'dba', dryRun: false, params: {},
    clusters: [{ role: 'source', name: 'old', hosts: '127.0.0.1:5414', production: false }, { role: 'target', name: 'new', hosts: '127.0.0.1:5416', production: false }] },
  { type: 'step-started', ts, stepId: 'verify-data', title: 'Compare the data on both servers', risk: 'read-only', actions: [] },
  { type: 'step-finished', ts, stepId: 'verify-data', status: 'failed', durationMs: 12, outputs: {
    tablesCompared: 2, tablesChecksummed: 2, rowsSource: 150, rowsTarget: 149, mismatches: 1,
    // as the logical runbook's verify step journals them: differences first
    tables: [
      { schema: 'public', name: 'orders', sourceRows: 50, targetRows: 49, sourceHash: 'aa', targetHash: 'bb', equal: false },
      { schema: 'public', name: 'pgbench_accounts', sourceRows: 100, targetRows: 100, sourceHash: 'cc', targetHash: 'cc', equal: true },
    ] } },
  { type: 'run-finished', ts, status: 'failed' },
];

test('the record lists the verify step per table: counts, checksums and which tables differ', () => {
  const md = renderUpgradeRecord(events, { lang: 'en' });
  const rows = md.split('\n').filter((l) => l.startsWith('| public.'));
  assert.equal(rows.length, 2);
  const orders = rows.find((r) => r.includes('public.orders'))!;
  assert.match(orders, /\| 50 \| 49 \|/);
  assert.doesNotMatch(orders, /\| match \|/);
  assert.match(rows.find((r) => r.includes('public.pgbench_accounts'))!, /\| 100 \| 100 \| cc \| cc \| match \|/);
});
