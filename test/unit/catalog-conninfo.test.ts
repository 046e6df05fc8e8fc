import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePublisherEndpoint, splitAuthority, unquoteKeywordValue } from '../../src/core/catalog/conninfo';

// Inputs are the pieces the server sends back (conninfoPartsSql); integration tests check the SQL side.

test('keyword/value pieces: quotes and backslash escapes removed, the last value wins', () => {
  assert.deepEqual(decodePublisherEndpoint({ params: [['host', '10.0.0.5'], ['port', '5433']] }), { host: '10.0.0.5', port: '5433' });
  assert.deepEqual(decodePublisherEndpoint({ params: [['host', "'my host'"]] }), { host: 'my host', port: null });
  assert.deepEqual(decodePublisherEndpoint({ params: [['host', 'a'], ['host', 'b']] }), { host: 'b', port: null });
  assert.deepEqual(decodePublisherEndpoint({ params: [['hostaddr', '192.168.1.9']] }), { host: '192.168.1.9', port: null });
  assert.deepEqual(decodePublisherEndpoint({ params: [['host', 'h'], ['hostaddr', '1.2.3.4']] }), { host: 'h', port: null });
  assert.deepEqual(decodePublisherEndpoint({ params: null }), { host: null, port: null });
});

test('URI pieces: authority split into hosts and ports, query parameters override', () => {
  assert.deepEqual(decodePublisherEndpoint({ uri: 'db1.example:6543,[::1]:7000', params: null }), { host: 'db1.example,::1', port: '6543,7000' });
  assert.deepEqual(decodePublisherEndpoint({ uri: 'h9', params: [['host', 'override'], ['port', '99']] }), { host: 'override', port: '99' });
  assert.deepEqual(decodePublisherEndpoint({ uri: '', params: [['host', '%2Fvar%2Frun%2Fpostgresql']] }), { host: '/var/run/postgresql', port: null });
  assert.deepEqual(decodePublisherEndpoint({ uri: '', params: null }), { host: null, port: null });
});

test('a JSON string is accepted as well as parsed JSON; null means no endpoint', () => {
  assert.deepEqual(decodePublisherEndpoint('{"params":[["port","1"]]}'), { host: null, port: '1' });
  assert.deepEqual(decodePublisherEndpoint(null), { host: null, port: null });
});

test('splitAuthority keeps positions of missing ports', () => {
  assert.deepEqual(splitAuthority('a:1,b,c:3'), { host: 'a,b,c', port: '1,,3' });
  assert.deepEqual(splitAuthority('[2001:db8::1]'), { host: '2001:db8::1', port: null });
  assert.deepEqual(splitAuthority(':5432'), { host: null, port: '5432' });
});

test('unquoteKeywordValue follows libpq escaping', () => {
  assert.equal(unquoteKeywordValue("'it\\'s'"), "it's");
  assert.equal(unquoteKeywordValue('a\\ b'), 'a b');
  assert.equal(unquoteKeywordValue("''"), '');
});
