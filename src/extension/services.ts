import type * as vscode from 'vscode';
import type { ClusterDefinition } from '../core/clusters';
import type { Queryable, ServerVersion } from '../core/db';

/**
 * What every feature of the extension gets at activation. Owned by the explorer feature (src/extension/*);
 * the runbook feature (src/extension/runbook) and the dashboard feature (src/extension/dashboard) consume it.
 * Implementations must open NO database connection at activation.
 */
export interface ExtensionServices {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  clusters: ClusterRegistry;
  connections: ConnectionManager;
  /** Re-render the explorer (whole tree, or one cluster's node). */
  refreshTree(clusterId?: string): void;
}

export interface ClusterRegistry {
  list(): ClusterDefinition[];
  get(id: string): ClusterDefinition | undefined;
  onDidChange: vscode.Event<void>;
  /** Asks the user to pick one (QuickPick), optionally excluding ids; undefined when cancelled. */
  pick(placeHolder: string, excludeIds?: string[]): Promise<ClusterDefinition | undefined>;
}

export interface PooledConnection {
  client: Queryable;
  version: ServerVersion;
}

export interface ConnectionManager {
  /** A shared connection for read queries (explorer, dashboard polling); password from SecretStorage/.pgpass. */
  get(clusterId: string): Promise<PooledConnection>;
  /** A dedicated new connection the caller must end(); used by runbook steps. */
  open(clusterId: string): Promise<Queryable & { end(): Promise<void> }>;
  /** The password to hand to a child process environment (PGPASSWORD) or a subscription conninfo; never log it. */
  password(clusterId: string): Promise<string | undefined>;
  dispose(clusterId?: string): Promise<void>;
}
