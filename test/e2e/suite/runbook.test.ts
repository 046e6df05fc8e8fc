/**
 * The logical-upgrade runbook driven through the real commands inside the real extension host, against the lab's
 * PostgreSQL 14 (source) and 16 (target): a dry run changes nothing on either server; a real run executes its
 * read-only preflight without asking anything, is journaled in the extension's global storage, and shows up in the
 * Cluster Explorer under the source cluster ("Runs").
 */
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import * as vscode from 'vscode';
import type { RunResult } from '../../../src/core/runbook/types';
import type { ExplorerNode } from '../../../src/extension/tree/nodes';
import {
  addCluster, childrenOf, clusterNode, eventually, EXTENSION_ID, labelOf, labQuery, labServer, logFiles, readAll,
  removeAllClusters, treeItemOf, userDataDir,
} from './fixtures';
import type { LabServer } from '../../helpers/lab';

// Names of our own, so "nothing was created" cannot be confused with objects of anything else.
const PARAMS = { publication: 'e2e_runbook_pub', subscription: 'e2e_runbook_sub' };

type JournalLine = { type: string; stepId?: string; status?: string; dryRun?: boolean; runId?: string };

/** How many questions (confirmations, acknowledgements of warnings) the runbook UI has asked so far (it logs each). */
function questionsAsked(): number {
  const log = readAll(logFiles().extension);
  return log.split('confirmation asked (').length - 1 + log.split('acknowledgement asked: ').length - 1;
}

function journal(file: string): JournalLine[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as JournalLine);
}

/** What the upgrade would leave behind on the servers: its publication, its subscription, its replication slot. */
async function upgradeObjects(source: LabServer, target: LabServer): Promise<string[]> {
  const found = [
    ...(await labQuery<{ name: string }>(source, 'SELECT \'publication \' || pubname AS name FROM pg_publication WHERE pubname = $1', [PARAMS.publication])),
    ...(await labQuery<{ name: string }>(source, 'SELECT \'slot \' || slot_name AS name FROM pg_replication_slots WHERE slot_name = $1', [PARAMS.subscription])),
    ...(await labQuery<{ name: string }>(target, 'SELECT \'subscription \' || subname AS name FROM pg_subscription WHERE subname = $1', [PARAMS.subscription])),
  ];
  return found.map((r) => r.name);
}

describe('runbook: logical upgrade PG14 → PG16 through the commands', function () {
  this.timeout(60_000);
  let source: LabServer;
  let target: LabServer;
  let sourceId: string;
  let targetId: string;

  before(async () => {
    source = await labServer(14);
    target = await labServer(16);
    sourceId = await addCluster({ name: 'e2e runbook source', connection: source.connection, password: source.password });
    targetId = await addCluster({ name: 'e2e runbook target', connection: target.connection, password: target.password });
    assert.deepEqual(await upgradeObjects(source, target), [], 'the lab servers start without the upgrade\'s objects');
  });
  after(() => removeAllClusters());

  it('a dry run plans every step (the publication and subscription included) and changes nothing on either server', async () => {
    const result = await vscode.commands.executeCommand<RunResult | undefined>('pgUpgradePilot.dryRun', { sourceId, targetId, params: PARAMS, output: 'log' });
    assert.ok(result, 'the dry run returned its result');
    assert.equal(result.dryRun, true);
    assert.equal(result.status, 'succeeded', result.message);
    const planned = (stepId: string) => (result.steps.find((s) => s.id === stepId)?.actions ?? [])
      .flatMap((a) => (a.kind === 'sql' ? a.statements : []))
      .join('\n');
    assert.match(planned('create-publication'), /CREATE PUBLICATION "e2e_runbook_pub"/, 'the plan shows the publication it would create');
    assert.match(planned('create-subscription'), /CREATE SUBSCRIPTION "e2e_runbook_sub"/, 'and the subscription');
    assert.deepEqual(await upgradeObjects(source, target), [], 'no publication, slot or subscription was created');
  });

  it('a real run executes its read-only preflight with no question asked, journals it and lists it under the source', async () => {
    const journalDir = join(userDataDir(), 'User', 'globalStorage', EXTENSION_ID, 'runs');
    const journals = () => (existsSync(journalDir) ? readdirSync(journalDir).filter((n) => n.endsWith('.jsonl')) : []);
    const before = new Set(journals());
    const asked = questionsAsked();
    // The preflight is read-only: the engine asks nothing. Then its warnings must be acknowledged, or the first
    // changing step asks (a modal nobody answers here); while that question is open the run is stopped with Abort Run.
    const running = vscode.commands.executeCommand<RunResult | undefined>('pgUpgradePilot.startLogicalUpgrade', { sourceId, targetId, params: PARAMS });
    const journalFile = await eventually('the run\'s journal with the preflight finished', () => journals()
      .filter((n) => !before.has(n))
      .map((n) => join(journalDir, n))
      .find((f) => journal(f).some((e) => e.type === 'step-finished' && e.stepId === 'preflight')), 30_000);
    const runId = journal(journalFile).find((e) => e.type === 'run-started')?.runId;
    assert.ok(runId, 'the journal starts with run-started and the run id');
    await eventually('the run asking before its first changing step', () => questionsAsked() > asked || undefined);
    assert.equal(await vscode.commands.executeCommand('pgUpgradePilot.abortRun', { runId, skipConfirmation: true }), runId);
    const result = await running;
    assert.ok(result, 'the run returned its result');
    assert.equal(result.runId, runId);
    assert.equal(result.journalFile, journalFile);
    assert.ok(journalFile.startsWith(join(userDataDir(), 'User', 'globalStorage', EXTENSION_ID) + sep), `${journalFile} is in the extension's global storage`);

    // The journal: a real run (not a dry run) whose preflight succeeded; nothing of the password in it.
    const events = journal(journalFile);
    assert.equal(events.find((e) => e.type === 'run-started')?.dryRun, false);
    const preflight = events.find((e) => e.type === 'step-finished' && e.stepId === 'preflight');
    assert.equal(preflight?.status, 'succeeded', `preflight finished: ${JSON.stringify(preflight)}`);
    assert.ok(!events.some((e) => e.type === 'decision' && e.stepId === 'preflight'), 'nobody was asked to confirm the preflight');
    assert.equal(result.status, 'aborted', result.message);
    assert.equal(result.steps.find((s) => s.id === 'preflight')?.status, 'succeeded');
    const executed = result.steps.filter((s) => s.status === 'succeeded');
    assert.ok(executed.every((s) => s.risk === 'read-only'), `only read-only steps ran: ${executed.map((s) => `${s.id} (${s.risk})`).join(', ')}`);
    const text = readFileSync(journalFile, 'utf8');
    assert.ok(!text.includes(source.password) && !text.includes(target.password), 'no password in the journal');
    assert.deepEqual(await upgradeObjects(source, target), [], 'stopped before any changing step ran');

    // The explorer, as the view reads it: source cluster → "Runs" → this run.
    const cluster = await eventually('the source cluster in the tree', () => clusterNode(sourceId));
    const runs = await eventually('a "Runs" node under the source cluster', async () => (await childrenOf(cluster)).find((c) => c.kind === 'runs'));
    assert.equal(labelOf(await treeItemOf(runs)), 'Runs');
    const rows = await childrenOf(runs);
    const row = rows.find((r): r is Extract<ExplorerNode, { kind: 'run' }> => r.kind === 'run' && r.runId === runId);
    assert.ok(row, `run ${runId} is listed under Runs (have ${rows.map((r) => (r.kind === 'run' ? r.runId : r.kind)).join(', ')})`);
    const item = await treeItemOf(row);
    assert.equal(labelOf(item), 'Major upgrade by logical replication');
    assert.equal(item.contextValue, 'pgUpgradePilotRun.aborted');
    const dry = rows.find((r) => r.kind === 'run' && r.runId !== runId);
    assert.ok(dry, 'the dry run is listed too');
    assert.match(labelOf(await treeItemOf(dry)), /\(dry run\)$/);
    const targetNode = await clusterNode(targetId);
    assert.ok(targetNode && !(await childrenOf(targetNode)).some((c) => c.kind === 'runs'), 'the target lists no run (runs go under their source)');
  });
});
