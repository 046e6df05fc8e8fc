import * as vscode from 'vscode';
import { askClusterName } from '../clusters/prompts';
import { clusterNameProblem } from '../clusters/settings';
import type { CommandContext } from './context';
import { isString, option, resolveCluster } from './target';

const t = vscode.l10n.t;

/**
 * PG Upgrade: Rename Cluster. Args: a node / `{ id, newName }` / (target, newName). Returns the cluster id.
 * The id (and so the stored password) does not change.
 */
export async function renameCluster(ctx: CommandContext, arg?: unknown, second?: unknown): Promise<string | undefined> {
  const cluster = await resolveCluster(ctx, arg, t('Cluster to rename'));
  if (!cluster) return undefined;
  let newName = option(arg, 'newName', isString) ?? (isString(second) ? second : undefined);
  if (newName === undefined) {
    newName = await askClusterName(ctx.registry, t('Rename Cluster "{0}"', cluster.name), cluster.name, cluster.id);
    if (!newName) return undefined;
  }
  const problem = clusterNameProblem(newName, ctx.registry.list(), t, cluster.id);
  if (problem) throw new Error(problem);
  if (newName.trim() !== cluster.name) await ctx.registry.update(cluster.id, { name: newName.trim() });
  return cluster.id;
}
