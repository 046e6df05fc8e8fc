import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { confirmationFor, typedAnswerMatches } from '../../src/core/runbook/confirm';
import type { ClusterInfo } from '../../src/core/runbook/types';

const staging: ClusterInfo = { role: 'source', name: 'staging-14', hosts: 'db1:5432', production: false };
const target: ClusterInfo = { role: 'target', name: 'staging-17', hosts: 'db2:5432', production: false };
const prod: ClusterInfo = { role: 'target', name: 'orders-prod', hosts: 'db3:5432', production: true };

describe('confirmation policy', () => {
  it('asks nothing for a read-only step, even on production', () => {
    assert.deepEqual(confirmationFor('read-only', [staging]), { level: 'none' });
    assert.deepEqual(confirmationFor('read-only', [prod]), { level: 'none' });
  });

  it('shows the statements and asks yes/no for a reversible step', () => {
    assert.deepEqual(confirmationFor('reversible', [staging, target]), { level: 'confirm' });
  });

  it('asks through a modal warning for a disruptive step', () => {
    assert.deepEqual(confirmationFor('disruptive', [staging]), { level: 'modal' });
  });

  it("makes the operator type the cluster's name for a destructive step", () => {
    assert.deepEqual(confirmationFor('destructive', [target, staging]), { level: 'typed', typedConfirmation: 'staging-17' });
  });

  it('makes the operator type the production cluster\'s name for any changing step that touches it', () => {
    for (const risk of ['reversible', 'disruptive', 'destructive'] as const) {
      assert.deepEqual(confirmationFor(risk, [staging, prod]), { level: 'typed', typedConfirmation: 'orders-prod' }, risk);
    }
  });

  it('accepts only the exact name (surrounding blanks ignored)', () => {
    assert.equal(typedAnswerMatches('orders-prod', ' orders-prod '), true);
    assert.equal(typedAnswerMatches('orders-prod', 'Orders-prod'), false);
    assert.equal(typedAnswerMatches('orders-prod', 'orders'), false);
    assert.equal(typedAnswerMatches('orders-prod', undefined), false);
  });
});
