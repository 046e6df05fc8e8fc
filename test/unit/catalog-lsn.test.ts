import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bigIntToLsn, compareLsn, isLsn, lsnDiff, lsnToBigInt } from '../../src/core/catalog/lsn';

test('lsnToBigInt reads both 32-bit halves', () => {
  assert.equal(lsnToBigInt('0/0'), 0n);
  assert.equal(lsnToBigInt('0/16B3748'), 0x16b3748n);
  assert.equal(lsnToBigInt('16/B374D848'), 0x16b374d848n);
  assert.equal(lsnToBigInt('ffffffff/ffffffff'), 0xffffffffffffffffn);
});

test('bigIntToLsn writes PostgreSQL spelling and round-trips', () => {
  assert.equal(bigIntToLsn(0x16b374d848n), '16/B374D848');
  assert.equal(bigIntToLsn(0n), '0/0');
  for (const lsn of ['0/1', '1/0', 'A/FFFFFFFF', 'FFFFFFFF/FFFFFFFF']) assert.equal(bigIntToLsn(lsnToBigInt(lsn)), lsn);
  assert.throws(() => bigIntToLsn(-1n), /out of range/);
});

test('lsnDiff counts bytes across the 4 GiB boundary, negative when behind', () => {
  assert.equal(lsnDiff('1/0', '0/FFFFFFFF'), 1);
  assert.equal(lsnDiff('0/3000060', '0/3000000'), 0x60);
  assert.equal(lsnDiff('0/3000000', '0/3000060'), -0x60);
  assert.equal(lsnDiff('2/0', '0/0'), 2 * 2 ** 32);
});

test('compareLsn compares numerically, not as text', () => {
  assert.equal(compareLsn('0/9', '0/10'), -1); // "0/9" > "0/10" as text
  assert.equal(compareLsn('A/0', '9/FFFFFFFF'), 1);
  assert.equal(compareLsn('0/ab', '0/AB'), 0);
});

test('invalid LSNs are refused with a message that shows the expected form', () => {
  for (const bad of ['', '16B374D848', '0/', '/0', '0/123456789', 'x/1', ' 0/1', '0/1/2']) {
    assert.equal(isLsn(bad), false, bad);
    assert.throws(() => lsnToBigInt(bad), /Invalid LSN .*e\.g\. "16\/B374D848"/);
  }
  assert.equal(isLsn('16/B374D848'), true);
});
