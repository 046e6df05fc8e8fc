import * as vscode from 'vscode';
import type { CommandContext } from './context';
import { isBoolean, option, resolveCluster } from './target';

const t = vscode.l10n.t;

/**
 * PG Upgrade: Unmark Production. Asks for a modal confirmation (it removes a safety net) unless
 * `{ id, skipConfirmation: true }`. Returns the id, or undefined when cancelled.
 */
export async function unmarkProduction(ctx: CommandContext, arg?: unknown): Promise<string | undefined> {
  const cluster = await resolveCluster(ctx, arg, t('Cluster to unmark as production'));
  if (!cluster) return undefined;
  if (!cluster.production) return cluster.id;
  if (!option(arg, 'skipConfirmation', isBoolean)) {
    const unmark = t('Unmark Production');
    const answer = await vscode.window.showWarningMessage(
      t('Unmark "{0}" as production?', cluster.name),
      { modal: true, detail: t('Disruptive and destructive steps on it will no longer ask for typed confirmation.') },
      unmark,
    );
    if (answer !== unmark) return undefined;
  }
  await ctx.registry.update(cluster.id, { production: undefined });
  return cluster.id;
}
