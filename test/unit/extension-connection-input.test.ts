import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConnString } from '../../src/core/conn';
import {
  connStringErrorMessage, connectionNotes, guidedParams, hostsProblem, portsProblem, suggestClusterName,
} from '../../src/extension/clusters/connectionInput';
import { statementKind } from '../../src/extension/connections/statement';
import { plainTranslate as t } from '../../src/extension/translate';

test('guided fields become libpq parameters; target_session_attrs only with several hosts', () => {
  assert.deepEqual(
    guidedParams({ hosts: 'db1, db2', ports: '5432,5433', database: 'app', user: 'admin', sslmode: 'verify-full', sslrootcert: ' /etc/ca.crt ', targetSessionAttrs: 'read-write' }),
    { host: 'db1,db2', port: '5432,5433', dbname: 'app', user: 'admin', sslmode: 'verify-full', sslrootcert: '/etc/ca.crt', target_session_attrs: 'read-write' },
  );
  assert.deepEqual(guidedParams({ hosts: 'db1', ports: '5432', database: 'app', user: 'u', targetSessionAttrs: 'read-write' }), { host: 'db1', port: '5432', dbname: 'app', user: 'u' });
});

test('host and port lists are validated the way libpq counts them', () => {
  assert.equal(hostsProblem('db1,db2', t), undefined);
  assert.equal(hostsProblem(' ', t), 'Enter at least one host name, IP address or socket directory.');
  assert.equal(hostsProblem('db1,,db2', t), 'Remove the empty entry from the host list.');
  assert.equal(hostsProblem('db 1', t), '"db 1" is not a valid host name.');
  assert.equal(portsProblem('5432', 3, t), undefined);
  assert.equal(portsProblem('5432,5433', 2, t), undefined);
  assert.equal(portsProblem('5432,5433', 3, t), 'Give one port for all hosts or one per host (3 hosts, 2 ports).');
  assert.equal(portsProblem('54x2', 1, t), '"54x2" is not a port number (1–65535).');
  assert.equal(portsProblem('70000', 1, t), '"70000" is not a port number (1–65535).');
});

test('a suggested name says where the cluster is', () => {
  assert.equal(suggestClusterName({ host: 'db1,db2', port: '5433', dbname: 'app' }), 'db1:5433 +1/app');
  assert.equal(suggestClusterName({ service: 'prod' }), 'prod');
  assert.equal(suggestClusterName({}), 'localhost:5432');
  assert.equal(suggestClusterName({ host: '/var/run/postgresql' }), 'local:5432');
});

test('notes: password moved to secret storage, multi-host without target_session_attrs', () => {
  const notes = connectionNotes(parseConnString('postgresql://admin:s3cret@db1:5432,db2:5432/app'), t);
  assert.deepEqual(notes.map((n) => n.severity), ['info', 'warning']);
  assert.ok(!notes.some((n) => n.message.includes('s3cret')));
  assert.deepEqual(connectionNotes(parseConnString('host=db1,db2 target_session_attrs=read-write'), t), []);
});

test('parse errors shown in the InputBox name the bad part', () => {
  for (const bad of ['host=db1 prot=5432', 'host=db1 port=54x2', "host='unterminated", 'postgresql://db1:notaport/app']) {
    let message = '';
    try {
      parseConnString(bad);
      assert.fail(`"${bad}" parsed`);
    } catch (err) {
      message = connStringErrorMessage(err, t);
    }
    assert.ok(message.length > 0);
    const part = bad === 'host=db1 prot=5432' ? 'prot' : bad.includes('54x2') ? '54x2' : bad.includes('notaport') ? 'notaport' : "'unterminated";
    assert.ok(message.includes(part) || message.includes('position'), `"${message}" names neither the part nor a position`);
  }
  assert.equal(connStringErrorMessage(Object.assign(new Error('invalid value'), { part: 'xyz' }), t), 'invalid value (near "xyz")');
});

test('the query log shows the statement kind, never its text', () => {
  assert.equal(statementKind('SELECT secret_column FROM t'), 'SELECT');
  assert.equal(statementKind("  CREATE SUBSCRIPTION s CONNECTION 'password=x' PUBLICATION p"), 'CREATE SUBSCRIPTION');
  assert.equal(statementKind('-- comment\n/* block */ WITH pos AS (SELECT 1) SELECT 1'), 'WITH');
  assert.equal(statementKind('   '), 'statement');
});
