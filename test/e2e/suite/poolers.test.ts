/**
 * PgBouncer poolers in the real extension host (issue 12): a real PgBouncer (Debian's) in front of the lab's
 * PostgreSQL 14, added through the real command with its admin password → a "Poolers" node under the cluster lists
 * the pooler's databases (where they point, pool mode, clients); the admin password is kept in SecretStorage only
 * (in no settings.json, no log); a logical upgrade started with PgBouncer client routing runs its preflight with the
 * pooler checked through the stored password, and is stopped before anything changes.
 */
import * as assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { startPgBouncer, stopPgBouncer, type LabPgBouncer } from '../../../src/core/lab/pgbouncer';
import { isPortFree } from '../../../src/core/lab/ports';
import type { RunResult } from '../../../src/core/runbook/types';
import type { ExplorerNode } from '../../../src/extension/tree/nodes';
import { addCluster, childrenOf, clusterNode, eventually, EXTENSION_ID, labelOf, labServer, logFiles, readAll, removeAllClusters, treeItemOf, userDataDir } from './fixtures';

function settingsText(): string {
  const files = [join(userDataDir(), 'User', 'settings.json')];
  for (const folder of vscode.workspace.workspaceFolders ?? []) files.push(join(folder.uri.fsPath, '.vscode', 'settings.json'));
  return files.filter((f) => existsSync(f)).map((f) => readFileSync(f, 'utf8')).join('\n');
}

describe('poolers: a PgBouncer in front of a cluster, its password in SecretStorage only', function () {
  this.timeout(120_000);
  let pb: LabPgBouncer | undefined;
  let work: string;
  let sourceId: string;
  let targetId: string;
  let poolerId: string;

  before(async () => {
    const pg14 = await labServer(14);
    const pg16 = await labServer(16);
    work = mkdtempSync(join(tmpdir(), 'pgpilot-e2e-pooler-'));
    chmodSync(work, 0o755);
    let port = pg14.port + 45;
    while (!(await isPortFree(port))) port++;
    pb = await startPgBouncer({ port, dir: join(work, 'pgbouncer'), server: pg14, databases: ['postgres'] });
    sourceId = await addCluster({ name: 'e2e pooler source', connection: pg14.connection, password: pg14.password });
    targetId = await addCluster({ name: 'e2e pooler target', connection: pg16.connection, password: pg16.password });
  });
  after(async () => {
    if (poolerId) await vscode.commands.executeCommand('pgUpgradePilot.removePooler', { poolerId, skipConfirmation: true }).then(undefined, () => undefined);
    await removeAllClusters();
    if (pb) await stopPgBouncer(pb).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  it('added with its admin password, it shows under the cluster with its databases; the password is in no settings file nor log', async () => {
    const id = await vscode.commands.executeCommand<string | undefined>('pgUpgradePilot.addPooler', {
      clusterId: sourceId, admin: pb!.adminConnection, config: pb!.configFile, password: pb!.adminPassword,
    });
    assert.ok(id, 'the pooler was added');
    poolerId = id;
    const cluster = await eventually('the source cluster in the tree', () => clusterNode(sourceId));
    const poolers = await eventually('a "Poolers" node under the cluster', async () => (await childrenOf(cluster)).find((c) => c.kind === 'poolers'));
    assert.equal(labelOf(await treeItemOf(poolers)), 'Poolers');
    const [pooler] = await childrenOf(poolers);
    assert.equal(pooler?.kind, 'pooler');
    assert.equal(labelOf(await treeItemOf(pooler)), `${pb!.host}:${pb!.port}`);
    const dbs = await childrenOf(pooler);
    const row = dbs.find((d): d is Extract<ExplorerNode, { kind: 'poolerDatabase' }> => d.kind === 'poolerDatabase' && d.info.name === 'postgres');
    assert.ok(row, `the pooled database is listed (have ${JSON.stringify(dbs.map((d) => d.kind === 'message' ? d.text : d.id))})`);
    const pg14 = await labServer(14);
    assert.equal(row.info.server, `127.0.0.1:${pg14.port}`, 'it points at the cluster');
    assert.equal(row.info.poolMode, 'transaction');
    const item = await treeItemOf(row);
    assert.match(String(item.description), /transaction pooling/);

    const settings = settingsText();
    assert.ok(settings.includes(pb!.configFile), 'the pooler is in the user settings');
    assert.ok(!settings.includes(pb!.adminPassword), 'its admin password is not in settings');
    assert.ok(!readAll([...logFiles().extension, ...logFiles().extensionHost]).includes(pb!.adminPassword), 'nor in any log');
  });

  it('a logical upgrade started with PgBouncer routing checks the pooler in its preflight (password from SecretStorage)', async () => {
    const routing = { kind: 'pgbouncer', poolers: [{ admin: pb!.adminConnection, config: { path: pb!.configFile, executor: 'local', osUser: pb!.osUser } }] };
    const journalDir = join(userDataDir(), 'User', 'globalStorage', EXTENSION_ID, 'runs');
    const journals = () => (existsSync(journalDir) ? readdirSync(journalDir).filter((n) => n.endsWith('.jsonl')) : []);
    const before = new Set(journals());
    const running = vscode.commands.executeCommand<RunResult | undefined>('pgUpgradePilot.startLogicalUpgrade', {
      sourceId, targetId, params: { publication: 'e2e_pooler_pub', subscription: 'e2e_pooler_sub', clientRouting: routing },
    });
    type Line = { type: string; stepId?: string; runId?: string; findings?: Array<{ id: string; severity: string; message: string }> };
    const lines = (f: string) => readFileSync(f, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Line);
    const file = await eventually('the run\'s journal with the preflight finished', () => journals().filter((n) => !before.has(n)).map((n) => join(journalDir, n))
      .find((f) => lines(f).some((e) => e.type === 'step-finished' && e.stepId === 'preflight')), 60_000);
    const runId = lines(file).find((e) => e.type === 'run-started')?.runId;
    // Stop it before anything changes (the run waits for an answer, or has already stopped at its preflight).
    await vscode.commands.executeCommand('pgUpgradePilot.abortRun', { runId, skipConfirmation: true }).then(undefined, () => undefined);
    const result = await running;
    assert.ok(result, 'the run returned its result');
    const findings = lines(file).find((e) => e.type === 'step-finished' && e.stepId === 'preflight')?.findings ?? [];
    const pooler = findings.filter((f) => f.id.startsWith('pgbouncer'));
    assert.ok(pooler.length, `the preflight checked the pooler: ${JSON.stringify(findings.map((f) => f.id))}`);
    assert.ok(!pooler.some((f) => f.id === 'pgbouncer-admin'), `the console was reached with the stored password: ${JSON.stringify(pooler)}`);
    assert.ok(!pooler.some((f) => f.severity === 'error'), `the pooler passes the preflight: ${JSON.stringify(pooler)}`);
    assert.ok(!result.steps.some((s) => s.status === 'succeeded' && s.risk !== 'read-only'), 'nothing changed');
    assert.ok(!readFileSync(file, 'utf8').includes(pb!.adminPassword), 'the journal never holds the pooler password');
    assert.ok(!readAll([...logFiles().extension, ...logFiles().extensionHost]).includes(pb!.adminPassword), 'nor any log');
  });
});
