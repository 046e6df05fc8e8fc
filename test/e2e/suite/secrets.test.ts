/**
 * Passwords live only in SecretStorage: a canary password given to the real commands and really used to connect must
 * never reach a settings.json file on disk nor any log file VS Code wrote (logging at trace level, see index.ts).
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import {
  addCluster, api, childrenOf, clusterNode, eventually, labQuery, labServer, logFiles, readAll, removeAllClusters,
  userDataDir,
} from './fixtures';

const ROLE = 'e2e_canary';

function settingsFiles(): string[] {
  const files = [join(userDataDir(), 'User', 'settings.json')];
  for (const folder of vscode.workspace.workspaceFolders ?? []) files.push(join(folder.uri.fsPath, '.vscode', 'settings.json'));
  return files.filter((f) => existsSync(f));
}

function settingsText(): string {
  return settingsFiles().map((f) => readFileSync(f, 'utf8')).join('\n');
}

async function connectAndCheck(clusterId: string): Promise<void> {
  const node = await eventually('the cluster in the tree', () => clusterNode(clusterId));
  await childrenOf(node); // expanding connects with the stored password
  const status = (await api()).clusterStatus(clusterId);
  assert.equal(status.state, 'connected', `connected with the canary password (${JSON.stringify(status)})`);
}

describe('secrets: a canary password never reaches settings or logs', function () {
  this.timeout(90_000);
  const canary = `Canary-${randomBytes(9).toString('hex')}`;

  before(async () => {
    const pg16 = await labServer(16);
    await labQuery(pg16, `DROP ROLE IF EXISTS ${ROLE}`);
    await labQuery(pg16, `CREATE ROLE ${ROLE} LOGIN PASSWORD '${canary}'`);
  });
  after(() => removeAllClusters());

  it('given to addCluster as `password`, it connects, and is in no settings.json and no log file', async () => {
    const pg16 = await labServer(16);
    const connection = `host=${pg16.host} port=${pg16.port} dbname=postgres user=${ROLE}`;
    const id = await addCluster({ name: 'e2e canary arg', connection, password: canary });
    await connectAndCheck(id);

    const settings = settingsText();
    assert.ok(settings.includes('e2e canary arg'), 'the cluster is in a settings file read by this test');
    assert.ok(!settings.includes(canary), 'the password is not in settings');
    const log = await eventually('the extension log naming the cluster', () => {
      const text = readAll(logFiles().extension);
      return text.includes('connected to "e2e canary arg"') ? text : undefined;
    });
    assert.ok(!log.includes(canary), 'the password is not in the extension log');
    assert.ok(!readAll(logFiles().extensionHost).includes(canary), 'nor in the extension host log');
  });

  it('inside the connection string given to addCluster, it is stripped before the definition is saved', async () => {
    const pg16 = await labServer(16);
    const uri = `postgresql://${ROLE}:${canary}@${pg16.host}:${pg16.port}/postgres`;
    const id = await addCluster({ name: 'e2e canary uri', connection: uri });
    await connectAndCheck(id);

    const settings = settingsText();
    assert.ok(settings.includes('e2e canary uri'));
    assert.ok(!settings.includes(canary), 'the password is not in settings');
    await eventually('the extension log naming the cluster', () => (readAll(logFiles().extension).includes('connected to "e2e canary uri"') || undefined));
    assert.ok(!readAll([...logFiles().extension, ...logFiles().extensionHost]).includes(canary), 'nor in any log');
  });

  it('hand-written into settings.json, it is moved to SecretStorage on the first connection', async () => {
    const pg16 = await labServer(16);
    const config = vscode.workspace.getConfiguration('pgUpgradePilot');
    const handWritten = { id: 'e2e-hand', name: 'e2e canary hand-written', connection: `host=${pg16.host} port=${pg16.port} dbname=postgres user=${ROLE} password=${canary}` };
    await config.update('clusters', [...((config.inspect<unknown[]>('clusters')?.globalValue) ?? []), handWritten], vscode.ConfigurationTarget.Global);
    assert.ok(settingsText().includes(canary), 'precondition: the test wrote the password into user settings');

    await eventually('the hand-written cluster in the tree', () => clusterNode('e2e-hand'));
    await connectAndCheck('e2e-hand');
    await eventually('the password removed from settings.json', () => (!settingsText().includes(canary) || undefined));
    assert.ok(settingsText().includes('e2e canary hand-written'), 'the definition itself stays');
    // Only the extension's log here: the test itself put the password in settings, which VS Code may trace.
    assert.ok(!readAll(logFiles().extension).includes(canary), 'the password is not in the extension log');
  });
});
