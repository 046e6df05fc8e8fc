import type * as vscode from 'vscode';
import type { SettingsClusterRegistry } from '../clusters/registry';
import type { ClusterStatusStore } from '../clusters/statusStore';
import type { ClusterConnections } from '../connections/manager';
import type { Logger } from '../log';
import type { PasswordStore } from '../secrets';
import type { ExtensionServices } from '../services';
import type { ExplorerProvider } from '../tree/provider';
import type { ExplorerNode } from '../tree/nodes';

/** Everything a command of the explorer feature works with. */
export interface CommandContext {
  services: ExtensionServices;
  registry: SettingsClusterRegistry;
  connections: ClusterConnections;
  passwords: PasswordStore;
  status: ClusterStatusStore;
  explorer: ExplorerProvider;
  treeView: vscode.TreeView<ExplorerNode>;
  /** `[command]` logger. */
  log: Logger;
}

export type CommandHandler = (ctx: CommandContext, ...args: unknown[]) => unknown;
