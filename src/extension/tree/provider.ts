import * as vscode from 'vscode';
import type { CatalogModule } from '../lazy';
import { loadCatalog, loadConn } from '../lazy';
import type { SettingsClusterRegistry } from '../clusters/registry';
import { groupNames } from '../clusters/settings';
import { connectErrorKind, errorKindLabel, isPasswordProblem, missingDatabaseOf, type ClusterStatus } from '../clusters/status';
import type { ClusterStatusStore } from '../clusters/statusStore';
import type { ClusterConnections } from '../connections/manager';
import { errorMessage, timed, type Logger } from '../log';
import type { PasswordStore } from '../secrets';
import { clusterTooltip, emptyCategoryText, endpointsSummary, type ConnectionFacts } from './format';
import { clusterItem, clusterTooltipItem, nodeItem } from './items';
import {
  CATEGORIES, categoryNodeId, clusterNodeId, groupNodeId, messageNodeId, objectNodeId, poolerNodeId, poolersNodeId, runsNodeId, standbyKey,
  type CategoryNode, type ClusterNode, type ExplorerNode, type GroupNode, type MessageNode, type ObjectNode, type PoolerDatabaseNode,
  type PoolerNode, type PoolersNode, type RunNode, type RunsNode,
} from './nodes';
import type { EndpointPasswords } from '../endpointSecrets';
import type { PoolerRegistry } from '../poolers/registry';

/** Where the "Runs" rows come from (the runbook feature's RunStore); read from journals, never from a database. */
export interface RunSource<V extends { runId: string } = { runId: string }> {
  runsForCluster(clusterId: string): Promise<V[]>;
  treeItem(run: V): vscode.TreeItem;
  readonly onDidChange: vscode.Event<string | undefined>;
}

const t = vscode.l10n.t;

interface ChildrenEntry {
  promise: Promise<ExplorerNode[]>;
  settled?: boolean;
  /** For cluster nodes: whether the children were computed from a failed connection. */
  failed?: boolean;
  /** For cluster nodes: the status changed while loading (connecting); re-render once, when the load settles. */
  statusChanged?: boolean;
}

/**
 * The Cluster Explorer. Lazy: a cluster connects when it is expanded (overview query), each category runs ONE catalog
 * query when expanded. Children are cached until a refresh so re-rendering (status change) does not re-query.
 *
 * Every change is announced to VS Code as a WHOLE-TREE change (`onDidChangeTreeData(undefined)`), never for one
 * element. VS Code (1.100, extHostTreeViews) applies an element refresh on its side when its debounced, queued
 * refresh runs (at once, or 200 ms and more after the event): it drops the element's registered subtree, but a
 * getChildren it already awaits for that element or a descendant keeps the dropped parent and, when it completes,
 * registers the children's ids again; the re-fetch the refresh starts then fails with "Element with id … is already
 * registered" and the node stays empty. The provider cannot know when VS Code applies the refresh, and the view may
 * start a fetch (an expand) meanwhile, so no bookkeeping here makes an element refresh safe. A whole-tree refresh
 * cancels every pending fetch (their results are dropped, nothing registered); it re-queries only what was
 * forgotten, everything else comes from the caches (the usual workaround for microsoft/vscode#71698).
 *
 * Node objects are kept per id (updated in place by the current load) for getParent / reveal; a load forgotten by a
 * refresh while it ran neither updates them nor lands in the cache.
 */
export class ExplorerProvider implements vscode.TreeDataProvider<ExplorerNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ExplorerNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly nodes = new Map<string, ExplorerNode>();
  private readonly children = new Map<string, ChildrenEntry>();
  /** What each cluster's row showed when last rendered, and the clusters whose tooltip VS Code resolved since. */
  private readonly shown = new Map<string, string>();
  private readonly tooltips = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private runSource: RunSource | undefined;
  private poolerSource: { registry: PoolerRegistry; stores: EndpointPasswords } | undefined;

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
      // Only the tooltip shows the password (resolved on hover, then kept by VS Code until the row is re-rendered).
      passwords.onDidChange((clusterId) => {
        if (this.tooltips.has(clusterId)) this.rerender();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('pgUpgradePilot.explorer.groupByGroup')) this.refresh();
      }),
    );
  }

  /** Shows each cluster's runbook runs under a "Runs" node; the source says when a cluster's runs changed. */
  setRunSource<V extends { runId: string }>(source: RunSource<V>): void {
    this.runSource = source as unknown as RunSource;
    this.disposables.push(source.onDidChange((clusterId) => {
      // Only the run lists are re-read: a cluster's "Runs" node is computed on each fetch of its children, not cached.
      for (const id of [...this.children.keys()]) {
        if (id.endsWith('/runs') && (clusterId === undefined || id === runsNodeId(clusterId))) this.forget(id);
      }
      this.rerender();
    }));
  }

  /** Shows the PgBouncer poolers registered in front of each cluster under a "Poolers" node. */
  setPoolerSource(registry: PoolerRegistry, stores: EndpointPasswords): void {
    this.poolerSource = { registry, stores };
    this.disposables.push(registry.onDidChange(() => {
      for (const id of [...this.children.keys()]) if (id.includes('/poolers')) this.forget(id);
      this.rerender();
    }));
  }

  /** Re-queries everything (no argument) or one cluster's subtree, and re-renders. */
  refresh(clusterId?: string): void {
    if (clusterId === undefined) this.children.clear();
    else this.forget(clusterNodeId(clusterId));
    this.rerender();
  }

  /** Re-queries one category (or the whole cluster for any other node). */
  refreshNode(node: ExplorerNode): void {
    if (node.kind === 'category') {
      this.forget(node.id);
      this.rerender();
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

  /**
   * Tells VS Code to re-render. Always the whole tree (see the class comment): an element refresh while VS Code still
   * fetches below that element registers ids twice. Cached children are served again without a query.
   */
  private rerender(): void {
    this.tooltips.clear();
    this.changed.fire(undefined);
  }

  /**
   * A status change re-renders only when the tree shows something else: the children are stale, or the row's text,
   * icon or menus (or a tooltip VS Code keeps) changed; changes while the cluster connects (its load is pending) make
   * one re-render when it ends. Each re-render gives every row a new object in the view, and VS Code's commands that
   * hold a row across a refresh (list.expand: the Right arrow) then miss it: fewer re-renders, fewer misses.
   */
  private onStatus(clusterId: string, current: ClusterStatus): void {
    const entry = this.children.get(clusterNodeId(clusterId));
    const failed = current.state === 'error';
    // Children computed under the other outcome are stale (connected <-> failed, or the connection was reset).
    if (current.state === 'unknown' || (entry?.failed !== undefined && entry.failed !== failed)) {
      this.forget(clusterNodeId(clusterId));
      this.rerender();
    } else if (entry && !entry.settled) {
      entry.statusChanged = true;
    } else {
      this.rerenderIfShownChanged(clusterId);
    }
  }

  private rerenderIfShownChanged(clusterId: string): void {
    const before = this.shown.get(clusterId);
    const now = this.clusterRow({ kind: 'cluster', id: clusterNodeId(clusterId), clusterId })?.key;
    if (this.tooltips.has(clusterId) || (before !== undefined && before !== now)) this.rerender();
  }

  /** A cluster's row as it would render now, and a key of what it shows (text, menus, icon, its categories' database). */
  private clusterRow(node: ClusterNode): { item: vscode.TreeItem; key: string } | undefined {
    const cluster = this.registry.get(node.clusterId);
    if (!cluster) return undefined;
    const status = this.status.get(node.clusterId);
    const item = clusterItem(node, cluster, status, !this.groupingEnabled());
    const icon = item.iconPath instanceof vscode.ThemeIcon ? [item.iconPath.id, item.iconPath.color?.id] : [];
    const database = status.state === 'connected' ? status.overview?.currentDatabase : undefined;
    return { item, key: JSON.stringify([item.label, item.description, item.contextValue, icon, database]) };
  }

  /**
   * Forgets the cached children of a node and of everything below it, and the node objects below it: the next fetch
   * loads them again. A load still running for a forgotten entry finishes unseen (see `cached`).
   */
  private forget(id: string): void {
    const below = (other: string) => other.startsWith(`${id}/`);
    for (const key of [...this.children.keys()]) if (key === id || below(key)) this.children.delete(key);
    for (const key of [...this.nodes.keys()]) if (below(key)) this.nodes.delete(key);
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
      const row = this.clusterRow(node);
      if (!row) return new vscode.TreeItem(t('(removed)'));
      this.shown.set(node.clusterId, row.key);
      return row.item;
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
    this.tooltips.add(cluster.id);
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
      case 'cluster': return this.clusterChildren(node);
      case 'category': return this.cached(node.id, () => this.loadCategory(node));
      case 'runs': return this.cached(node.id, () => this.loadRuns(node));
      case 'poolers': return this.poolerNodes(node);
      case 'pooler': return this.cached(node.id, () => this.loadPooler(node));
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
    for (const id of [...this.shown.keys()]) if (!live.has(id)) this.shown.delete(id);
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

  /** A cluster's categories (or its error row), cached, then its "Runs" node (re-read each time: runs come and go). */
  private async clusterChildren(node: ClusterNode): Promise<ExplorerNode[]> {
    const base = await this.cached(node.id, () => this.loadClusterNode(node), node.clusterId);
    return [...base, ...this.poolersNode(node), ...(await this.runsNode(node))];
  }

  /** The "Poolers" node, only when a pooler is registered in front of this cluster. */
  private poolersNode(cluster: ClusterNode): PoolersNode[] {
    if (!this.poolerSource?.registry.list(cluster.clusterId).length) return [];
    return [this.intern<PoolersNode>({ kind: 'poolers', id: poolersNodeId(cluster.clusterId), parentId: cluster.id, clusterId: cluster.clusterId })];
  }

  private poolerNodes(node: PoolersNode): ExplorerNode[] {
    return (this.poolerSource?.registry.list(node.clusterId) ?? []).map((p) => this.intern<PoolerNode>({
      kind: 'pooler', id: poolerNodeId(node.clusterId, p.id), parentId: node.id, clusterId: node.clusterId, poolerId: p.id, admin: p.admin, config: p.config,
    }));
  }

  /** ONE console session: SHOW DATABASES + SHOW POOLS (asks the admin password when the pooler wants one). */
  private async loadPooler(node: PoolerNode): Promise<ExplorerNode[]> {
    if (!this.poolerSource) return [];
    try {
      const { readPoolerState } = await import('../poolers/console');
      const dbs = await timed(this.log, `pooler ${node.admin}`, () => readPoolerState(this.poolerSource!.stores, node.admin, true), (r) => `${r.length} databases`);
      if (!dbs.length) return [this.message(node.id, node.clusterId, { severity: 'info', text: t('No pooled database') })];
      return dbs.map((info): PoolerDatabaseNode => ({ kind: 'poolerDatabase', id: `${node.id}/${info.name}`, parentId: node.id, clusterId: node.clusterId, poolerId: node.poolerId, info }));
    } catch (err) {
      this.log.warn(`pooler ${node.admin}: ${errorMessage(err)}`);
      return [this.message(node.id, node.clusterId, { severity: 'error', text: errorMessage(err), detail: errorMessage(err), action: 'refresh' })];
    }
  }

  /**
   * The children of `id`, loaded once and shared by every fetch until forgotten (a re-render must not re-query). The
   * loaded nodes become the known objects for their ids only if the entry is still current when the load ends: a
   * load that a refresh forgot meanwhile must not overwrite what a newer load found (its result goes only to the
   * fetch that asked for it, which the refresh's whole-tree re-render cancels or replaces).
   */
  private cached(id: string, load: () => Promise<ExplorerNode[]>, trackFailureOf?: string): Promise<ExplorerNode[]> {
    const known = this.children.get(id);
    if (known) return known.promise;
    const entry: ChildrenEntry = {
      promise: load().then((nodes) => {
        if (this.children.get(id) !== entry) return nodes;
        if (trackFailureOf) entry.failed = this.status.get(trackFailureOf).state === 'error';
        return nodes.map((n) => this.intern(n));
      }),
    };
    this.children.set(id, entry);
    entry.promise.then(undefined, () => {
      // A failed load is not kept: the next fetch tries again.
      if (this.children.get(id) === entry) this.children.delete(id);
    }).finally(() => {
      entry.settled = true;
      if (trackFailureOf && entry.statusChanged && this.children.get(id) === entry) this.rerenderIfShownChanged(trackFailureOf);
    });
    return entry.promise;
  }

  private message(parentId: string, clusterId: string | undefined, fields: Omit<MessageNode, 'kind' | 'id' | 'parentId' | 'clusterId'>): MessageNode {
    return { kind: 'message', id: messageNodeId(parentId), parentId, clusterId, ...fields };
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
      return CATEGORIES.map((category): CategoryNode => (
        { kind: 'category', id: categoryNodeId(cluster.id, category), parentId: node.id, clusterId: cluster.id, category }
      ));
    } catch (err) {
      if (!this.registry.get(node.clusterId)) return [];
      let status = this.status.get(cluster.id);
      if (status.state !== 'error') {
        // The connection worked but the overview query failed (e.g. a permission): show it like a connection error.
        this.log.warn(`overview of "${cluster.name}" failed: ${errorMessage(err)}`);
        status = { state: 'error', kind: connectErrorKind(err), message: errorMessage(err), checkedAt: Date.now() };
        this.status.set(cluster.id, status);
      }
      // The Runs node follows (clusterChildren): runs stay reachable while the cluster is down (local journals).
      return [this.errorRow(node.id, cluster.id, status)];
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
    return runs.map((run): RunNode => ({ kind: 'run', id: `${node.id}/${run.runId}`, parentId: node.id, clusterId: node.clusterId, runId: run.runId, run }));
  }

  private errorRow(parentId: string, clusterId: string, status: Extract<ClusterStatus, { state: 'error' }>): MessageNode {
    const password = isPasswordProblem(status.kind);
    const label = errorKindLabel(status.kind, t);
    const missing = status.kind === 'database-missing' ? missingDatabaseOf(status.message) : undefined;
    if (missing !== undefined) {
      return this.message(parentId, clusterId, {
        severity: 'error', text: t('database "{0}" does not exist: click to create it', missing), detail: status.message, action: 'createDatabase',
      });
    }
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
        return (await catalog.listDatabases(client, version)).map((info): ObjectNode => ({ ...base, kind: 'database', id: id(info.name), info }));
      case 'publications':
        return (await catalog.listPublications(client, version)).map((info): ObjectNode => ({ ...base, kind: 'publication', id: id(info.name), database, info }));
      case 'subscriptions':
        return (await catalog.listSubscriptions(client, version, { conninfo: superuser })).map((info): ObjectNode =>
          ({ ...base, kind: 'subscription', id: id(info.name), database, info }),
        );
      case 'slots':
        return (await catalog.listReplicationSlots(client, version)).map((info): ObjectNode => ({ ...base, kind: 'replicationSlot', id: id(info.name), info }));
      case 'standbys':
        return (await catalog.listStandbys(client, version)).map((info): ObjectNode => ({ ...base, kind: 'standby', id: id(standbyKey(info)), info }));
    }
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}
