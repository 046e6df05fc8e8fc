import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { confirmationFor, effectsOf, expectedWriteOutage, typedAnswerMatches } from '../../src/core/runbook/confirm';
import type { ClusterInfo } from '../../src/core/runbook/types';

const staging: ClusterInfo = { role: 'source', name: 'staging-14', hosts: 'db1:5432', production: false };
const target: ClusterInfo = { role: 'target', name: 'staging-17', hosts: 'db2:5432', production: false };
const prod: ClusterInfo = { role: 'target', name: 'orders-prod', hosts: 'db3:5432', production: true };

describe('confirmation policy', () => {
  it('asks nothing for a read-only step, even on production', () => {
    assert.deepEqual(confirmationFor('read-only', [staging]), { level: 'none' });
    assert.deepEqual(confirmationFor('read-only', [prod]), { level: 'none' });
  });

  it('asks one click for a reversible step, on production too (the effects are in the prompt)', () => {
    assert.deepEqual(confirmationFor('reversible', [staging, target]), { level: 'confirm' });
    assert.deepEqual(confirmationFor('reversible', [staging, prod]), { level: 'confirm' });
  });

  it('asks through a modal warning for a disruptive step', () => {
    assert.deepEqual(confirmationFor('disruptive', [staging]), { level: 'modal' });
  });

  it("makes the operator type the cluster's name for a destructive step", () => {
    assert.deepEqual(confirmationFor('destructive', [target, staging]), { level: 'typed', typedConfirmation: 'staging-17' });
  });

  it("makes the operator type the production cluster's name for a disruptive (the switchover) or destructive step", () => {
    for (const risk of ['disruptive', 'destructive'] as const) {
      assert.deepEqual(confirmationFor(risk, [staging, prod]), { level: 'typed', typedConfirmation: 'orders-prod' }, risk);
    }
  });

  it('states the expected write outage of a disruptive step, bounded by the switchover timeout', () => {
    assert.equal(expectedWriteOutage('reversible', [staging], { switchoverTimeoutMs: 30000 }), undefined);
    assert.match(expectedWriteOutage('disruptive', [staging, target], { switchoverTimeoutMs: 30000 }) ?? '', /staging-14, staging-17.*at most 30 s.*handed back/);
    assert.match(expectedWriteOutage('disruptive', [staging], {}) ?? '', /Writes on staging-14 may fail/);
  });

  it('lists the effects per cluster: statements (comments not counted), commands, waits', () => {
    const effects = effectsOf([
      { kind: 'sql', cluster: 'source', statements: ['-- note', 'CREATE PUBLICATION "p" FOR ALL TABLES'] },
      { kind: 'host', cluster: 'target', argv: ['pg_ctl', 'stop'] },
      { kind: 'wait', cluster: 'source', description: 'catch up' },
    ], [staging, { ...target, production: true }]);
    assert.deepEqual(effects, [
      'source staging-14 (db1:5432): 1 SQL statement(s), 1 wait(s)',
      'target staging-17 (db2:5432) [production]: 1 command(s) on its host',
    ]);
  });

  it('accepts only the exact name (surrounding blanks ignored)', () => {
    assert.equal(typedAnswerMatches('orders-prod', ' orders-prod '), true);
    assert.equal(typedAnswerMatches('orders-prod', 'Orders-prod'), false);
    assert.equal(typedAnswerMatches('orders-prod', 'orders'), false);
    assert.equal(typedAnswerMatches('orders-prod', undefined), false);
  });
});
