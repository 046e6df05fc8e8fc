import * as vscode from 'vscode';
import type { ClusterDefinition } from '../../core/clusters';
import type { CommandContext } from './context';
import { isBoolean, option, resolveCluster, targetKey } from './target';

const t = vscode.l10n.t;

/**
 * PG Upgrade: Remove Cluster. Args: a node (plus the selected nodes), `{ id, skipConfirmation? }` or nothing (pick).
 * Asks for a modal confirmation unless skipConfirmation. Deletes the definition and the stored password, closes the
 * connection; the server itself is not touched. Returns the removed ids.
 */
export async function removeCluster(ctx: CommandContext, arg?: unknown, selected?: unknown): Promise<string[]> {
  const clusters = await targets(ctx, arg, selected);
  if (!clusters.length) return [];
  if (!option(arg, 'skipConfirmation', isBoolean)) {
    const remove = t('Remove');
    const names = clusters.map((c) => `"${c.name}"`).join(', ');
    const production = clusters.some((c) => c.production);
    const answer = await vscode.window.showWarningMessage(
      clusters.length === 1 ? t('Remove cluster {0}?', names) : t('Remove {0} clusters: {1}?', clusters.length, names),
      {
        modal: true,
        detail: [
          t('The definition and its stored password are deleted from VS Code. The PostgreSQL server is not touched.'),
          production ? t('This is a production cluster.') : '',
        ].filter(Boolean).join('\n\n'),
      },
      remove,
    );
    if (answer !== remove) return [];
  }
  const removed: string[] = [];
  for (const cluster of clusters) {
    // Definition first: a load in flight for this cluster then ends quietly instead of reporting a closed connection.
    if (await ctx.registry.remove(cluster.id)) removed.push(cluster.id);
    await ctx.passwords.delete(cluster.id);
    await ctx.connections.dispose(cluster.id);
    ctx.status.forget(cluster.id);
    ctx.log.info(`removed cluster "${cluster.name}" (${cluster.id}) and its stored password`);
  }
  ctx.explorer.refresh();
  return removed;
}

async function targets(ctx: CommandContext, arg: unknown, selected: unknown): Promise<ClusterDefinition[]> {
  if (Array.isArray(selected) && selected.length > 1) {
    const ids = [...new Set(selected.map(targetKey).filter((k): k is string => !!k))];
    return ids.map((id) => ctx.registry.get(id)).filter((c): c is ClusterDefinition => !!c);
  }
  const one = await resolveCluster(ctx, arg, t('Cluster to remove'));
  return one ? [one] : [];
}
