import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConnString } from '../../src/core/conn';
import { pgbenchTerminalCommand } from '../../src/core/probe';
import { clusterPairConnection, sharedPassword } from '../../src/extension/runbook/commands/multiHost';
import { plainTranslate as t } from '../../src/extension/translate';

const old = (connection: string) => ({ name: 'pg14', connection });
const next = (connection: string) => ({ name: 'pg16', connection });

test('two lab clusters give seed 001\'s string: old hosts first, read-write, connect_timeout 20', () => {
  const { connection, leftOut } = clusterPairConnection(
    old('host=127.0.0.1 port=15414 user=postgres dbname=postgres'),
    next('host=127.0.0.1 port=15416 user=postgres dbname=postgres'),
    t,
  );
  assert.equal(connection, 'host=127.0.0.1,127.0.0.1 port=15414,15416 dbname=postgres user=postgres connect_timeout=20 target_session_attrs=read-write');
  assert.deepEqual(leftOut, []);
  assert.deepEqual(pgbenchTerminalCommand(connection).slice(0, 2), ['pgbench', '--client=20']);
  assert.equal(pgbenchTerminalCommand(connection).at(-1), connection);
});

test('URIs, multi-host clusters, one port for several hosts and the default port', () => {
  const { connection } = clusterPairConnection(old('postgresql://app@db14a,db14b:5433/shop'), next('host=db16 dbname=shop'), t);
  const p = parseConnString(connection);
  assert.equal(p.host, 'db14a,db14b,db16');
  assert.equal(p.port, '5432,5433,5432');
  assert.equal(p.user, 'app');
  assert.equal(p.dbname, 'shop');
  assert.equal(p.target_session_attrs, 'read-write');
  const oneForAll = parseConnString(clusterPairConnection(old('host=a,b port=6000 user=u'), next('host=c user=u'), t).connection);
  assert.equal(oneForAll.port, '6000,6000,5432');
  assert.equal(oneForAll.dbname, 'u', 'no dbname anywhere: libpq\'s default, the user name');
});

test('settings both clusters share are kept; differing ones are left out and listed; the old target_session_attrs is replaced', () => {
  const r = clusterPairConnection(
    old('host=a user=u sslmode=verify-full sslrootcert=/ca.pem application_name=x target_session_attrs=any connect_timeout=3'),
    next('host=b user=u sslmode=verify-full sslrootcert=/other.pem'),
    t,
  );
  const p = parseConnString(r.connection);
  assert.equal(p.sslmode, 'verify-full');
  assert.equal(p.sslrootcert, undefined);
  assert.equal(p.application_name, undefined);
  assert.equal(p.target_session_attrs, 'read-write');
  assert.equal(p.connect_timeout, '20');
  assert.deepEqual(r.leftOut.sort(), ['application_name', 'sslrootcert']);
});

test('no password ever reaches the shared string', () => {
  const { connection } = clusterPairConnection(old('host=a user=u password=s3cret'), next('postgresql://u:s3cret@b/db'), t);
  assert.ok(!connection.includes('s3cret'), connection);
});

test('strings that cannot be combined are refused with the cluster named', () => {
  assert.throws(() => clusterPairConnection(old('host=a user=u'), next('host=b user=v'), t), /pg14 connects with user=u and pg16 with user=v/);
  assert.throws(() => clusterPairConnection(old('host=a user=u dbname=x'), next('host=b dbname=y'), t), /dbname=x .* dbname=y/);
  assert.throws(() => clusterPairConnection(old('host=a'), next('host=b'), t), /Neither pg14 nor pg16 names a user/);
  assert.throws(() => clusterPairConnection(old('dbname=app user=u'), next('host=b user=u'), t), /pg14 must name its host/);
  assert.throws(() => clusterPairConnection(old('host=a user=u'), next('host=b hostaddr=10.0.0.2 user=u'), t), /pg16 uses hostaddr=/);
  assert.throws(() => clusterPairConnection(old('host=a,b port=1,2,3 user=u'), next('host=c user=u'), t), /pg14 has 2 hosts but 3 ports/);
  assert.throws(() => clusterPairConnection(old("host='a"), next('host=b user=u'), t), /connection string of pg14 does not parse/);
});

test('one PGPASSWORD for the terminal: the stored one, or none; different stored passwords are refused', () => {
  assert.equal(sharedPassword({ name: 'a' }, { name: 'b' }, t), undefined);
  assert.equal(sharedPassword({ name: 'a', password: 'p' }, { name: 'b' }, t), 'p');
  assert.equal(sharedPassword({ name: 'a' }, { name: 'b', password: 'q' }, t), 'q');
  assert.equal(sharedPassword({ name: 'a', password: 'p' }, { name: 'b', password: 'p' }, t), 'p');
  assert.throws(
    () => sharedPassword({ name: 'a', password: 'pw-one' }, { name: 'b', password: 'pw-two' }, t),
    (e: Error) => /a and b have different stored passwords/.test(e.message) && !e.message.includes('pw-'),
  );
});
