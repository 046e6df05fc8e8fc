import * as vscode from 'vscode';
import type { CatalogModule } from '../lazy';
import { loadCatalog, loadConn } from '../lazy';
import type { SettingsClusterRegistry } from '../clusters/registry';
import { groupNames } from '../clusters/settings';
import { connectErrorKind, errorKindLabel, isPasswordProblem, type ClusterStatus } from '../clusters/status';
import type { ClusterStatusStore } from '../clusters/statusStore';
import type { ClusterConnections } from '../connections/manager';
import { errorMessage, timed, type Logger } from '../log';
import type { PasswordStore } from '../secrets';
import { clusterTooltip, emptyCategoryText, endpointsSummary, type ConnectionFacts } from './format';
import { clusterItem, clusterTooltipItem, nodeItem } from './items';
import {
  CATEGORIES, categoryNodeId, clusterNodeId, groupNodeId, messageNodeId, objectNodeId, runsNodeId, standbyKey,
  type CategoryNode, type ClusterNode, type ExplorerNode, type GroupNode, type MessageNode, type RunNode, type RunsNode,
} from './nodes';

/** Where the "Runs" rows come from (the runbook feature's RunStore); read from journals, never from a database. */
export interface RunSource<V extends { runId: string } = { runId: string }> {
  runsForCluster(clusterId: string): Promise<V[]>;
  treeItem(run: V): vscode.TreeItem;
  readonly onDidChange: vscode.Event<string | undefined>;
}

const t = vscode.l10n.t;

interface ChildrenEntry {
  promise: Promise<ExplorerNode[]>;
  /** For cluster nodes: whether the children were computed from a failed connection. */
  failed?: boolean;
}

/**
 * The Cluster Explorer. Lazy: a cluster connects when it is expanded (overview query), each category runs ONE catalog
 * query when expanded. Children are cached until a refresh so re-rendering a node (status change) does not re-query.
 * Node objects are kept per id and reused, so refreshing one node by its object works and ids stay stable.
 */
export class ExplorerProvider implements vscode.TreeDataProvider<ExplorerNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ExplorerNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly nodes = new Map<string, ExplorerNode>();
  private readonly children = new Map<string, ChildrenEntry>();
  /** Ids of nodes whose children are loading, and nodes to re-render once nothing below them loads any more. */
  private readonly loading = new Set<string>();
  private readonly deferred = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private runSource: RunSource | undefined;

  constructor(
    private readonly registry: SettingsClusterRegistry,
    private readonly connections: ClusterConnections,
    private readonly status: ClusterStatusStore,
    private readonly passwords: PasswordStore,
    private readonly log: Logger,
  ) {
    this.disposables.push(
      registry.onDidChange(() => this.refresh()),
      status.onDidChange(({ clusterId, current }) => this.onStatus(clusterId, current)),
      passwords.onDidChange((clusterId) => this.rerender(clusterId)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('pgUpgradePilot.explorer.groupByGroup')) this.refresh();
      }),
    );
  }

  /** Shows each cluster's runbook runs under a "Runs" node; the source says when a cluster's runs changed. */
  setRunSource<V extends { runId: string }>(source: RunSource<V>): void {
    this.runSource = source as unknown as RunSource;
    this.disposables.push(source.onDidChange((clusterId) => {
      for (const id of [...this.children.keys()]) {
        if (id.endsWith('/runs') && (clusterId === undefined || id === runsNodeId(clusterId))) this.children.delete(id);
      }
      if (clusterId === undefined) this.changed.fire(undefined);
      else this.refresh(clusterId);
    }));
  }

  /** Re-queries everything (no argument) or one cluster's subtree; re-renders the affected nodes. */
  refresh(clusterId?: string): void {
    if (clusterId === undefined) {
      this.children.clear();
      this.changed.fire(undefined);
      return;
    }
    this.forgetSubtree(clusterId);
    const node = this.nodes.get(clusterNodeId(clusterId));
    if (node) this.fireNode(node);
    else this.changed.fire(undefined);
  }

  /** Re-queries one category (or the whole cluster for any other node). */
  refreshNode(node: ExplorerNode): void {
    if (node.kind === 'category') {
      this.children.delete(node.id);
      this.fireNode(this.nodes.get(node.id) ?? node);
    } else if (node.kind === 'group') {
      this.refresh();
    } else {
      this.refresh(node.clusterId);
    }
  }

  /** The node object shown for a cluster (for reveal), if the tree has rendered it. */
  clusterNode(clusterId: string): ClusterNode | undefined {
    const node = this.nodes.get(clusterNodeId(clusterId));
    return node?.kind === 'cluster' ? node : undefined;
  }

  /** Connects a cluster the way expanding its node does (shares the load with the tree); resolves when done. */
  async connectCluster(clusterId: string): Promise<void> {
    const cluster = this.registry.get(clusterId);
    if (!cluster) return;
    const parentId = this.groupingEnabled() && cluster.group ? groupNodeId(cluster.group) : undefined;
    const node = this.clusterNode(clusterId) ?? this.intern<ClusterNode>({ kind: 'cluster', id: clusterNodeId(clusterId), clusterId, parentId });
    await this.getChildren(node);
  }

  private rerender(clusterId: string): void {
    const node = this.nodes.get(clusterNodeId(clusterId));
    if (node) this.fireNode(node);
  }

  /**
   * Re-renders one node, but never while its children (or its descendants') are still loading: VS Code would fetch
   * them a second time while the first fetch is pending and reject the ids as "already registered". Such a refresh is
   * done once the loads below the node settle. (A whole-tree refresh is safe: VS Code cancels pending fetches.)
   */
  private fireNode(node: ExplorerNode): void {
    if (this.busy(node.id)) this.deferred.add(node.id);
    else this.changed.fire(node);
  }

  private busy(id: string): boolean {
    for (const loading of this.loading) if (loading === id || loading.startsWith(`${id}/`)) return true;
    return false;
  }

  private loaded(id: string): void {
    this.loading.delete(id);
    for (const waiting of [...this.deferred]) {
      if (this.busy(waiting)) continue;
      this.deferred.delete(waiting);
      const node = this.nodes.get(waiting);
      if (node) this.changed.fire(node);
    }
  }

  private onStatus(clusterId: string, current: ClusterStatus): void {
    const entry = this.children.get(clusterNodeId(clusterId));
    const failed = current.state === 'error';
    // Children computed under the other outcome are stale (connected <-> failed, or the connection was reset).
    if (current.state === 'unknown' || (entry?.failed !== undefined && entry.failed !== failed)) this.forgetSubtree(clusterId);
    this.rerender(clusterId);
  }

  private forgetSubtree(clusterId: string): void {
    const prefix = clusterNodeId(clusterId);
    for (const id of [...this.children.keys()]) {
      if (id === prefix || id.startsWith(`${prefix}/`)) this.children.delete(id);
    }
  }

  /** Returns the known instance for this id (updated in place) or registers the new one. */
  private intern<N extends ExplorerNode>(node: N): N {
    const known = this.nodes.get(node.id);
    if (known && known.kind === node.kind) {
      for (const key of Object.keys(known)) delete (known as unknown as Record<string, unknown>)[key];
      return Object.assign(known, node);
    }
    this.nodes.set(node.id, node);
    return node;
  }

  getTreeItem(node: ExplorerNode): vscode.TreeItem {
    if (node.kind === 'run') {
      const item = this.runSource?.treeItem(node.run) ?? new vscode.TreeItem(node.runId);
      item.id = node.id;
      return item;
    }
    if (node.kind === 'cluster') {
      const cluster = this.registry.get(node.clusterId);
      if (!cluster) return new vscode.TreeItem(t('(removed)'));
      return clusterItem(node, cluster, this.status.get(node.clusterId), !this.groupingEnabled());
    }
    let database: string | undefined;
    if (node.kind === 'category') {
      const s = this.status.get(node.clusterId);
      database = s.state === 'connected' ? s.overview?.currentDatabase : undefined;
    }
    return nodeItem(node, database);
  }

  async resolveTreeItem(item: vscode.TreeItem, node: ExplorerNode): Promise<vscode.TreeItem> {
    if (node.kind !== 'cluster') return item;
    const cluster = this.registry.get(node.clusterId);
    if (!cluster) return item;
    const facts: ConnectionFacts = { hasStoredPassword: await this.passwords.has(cluster.id) };
    const conn = await loadConn();
    try {
      const p = conn.parseConnString(cluster.connection);
      facts.endpoints = p.service && !p.host && !p.hostaddr ? `service=${p.service}` : endpointsSummary(p.host ?? p.hostaddr, p.port);
      facts.database = p.dbname;
      facts.user = p.user;
      facts.targetSessionAttrs = p.target_session_attrs;
      facts.sslmode = p.sslmode;
    } catch {
      facts.raw = conn.redactConnString(cluster.connection);
    }
    return clusterTooltipItem(item, clusterTooltip(cluster, this.status.get(cluster.id), facts, t));
  }

  getParent(node: ExplorerNode): ExplorerNode | undefined {
    return node.parentId ? this.nodes.get(node.parentId) : undefined;
  }

  getChildren(node?: ExplorerNode): ExplorerNode[] | Promise<ExplorerNode[]> {
    if (!node) return this.rootChildren();
    switch (node.kind) {
      case 'group': return this.clusterNodes(node);
      case 'cluster': return this.cached(node.id, () => this.loadClusterNode(node), true);
      case 'category': return this.cached(node.id, () => this.loadCategory(node));
      case 'runs': return this.cached(node.id, () => this.loadRuns(node));
      default: return [];
    }
  }

  private groupingEnabled(): boolean {
    return vscode.workspace.getConfiguration('pgUpgradePilot').get<boolean>('explorer.groupByGroup', true);
  }

  private rootChildren(): ExplorerNode[] {
    const clusters = this.registry.list();
    const live = new Set(clusters.map((c) => c.id));
    const groups = this.groupingEnabled() ? groupNames(clusters) : [];
    for (const [id, node] of [...this.nodes]) {
      const stale = node.kind === 'group' ? !groups.includes(node.group) : node.clusterId !== undefined && !live.has(node.clusterId);
      if (stale) this.nodes.delete(id);
    }
    if (!groups.length) return this.clusterNodes(undefined, false);
    const groupNodes: ExplorerNode[] = groups.map((group) => this.intern<GroupNode>({ kind: 'group', id: groupNodeId(group), group }));
    return [...groupNodes, ...this.clusterNodes(undefined, true)];
  }

  /** Clusters of a group, or (no group) all clusters / the ungrouped ones when grouping. */
  private clusterNodes(group: GroupNode | undefined, ungroupedOnly = true): ExplorerNode[] {
    return this.registry
      .list()
      .filter((c) => (group ? c.group === group.group : !ungroupedOnly || !c.group))
      .map((c) => this.intern<ClusterNode>({ kind: 'cluster', id: clusterNodeId(c.id), clusterId: c.id, parentId: group?.id }));
  }

  private cached(id: string, load: () => Promise<ExplorerNode[]>, trackFailure = false): Promise<ExplorerNode[]> {
    const known = this.children.get(id);
    if (known) return known.promise;
    for (const nodeId of [...this.nodes.keys()]) {
      if (nodeId.startsWith(`${id}/`)) this.nodes.delete(nodeId); // objects of the previous load
    }
    this.loading.add(id);
    const entry: ChildrenEntry = { promise: load() };
    this.children.set(id, entry);
    void entry.promise.finally(() => this.loaded(id)).catch(() => undefined);
    if (trackFailure) {
      const clusterId = (this.nodes.get(id) as ClusterNode | undefined)?.clusterId;
      void entry.promise.then(() => {
        if (clusterId) entry.failed = this.status.get(clusterId).state === 'error';
      });
    }
    return entry.promise;
  }

  private message(parentId: string, clusterId: string | undefined, fields: Omit<MessageNode, 'kind' | 'id' | 'parentId' | 'clusterId'>): MessageNode {
    return this.intern<MessageNode>({ kind: 'message', id: messageNodeId(parentId), parentId, clusterId, ...fields });
  }

  /** Connects (prompting for a missing password), runs the overview query, returns the five categories. */
  private async loadClusterNode(node: ClusterNode): Promise<ExplorerNode[]> {
    const cluster = this.registry.get(node.clusterId);
    if (!cluster) return [];
    try {
      const { client } = await this.connections.get(cluster.id, { interactive: true });
      const catalog = await loadCatalog();
      const overview = await timed(this.log, `"${cluster.name}" server overview`, () => catalog.fetchServerOverview(client));
      this.status.update(cluster.id, { overview, version: overview.version, checkedAt: Date.now() });
      const categories = CATEGORIES.map((category) =>
        this.intern<CategoryNode>({ kind: 'category', id: categoryNodeId(cluster.id, category), parentId: node.id, clusterId: cluster.id, category }),
      );
      return [...categories, ...(await this.runsNode(node))];
    } catch (err) {
      if (!this.registry.get(node.clusterId)) return [];
      let status = this.status.get(cluster.id);
      if (status.state !== 'error') {
        // The connection worked but the overview query failed (e.g. a permission): show it like a connection error.
        this.log.warn(`overview of "${cluster.name}" failed: ${errorMessage(err)}`);
        status = { state: 'error', kind: connectErrorKind(err), message: errorMessage(err), checkedAt: Date.now() };
        this.status.set(cluster.id, status);
      }
      // Runs stay reachable while the cluster is down (their journals are local files).
      return [this.errorRow(node.id, cluster.id, status), ...(await this.runsNode(node))];
    }
  }

  /** The "Runs" node, only when this cluster was the source of a run. */
  private async runsNode(cluster: ClusterNode): Promise<RunsNode[]> {
    const runs = await this.runSource?.runsForCluster(cluster.clusterId).catch(() => []);
    if (!runs?.length) return [];
    return [this.intern<RunsNode>({ kind: 'runs', id: runsNodeId(cluster.clusterId), parentId: cluster.id, clusterId: cluster.clusterId })];
  }

  private async loadRuns(node: RunsNode): Promise<ExplorerNode[]> {
    const runs = (await this.runSource?.runsForCluster(node.clusterId)) ?? [];
    return runs.map((run) => this.intern<RunNode>({ kind: 'run', id: `${node.id}/${run.runId}`, parentId: node.id, clusterId: node.clusterId, runId: run.runId, run }));
  }

  private errorRow(parentId: string, clusterId: string, status: Extract<ClusterStatus, { state: 'error' }>): MessageNode {
    const password = isPasswordProblem(status.kind);
    const label = errorKindLabel(status.kind, t);
    return this.message(parentId, clusterId, {
      severity: 'error',
      text: password
        ? t('{0}: click to enter the password', label)
        : t('{0}: click to retry', label),
      detail: status.message,
      action: password ? 'enterPassword' : 'retry',
    });
  }

  /** ONE catalog query for the category. */
  private async loadCategory(node: CategoryNode): Promise<ExplorerNode[]> {
    const cluster = this.registry.get(node.clusterId);
    if (!cluster) return [];
    try {
      const { client, version } = await this.connections.get(cluster.id, { interactive: true });
      const catalog = await loadCatalog();
      const status = this.status.get(cluster.id);
      const overview = status.state === 'connected' ? status.overview : undefined;
      const database = overview?.currentDatabase ?? '';
      const children = await timed(
        this.log,
        `"${cluster.name}" ${node.category}`,
        () => this.queryCategory(catalog, node, client, version, database, overview?.isSuperuser ?? false),
        (rows) => `${rows.length} rows`,
      );
      if (children.length) return children;
      return [this.message(node.id, cluster.id, { severity: 'info', text: emptyCategoryText(node.category, database, t) })];
    } catch (err) {
      if (!this.registry.get(node.clusterId)) return [];
      this.log.warn(`"${cluster.name}" ${node.category}: ${errorMessage(err)}`);
      return [this.message(node.id, cluster.id, { severity: 'error', text: errorMessage(err), detail: errorMessage(err), action: 'refresh' })];
    }
  }

  private async queryCategory(
    catalog: CatalogModule,
    node: CategoryNode,
    client: Parameters<CatalogModule['listDatabases']>[0],
    version: Parameters<CatalogModule['listDatabases']>[1],
    database: string,
    superuser: boolean,
  ): Promise<ExplorerNode[]> {
    const base = { clusterId: node.clusterId, parentId: node.id };
    const id = (key: string) => objectNodeId(node.clusterId, node.category, key);
    switch (node.category) {
      case 'databases':
        return (await catalog.listDatabases(client, version)).map((info) => this.intern({ ...base, kind: 'database', id: id(info.name), info }));
      case 'publications':
        return (await catalog.listPublications(client, version)).map((info) => this.intern({ ...base, kind: 'publication', id: id(info.name), database, info }));
      case 'subscriptions':
        return (await catalog.listSubscriptions(client, version, { conninfo: superuser })).map((info) =>
          this.intern({ ...base, kind: 'subscription', id: id(info.name), database, info }),
        );
      case 'slots':
        return (await catalog.listReplicationSlots(client, version)).map((info) => this.intern({ ...base, kind: 'replicationSlot', id: id(info.name), info }));
      case 'standbys':
        return (await catalog.listStandbys(client, version)).map((info) => this.intern({ ...base, kind: 'standby', id: id(standbyKey(info)), info }));
    }
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}
