/**
 * The Cluster Explorer's elements. Pure data (no vscode import): commands contributed to the view receive these
 * objects as their first argument; every node below a cluster carries `clusterId`.
 *
 * TreeItem ids are stable across refreshes, so VS Code keeps expansion and selection:
 *   group/<group>                         group node (only when some cluster has a group)
 *   cluster/<clusterId>                   cluster node
 *   cluster/<clusterId>/<category>        databases | publications | subscriptions | slots | standbys
 *   cluster/<clusterId>/<category>/<key>  one object (database name, publication name, slot name, ...)
 *   cluster/<clusterId>/runs              the runbook runs whose source (primary, server) is this cluster
 *   cluster/<clusterId>/runs/<runId>      one run (its TreeItem comes from the runbook feature's RunStore)
 *   cluster/<clusterId>/poolers           the PgBouncer poolers in front of it (only when it has some)
 *   cluster/<clusterId>/poolers/<id>      one pooler; its children: its pooled databases (SHOW DATABASES + POOLS)
 *   <parent id>/!message                  an informational or error row under a parent
 */
import type { PoolerDatabaseState } from '../../core/monitor/poolers';
import type { DatabaseInfo, PublicationInfo, ReplicationSlotInfo, StandbyInfo, SubscriptionInfo } from '../../core/catalog/types';

export type CategoryKind = 'databases' | 'publications' | 'subscriptions' | 'slots' | 'standbys';

export const CATEGORIES: readonly CategoryKind[] = ['databases', 'publications', 'subscriptions', 'slots', 'standbys'];

interface NodeBase {
  id: string;
  /** Id of the parent node; undefined for root nodes. */
  parentId?: string;
}

export interface GroupNode extends NodeBase {
  kind: 'group';
  group: string;
}

export interface ClusterNode extends NodeBase {
  kind: 'cluster';
  clusterId: string;
}

export interface CategoryNode extends NodeBase {
  kind: 'category';
  clusterId: string;
  category: CategoryKind;
}

export interface DatabaseNode extends NodeBase {
  kind: 'database';
  clusterId: string;
  info: DatabaseInfo;
}

export interface PublicationNode extends NodeBase {
  kind: 'publication';
  clusterId: string;
  /** The database the publication lives in (the cluster connection's database). */
  database: string;
  info: PublicationInfo;
}

export interface SubscriptionNode extends NodeBase {
  kind: 'subscription';
  clusterId: string;
  database: string;
  info: SubscriptionInfo;
}

export interface ReplicationSlotNode extends NodeBase {
  kind: 'replicationSlot';
  clusterId: string;
  info: ReplicationSlotInfo;
}

export interface StandbyNode extends NodeBase {
  kind: 'standby';
  clusterId: string;
  info: StandbyInfo;
}

/** What clicking a message row does. */
export type MessageAction = 'retry' | 'enterPassword' | 'refresh' | 'createDatabase';

export interface MessageNode extends NodeBase {
  kind: 'message';
  clusterId?: string;
  severity: 'info' | 'warning' | 'error';
  text: string;
  /** Longer text for the tooltip (an error message). */
  detail?: string;
  action?: MessageAction;
}

export interface RunsNode extends NodeBase {
  kind: 'runs';
  clusterId: string;
}

/** A run row; `run` is the runbook feature's view of it (opaque to the tree). */
export interface RunNode extends NodeBase {
  kind: 'run';
  clusterId: string;
  runId: string;
  run: { runId: string };
}

/** The PgBouncer poolers in front of a cluster (setting pgUpgradePilot.poolers). */
export interface PoolersNode extends NodeBase {
  kind: 'poolers';
  clusterId: string;
}

export interface PoolerNode extends NodeBase {
  kind: 'pooler';
  clusterId: string;
  poolerId: string;
  /** Admin console connection (no password) and configuration file, as registered. */
  admin: string;
  config: string;
}

/** One pooled database of a pooler: where it points, pool mode, clients. */
export interface PoolerDatabaseNode extends NodeBase {
  kind: 'poolerDatabase';
  clusterId: string;
  poolerId: string;
  info: PoolerDatabaseState;
}

export type ObjectNode = DatabaseNode | PublicationNode | SubscriptionNode | ReplicationSlotNode | StandbyNode;
export type ExplorerNode = GroupNode | ClusterNode | CategoryNode | ObjectNode | RunsNode | RunNode | MessageNode | PoolersNode | PoolerNode | PoolerDatabaseNode;

export const groupNodeId = (group: string): string => `group/${group}`;
export const clusterNodeId = (clusterId: string): string => `cluster/${clusterId}`;
export const categoryNodeId = (clusterId: string, category: CategoryKind): string => `${clusterNodeId(clusterId)}/${category}`;
export const objectNodeId = (clusterId: string, category: CategoryKind, key: string): string => `${categoryNodeId(clusterId, category)}/${key}`;
export const runsNodeId = (clusterId: string): string => `${clusterNodeId(clusterId)}/runs`;
export const poolersNodeId = (clusterId: string): string => `${clusterNodeId(clusterId)}/poolers`;
export const poolerNodeId = (clusterId: string, poolerId: string): string => `${poolersNodeId(clusterId)}/${poolerId}`;
export const messageNodeId = (parentId: string): string => `${parentId}/!message`;

/** The key of a standby row: several standbys may share an application_name (the default is "walreceiver"). */
export function standbyKey(info: StandbyInfo): string {
  return `${info.applicationName}@${info.clientAddr ?? 'local'}#${info.pid}`;
}

/** The cluster id a node belongs to, if any (helps commands accept any node). */
export function nodeClusterId(node: ExplorerNode): string | undefined {
  return node.kind === 'group' ? undefined : node.clusterId;
}

/** The contextValue of every node but clusters (those: clusterContextValue in ../clusters/status). */
export function nodeContextValue(node: Exclude<ExplorerNode, ClusterNode | RunNode>): string {
  switch (node.kind) {
    case 'group': return 'group';
    case 'category': return `category.${node.category}`;
    case 'runs': return 'category.runs';
    case 'poolers': return 'category.poolers';
    case 'pooler': return 'pooler';
    case 'poolerDatabase': return node.info.paused ? 'poolerDatabase.paused' : 'poolerDatabase';
    case 'database': return 'database';
    case 'publication': return 'publication';
    case 'subscription': return node.info.enabled ? 'subscription' : 'subscription.disabled';
    case 'replicationSlot': return node.info.active ? 'replicationSlot' : 'replicationSlot.inactive';
    case 'standby': return 'standby';
    case 'message': return node.severity === 'error' ? 'message.error' : 'message';
  }
}
