/**
 * The run's database sessions, per role: one pooled session each (reopened when the server dropped it, e.g. after
 * a restart or a terminate), dedicated sessions on demand, all closed at the end of the run.
 * Every session is application_name "pg-upgrade-pilot" (runbooks that terminate client backends spare it).
 * In a dry run every session is read-only (default_transaction_read_only=on).
 */
import type { Client } from 'pg';
import { connect, parseConnString, resolveConn } from '../conn';
import { copyRowsIn } from '../copy-in';
import type { HostEndpoint } from '../conn/types';
import { versionFromNum, type Queryable, type ServerVersion } from '../db';
import type { ClusterRole, RunCluster } from './types';

export const APPLICATION_NAME = 'pg-upgrade-pilot';

export type Session = Queryable & { end(): Promise<void> };

interface Tracked {
  client: Client;
  dead: boolean;
}

export interface RunConnectionsOptions {
  readOnly: boolean;
  signal?: AbortSignal;
  /** Resolved passwords by role (already registered with the run's Redactor). */
  passwords: Partial<Record<ClusterRole, string | undefined>>;
}

export class RunConnections {
  private readonly pooled = new Map<ClusterRole, Promise<Tracked>>();
  private readonly open = new Set<Tracked>();
  private readonly versions = new Map<ClusterRole, ServerVersion>();
  private closed = false;

  constructor(private readonly clusters: Partial<Record<ClusterRole, RunCluster>>, private readonly opts: RunConnectionsOptions) {}

  cluster(role: ClusterRole): RunCluster {
    const c = this.clusters[role];
    if (!c) throw new Error(`this run has no ${role} cluster`);
    return c;
  }

  /** The run's shared session for a role, opened on first use and reopened if the server dropped it. */
  async db(role: ClusterRole): Promise<Queryable> {
    let p = this.pooled.get(role);
    if (p) {
      const t = await p.catch(() => undefined);
      if (!t || t.dead) p = undefined;
    }
    if (!p) {
      p = this.openTracked(role);
      this.pooled.set(role, p);
      p.catch(() => this.pooled.delete(role));
    }
    const t = await p;
    return asQueryable(t.client);
  }

  /** A dedicated session; the caller ends it (the run ends it anyway at the close). */
  async connect(role: ClusterRole): Promise<Session> {
    const t = await this.openTracked(role);
    return { ...asQueryable(t.client), end: () => this.endTracked(t) };
  }

  /** Server version of a role, from its first session. */
  version(role: ClusterRole): ServerVersion | undefined {
    return this.versions.get(role);
  }

  async closeAll(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.open].map((t) => this.endTracked(t)));
    this.pooled.clear();
  }

  private async openTracked(role: ClusterRole): Promise<Tracked> {
    if (this.closed) throw new Error('the run is over: its connections are closed');
    const cluster = this.cluster(role);
    const known = this.opts.passwords[role];
    const resolved = await resolveConn(parseConnString(cluster.connection));
    const { client } = await connect(resolved, {
      password: known !== undefined ? async (_ep: HostEndpoint) => known : undefined,
      signal: this.opts.signal,
      applicationName: APPLICATION_NAME,
    });
    const t: Tracked = { client, dead: false };
    client.on('error', () => { t.dead = true; });
    client.on('end', () => { t.dead = true; });
    this.open.add(t);
    try {
      if (this.opts.readOnly) await client.query('SET default_transaction_read_only = on');
      if (!this.versions.has(role)) {
        const r = await client.query<{ v: string }>('SELECT current_setting(\'server_version_num\') AS v');
        this.versions.set(role, versionFromNum(Number(r.rows[0].v)));
      }
    } catch (err) {
      await this.endTracked(t);
      throw err;
    }
    return t;
  }

  private async endTracked(t: Tracked): Promise<void> {
    if (!this.open.delete(t)) return;
    t.dead = true;
    // A server whose replies are lost (a dead network path) never answers the Terminate: bound the wait, then drop
    // the socket so nothing keeps the process alive.
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      t.client.end().then(() => true, () => true),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), END_BOUND_MS); }),
    ]);
    clearTimeout(timer);
    if (!ended) (t.client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  }
}

/** How long closing a session may wait for the server before its socket is dropped. */
const END_BOUND_MS = 2000;

function asQueryable(client: Client): Queryable {
  return {
    query: async <R>(text: string, values?: unknown[]) => {
      const r = await client.query(text, values as unknown[] | undefined);
      return { rows: r.rows as R[], rowCount: r.rowCount };
    },
    // COPY … FROM STDIN: how a secret reaches the server without being in a loggable statement (copy-in.ts)
    copyRowsIn: (statement: string, rows: string[][]) => copyRowsIn(client, statement, rows),
  } as Queryable;
}
