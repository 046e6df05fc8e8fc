import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LabServer } from '../../src/core/lab/types';
import { labClusterFields, parseLabState, planLabImport } from '../../src/extension/clusters/labImport';
import { plainTranslate as t } from '../../src/extension/translate';

const server = (name: string, port: number): LabServer => ({
  name, version: '16.14', major: 16, host: '127.0.0.1', port, user: 'postgres', password: 'lab-only-pw', database: 'postgres',
  dataDir: `/lab/${name}/data`, binDir: '/nm/pg16/native/bin', osUser: 'pgpilot',
  connection: `host=127.0.0.1 port=${port} user=postgres dbname=postgres`,
});

test('parseLabState accepts the lab file and explains a bad one without quoting passwords', () => {
  const servers = parseLabState(JSON.stringify({ servers: [server('lab-pg16', 21616)] }), '/w/.lab/lab.json', t);
  assert.equal(servers[0].name, 'lab-pg16');
  assert.throws(() => parseLabState('{', 'f', t), /f is not valid JSON/);
  assert.throws(() => parseLabState('{"servers": 3}', 'f', t), /no "servers" list/);
  const noBin = { ...server('x', 1), binDir: '' };
  assert.throws(() => parseLabState(JSON.stringify({ servers: [noBin] }), 'f', t), (err: Error) => /servers\[0\] has no "binDir"/.test(err.message) && !err.message.includes('lab-only-pw'));
});

test('a lab server becomes a local-executor cluster with lab metadata and no password', () => {
  const fields = labClusterFields(server('lab-pg16', 21616));
  assert.deepEqual(fields, {
    connection: 'host=127.0.0.1 port=21616 user=postgres dbname=postgres', group: 'lab', executor: 'local',
    lab: { dataDir: '/lab/lab-pg16/data', binDir: '/nm/pg16/native/bin', osUser: 'pgpilot', version: '16.14' },
  });
  assert.ok(!JSON.stringify(fields).includes('lab-only-pw'));
});

test('re-importing updates clusters imported before (same data directory) instead of duplicating', () => {
  const existing = [
    { id: 'a', name: 'my old lab 16', connection: 'host=127.0.0.1 port=1', lab: { dataDir: '/lab/lab-pg16/data', binDir: '', osUser: '', version: '16.12' } },
    { id: 'b', name: 'lab-pg14', connection: 'host=prod', production: true },
  ];
  const plan = planLabImport([server('lab-pg16', 21616), server('lab-pg14', 21614), server('lab-pg18', 21618)], existing);
  assert.deepEqual(plan.map((s) => [s.existingId, s.name]), [['a', 'my old lab 16'], [undefined, 'lab-pg14 (2)'], [undefined, 'lab-pg18']]);
});
