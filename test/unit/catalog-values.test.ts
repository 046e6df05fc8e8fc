import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bool, num, reqNum, str, strArray } from '../../src/core/catalog/values';

test('numbers arrive as numbers whether the driver sent number, bigint or text', () => {
  assert.equal(num(5), 5);
  assert.equal(num(5n), 5);
  assert.equal(num('123456789012'), 123456789012);
  assert.equal(num(null), null);
  assert.throws(() => num('abc'), /Expected a number/);
  assert.throws(() => reqNum(null, 'max_wal_senders'), /no value for max_wal_senders/);
});

test('booleans accept PostgreSQL text forms; strings and arrays are plain', () => {
  assert.equal(bool('t'), true);
  assert.equal(bool('off'), false);
  assert.equal(bool(undefined), null);
  assert.throws(() => bool('maybe'), /Expected a boolean/);
  assert.equal(str(new Date('2025-01-02T03:04:05.000Z')), '2025-01-02T03:04:05.000Z');
  assert.deepEqual(strArray('["a \\"b\\"", "c,d"]'), ['a "b"', 'c,d']);
  assert.deepEqual(strArray(['x']), ['x']);
  assert.deepEqual(strArray(null), []);
});
