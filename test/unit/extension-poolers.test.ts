/** The pooler setting (never a password), the routing parameters built from it, and the pooled databases' state. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConnString } from '../../src/core/conn';
import { clientRoutingFromOptions } from '../../src/core/routing/cli-options';
import { adminConnectionProblem, configPathProblem, poolerRoutingParams, readPoolerEntries } from '../../src/extension/poolers/settings';
import { poolerDatabases } from '../../src/core/monitor/poolers';

const parse = (s: string) => parseConnString(s) as Record<string, string | undefined>;

test('an admin connection must name host and user, use the console database, and hold no password', () => {
  assert.equal(adminConnectionProblem('host=pool1 port=6432 dbname=pgbouncer user=pgbouncer', parse), undefined);
  assert.equal(adminConnectionProblem('host=pool1 user=admin', parse), undefined, 'dbname defaults to the console');
  assert.match(adminConnectionProblem('host=pool1 user=admin password=secret', parse)!, /no password/);
  assert.match(adminConnectionProblem('postgresql://admin:secret@pool1:6432/pgbouncer', parse)!, /no password/);
  assert.match(adminConnectionProblem('host=pool1 dbname=app user=admin', parse)!, /"pgbouncer", not "app"/);
  assert.match(adminConnectionProblem('host=pool1 dbname=pgbouncer', parse)!, /user=/);
  assert.match(adminConnectionProblem('dbname=pgbouncer user=a', parse)!, /host=/);
});

test('a configuration path is absolute, locally or after manual:', () => {
  assert.equal(configPathProblem('/etc/pgbouncer/pgbouncer.ini'), undefined);
  assert.equal(configPathProblem('manual:/etc/pgbouncer/pgbouncer.ini'), undefined);
  assert.match(configPathProblem('pgbouncer.ini')!, /absolute path/);
  assert.match(configPathProblem('manual:etc/pgbouncer.ini')!, /absolute path/);
});

test('the setting: invalid entries and any entry holding a password are skipped with a reason', () => {
  const { poolers, problems } = readPoolerEntries([
    { id: 'p1', clusterId: 'c1', admin: 'host=pool1 user=pgbouncer', config: '/etc/pgbouncer/pgbouncer.ini', extra: 1 },
    { id: 'p2', clusterId: 'c1', admin: 'host=pool2 user=pgbouncer password=leak', config: '/x.ini' },
    { id: 'p3', clusterId: 'c1' },
    'nonsense',
  ]);
  assert.deepEqual(poolers, [{ id: 'p1', clusterId: 'c1', admin: 'host=pool1 user=pgbouncer', config: '/etc/pgbouncer/pgbouncer.ini' }]);
  assert.equal(problems.length, 3);
  assert.ok(!problems.join('\n').includes('leak'), 'the problem lines never repeat the password');
  assert.deepEqual(readPoolerEntries(undefined), { poolers: [], problems: [] });
  assert.equal(readPoolerEntries({}).problems.length, 1);
});

test('a registered pooler becomes exactly the routing parameters the CLI builds', () => {
  const admin = 'host=pool1 port=6432 dbname=pgbouncer user=pgbouncer';
  const cli = clientRoutingFromOptions({ pgbouncer: [admin], pgbouncerConfig: ['/etc/pgbouncer/pgbouncer.ini'], pgbouncerDatabase: ['app'], pgbouncerOsUser: 'postgres' });
  const ours = poolerRoutingParams({ id: 'p1', clusterId: 'c1', admin, config: '/etc/pgbouncer/pgbouncer.ini', osUser: 'postgres' }, ['app']);
  assert.deepEqual({ kind: 'pgbouncer', poolers: [ours] }, cli);
  const manual = poolerRoutingParams({ id: 'p1', clusterId: 'c1', admin, config: 'manual:/etc/pgbouncer/pgbouncer.ini' });
  const cliManual = clientRoutingFromOptions({ pgbouncer: [admin], pgbouncerConfig: ['manual:/etc/pgbouncer/pgbouncer.ini'] });
  assert.deepEqual({ kind: 'pgbouncer', poolers: [manual] }, cliManual);
});

test('pooled databases: the console left out, pools summed per database, paused and the longest wait shown', () => {
  const dbs = [
    { name: 'app', host: '127.0.0.1', port: 5432, database: 'app', pool_mode: null, paused: 1, disabled: 0 },
    { name: 'pgbouncer', host: null, port: 6432, database: 'pgbouncer', pool_mode: 'statement', paused: 0, disabled: 0 },
    { name: 'other', host: null, port: 5433, database: 'other', pool_mode: 'session', paused: 0, disabled: 1 },
  ];
  const pools = [
    { database: 'app', cl_active: 2, cl_waiting: 3, maxwait: 1, maxwait_us: 250_000, pool_mode: 'transaction' },
    { database: 'app', cl_active: 1, cl_waiting: 1, maxwait: 0, maxwait_us: 900_000, pool_mode: 'transaction' },
  ];
  assert.deepEqual(poolerDatabases(dbs, pools), [
    { name: 'app', server: '127.0.0.1:5432', database: 'app', poolMode: 'transaction', paused: true, disabled: false, clientsActive: 3, clientsWaiting: 4, maxWaitMs: 1250 },
    { name: 'other', server: 'unix socket:5433', database: 'other', poolMode: 'session', paused: false, disabled: true, clientsActive: 0, clientsWaiting: 0, maxWaitMs: 0 },
  ]);
});
