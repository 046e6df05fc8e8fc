import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBytes, formatDuration } from '../../src/core/catalog/format';

test('formatBytes uses binary units with at most one decimal', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1024), '1 KiB');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(10 * 1024 * 1024), '10 MiB');
  assert.equal(formatBytes(123.4 * 1024 ** 3), '123 GiB');
  assert.equal(formatBytes(3 * 1024 ** 4), '3 TiB');
  assert.equal(formatBytes(2 * 1024 ** 6), '2048 PiB');
  assert.equal(formatBytes(-2048), '-2 KiB');
  assert.equal(formatBytes(Number.NaN), 'n/a');
});

test('formatDuration keeps milliseconds below a second and drops zero parts', () => {
  assert.equal(formatDuration(0), '0 ms');
  assert.equal(formatDuration(0.25), '250 ms');
  assert.equal(formatDuration(0.9996), '1000 ms');
  assert.equal(formatDuration(1), '1 s');
  assert.equal(formatDuration(12.34), '12.3 s');
  assert.equal(formatDuration(59.99), '59.9 s');
  assert.equal(formatDuration(60), '1 min');
  assert.equal(formatDuration(303), '5 min 3 s');
  assert.equal(formatDuration(7200), '2 h');
  assert.equal(formatDuration(7500), '2 h 5 min');
  assert.equal(formatDuration(3 * 86400 + 4 * 3600 + 59), '3 d 4 h');
  assert.equal(formatDuration(86400), '1 d');
  assert.equal(formatDuration(-0.5), '-500 ms');
  assert.equal(formatDuration(Number.POSITIVE_INFINITY), 'n/a');
});
