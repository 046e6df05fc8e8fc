import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { classifyPgError, ConnectError, formatEndpoint } from '../../../src/core/conn';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'FATAL' });
const sysError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('classifyPgError', () => {
  it('maps server SQLSTATEs', () => {
    assert.equal(classifyPgError(pgError('28P01', 'password authentication failed for user "x"')), 'auth-failed');
    assert.equal(classifyPgError(pgError('28000', 'no pg_hba.conf entry for host "1.2.3.4"')), 'auth-failed');
    assert.equal(classifyPgError(pgError('3D000', 'database "nope" does not exist')), 'database-missing');
    assert.equal(classifyPgError(pgError('25006', 'cannot execute INSERT in a read-only transaction')), 'read-only');
    assert.equal(classifyPgError(pgError('57P03', 'the database system is starting up')), 'unreachable');
    assert.equal(classifyPgError(pgError('53300', 'sorry, too many clients already')), 'other');
  });

  it('maps network, timeout and TLS failures', () => {
    assert.equal(classifyPgError(sysError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1')), 'unreachable');
    assert.equal(classifyPgError(sysError('ENOTFOUND', 'getaddrinfo ENOTFOUND nohost')), 'unreachable');
    assert.equal(classifyPgError(sysError('ENOENT', 'connect ENOENT /tmp/.s.PGSQL.1')), 'unreachable');
    assert.equal(classifyPgError(new AggregateError([sysError('ECONNREFUSED', 'a'), sysError('ECONNREFUSED', 'b')])), 'unreachable');
    assert.equal(classifyPgError(new Error('timeout expired')), 'timeout');
    assert.equal(classifyPgError(sysError('ETIMEDOUT', 'connect ETIMEDOUT')), 'timeout');
    assert.equal(classifyPgError(new Error('The server does not support SSL connections')), 'ssl');
    assert.equal(classifyPgError(sysError('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate')), 'ssl');
    assert.equal(classifyPgError(sysError('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames")), 'ssl');
  });

  it('keeps a ConnectError\'s kind and defaults to other', () => {
    assert.equal(classifyPgError(new ConnectError('password-required', 'x')), 'password-required');
    assert.equal(classifyPgError(new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string')), 'password-required');
    assert.equal(classifyPgError('weird'), 'other');
    assert.equal(classifyPgError(undefined), 'other');
  });
});

describe('formatEndpoint', () => {
  it('names TCP, IPv6, hostaddr and socket endpoints the way people read them', () => {
    assert.equal(formatEndpoint({ host: 'db', port: 5432 }), 'db:5432');
    assert.equal(formatEndpoint({ host: '::1', port: 5432 }), '[::1]:5432');
    assert.equal(formatEndpoint({ host: 'db', hostaddr: '10.0.0.1', port: 5432 }), 'db (10.0.0.1) port 5432');
    assert.equal(formatEndpoint({ host: '/var/run/postgresql', port: 5433 }), 'socket "/var/run/postgresql/.s.PGSQL.5433"');
  });
});
