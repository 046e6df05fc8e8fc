import * as vscode from 'vscode';
import type { CommandContext } from './context';
import { resolveCluster } from './target';

/** PG Upgrade: Mark as Production. Disruptive and destructive steps then ask for typed confirmation. Returns the id. */
export async function markProduction(ctx: CommandContext, arg?: unknown): Promise<string | undefined> {
  const cluster = await resolveCluster(ctx, arg, vscode.l10n.t('Cluster to mark as production'));
  if (!cluster) return undefined;
  if (!cluster.production) await ctx.registry.update(cluster.id, { production: true });
  return cluster.id;
}
