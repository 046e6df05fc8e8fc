/** The extension loads in a real VS Code: it activates, and every command and view it declares is really there. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activeExtension, EXTENSION_ID } from './fixtures';

interface Manifest {
  contributes?: {
    commands?: Array<{ command: string; title: string; category?: string }>;
    viewsContainers?: { activitybar?: Array<{ id: string; title: string }> };
    views?: Record<string, Array<{ id: string; name: string }>>;
  };
}

describe('smoke: the extension in a real VS Code', () => {
  it('activates without error', async () => {
    const ext = await activeExtension();
    assert.equal(ext.isActive, true);
    assert.equal(ext.id, EXTENSION_ID);
  });

  it('registers every command its manifest contributes, with the "PG Upgrade" category', async () => {
    const ext = await activeExtension();
    const contributed = (ext.packageJSON as Manifest).contributes?.commands ?? [];
    const ids = contributed.map((c) => c.command);
    for (const required of ['pgUpgradePilot.addCluster', 'pgUpgradePilot.importLabClusters']) {
      assert.ok(ids.includes(required), `manifest contributes ${required}`);
    }
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(ids.filter((id) => !registered.has(id)), [], 'contributed commands that are not registered');
    assert.deepEqual(contributed.filter((c) => c.category !== 'PG Upgrade').map((c) => c.command), [],
      'commands without the "PG Upgrade" category');
  });

  it('shows the "PG Upgrade Pilot" activity-bar container with the clusters view', async () => {
    await activeExtension();
    // Commands VS Code itself derives from the contributed container and view: they exist only if both are registered.
    await vscode.commands.executeCommand('workbench.view.extension.pgUpgradePilot');
    await vscode.commands.executeCommand('pgUpgradePilot.clusters.focus');
    const manifest = (await activeExtension()).packageJSON as Manifest;
    const container = manifest.contributes?.viewsContainers?.activitybar?.find((c) => c.id === 'pgUpgradePilot');
    assert.equal(container?.title, 'PG Upgrade Pilot');
    assert.ok(manifest.contributes?.views?.pgUpgradePilot?.some((v) => v.id === 'pgUpgradePilot.clusters'));
  });
});
