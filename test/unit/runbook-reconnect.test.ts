/** Which errors a reconnecting wait retries (a server that went away) and which end it at once (a failing query). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isConnectionError } from '../../src/core/runbook/reconnect';

describe('isConnectionError', () => {
  it('retries what a restart or a terminate produces', () => {
    for (const e of [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
      Object.assign(new Error('server conn crashed?'), { code: '08006' }),
      new Error('Connection terminated unexpectedly'),
      new Error('Client has encountered a connection error and is not queryable'),
      Object.assign(new Error('could not connect to 127.0.0.1:5432: read ECONNRESET'), { name: 'ConnectError', kind: 'other' }),
      Object.assign(new Error('could not connect to 127.0.0.1:5432: connection refused'), { name: 'ConnectError', kind: 'unreachable' }),
    ]) assert.equal(isConnectionError(e), true, e.message);
  });
  it('does not retry a failing query', () => {
    for (const e of [
      Object.assign(new Error('relation "x" does not exist'), { code: '42P01' }),
      Object.assign(new Error('permission denied'), { code: '42501' }),
      new Error('anything else'),
      Object.assign(new Error('could not connect to 127.0.0.1:5432: password authentication failed'), { name: 'ConnectError', kind: 'auth-failed' }),
      undefined,
    ]) assert.equal(isConnectionError(e), false, String(e));
  });
});
