import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  clusterNameProblem, deriveClusterId, generateClusterId, groupNames, mergeClusterScopes, patchEntries, readClusterEntries,
  removeEntry, toSettingsEntry, uniqueClusterName,
} from '../../src/extension/clusters/settings';
import { plainTranslate as t } from '../../src/extension/translate';

test('readClusterEntries keeps valid entries, derives missing ids and reports the rest', () => {
  const raw = [
    { id: 'c1', name: ' prod ', connection: 'host=db1', production: true, group: 'eu', extra: 1 },
    { name: 'Hand Written', connection: 'postgresql://db2/app' },
    { name: '', connection: 'host=x' },
    { name: 'no-conn' },
    'nonsense',
    { id: 'c3', name: 'lab', connection: 'host=127.0.0.1', executor: 'local', lab: { dataDir: '/d', binDir: '/b', osUser: 'u', version: '16.4' } },
  ];
  const { clusters, problems } = readClusterEntries(raw, 'user');
  assert.deepEqual(clusters.map((c) => c.definition), [
    { id: 'c1', name: 'prod', connection: 'host=db1', production: true, group: 'eu' },
    { id: 'name-hand-written', name: 'Hand Written', connection: 'postgresql://db2/app' },
    { id: 'c3', name: 'lab', connection: 'host=127.0.0.1', executor: 'local', lab: { dataDir: '/d', binDir: '/b', osUser: 'u', version: '16.4' } },
  ]);
  assert.equal(problems.length, 3);
  assert.match(problems[0], /clusters\[2\] in user settings: "name"/);
  assert.deepEqual(readClusterEntries({ not: 'an array' }, 'workspace').problems.length, 1);
  assert.deepEqual(readClusterEntries(undefined, 'workspace'), { clusters: [], problems: [] });
});

test('mergeClusterScopes: the first scope wins on a duplicate id', () => {
  const ws = readClusterEntries([{ id: 'a', name: 'A (ws)', connection: 'host=x' }], 'workspace');
  const user = readClusterEntries([{ id: 'a', name: 'A (user)', connection: 'host=y' }, { id: 'b', name: 'B', connection: 'host=z' }], 'user');
  const merged = mergeClusterScopes(ws, user);
  assert.deepEqual(merged.clusters.map((c) => [c.definition.name, c.scope]), [['A (ws)', 'workspace'], ['B', 'user']]);
  assert.equal(merged.problems.length, 1);
});

test('patchEntries edits one entry in place, keeps unknown fields and writes the derived id', () => {
  const raw = [{ name: 'Hand Written', connection: 'host=a', note: 'keep me' }, { id: 'x', name: 'X', connection: 'host=b', production: true }];
  const renamed = patchEntries(raw, 'name-hand-written', { name: 'Renamed' });
  assert.deepEqual(renamed?.[0], { id: 'name-hand-written', name: 'Renamed', connection: 'host=a', note: 'keep me' });
  assert.equal(renamed?.[1], raw[1]);
  assert.deepEqual(patchEntries(raw, 'x', { production: undefined, group: 'g' })?.[1], { id: 'x', name: 'X', connection: 'host=b', group: 'g' });
  assert.equal(patchEntries(raw, 'missing', { name: 'n' }), undefined);
  assert.deepEqual(removeEntry(raw, 'x'), [raw[0]]);
  assert.equal(removeEntry(raw, 'missing'), undefined);
});

test('toSettingsEntry writes no undefined or false fields', () => {
  assert.deepEqual(toSettingsEntry({ id: 'i', name: 'n', connection: 'host=a', production: false, group: undefined }), { id: 'i', name: 'n', connection: 'host=a' });
});

test('cluster names: required, at most 80 characters, unique ignoring case', () => {
  const clusters = [{ id: 'a', name: 'Prod', connection: '' }];
  assert.equal(clusterNameProblem('  ', clusters, t), 'Enter a name for the cluster.');
  assert.equal(clusterNameProblem('x'.repeat(81), clusters, t), 'Use at most 80 characters.');
  assert.equal(clusterNameProblem('prod', clusters, t), 'A cluster named "Prod" already exists.');
  assert.equal(clusterNameProblem('prod', clusters, t, 'a'), undefined);
  assert.equal(uniqueClusterName('prod', clusters), 'prod (2)');
  assert.equal(uniqueClusterName('other', clusters), 'other');
});

test('ids: derived ones are slugs, generated ones avoid taken ids', () => {
  assert.equal(deriveClusterId('Orders EU / primary'), 'name-orders-eu-primary');
  assert.equal(deriveClusterId('***'), 'name-cluster');
  const values = ['aaaaaaaaaaaa', 'bbbbbbbbbbbb'];
  assert.equal(generateClusterId(new Set(['caaaaaaaaaa']), () => values.shift() as string), 'cbbbbbbbbbb');
  assert.deepEqual(groupNames([{ id: '1', name: 'a', connection: '', group: 'eu' }, { id: '2', name: 'b', connection: '', group: 'am' }, { id: '3', name: 'c', connection: '' }]), ['am', 'eu']);
});
