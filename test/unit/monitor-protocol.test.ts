/** The dashboard's message protocol: every webview → host message is validated; bad ones are refused with a reason. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_NOTE_LENGTH, parseDashboardState, parseDashboardTarget, parseWebviewMessage } from '../../src/core/protocol/dashboard';

describe('parseWebviewMessage', () => {
  it('accepts each message type in its exact shape', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { ok: true, value: { type: 'ready' } });
    assert.deepEqual(parseWebviewMessage({ type: 'refresh' }), { ok: true, value: { type: 'refresh' } });
    assert.deepEqual(parseWebviewMessage({ type: 'runNextStep', runId: '20261121-235901-3fa2c1' }), { ok: true, value: { type: 'runNextStep', runId: '20261121-235901-3fa2c1' } });
    assert.deepEqual(parseWebviewMessage({ type: 'exportRecord', runId: 'r1' }), { ok: true, value: { type: 'exportRecord', runId: 'r1' } });
    assert.deepEqual(parseWebviewMessage({ type: 'addNote', runId: 'r1', text: '  checked with the app team  ' }), { ok: true, value: { type: 'addNote', runId: 'r1', text: 'checked with the app team' } });
    assert.deepEqual(parseWebviewMessage({ type: 'setPolling', polling: false }), { ok: true, value: { type: 'setPolling', polling: false } });
  });

  const refused: [unknown, RegExp][] = [
    [null, /not an object/],
    ['ready', /not an object/],
    [[{ type: 'ready' }], /not an object/],
    [{}, /unknown message type/],
    [{ type: 'runSql', sql: 'DROP TABLE x' }, /unknown message type "runSql"/],
    [{ type: 'ready', extra: 1 }, /unexpected "extra"/],
    [{ type: 'runNextStep' }, /missing "runId"/],
    [{ type: 'runNextStep', runId: '../../etc/passwd' }, /not a run id/],
    [{ type: 'runNextStep', runId: 42 }, /not a run id/],
    [{ type: 'exportRecord', runId: 'r1', path: '/tmp/x' }, /unexpected "path"/],
    [{ type: 'addNote', runId: 'r1', text: '   ' }, /empty/],
    [{ type: 'addNote', runId: 'r1', text: 'x'.repeat(MAX_NOTE_LENGTH + 1) }, /longer than/],
    [{ type: 'addNote', runId: 'r1', text: { toString: 'x' } }, /must be a string/],
    [{ type: 'setPolling', polling: 'yes' }, /boolean/],
  ];
  for (const [raw, reason] of refused) {
    it(`refuses ${JSON.stringify(raw)?.slice(0, 60)}`, () => {
      const r = parseWebviewMessage(raw);
      assert.equal(r.ok, false);
      assert.match((r as { error: string }).error, reason);
    });
  }
});

describe('dashboard targets and persisted state', () => {
  it('targets: a run, a logical pair, a streaming pair; nothing else', () => {
    assert.equal(parseDashboardTarget({ kind: 'run', runId: 'r1' }).ok, true);
    assert.equal(parseDashboardTarget({ kind: 'logical', sourceId: 'a', targetId: 'b', subscription: 's' }).ok, true);
    assert.equal(parseDashboardTarget({ kind: 'streaming', primaryId: 'a' }).ok, true);
    assert.equal(parseDashboardTarget({ kind: 'logical', sourceId: 'a' }).ok, false);
    assert.equal(parseDashboardTarget({ kind: 'streaming', primaryId: 'a\u0000' }).ok, false);
    assert.equal(parseDashboardTarget({ kind: 'run', runId: 'r1', connection: 'host=x password=y' }).ok, false);
  });
  it('state: version 1 with a valid target; filters kept, junk dropped', () => {
    assert.deepEqual(parseDashboardState({ v: 1, target: { kind: 'run', runId: 'r1' }, filter: 'orders', stateFilter: 'd', junk: 1 }),
      { v: 1, target: { kind: 'run', runId: 'r1' }, filter: 'orders', stateFilter: 'd' });
    assert.equal(parseDashboardState({ v: 2, target: { kind: 'run', runId: 'r1' } }), undefined);
    assert.equal(parseDashboardState({ v: 1 }), undefined);
    assert.equal(parseDashboardState(undefined), undefined);
  });
});
