import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { orderTargets, type TargetCandidate } from '../../src/extension/runbook/targetOrder';

const c = (id: string, major?: number): TargetCandidate<string> => ({ cluster: id, id, name: id, hosts: `h-${id}:5432`, major, versionText: major ? `${major}.1` : undefined });

describe('target picker order', () => {
  it('never offers the source, hides same/older majors, newer majors first, unknown versions last', () => {
    const r = orderTargets('src', 14, [c('src', 14), c('old', 13), c('same', 14), c('v16', 16), c('v17', 17), c('down'), c('v15', 15)]);
    assert.deepEqual(r.choices.map((x) => x.id), ['v17', 'v16', 'v15', 'down']);
    assert.deepEqual(r.hidden.map((x) => x.id).sort(), ['old', 'same']);
  });

  it('an unreachable source hides nothing (the versions cannot be compared) but still excludes itself', () => {
    const r = orderTargets('src', undefined, [c('src'), c('v13', 13), c('v16', 16)]);
    assert.deepEqual(r.choices.map((x) => x.id), ['v16', 'v13']);
    assert.deepEqual(r.hidden, []);
  });
});
