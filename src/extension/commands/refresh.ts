import type { ExplorerNode } from '../tree/nodes';
import type { CommandContext } from './context';
import { targetKey } from './target';

/**
 * PG Upgrade: Refresh. No argument: the whole explorer (settings re-read, expanded nodes re-queried, every cluster
 * marked unreachable tried again). A category node:
 * that list only. A cluster (node, `{ id }`, id): that cluster's subtree. Returns the refreshed cluster id, if one.
 */
export function refresh(ctx: CommandContext, arg?: unknown): string | undefined {
  const node = arg as Partial<ExplorerNode> | undefined;
  if (node && node.kind === 'category') {
    ctx.explorer.refreshNode(node as ExplorerNode);
    return node.clusterId;
  }
  const key = targetKey(arg);
  const cluster = key ? ctx.registry.get(key) ?? ctx.registry.findByName(key) : undefined;
  if (!cluster) {
    ctx.explorer.refresh();
    // clusters marked unreachable (or refusing) are tried again now, not only when expanded
    for (const c of ctx.registry.list()) {
      // the connection manager updates the cluster's status (and so its row) either way; never a password prompt
      if (ctx.status.get(c.id).state === 'error') void ctx.connections.get(c.id, { interactive: false }).catch(() => undefined);
    }
    return undefined;
  }
  ctx.connections.allowPrompt(cluster.id);
  ctx.explorer.refresh(cluster.id);
  return cluster.id;
}
