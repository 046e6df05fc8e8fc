import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseToolVersion, selectDumpTool, selectPsql, type ClientTool } from '../../src/core/tools';
import { copiedFraction, summarizeStates } from '../../src/core/runbooks/logical/steps/wait-sync';
import { tableKey } from '../../src/core/runbooks/logical/queries';

const tool = (name: ClientTool['name'], major: number, path = `/usr/lib/postgresql/${major}/bin/${name}`): ClientTool =>
  ({ name, path, version: { major, minor: 1, text: `${major}.1` }, source: 'well-known' });

test('tool versions are read from --version output', () => {
  assert.deepEqual(parseToolVersion('pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n'), { major: 15, minor: 18, text: '15.18' });
  assert.deepEqual(parseToolVersion('psql (PostgreSQL) 18beta1'), { major: 18, minor: 0, text: '18' });
  assert.deepEqual(parseToolVersion('pg_dump (PostgreSQL) 9.6.24'), { major: 9, minor: 6, text: '9.6.24' });
  assert.equal(parseToolVersion('bash: pg_dump: command not found'), null);
});

test('pg_dump: the target\'s version first, never older than the source, a clear error otherwise', () => {
  const tools = [tool('pg_dump', 15), tool('pg_dump', 17), tool('pg_dump', 18), tool('psql', 15), tool('psql', 17)];
  assert.equal(selectDumpTool(tools, 'pg_dump', 14, 17).version.major, 17);
  assert.equal(selectDumpTool(tools, 'pg_dump', 14, 16).version.major, 15, 'newest not newer than the target');
  assert.equal(selectDumpTool([tool('pg_dump', 18)], 'pg_dump', 14, 16).version.major, 18, 'a newer one if nothing else');
  assert.throws(() => selectDumpTool([tool('pg_dump', 15)], 'pg_dump', 16, 18),
    /^ClientToolError: pg_dump 16 or newer is needed for a 16 source; found 15 at \/usr\/lib\/postgresql\/15\/bin\/pg_dump\. Install postgresql-client-18/);
  assert.throws(() => selectDumpTool([], 'pg_dump', 14), /pg_dump was not found .*clientToolsPath/);
  assert.equal(selectPsql(tools, 17).version.major, 17);
  assert.equal(selectPsql(tools, 18).version.major, 17, 'else the newest');
});

test('initial-sync progress: states summarized, bytes weighted by table size', () => {
  const states = [{ schema: 'p', name: 'a', state: 'r' }, { schema: 'p', name: 'b', state: 'd' }, { schema: 'p', name: 'c', state: 'i' }];
  assert.equal(summarizeStates(states), '1 ready, 1 copying, 1 waiting');
  const sizes = new Map([[tableKey(states[0]), 100_000], [tableKey(states[1]), 100_000], [tableKey(states[2]), 200_000]]);
  assert.equal(copiedFraction(states, sizes, new Map([[tableKey(states[1]), 50_000]])), 0.375);
  assert.equal(copiedFraction([], sizes, new Map()), 1);
});
