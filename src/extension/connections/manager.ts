import type { Client } from 'pg';
import * as vscode from 'vscode';
import type { ClusterDefinition } from '../../core/clusters';
import type { HostEndpoint, ResolvedConn } from '../../core/conn/types';
import { versionFromNum, type Queryable, type QueryResultLike, type ServerVersion } from '../../core/db';
import type { SettingsClusterRegistry } from '../clusters/registry';
import { connectErrorAttempts, connectErrorKind } from '../clusters/status';
import type { ClusterStatusStore } from '../clusters/statusStore';
import { loadConn, type ConnModule } from '../lazy';
import { elapsedMs, errorMessage, type Logger } from '../log';
import type { PasswordStore } from '../secrets';
import type { ConnectionManager, ConnectionRequest, PooledConnection } from '../services';
import { promptPassword } from './passwordPrompt';
import { statementKind } from './statement';

const APPLICATION_NAME = 'PG Upgrade Pilot';
const DEFAULT_IDLE_MS = 5 * 60_000;

export type DedicatedConnection = Queryable & { end(): Promise<void> };

interface Pooled {
  client: Client;
  queryable: Queryable;
  version: ServerVersion;
  /** The connection string it was opened with: a changed definition closes it. */
  connection: string;
  idleTimer?: NodeJS.Timeout;
}

interface Established {
  client: Client;
  version: ServerVersion;
  endpoint: HostEndpoint;
}

/**
 * Connections to registered clusters. Nothing connects before a caller asks (activation opens none).
 * Password order: SecretStorage, then whatever libpq would use (password in PGPASSWORD, ~/.pgpass via the core), then
 * a password InputBox when the caller is interactive. A typed password is stored in SecretStorage only after the
 * server accepted it. Status changes (connected / error kind) go to the ClusterStatusStore for the explorer.
 */
export class ClusterConnections implements ConnectionManager {
  private readonly pool = new Map<string, Promise<Pooled>>();
  private readonly settled = new Map<string, Pooled>();
  /** Clusters whose password prompt the user dismissed: no new prompt until allowPrompt(). */
  private readonly promptDismissed = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly registry: SettingsClusterRegistry,
    private readonly passwords: PasswordStore,
    private readonly status: ClusterStatusStore,
    private readonly log: Logger,
    private readonly idleMs = DEFAULT_IDLE_MS,
  ) {
    this.disposables.push(registry.onDidChange(() => void this.closeChanged()));
  }

  /** Lets the next connection attempt prompt for a password again (explicit user actions call this). */
  allowPrompt(clusterId: string): void {
    this.promptDismissed.delete(clusterId);
  }

  async get(clusterId: string, request: ConnectionRequest = {}): Promise<PooledConnection> {
    let entry = this.pool.get(clusterId);
    if (!entry) {
      const created = this.createPooled(clusterId, request);
      entry = created;
      this.pool.set(clusterId, created);
      created.then(
        (pooled) => {
          if (this.pool.get(clusterId) === created) {
            this.settled.set(clusterId, pooled);
          } else {
            void pooled.client.end().catch(() => undefined); // disposed or changed meanwhile
          }
        },
        () => {
          if (this.pool.get(clusterId) === created) this.pool.delete(clusterId);
        },
      );
    }
    const pooled = await entry;
    if (this.pool.get(clusterId) !== entry) throw new Error(vscode.l10n.t('The connection was closed because the cluster changed or was removed.'));
    this.touch(clusterId, pooled);
    return { client: pooled.queryable, version: pooled.version };
  }

  async open(clusterId: string, request: ConnectionRequest = {}): Promise<DedicatedConnection> {
    const cluster = this.requireCluster(clusterId);
    const { client } = await this.establish(cluster, request);
    return Object.assign(this.instrument(cluster, client), { end: () => client.end() });
  }

  password(clusterId: string): Promise<string | undefined> {
    return this.passwords.get(clusterId);
  }

  /** Closes the pooled connection of one cluster, or all. Dedicated connections belong to their callers. */
  async dispose(clusterId?: string): Promise<void> {
    const ids = clusterId === undefined ? [...this.pool.keys()] : [clusterId];
    await Promise.all(ids.map((id) => this.close(id)));
  }

  /** Deactivation: closes every pooled connection and stops listening. */
  async shutdown(): Promise<void> {
    this.disposables.forEach((d) => d.dispose());
    await this.dispose();
  }

  private async close(clusterId: string): Promise<void> {
    const pooled = this.settled.get(clusterId);
    this.pool.delete(clusterId);
    this.settled.delete(clusterId);
    if (!pooled) return;
    clearTimeout(pooled.idleTimer);
    await pooled.client.end().catch(() => undefined);
    this.log.debug(`closed the connection to ${clusterId}`);
  }

  /** Closes connections of removed clusters and of clusters whose connection string changed. */
  private async closeChanged(): Promise<void> {
    for (const [id, pooled] of [...this.settled]) {
      const cluster = this.registry.get(id);
      if (!cluster || cluster.connection !== pooled.connection) {
        await this.close(id);
        this.status.set(id, { state: 'unknown' });
      }
    }
    for (const id of [...this.pool.keys()]) {
      if (!this.registry.get(id)) this.pool.delete(id);
    }
  }

  private touch(clusterId: string, pooled: Pooled): void {
    clearTimeout(pooled.idleTimer);
    pooled.idleTimer = setTimeout(() => {
      this.log.debug(`closing the idle connection to ${clusterId}`);
      void this.close(clusterId);
    }, this.idleMs);
    pooled.idleTimer.unref?.();
  }

  private async createPooled(clusterId: string, request: ConnectionRequest): Promise<Pooled> {
    const cluster = this.requireCluster(clusterId);
    const { client, version } = await this.establish(cluster, { ...request, applicationName: request.applicationName ?? `${APPLICATION_NAME} explorer` });
    client.on('error', (err) => {
      this.log.warn(`connection to "${cluster.name}" lost: ${err.message}`);
      if (this.settled.get(clusterId)?.client === client) {
        this.pool.delete(clusterId);
        this.settled.delete(clusterId);
        this.status.set(clusterId, { state: 'error', kind: 'unreachable', message: vscode.l10n.t('Connection lost: {0}', err.message), checkedAt: Date.now() });
      }
    });
    return { client, version, queryable: this.instrument(cluster, client), connection: cluster.connection };
  }

  private requireCluster(clusterId: string): ClusterDefinition {
    const cluster = this.registry.get(clusterId);
    if (!cluster) throw new Error(vscode.l10n.t('No registered cluster has the id "{0}".', clusterId));
    return cluster;
  }

  /** Connects (multi-host, target_session_attrs, passwords) and reads the version; records the status. */
  private async establish(cluster: ClusterDefinition, request: ConnectionRequest): Promise<Established> {
    const start = performance.now();
    const conn = await loadConn();
    let client: Client | undefined;
    try {
      const resolved = await this.resolve(cluster, conn);
      const stored = await this.passwords.get(cluster.id);
      if (stored) Object.assign(resolved, { password: stored, passwordSource: 'VS Code SecretStorage' });
      let typed: string | undefined;
      const result = await conn.connect(resolved, {
        applicationName: request.applicationName ?? APPLICATION_NAME,
        signal: request.signal,
        passwordSource: 'the password prompt',
        password: async (endpoint) => {
          // The core asks this provider before the password file: let ~/.pgpass (or passfile=) answer first.
          if (await conn.lookupPgpass(endpoint, resolved.dbname, resolved.user, { passfile: resolved.passfile })) return undefined;
          typed ??= await this.askPassword(cluster, resolved.user, endpoint, request.interactive !== false);
          return typed;
        },
      });
      client = result.client;
      const version = await readVersion(client);
      if (typed) {
        await this.passwords.set(cluster.id, typed);
        this.log.info(`stored the password for "${cluster.name}" in SecretStorage`);
      }
      this.promptDismissed.delete(cluster.id);
      const endpoint = `${result.endpoint.host}:${result.endpoint.port}`;
      const previous = this.status.get(cluster.id);
      this.status.set(cluster.id, {
        state: 'connected',
        version,
        endpoint,
        overview: previous.state === 'connected' && previous.version.num === version.num ? previous.overview : undefined,
        checkedAt: Date.now(),
      });
      this.log.info(`connected to "${cluster.name}" at ${endpoint} (PostgreSQL ${version.text}) in ${elapsedMs(start)} ms`);
      return { client, version, endpoint: result.endpoint };
    } catch (err) {
      if (client) await client.end().catch(() => undefined);
      const kind = connectErrorKind(err);
      const message = errorMessage(err);
      const previous = this.status.get(cluster.id);
      const repeated = previous.state === 'error' && previous.kind === kind && previous.message === message;
      this.status.set(cluster.id, { state: 'error', kind, message, attempts: connectErrorAttempts(err), checkedAt: Date.now() });
      // A poller retrying a cluster that keeps failing the same way logs it once at warning level.
      (repeated ? this.log.debug : this.log.warn)(`connection to "${cluster.name}" failed (${kind}) after ${elapsedMs(start)} ms: ${message}`);
      throw err;
    }
  }

  /** Parses and resolves the stored string; a password found in settings is moved to SecretStorage. */
  private async resolve(cluster: ClusterDefinition, conn: ConnModule): Promise<ResolvedConn> {
    const params = conn.parseConnString(cluster.connection);
    if (params.password !== undefined) {
      const found = params.password;
      delete params.password;
      this.log.warn(`the connection of "${cluster.name}" in settings holds a password; moving it to SecretStorage`);
      try {
        if (found && !(await this.passwords.has(cluster.id))) await this.passwords.set(cluster.id, found);
        await this.registry.update(cluster.id, { connection: conn.redactConnString(cluster.connection) });
      } catch (err) {
        this.log.error(`could not remove the password from settings for "${cluster.name}": ${errorMessage(err)}`);
      }
    }
    const resolved = await conn.resolveConn(params, process.env);
    if (resolved.password === '') delete resolved.password; // never an empty password sent silently
    return resolved;
  }

  private async askPassword(cluster: ClusterDefinition, user: string, endpoint: HostEndpoint, interactive: boolean): Promise<string | undefined> {
    if (!interactive || this.promptDismissed.has(cluster.id)) return undefined;
    const value = await promptPassword(cluster, { user, host: endpoint.host, port: endpoint.port });
    if (value === undefined) this.promptDismissed.add(cluster.id);
    return value;
  }

  /** A Queryable that logs each statement's kind, row count and duration at debug level (never the SQL text). */
  private instrument(cluster: ClusterDefinition, client: Client): Queryable {
    const log = this.log;
    return {
      async query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<QueryResultLike<R>> {
        const start = performance.now();
        try {
          const result = (await client.query(text, values)) as unknown as QueryResultLike<R>;
          log.debug(`"${cluster.name}" ${statementKind(text)}: ${result.rowCount ?? result.rows.length} rows in ${elapsedMs(start)} ms`);
          return result;
        } catch (err) {
          log.debug(`"${cluster.name}" ${statementKind(text)}: failed after ${elapsedMs(start)} ms`);
          throw err;
        }
      },
    };
  }
}

async function readVersion(client: Client): Promise<ServerVersion> {
  const { rows } = await client.query<{ num: number }>("SELECT current_setting('server_version_num')::int AS num");
  return versionFromNum(Number(rows[0]?.num));
}
