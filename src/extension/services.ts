import type * as vscode from 'vscode';
import type { ClusterDefinition } from '../core/clusters';
import type { Queryable, ServerVersion } from '../core/db';
import type { EndpointPasswords } from './endpointSecrets';
import type { PoolerRegistry } from './poolers/registry';

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
  /** Passwords of poolers' admin consoles and dedicated replication users (SecretStorage only). */
  endpointPasswords: EndpointPasswords;
  /** PgBouncer poolers in front of registered clusters (setting pgUpgradePilot.poolers). */
  poolers: PoolerRegistry;
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

/** How a connection may get a password it lacks (optional everywhere; the defaults suit a user action). */
export interface ConnectionRequest {
  /**
   * Ask for a missing password with a password InputBox (default true). Background callers (polling) pass false
   * and get a ConnectError of kind 'password-required' instead. Once the user dismissed the prompt for a cluster, it
   * is not shown again for it until an explicit action (Set Password, Retry, Test Connection).
   */
  interactive?: boolean;
  /** application_name of the session (default "PG Upgrade Pilot"). Only for open(). */
  applicationName?: string;
  /** Cancels a connection attempt in progress. */
  signal?: AbortSignal;
}

export interface ConnectionManager {
  /** A shared connection for read queries (explorer, dashboard polling); password from SecretStorage/.pgpass. */
  get(clusterId: string, request?: ConnectionRequest): Promise<PooledConnection>;
  /** A dedicated new connection the caller must end(); used by runbook steps. */
  open(clusterId: string, request?: ConnectionRequest): Promise<Queryable & { end(): Promise<void> }>;
  /** The password to hand to a child process environment (PGPASSWORD) or a subscription conninfo; never log it. */
  password(clusterId: string): Promise<string | undefined>;
  dispose(clusterId?: string): Promise<void>;
}
