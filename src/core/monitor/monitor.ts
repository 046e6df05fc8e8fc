/**
 * The replication monitor: each tick sends ONE statement to each cluster of the pair (in parallel) and turns the
 * answers into a DashboardSnapshot; a ReplicationMonitor also keeps the last 10 minutes of lag for the chart and
 * since when each table has been waiting. A cluster that cannot be reached gives a snapshot with its error, never
 * a thrown tick.
 */
import { scrubText } from '../runbook/redact';
import type { Queryable, ServerVersion } from '../db';
import { LagHistory } from './history';
import type { ReadinessThresholds } from './readiness';
import { logicalSnapshot, SinceTracker, streamingSnapshot, type ClusterResult } from './snapshot';
import { tickPrimary, tickSource, tickStandby, tickTarget } from './tick';
import type { DashboardSnapshot, LagSample, MonitorRole } from './types';
import type { MonitoredPooler, PoolerView } from './poolers';

async function readPooler(p: MonitoredPooler): Promise<PoolerView> {
  try {
    return { name: p.name, databases: await p.read() };
  } catch (err) {
    return { name: p.name, databases: [], error: errorText(err) };
  }
}

/** A cluster to watch: an open client, or a way to get one (called every tick; a pool returns its connection). */
export type MonitoredCluster =
  | { name: string; client: Queryable; version: ServerVersion }
  | { name: string; connect: () => Promise<{ client: Queryable; version: ServerVersion }> };

export type MonitorPair = (
  | { source: MonitoredCluster; target: MonitoredCluster }
  | { primary: MonitoredCluster; standby?: MonitoredCluster }
) & { /** PgBouncer poolers of the run's client routing, read alongside the clusters. */ poolers?: MonitoredPooler[] };

export interface MonitorOptions extends Partial<ReadinessThresholds> {
  /** Only this subscription of the target (a run's); default every subscription in the target's database. */
  subscription?: string;
  /** Lag chart window (default 10 minutes). */
  historyWindowMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export const DEFAULT_THRESHOLDS: Readonly<ReadinessThresholds> = Object.freeze({
  lagThresholdBytes: 1024 * 1024,
  longTransactionSeconds: 60,
});

function errorText(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return scrubText(typeof e?.code === 'string' ? `${message} (SQLSTATE ${e.code})` : message);
}

async function run<T>(role: MonitorRole, c: MonitoredCluster, fn: (q: Queryable, v: ServerVersion) => Promise<T>): Promise<ClusterResult<T>> {
  const start = performance.now();
  try {
    const { client, version } = 'connect' in c ? await c.connect() : c;
    const tick = await fn(client, version);
    return { name: c.name, role, tick, queryMs: performance.now() - start };
  } catch (err) {
    return { name: c.name, role, error: errorText(err) };
  }
}

export class ReplicationMonitor {
  readonly history: LagHistory;
  private readonly since = new SinceTracker();
  private readonly thresholds: ReadinessThresholds;
  private readonly now: () => number;
  /** Set once subconninfo turned out to be unreadable (not a superuser): later ticks skip it. */
  private conninfo = true;

  constructor(private readonly opts: MonitorOptions = {}) {
    this.history = new LagHistory(opts.historyWindowMs);
    this.thresholds = {
      lagThresholdBytes: opts.lagThresholdBytes ?? DEFAULT_THRESHOLDS.lagThresholdBytes,
      longTransactionSeconds: opts.longTransactionSeconds ?? DEFAULT_THRESHOLDS.longTransactionSeconds,
    };
    this.now = opts.now ?? Date.now;
  }

  /** One tick: one statement per cluster, in parallel. The lag sample goes into the history. */
  async poll(pair: MonitorPair): Promise<DashboardSnapshot> {
    const start = performance.now();
    let snapshot: DashboardSnapshot;
    const poolers = pair.poolers?.length ? Promise.all(pair.poolers.map(readPooler)) : undefined;
    if ('source' in pair) {
      const [source, target] = await Promise.all([
        run('source', pair.source, (q, v) => tickSource(q, v, this.thresholds)),
        run('target', pair.target, (q, v) => this.target(q, v)),
      ]);
      snapshot = logicalSnapshot(source, target, this.context(start));
    } else {
      const [primary, standby] = await Promise.all([
        run('primary', pair.primary, tickPrimary),
        pair.standby ? run('standby', pair.standby, tickStandby) : Promise.resolve(undefined),
      ]);
      snapshot = streamingSnapshot(primary, standby, this.context(start));
    }
    if (poolers) snapshot.poolers = await poolers;
    this.history.push(snapshot.lag);
    return snapshot;
  }

  lagHistory(): LagSample[] {
    return this.history.samples();
  }

  private async target(q: Queryable, v: ServerVersion) {
    if (!this.conninfo) return tickTarget(q, v, { conninfo: false });
    try {
      return await tickTarget(q, v, { conninfo: true });
    } catch (err) {
      if ((err as { code?: unknown })?.code !== '42501') throw err; // permission denied for column subconninfo
      this.conninfo = false;
      return tickTarget(q, v, { conninfo: false });
    }
  }

  private context(start: number) {
    return {
      now: this.now(),
      tookMs: performance.now() - start,
      thresholds: this.thresholds,
      subscription: this.opts.subscription,
      since: this.since,
    };
  }
}

/** One-shot poll of a pair (a fresh monitor: no history, "since" = now). */
export function pollPair(pair: MonitorPair, opts: MonitorOptions = {}): Promise<DashboardSnapshot> {
  return new ReplicationMonitor(opts).poll(pair);
}
