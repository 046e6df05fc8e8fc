/** Show Statements (issue 15): SQL and shell apart, where each runs, client tools older than the servers named. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { effectsOf } from '../../src/core/runbook/confirm';
import { renderActionsWithPlace, renderStatementsMarkdown, runsLocally, toolVersionWarnings } from '../../src/core/runbook/statements-doc';
import type { ClusterInfo, ConfirmRequest } from '../../src/core/runbook/types';

const clusters: ClusterInfo[] = [
  { role: 'source', name: 'orders-14', hosts: 'db1:5432', production: true, version: { major: 14, minor: 22, num: 140022, text: '14.22' } as never },
  { role: 'target', name: 'orders-16', hosts: 'db2:5432', production: false, version: { major: 16, minor: 14, num: 160014, text: '16.14' } as never },
];
const req: ConfirmRequest = {
  runId: 'r1', stepId: 'copy-schema', title: 'Copy the schema', why: 'tables must exist', risk: 'reversible', clusters,
  actions: [
    { kind: 'host', cluster: 'source', argv: ['/usr/lib/postgresql/15/bin/pg_dump', '--schema-only'] },
    { kind: 'sql', cluster: 'target', statements: ['CREATE SCHEMA "app"'] },
    { kind: 'host', cluster: 'target', argv: ['pg_ctl', 'restart'] },
  ],
  undo: 'drop the restored objects',
};

describe('Show Statements document', () => {
  it('says pg_dump runs on this machine and connects to the source; pg_ctl runs on the server host', () => {
    assert.equal(runsLocally(req.actions[0]), true);
    assert.equal(runsLocally(req.actions[2]), false);
    const lines = renderActionsWithPlace(req.actions, clusters);
    assert.match(lines[0], /^# Shell, on this machine .*connecting to the source orders-14 \(db1:5432, PostgreSQL 14\) \[production\]/);
    assert.match(lines.join('\n'), /-- SQL on the target orders-16/);
    assert.match(lines.join('\n'), /# Shell, on the host of the target orders-16/);
    assert.deepEqual(effectsOf(req.actions, clusters), [
      'source orders-14 (db1:5432) [production]: 1 client command(s) run on this machine, connecting to it',
      'target orders-16 (db2:5432): 1 SQL statement(s), 1 command(s) on its host',
    ]);
  });

  it('separates SQL (sql fence) from shell (sh fence) and warns about pg_dump 15 for a 14 → 16 copy', () => {
    const md = renderStatementsMarkdown(req, [{ path: '/usr/lib/postgresql/15/bin/pg_dump', major: 15, text: '15.18' }]);
    assert.ok(md.indexOf('## SQL') < md.indexOf('## Shell commands'));
    assert.match(md, /```sql\nCREATE SCHEMA "app";\n```/);
    assert.match(md, /```sh\n\/usr\/lib\/postgresql\/15\/bin\/pg_dump --schema-only\n```/);
    assert.match(md, /\*\*How to undo:\*\* drop the restored objects/);
    assert.match(md, /> ⚠ pg_dump 15\.18 .* older than the newest server of this step \(PostgreSQL 16\)/);
    assert.deepEqual(toolVersionWarnings([{ path: '/x/pg_dump', major: 16, text: '16.1' }], clusters), []);
  });
});
