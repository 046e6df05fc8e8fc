/**
 * PG Upgrade: Open Replication Dashboard.  Args, any of:
 *   { sourceId, targetId, subscription? }   a logical pair (publisher → subscriber)
 *   { primaryId, standbyId? }               a streaming pair
 *   a Subscription node of the explorer     its cluster is the target; the source is the registered cluster whose
 *                                           connection names the subscription's publisher host:port (else picked)
 *   a Standby / slot / cluster node         its cluster is the primary (a cluster node: asks for the other one)
 *   nothing                                  pick the kind, then the clusters
 */
import * as vscode from 'vscode';
import type { ClusterDefinition } from '../../core/clusters';
import type { DashboardTarget } from '../../core/protocol/dashboard';
import { isString, option } from '../commands/target';
import type { ExtensionServices } from '../services';

const t = vscode.l10n.t;

interface NodeLike {
  kind?: unknown;
  clusterId?: unknown;
  info?: { name?: unknown; conninfoHost?: unknown; conninfoPort?: unknown };
}

/** Registered clusters whose connection string names host:port. */
async function clustersAt(services: ExtensionServices, host: string, port: string | null): Promise<ClusterDefinition[]> {
  const { parseConnString } = await import('../../core/conn');
  const hosts = host.split(',').map((h) => h.trim());
  return services.clusters.list().filter((c) => {
    try {
      const p = parseConnString(c.connection);
      const cHosts = (p.host ?? 'localhost').split(',');
      const cPorts = String(p.port ?? '5432').split(',');
      return cHosts.some((h, i) => hosts.includes(h) && (!port || port.split(',').includes(cPorts[i] ?? cPorts[0])));
    } catch {
      return false;
    }
  });
}

export async function resolveReplicationTarget(services: ExtensionServices, arg: unknown): Promise<DashboardTarget | undefined> {
  const reg = services.clusters;
  const sourceId = option(arg, 'sourceId', isString);
  const targetId = option(arg, 'targetId', isString);
  if (sourceId && targetId) return { kind: 'logical', sourceId, targetId, ...(option(arg, 'subscription', isString) ? { subscription: option(arg, 'subscription', isString)! } : {}) };
  const primaryId = option(arg, 'primaryId', isString);
  if (primaryId) return { kind: 'streaming', primaryId, ...(option(arg, 'standbyId', isString) ? { standbyId: option(arg, 'standbyId', isString)! } : {}) };

  const node = (typeof arg === 'object' && arg !== null ? arg : {}) as NodeLike;
  const clusterId = typeof node.clusterId === 'string' ? node.clusterId : undefined;
  if (node.kind === 'subscription' && clusterId) {
    const host = typeof node.info?.conninfoHost === 'string' ? node.info.conninfoHost : undefined;
    const port = typeof node.info?.conninfoPort === 'string' ? node.info.conninfoPort : null;
    const candidates = host ? (await clustersAt(services, host, port)).filter((c) => c.id !== clusterId) : [];
    const source = candidates.length === 1 ? candidates[0] : await reg.pick(t('Publisher (source) of this subscription'), [clusterId]);
    if (!source) return undefined;
    const subscription = typeof node.info?.name === 'string' ? node.info.name : undefined;
    return { kind: 'logical', sourceId: source.id, targetId: clusterId, ...(subscription ? { subscription } : {}) };
  }
  if ((node.kind === 'standby' || node.kind === 'replicationSlot') && clusterId) return { kind: 'streaming', primaryId: clusterId };

  const kind = clusterId ? undefined : await vscode.window.showQuickPick([
    { label: t('Logical replication'), description: t('publisher (source) → subscriber (target)'), pair: 'logical' as const },
    { label: t('Streaming replication'), description: t('primary → standbys'), pair: 'streaming' as const },
  ], { placeHolder: t('Which replication do you want to watch?') });
  if (!clusterId && !kind) return undefined;
  if (kind?.pair === 'streaming') {
    const primary = await reg.pick(t('Primary cluster'));
    if (!primary) return undefined;
    const standby = await reg.pick(t('Standby cluster (Escape: the primary\'s view only)'), [primary.id]);
    return { kind: 'streaming', primaryId: primary.id, ...(standby ? { standbyId: standby.id } : {}) };
  }
  const source = clusterId ? reg.get(clusterId) : await reg.pick(t('Publisher (source) cluster'));
  if (!source) return undefined;
  const target = await reg.pick(t('Subscriber (target) cluster'), [source.id]);
  if (!target) return undefined;
  return { kind: 'logical', sourceId: source.id, targetId: target.id };
}
