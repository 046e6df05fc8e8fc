import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LOGICAL_STEP_IDS, logicalUpgradeRunbook } from '../../src/core/runbooks/logical';

test('the runbook: steps in order, each explained, with a way back, risks as the confirmations need', () => {
  assert.equal(logicalUpgradeRunbook.id, 'logical-major-upgrade');
  assert.deepEqual(logicalUpgradeRunbook.roles, ['source', 'target']);
  assert.deepEqual(logicalUpgradeRunbook.steps.map((s) => s.id), [...LOGICAL_STEP_IDS]);
  for (const s of logicalUpgradeRunbook.steps) {
    assert.ok(s.why.length > 80, `${s.id} explains itself`);
    assert.ok(s.rollbackHint.length > 20, `${s.id} has a rollback hint`);
    assert.ok(s.clusters.every((c) => c === 'source' || c === 'target'));
  }
  const risk = Object.fromEntries(logicalUpgradeRunbook.steps.map((s) => [s.id, s.risk]));
  assert.equal(risk.preflight, 'read-only');
  assert.equal(risk['verify-data'], 'read-only');
  assert.equal(risk.switchover, 'disruptive');
  assert.equal(risk.cleanup, 'destructive');
});
