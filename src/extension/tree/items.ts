import * as vscode from 'vscode';
import type { ClusterDefinition } from '../../core/clusters';
import { clusterContextValue, isPasswordProblem, type ClusterStatus } from '../clusters/status';
import {
  categoryLabel, clusterDescription, databaseDescription, databaseTooltip, publicationDescription, publicationTooltip,
  slotDescription, slotHealth, slotTooltip, standbyDescription, standbyTooltip, subscriptionDescription,
  subscriptionHealth, subscriptionTooltip,
} from './format';
import type { PoolerDatabaseState } from '../../core/monitor/poolers';
import { poolerLabel } from '../poolers/settings';
import { nodeContextValue, type CategoryKind, type ClusterNode, type ExplorerNode, type MessageNode, type RunNode } from './nodes';

const t = vscode.l10n.t;
const { Collapsed, None } = vscode.TreeItemCollapsibleState;

function icon(id: string, color?: string): vscode.ThemeIcon {
  return new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined);
}

function markdown(text: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(text, true);
  md.supportHtml = false;
  return md;
}

/** Connected: green (primary) or blue (standby) database; failures: disconnected / key / lock icons in error colours. */
export function clusterIcon(status: ClusterStatus): vscode.ThemeIcon {
  switch (status.state) {
    case 'unknown': return icon('database');
    case 'connected': return icon('database', status.overview?.role === 'standby' ? 'charts.blue' : 'charts.green');
    case 'error':
      if (isPasswordProblem(status.kind)) return icon('key', 'problemsWarningIcon.foreground');
      if (status.kind === 'ssl') return icon('lock', 'problemsErrorIcon.foreground');
      if (status.kind === 'read-only') return icon('circle-slash', 'problemsWarningIcon.foreground');
      if (status.kind === 'unreachable' || status.kind === 'timeout') return icon('debug-disconnect', 'problemsErrorIcon.foreground');
      return icon('error', 'problemsErrorIcon.foreground');
  }
}

/** The cluster row; its tooltip is filled in by resolveTreeItem (it parses the connection string). */
export function clusterItem(node: ClusterNode, cluster: ClusterDefinition, status: ClusterStatus, showGroup: boolean): vscode.TreeItem {
  const item = new vscode.TreeItem(cluster.name, Collapsed);
  item.id = node.id;
  item.description = clusterDescription(cluster, status, t, { showGroup });
  item.contextValue = clusterContextValue(cluster.production, status);
  item.iconPath = clusterIcon(status);
  return item;
}

export function clusterTooltipItem(item: vscode.TreeItem, tooltip: string): vscode.TreeItem {
  item.tooltip = markdown(tooltip);
  return item;
}

const CATEGORY_ICONS: Record<CategoryKind, string> = {
  databases: 'database',
  publications: 'radio-tower',
  subscriptions: 'rss',
  slots: 'pinned',
  standbys: 'mirror',
};

export function categoryIcon(category: CategoryKind): vscode.ThemeIcon {
  return icon(CATEGORY_ICONS[category]);
}

/** Every node but clusters. `database` is the cluster connection's database (publications/subscriptions live there). */
export function nodeItem(node: Exclude<ExplorerNode, ClusterNode | RunNode>, database: string | undefined): vscode.TreeItem {
  let item: vscode.TreeItem;
  switch (node.kind) {
    case 'group':
      item = new vscode.TreeItem(node.group, vscode.TreeItemCollapsibleState.Expanded);
      item.iconPath = icon('folder-library');
      break;
    case 'category':
      item = new vscode.TreeItem(categoryLabel(node.category, t), Collapsed);
      item.iconPath = categoryIcon(node.category);
      if (database && (node.category === 'publications' || node.category === 'subscriptions')) item.description = t('in {0}', database);
      break;
    case 'runs':
      item = new vscode.TreeItem(t('Runs'), Collapsed);
      item.iconPath = icon('checklist');
      break;
    case 'database':
      item = new vscode.TreeItem(node.info.name, None);
      item.description = databaseDescription(node.info, t);
      item.tooltip = markdown(databaseTooltip(node.info, t));
      item.iconPath = icon('database', node.info.isTemplate || !node.info.allowConnections ? 'disabledForeground' : undefined);
      break;
    case 'publication':
      item = new vscode.TreeItem(node.info.name, None);
      item.description = publicationDescription(node.info, t);
      item.tooltip = markdown(publicationTooltip(node.info, node.database, t));
      item.iconPath = categoryIcon('publications');
      break;
    case 'subscription': {
      item = new vscode.TreeItem(node.info.name, None);
      item.description = subscriptionDescription(node.info, t);
      item.tooltip = markdown(subscriptionTooltip(node.info, node.database, t));
      const health = subscriptionHealth(node.info);
      item.iconPath = node.info.enabled
        ? icon('rss', health === 'ok' ? 'charts.green' : health === 'syncing' ? 'charts.blue' : 'problemsWarningIcon.foreground')
        : icon('circle-slash', 'problemsWarningIcon.foreground');
      break;
    }
    case 'replicationSlot': {
      item = new vscode.TreeItem(node.info.name, None);
      item.description = slotDescription(node.info, t);
      item.tooltip = markdown(slotTooltip(node.info, t));
      const health = slotHealth(node.info);
      item.iconPath = icon(node.info.active ? 'pinned' : 'pin', health === 'error' ? 'problemsErrorIcon.foreground' : health === 'warning' ? 'problemsWarningIcon.foreground' : 'charts.green');
      break;
    }
    case 'standby':
      item = new vscode.TreeItem(node.info.applicationName || t('(no application_name)'), None);
      item.description = standbyDescription(node.info, t);
      item.tooltip = markdown(standbyTooltip(node.info, t));
      item.iconPath = icon(node.info.kind === 'logical' ? 'rss' : 'mirror', node.info.state === 'streaming' ? 'charts.green' : 'problemsWarningIcon.foreground');
      break;
    case 'poolers':
      item = new vscode.TreeItem(t('Poolers'), Collapsed);
      item.iconPath = icon('server-environment');
      break;
    case 'pooler':
      item = new vscode.TreeItem(poolerLabel(node.admin), Collapsed);
      item.description = t('PgBouncer');
      item.tooltip = markdown([t('Admin console: `{0}`', node.admin), t('Configuration: `{0}`', node.config), t('Password: in the secret store (never in settings)')].join('  \n'));
      item.iconPath = icon('server-process');
      break;
    case 'poolerDatabase':
      item = new vscode.TreeItem(node.info.name, None);
      item.description = poolerDatabaseDescription(node.info);
      item.tooltip = markdown(t('`{0}` → {1} database `{2}`', node.info.name, node.info.server, node.info.database));
      item.iconPath = icon(node.info.paused ? 'debug-pause' : 'database', node.info.paused || node.info.disabled ? 'problemsWarningIcon.foreground' : 'charts.green');
      break;
    case 'message':
      item = messageItem(node);
      break;
  }
  item.id = node.id;
  item.contextValue = nodeContextValue(node);
  return item;
}

/** "→ 127.0.0.1:5432 · transaction pooling · 3 clients, 1 waiting (longest 120 ms) · PAUSED" */
export function poolerDatabaseDescription(d: PoolerDatabaseState): string {
  return [
    `→ ${d.server}`,
    t('{0} pooling', d.poolMode),
    d.clientsWaiting ? t('{0} clients, {1} waiting (longest {2} ms)', d.clientsActive, d.clientsWaiting, d.maxWaitMs) : t('{0} clients', d.clientsActive),
    d.paused ? t('PAUSED') : '',
    d.disabled ? t('DISABLED') : '',
  ].filter(Boolean).join(' · ');
}

function messageItem(node: MessageNode): vscode.TreeItem {
  const item = new vscode.TreeItem(node.text, None);
  item.iconPath = node.severity === 'error'
    ? icon('error', 'problemsErrorIcon.foreground')
    : node.severity === 'warning' ? icon('warning', 'problemsWarningIcon.foreground') : icon('info');
  if (node.detail) item.tooltip = node.detail;
  const clusterArg = node.clusterId ? [{ clusterId: node.clusterId }] : [];
  if (node.action === 'retry') item.command = { command: 'pgUpgradePilot.retryConnection', title: t('Retry'), arguments: clusterArg };
  if (node.action === 'enterPassword') item.command = { command: 'pgUpgradePilot.reenterPassword', title: t('Re-enter Password'), arguments: clusterArg };
  if (node.action === 'createDatabase') item.command = { command: 'pgUpgradePilot.createDatabase', title: t('Create Database'), arguments: clusterArg };
  if (node.action === 'refresh') item.command = { command: 'pgUpgradePilot.refresh', title: t('Refresh'), arguments: clusterArg };
  return item;
}
