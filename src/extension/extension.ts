/**
 * Activation of PostgreSQL Upgrade Pilot. Implicit from the contributions (the Clusters view, the commands); it opens
 * NO database connection and loads no database module (node-postgres and the catalog load on first use, see lazy.ts).
 */
import * as vscode from 'vscode';
import { SettingsClusterRegistry } from './clusters/registry';
import type { ClusterStatus } from './clusters/status';
import { ClusterStatusStore } from './clusters/statusStore';
import { registerCommands } from './commands';
import { ClusterConnections } from './connections/manager';
import { registerDashboardFeature } from './dashboard/feature';
import { watchLabState } from './labWatch';
import { componentLogger, elapsedMs, errorMessage } from './log';
import { registerRunbookFeature } from './runbook/feature';
import { PoolerRegistry } from './poolers/registry';
import { PasswordStore, POOLER_PASSWORD_PREFIX, REPLICATION_PASSWORD_PREFIX } from './secrets';
import type { ExtensionServices } from './services';
import type { ExplorerNode } from './tree/nodes';
import { ExplorerProvider } from './tree/provider';
import { showRestrictedModeNotice } from './trust';

/** What activate() returns (`vscode.extensions.getExtension('pg-upgrade-pilot.pg-upgrade-pilot').exports`). */
export interface PgUpgradePilotApi {
  services: ExtensionServices;
  /** The Cluster Explorer's data provider: tests read the tree through getChildren/getTreeItem. */
  explorer: vscode.TreeDataProvider<ExplorerNode>;
  /** Last known connection status of a cluster ('unknown' before its first connection). */
  clusterStatus(clusterId: string): ClusterStatus;
}

let connections: ClusterConnections | undefined;

export function activate(context: vscode.ExtensionContext): PgUpgradePilotApi {
  const start = performance.now();
  const channel = vscode.window.createOutputChannel('PG Upgrade Pilot', { log: true });
  context.subscriptions.push(channel);
  const log = (component: string) => componentLogger(channel, component);

  const registry = new SettingsClusterRegistry(log('clusters'));
  const passwords = new PasswordStore(context.secrets);
  const endpointPasswords = {
    poolers: new PasswordStore(context.secrets, POOLER_PASSWORD_PREFIX),
    replication: new PasswordStore(context.secrets, REPLICATION_PASSWORD_PREFIX),
  };
  const status = new ClusterStatusStore();
  const poolers = new PoolerRegistry(log('poolers'));
  connections = new ClusterConnections(registry, passwords, status, log('db'));
  const explorer = new ExplorerProvider(registry, connections, status, passwords, log('explorer'));
  explorer.setPoolerSource(poolers, endpointPasswords);
  const treeView = vscode.window.createTreeView('pgUpgradePilot.clusters', { treeDataProvider: explorer, showCollapseAll: true });
  const pool = connections;
  context.subscriptions.push(registry, passwords, endpointPasswords.poolers, endpointPasswords.replication, poolers, status, explorer, treeView, { dispose: () => void pool.shutdown() });

  const services: ExtensionServices = {
    context,
    log: channel,
    clusters: registry,
    connections: pool,
    refreshTree: (clusterId) => explorer.refresh(clusterId),
    endpointPasswords,
    poolers,
  };
  registerCommands(context, { services, registry, connections: pool, passwords, status, explorer, treeView, log: log('command') });
  // A failing feature must not take the explorer down with it.
  let pending: ReturnType<typeof registerRunbookFeature>['pending'] | undefined;
  try {
    const runbooks = registerRunbookFeature(services);
    explorer.setRunSource(runbooks.runs);
    pending = runbooks.pending;
  } catch (err) {
    log('activation').error(`the runbook feature failed to register: ${errorMessage(err)}`);
  }
  try {
    registerDashboardFeature(services, pending);
  } catch (err) {
    log('activation').error(`the dashboard feature failed to register: ${errorMessage(err)}`);
  }

  context.subscriptions.push(showRestrictedModeNotice(treeView, registry), afterActivation(watchLabState));
  log('activation').info(`activated in ${elapsedMs(start)} ms (${registry.list().length} clusters registered; no connection opened)`);
  return { services, explorer, clusterStatus: (id) => status.get(id) };
}

/** Starts non-essential work (a file watcher: ~10 ms on first use) once activation has returned. */
function afterActivation(start: () => vscode.Disposable): vscode.Disposable {
  let started: vscode.Disposable | undefined;
  let disposed = false;
  const timer = setTimeout(() => {
    if (!disposed) started = start();
  }, 0);
  return new vscode.Disposable(() => {
    disposed = true;
    clearTimeout(timer);
    started?.dispose();
  });
}

export async function deactivate(): Promise<void> {
  await connections?.shutdown();
  connections = undefined;
}
