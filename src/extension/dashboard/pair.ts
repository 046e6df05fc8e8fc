/** Which clusters a dashboard polls, as a MonitorPair over the shared connection pool (never asking for a password). */
import type { MonitoredCluster, MonitoredPooler, MonitorPair } from '../../core/monitor';
import type { DashboardTarget } from '../../core/protocol/dashboard';
import type { ClusterInfo } from '../../core/runbook/types';
import { poolerLabel } from '../poolers/settings';
import type { ExtensionServices } from '../services';

/** A subscription name no run uses: after a switchover without reverse replication, no subscription is watched. */
export const REVERSE_NONE = 'pgpilot-no-reverse-replication';

export interface PairPlan {
  pair: MonitorPair;
  /** The run's subscription, lag threshold … (from its parameters). */
  subscription?: string;
  lagThresholdBytes?: number;
}

function monitored(services: ExtensionServices, id: string, fallbackName: string): MonitoredCluster {
  const def = services.clusters.get(id);
  if (!def) throw new Error(`The cluster "${fallbackName}" (${id}) is no longer registered: add it again to watch it.`);
  // Background polling: a missing password gives an error in the snapshot, never a prompt.
  return { name: def.name, connect: () => services.connections.get(id, { interactive: false }) };
}

/**
 * The PgBouncer poolers of a run's client routing, read through their admin consoles each tick (password from
 * SecretStorage or the password file; never a prompt): paused databases, clients waiting, longest wait.
 */
function poolersOf(services: ExtensionServices, params: Record<string, unknown>): { poolers?: MonitoredPooler[] } {
  const routing = params.clientRouting as { kind?: unknown; poolers?: unknown } | undefined;
  if (routing?.kind !== 'pgbouncer' || !Array.isArray(routing.poolers)) return {};
  const poolers = routing.poolers
    .filter((p): p is { admin: string; name?: string } => typeof (p as { admin?: unknown })?.admin === 'string')
    .map((p): MonitoredPooler => ({
      name: p.name ?? poolerLabel(p.admin),
      read: async () => (await import('../poolers/console')).readPoolerState(services.endpointPasswords, p.admin, false),
    }));
  return poolers.length ? { poolers } : {};
}

/** A pair picked in the explorer. */
export function pairOf(services: ExtensionServices, target: Exclude<DashboardTarget, { kind: 'run' }>): PairPlan {
  if (target.kind === 'logical') {
    return {
      pair: { source: monitored(services, target.sourceId, 'source'), target: monitored(services, target.targetId, 'target') },
      subscription: target.subscription,
    };
  }
  return {
    pair: {
      primary: monitored(services, target.primaryId, 'primary'),
      ...(target.standbyId ? { standby: monitored(services, target.standbyId, 'standby') } : {}),
    },
  };
}

/** A run's clusters (journaled with their registry ids when the run was started from VS Code). */
export function pairOfRun(services: ExtensionServices, clusters: ClusterInfo[], params: Record<string, unknown>, opts: { reversed?: boolean } = {}): PairPlan | string {
  const byRole = (role: string) => clusters.find((c) => c.role === role);
  const need = (c: ClusterInfo | undefined) => {
    if (!c?.id) return undefined;
    return services.clusters.get(c.id) ? c.id : undefined;
  };
  const lag = typeof params.lagThresholdBytes === 'number' ? params.lagThresholdBytes : undefined;
  const source = byRole('source');
  const target = byRole('target');
  if (source || target) {
    const s = need(source);
    const t = need(target);
    if (!s || !t) return 'The clusters of this run are not registered in this window (a CLI run?): the dashboard shows its journal only.';
    const subscription = typeof params.subscription === 'string' ? params.subscription : undefined;
    if (opts.reversed) {
      // switched over: the new primary (old target) publishes back to the old source when reverse replication runs;
      // the forward subscription is disabled on purpose and is not watched any more
      const reverse = params.reverseReplication === true && typeof params.reverseSubscription === 'string' ? params.reverseSubscription : REVERSE_NONE;
      return { pair: { source: monitored(services, t, target!.name), target: monitored(services, s, source!.name), ...poolersOf(services, params) }, subscription: reverse, lagThresholdBytes: lag };
    }
    return { pair: { source: monitored(services, s, source!.name), target: monitored(services, t, target!.name), ...poolersOf(services, params) }, subscription, lagThresholdBytes: lag };
  }
  const primary = byRole('primary') ?? byRole('server');
  const p = need(primary);
  if (!p) return 'The cluster of this run is not registered in this window (a CLI run?): the dashboard shows its journal only.';
  const standby = byRole('standby');
  const sb = need(standby);
  return { pair: { primary: monitored(services, p, primary!.name), ...(sb ? { standby: monitored(services, sb, standby!.name) } : {}), ...poolersOf(services, params) }, lagThresholdBytes: lag };
}
