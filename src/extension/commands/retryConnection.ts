import * as vscode from 'vscode';
import type { ClusterStatus } from '../clusters/status';
import type { CommandContext } from './context';
import { resolveCluster } from './target';

/**
 * Retry (inline action of a failed cluster; hidden from the palette). Closes the connection, allows a password prompt
 * again, reconnects by loading the node (expanding it in the tree when the view is visible) and returns the new status.
 */
export async function retryConnection(ctx: CommandContext, arg?: unknown): Promise<{ clusterId: string; status: ClusterStatus['state'] } | undefined> {
  const cluster = await resolveCluster(ctx, arg, vscode.l10n.t('Cluster to reconnect'));
  if (!cluster) return undefined;
  ctx.connections.allowPrompt(cluster.id);
  await ctx.connections.dispose(cluster.id);
  ctx.explorer.refresh(cluster.id);
  await ctx.explorer.connectCluster(cluster.id);
  const node = ctx.explorer.clusterNode(cluster.id);
  if (node && ctx.treeView.visible) await ctx.treeView.reveal(node, { expand: true, select: false, focus: false }).then(undefined, () => undefined);
  return { clusterId: cluster.id, status: ctx.status.get(cluster.id).state };
}
