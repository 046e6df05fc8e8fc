/**
 * The dashboard feature inside the REAL extension host: a Replication dashboard opened from an explorer
 * Subscription node finds its publisher among the registered clusters and polls both servers (seen from
 * pg_stat_activity on the real source); "Export Upgrade Record" writes the run's record into the workspace in
 * Spanish, replaces it on a second export, and gives another run of the same day and pair its own file.
 */
import * as assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { activeExtension, addCluster, api, eventually, labQuery, labServer, removeAllClusters } from './fixtures';

const PUB = 'dash_suite_pub';
const SUB = 'dash_suite_sub';
const CANARY = 'Zebra-Canary-7731';

describe('dashboard: replication pair and upgrade record', function () {
  this.timeout(120_000);

  describe('a Replication dashboard from a Subscription node', () => {
    after(async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      const pg16 = await labServer(16);
      await labQuery(pg16, `DROP SUBSCRIPTION IF EXISTS ${SUB}`).catch(() => undefined);
      await labQuery(await labServer(14), `DROP PUBLICATION IF EXISTS ${PUB}`).catch(() => undefined);
      await labQuery(await labServer(14), 'DROP TABLE IF EXISTS public.dash_suite_t').catch(() => undefined);
      await labQuery(pg16, 'DROP TABLE IF EXISTS public.dash_suite_t').catch(() => undefined);
      await removeAllClusters();
    });

    it('finds the publisher by host:port, opens the pair and polls both servers', async () => {
      const pg14 = await labServer(14);
      const pg16 = await labServer(16);
      for (const s of [pg14, pg16]) await labQuery(s, 'CREATE TABLE IF NOT EXISTS public.dash_suite_t (id int PRIMARY KEY)');
      await labQuery(pg14, `CREATE PUBLICATION ${PUB} FOR TABLE public.dash_suite_t`);
      const conninfo = `host=${pg14.host} port=${pg14.port} user=${pg14.user} password=${pg14.password} dbname=${pg14.database}`;
      await labQuery(pg16, `CREATE SUBSCRIPTION ${SUB} CONNECTION '${conninfo}' PUBLICATION ${PUB}`);
      const sourceId = await addCluster({ name: 'dash suite pg14', connection: pg14.connection, password: pg14.password });
      const targetId = await addCluster({ name: 'dash suite pg16', connection: pg16.connection, password: pg16.password });

      // What the explorer hands a command for a subscription row (see src/extension/tree/nodes.ts).
      const node = {
        kind: 'subscription', id: `cluster/${targetId}/subscriptions/${SUB}`, clusterId: targetId, database: pg16.database,
        info: { name: SUB, conninfoHost: pg14.host, conninfoPort: String(pg14.port), enabled: true },
      };
      const target = await vscode.commands.executeCommand('pgUpgradePilot.openReplication', node);
      assert.deepEqual(target, { kind: 'logical', sourceId, targetId, subscription: SUB });

      // The panel polls from the extension host: the monitor's one statement (its start: pg_stat_activity keeps only
      // the first 1 kB of a query) shows up on the real source.
      await eventually('the monitor query on the source', async () => {
        const rows = await labQuery<{ n: number }>(pg14,
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'PG Upgrade Pilot%'
             AND query LIKE 'SELECT current_setting(''server_version'') AS server_version,%'`);
        return rows[0].n > 0 || undefined;
      }, 30_000);
      // Opening it again reveals the same panel instead of a second one.
      assert.deepEqual(await vscode.commands.executeCommand('pgUpgradePilot.openReplication', { sourceId, targetId, subscription: SUB }), target);
      const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.label.startsWith('Replication: dash suite pg14'));
      assert.equal(tabs.length, 1);
    });
  });

  describe('Export Upgrade Record', () => {
    let journalDir: string;
    let fixture: string;
    const folder = () => vscode.workspace.workspaceFolders![0].uri.fsPath;

    before(async () => {
      const ext = await activeExtension();
      journalDir = join((await api()).services.context.globalStorageUri.fsPath, 'runs');
      mkdirSync(journalDir, { recursive: true });
      fixture = readFileSync(join(ext.extensionPath, 'test/unit/record-fixtures/journal.jsonl'), 'utf8');
    });
    after(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));

    function journal(runId: string): string {
      writeFileSync(join(journalDir, `${runId}.jsonl`), fixture.replace(/20260314-210000-a1b2c3/g, runId), { mode: 0o600 });
      return runId;
    }

    it('writes the record in Spanish into upgrade-records/, never the canary password, and replaces it on a second export', async () => {
      const runId = journal('20260314-210000-e2e001');
      const uri = await vscode.commands.executeCommand<vscode.Uri>('pgUpgradePilot.exportRecord', { runId, lang: 'es' });
      assert.match(uri.fsPath, /upgrade-records\/2026-03-1[45]-pg14-prod-to-pg17-new\.md$/, 'dated by the local day the run started');
      assert.ok(uri.fsPath.startsWith(folder()), 'in the workspace folder');
      const text = readFileSync(uri.fsPath, 'utf8');
      assert.match(text, /^# Registro de actualización: Major upgrade by logical replication$/m);
      assert.match(text, /- \*\*Versión de PostgreSQL:\*\* 14\.22 → 17\.10/);
      assert.match(text, /Commits perdidos:\*\* \*\*0 de 355 commits confirmados/);
      assert.ok(!text.includes(CANARY), 'the canary password never reaches the record');
      const again = await vscode.commands.executeCommand<vscode.Uri>('pgUpgradePilot.exportRecord', { runId, lang: 'en' });
      assert.equal(again.fsPath, uri.fsPath, 'the same run replaces its own record');
      assert.match(readFileSync(again.fsPath, 'utf8'), /^# Upgrade record: /m);
    });

    it('another run of the same day and pair gets its own file', async () => {
      const other = await vscode.commands.executeCommand<vscode.Uri>('pgUpgradePilot.exportRecord', { runId: journal('20260314-210000-e2e002'), lang: 'en' });
      const first = await vscode.commands.executeCommand<vscode.Uri>('pgUpgradePilot.exportRecord', { runId: '20260314-210000-e2e001' });
      assert.equal(other.fsPath, first.fsPath.replace(/\.md$/, '-2.md'));
      assert.match(readFileSync(other.fsPath, 'utf8'), /`20260314-210000-e2e002`/);
    });
  });
});
