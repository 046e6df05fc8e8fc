/**
 * Client tools on this machine (Debian's postgresql-client-15): discovery finds the real programs with their
 * versions, and a pipeline reports a failing program clearly without ever echoing a secret.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClientToolError, discoverClientTools, runPipeline, runTool, selectDumpTool } from '../../src/core/tools';

test('finds pg_dump and psql 15 (Debian\'s wrapper folded into the real program) and picks by version', async () => {
  const tools = await discoverClientTools(['pg_dump', 'psql']);
  const dump = tools.filter((t) => t.name === 'pg_dump');
  assert.ok(dump.some((t) => t.version.major === 15 && t.path === '/usr/lib/postgresql/15/bin/pg_dump'), JSON.stringify(tools));
  assert.equal(new Set(dump.map((t) => t.version.text)).size, dump.length, 'one entry per version');
  assert.equal(selectDumpTool(tools, 'pg_dump', 14, 16).version.major, 15);
  assert.throws(() => selectDumpTool(tools, 'pg_dump', 17, 18), /pg_dump 17 or newer is needed for a 17 source; found 15 at/);
});

test('a clientToolsPath directory is searched first', async () => {
  const tools = await discoverClientTools(['psql'], { clientToolsPath: '/usr/lib/postgresql/15/bin', env: { PATH: '' }, wellKnownDirs: [] });
  assert.deepEqual(tools.map((t) => [t.source, t.path]), [['setting', '/usr/lib/postgresql/15/bin/psql']]);
});

test('pipelines: argument arrays, exit codes reported, secrets scrubbed', async () => {
  const ok = await runPipeline({ path: '/bin/echo', args: ['a b; $(rm -rf /)'] }, { path: '/bin/cat', args: [] });
  assert.equal(ok.consumer.stdout, 'a b; $(rm -rf /)\n', 'no shell in between');
  await assert.rejects(
    runPipeline({ path: '/bin/echo', args: ['x'] }, { path: '/bin/sh', args: ['-c', 'echo "password=hunter2 failed for s3cr3t" >&2; exit 3'] }, { secrets: ['s3cr3t'] }),
    (err: unknown) => err instanceof ClientToolError && /sh exited with 3/.test(err.message) && !/hunter2|s3cr3t/.test(err.message),
  );
  const r = await runTool({ path: '/bin/sh', args: ['-c', 'echo "$PGPASSWORD" | wc -c'], env: { PGPASSWORD: 'abc' } });
  assert.equal(r.stdout.trim(), '4', 'PGPASSWORD reaches the program through its environment only');
});
