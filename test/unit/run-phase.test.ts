/** The dashboard's phases (issue 15): what the run is doing, never ahead of the truth. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runPhase, watchesReversePath } from '../../src/core/monitor/phase';
import { tablesReady } from '../../src/core/monitor/readiness';
import { parseWebviewMessage } from '../../src/core/protocol/dashboard';

const LOGICAL = 'logical-major-upgrade';
const steps = (done: string[]) => ['preflight', 'copy-roles', 'copy-schema', 'create-publication', 'create-subscription', 'wait-initial-sync', 'verify-data', 'switchover', 'cleanup']
  .map((id) => ({ id, status: done.includes(id) ? 'succeeded' : 'pending' }));
const counts = (r: number, other = 0) => ({ total: r + other, counts: { i: other, d: 0, f: 0, s: 0, r } });

describe('run phases', () => {
  it('preparing until the subscription exists; copying until every table is ready; then catching up; ready after the wait', () => {
    assert.equal(runPhase(LOGICAL, 'paused', steps(['preflight', 'copy-roles'])), 'preparing');
    assert.equal(runPhase(LOGICAL, 'running', steps(['preflight', 'create-subscription']), counts(3, 2)), 'copying');
    assert.equal(runPhase(LOGICAL, 'running', steps(['preflight', 'create-subscription'])), 'copying', 'no figures yet: not claimed ready');
    assert.equal(runPhase(LOGICAL, 'running', steps(['preflight', 'create-subscription']), counts(0)), 'copying', 'no table yet is not "all ready"');
    assert.equal(runPhase(LOGICAL, 'running', steps(['preflight', 'create-subscription']), counts(5)), 'catching-up');
    assert.equal(runPhase(LOGICAL, 'paused', steps(['create-subscription', 'wait-initial-sync'])), 'ready');
  });

  it('switched over once the switchover succeeded, finished when the run did; then the reverse path is watched', () => {
    const after = runPhase(LOGICAL, 'paused', steps(['create-subscription', 'wait-initial-sync', 'switchover']), counts(5));
    assert.equal(after, 'switched-over');
    assert.equal(watchesReversePath(after), true);
    assert.equal(runPhase(LOGICAL, 'succeeded', steps([])), 'finished');
    assert.equal(watchesReversePath('ready'), false);
    assert.equal(runPhase('rolling-switchover', 'paused', [{ id: 'switchover', status: 'succeeded' }]), 'switched-over');
    assert.equal(runPhase('minor-upgrade', 'paused', [{ id: 'checklist', status: 'succeeded' }]), 'preparing');
  });

  it('"every table ready" is never said of a subscription without tables', () => {
    const sub = { name: 's', enabled: true, workerRunning: true } as never;
    assert.deepEqual(tablesReady([sub], { counts: { i: 0, d: 0, f: 0, s: 0, r: 0 }, total: 0, listed: [], omitted: 0 }, true),
      { id: 'tables-ready', ok: false, detail: 'the subscription has no table yet' });
  });

  it('the webview may ask to show the pending question of its run (validated like every message)', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'showQuestion', runId: '20261203-143029-e76015' }), { ok: true, value: { type: 'showQuestion', runId: '20261203-143029-e76015' } });
    assert.equal(parseWebviewMessage({ type: 'showQuestion', runId: '../x' }).ok, false);
    assert.equal(parseWebviewMessage({ type: 'showQuestion', runId: 'r1', extra: 1 }).ok, false);
  });
});
