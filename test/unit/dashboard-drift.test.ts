import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { applyStopped, driftScript, driftStatus, DriftSchedule, type DriftItemView } from '../../src/core/monitor/drift';
import type { SubscriptionView } from '../../src/core/monitor/types';
import { parseWebviewMessage } from '../../src/core/protocol/dashboard';

const item = (breaks: boolean, ddl: string[] = ['ALTER TABLE "public"."a" ADD COLUMN "b" text;']): DriftItemView => ({ kind: 'column-missing', object: 'public.a.b', message: 'column missing', ddl, breaksReplication: breaks });
const sub = (o: Partial<SubscriptionView>): SubscriptionView => ({
  name: 's', enabled: true, workerRunning: true, publications: [], slotName: 's', publisher: null, tableCount: 1, states: { i: 0, d: 0, f: 0, s: 0, r: 1 },
  syncWorkers: 0, lagBytes: 0, lagSeconds: 0, applyErrorCount: 0, syncErrorCount: 0, conflictCount: null, receivedLsn: null, ...o,
});

test('the status says "apply stopped" only when a breaking difference meets a stopped apply', () => {
  assert.equal(driftStatus([], true), 'none');
  assert.equal(driftStatus([item(false)], true), 'differs');
  assert.equal(driftStatus([item(true)], false), 'breaks');
  assert.equal(driftStatus([item(true)], true), 'apply-stopped');
});

test('the script for the target starts with a writable session and keeps every statement in order', () => {
  assert.equal(driftScript([item(true), item(false, [])]), 'SET default_transaction_read_only = off;\nALTER TABLE "public"."a" ADD COLUMN "b" text;');
  assert.equal(driftScript([item(false, [])]), '');
});

test('an apply is stopped without a worker, or when its error count grew since the last poll', () => {
  assert.equal(applyStopped(sub({ workerRunning: false })), true);
  assert.equal(applyStopped(sub({ enabled: false, workerRunning: false })), false, 'a disabled subscription is not "stopped by DDL"');
  assert.equal(applyStopped(sub({ applyErrorCount: 3 }), 3), false);
  assert.equal(applyStopped(sub({ applyErrorCount: 4 }), 3), true);
  assert.equal(applyStopped(undefined), false);
});

test('catalogs are compared at first, on demand, when the apply stops, and otherwise at most every interval — not every poll', () => {
  let now = 0;
  const s = new DriftSchedule(60_000, () => now);
  assert.equal(s.due(false), true, 'never compared');
  s.checked();
  now = 1000;
  assert.equal(s.due(false), false, 'a poll one second later does not compare');
  s.ask();
  assert.equal(s.due(false), true, 'asked for');
  s.checked();
  now = 20_000;
  assert.equal(s.observe(sub({ workerRunning: false })), true);
  assert.equal(s.due(), true, 'the apply just stopped');
  s.checked();
  now = 22_000;
  s.observe(sub({ workerRunning: true }));
  s.due();
  s.observe(sub({ workerRunning: false }));
  assert.equal(s.due(), false, 'a worker restarting every few seconds does not make every poll compare');
  now = 80_001;
  assert.equal(s.due(), true, 'the interval passed');
});

test('the webview may ask to compare and to copy; anything else in those messages is refused', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'checkDrift' }), { ok: true, value: { type: 'checkDrift' } });
  assert.deepEqual(parseWebviewMessage({ type: 'copyDrift', index: 2 }), { ok: true, value: { type: 'copyDrift', index: 2 } });
  assert.deepEqual(parseWebviewMessage({ type: 'copyDrift' }), { ok: true, value: { type: 'copyDrift' } });
  assert.equal(parseWebviewMessage({ type: 'copyDrift', index: -1 }).ok, false);
  assert.equal(parseWebviewMessage({ type: 'copyDrift', index: 'x' }).ok, false);
  assert.equal(parseWebviewMessage({ type: 'checkDrift', sql: 'DROP TABLE x' }).ok, false);
});
