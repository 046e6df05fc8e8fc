import * as vscode from 'vscode';
import type { SettingsClusterRegistry } from './clusters/registry';
import type { ExplorerNode } from './tree/nodes';

/**
 * In Restricted Mode the workspace's `pgUpgradePilot.clusters` entries are ignored (a restricted configuration): the
 * view says so instead of silently showing fewer clusters.
 */
export function showRestrictedModeNotice(treeView: vscode.TreeView<ExplorerNode>, registry: SettingsClusterRegistry): vscode.Disposable {
  const update = (): void => {
    const hidden = vscode.workspace.isTrusted ? 0 : registry.untrustedWorkspaceEntryCount();
    treeView.message = hidden
      ? vscode.l10n.t('{0} clusters from this workspace\'s settings are ignored in Restricted Mode. Trust the workspace to use them.', hidden)
      : undefined;
  };
  update();
  return vscode.Disposable.from(registry.onDidChange(update), vscode.workspace.onDidGrantWorkspaceTrust(update));
}
