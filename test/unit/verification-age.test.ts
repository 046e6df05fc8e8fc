import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { GateError } from '../../src/core/runbooks/logical/gate-error';
import { checkVerificationAge } from '../../src/core/runbooks/logical/verification-age';
import { renderUpgradeRecord } from '../../src/core/record';

const now = Date.parse('2026-12-03T12:00:00.000Z');

test('a recent comparison is accepted with its age', () => {
  const r = checkVerificationAge({ comparedAt: '2026-12-03T11:50:00.000Z', setDigest: 'x' }, 30 * 60_000, now);
  assert.equal(r.ageMs, 10 * 60_000);
});

test('an old comparison is refused naming its age, the limit and how to run it again', () => {
  assert.throws(() => checkVerificationAge({ comparedAt: '2026-12-03T10:30:00.000Z' }, 30 * 60_000, now), (e: unknown) => {
    assert.ok(e instanceof GateError);
    assert.match(e.message, /90 min ago/);
    assert.match(e.message, /limit of 30 min/);
    assert.match(e.message, /verifyMaxAgeMs/);
    assert.match(e.message, /--only verify-data/);
    return true;
  });
});

test('no result or no time is refused, never taken as verified', () => {
  assert.throws(() => checkVerificationAge(undefined, 60_000, now), /not verified for this run/);
  assert.throws(() => checkVerificationAge({ setDigest: 'x' }, 60_000, now), /age is unknown/);
});

test('the record says how old the comparison was when the switchover froze the source', () => {
  const ev = [
    { type: 'run-started', ts: '2026-12-03T11:00:00.000Z', runId: 'r1', runbook: 'logical-upgrade', operator: 'me', dryRun: false, params: {}, clusters: [] },
    { type: 'step-started', ts: '2026-12-03T11:10:00.000Z', stepId: 'verify-data', title: 'Compare', risk: 'read-only', actions: [] },
    { type: 'step-finished', ts: '2026-12-03T11:12:00.000Z', stepId: 'verify-data', status: 'succeeded', durationMs: 1, outputs: { tablesCompared: 2, comparedAt: '2026-12-03T11:12:00.000Z', mismatches: 0 } },
    { type: 'step-started', ts: '2026-12-03T11:20:00.000Z', stepId: 'switchover', title: 'Switch', risk: 'disruptive', actions: [] },
    { type: 'step-finished', ts: '2026-12-03T11:20:05.000Z', stepId: 'switchover', status: 'succeeded', durationMs: 1, outputs: { freezeStartedAt: '2026-12-03T11:20:01.000Z' } },
  ];
  const en = renderUpgradeRecord(ev as never, { lang: 'en' } as never);
  assert.match(en, /The comparison was 8 min 1 s old when the switchover froze the source\./);
});
