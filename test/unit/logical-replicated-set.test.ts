/** Pure parts of issue 9: which tables are not replicated-and-ready, the set digest, and the error signals of the wait. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultLogicalUpgradeParams } from '../../src/core/runbooks/logical';
import { tableKey } from '../../src/core/runbooks/logical/queries';
import { describeProblems, problemsOf, replicatedSetFix, setDigest, type ReplicatedTable } from '../../src/core/runbooks/logical/replicated-set';
import { APPLY_ABSENT_MS, ErrorSignals, QUIET_RESET_MS, type WorkerSnapshot } from '../../src/core/runbooks/logical/replication-watch';

const t = (name: string, publishedAs: string | null = name): ReplicatedTable => ({ schema: 'public', name, publishedAs: publishedAs ? { schema: 'public', name: publishedAs } : null, sizeBytes: 1 });
const k = (name: string) => tableKey({ schema: 'public', name });

test('problemsOf: missing on the target, not published, not subscribed, not ready; a partition counts via its root', () => {
  const tables = [t('ok'), t('p_2026_01', 'p'), t('new_part', 'p'), t('absent'), t('unpub', null), t('unsub'), t('copying')];
  const subscribed = new Map([[k('ok'), 'r'], [k('p'), 'r'], [k('copying'), 'd']]);
  const onTarget = new Set(['ok', 'p_2026_01', 'new_part', 'unpub', 'unsub', 'copying'].map(k));
  assert.deepEqual(problemsOf(tables, subscribed, onTarget).map((x) => [x.table.name, x.kind, x.state]), [
    ['absent', 'missing-on-target', undefined],
    ['unpub', 'not-published', undefined],
    ['unsub', 'not-subscribed', undefined],
    ['copying', 'not-ready', 'd'],
  ]);
});

test('the fix: ADD TABLE on the source for unpublished tables, REFRESH PUBLICATION on the target, creation named first', () => {
  const p = defaultLogicalUpgradeParams({ publication: 'pub', subscription: 'sub' });
  const problems = problemsOf([t('absent'), t('unpub', null)], new Map(), new Set([k('unpub')]));
  const fix = replicatedSetFix(problems, p);
  assert.deepEqual(fix.source, ['ALTER PUBLICATION "pub" ADD TABLE "public"."unpub";']);
  assert.deepEqual(fix.target, ['SET default_transaction_read_only = off;', 'ALTER SUBSCRIPTION "sub" REFRESH PUBLICATION;']);
  assert.match(describeProblems(problems, p), /public\.absent \(missing on the target\).*create 1 table\(s\) on the target first/);
});

test('setDigest: order-independent, changes with the set', () => {
  const a = { schema: 'public', name: 'a' };
  const b = { schema: 'public', name: 'b' };
  assert.equal(setDigest([a, b]), setDigest([b, a]));
  assert.notEqual(setDigest([a, b]), setDigest([a]));
  assert.notEqual(setDigest([{ schema: 'x', name: 'ab' }]), setDigest([{ schema: 'xa', name: 'b' }]));
});

const snap = (at: number, o: Partial<WorkerSnapshot> = {}): WorkerSnapshot => ({ at, applyPid: 10, syncPids: new Map(), applyErrors: 0, syncErrors: 0, ...o });

test('ErrorSignals: error counts, restarts and an absent apply worker are signals; quiet for long enough resets', () => {
  const s = new ErrorSignals(0);
  assert.deepEqual(s.observe(snap(1000)), []);
  assert.deepEqual(s.observe(snap(2000, { syncPids: new Map([['a', 20]]) })), []);
  assert.match(s.observe(snap(3000, { syncErrors: 1, syncPids: new Map([['a', 21]]) })).join(' | '), /copy workers failed 1 time.*\| the copy worker of a table restarted/);
  assert.equal(s.firstSignalAt, 3000);
  assert.match(s.observe(snap(4000, { applyPid: 11, syncErrors: 1 })).join(), /apply worker restarted/);
  assert.deepEqual(s.observe(snap(4000 + QUIET_RESET_MS + 1, { applyPid: 11, syncErrors: 1 })), []);
  assert.equal(s.firstSignalAt, null, 'recovered');
  const absent = new ErrorSignals(0);
  assert.deepEqual(absent.observe(snap(1000, { applyPid: null, applyErrors: null, syncErrors: null })), []);
  assert.match(absent.observe(snap(APPLY_ABSENT_MS + 1000, { applyPid: null, applyErrors: null, syncErrors: null })).join(), /has not been running/);
});
