import * as vscode from 'vscode';
import type { CommandContext } from './context';
import { resolveCluster } from './target';

/**
 * PG Upgrade: Forget Password. Deletes the stored password and closes the connection; the next connection uses
 * ~/.pgpass or asks. Returns the cluster id.
 */
export async function forgetPassword(ctx: CommandContext, arg?: unknown): Promise<string | undefined> {
  const cluster = await resolveCluster(ctx, arg, vscode.l10n.t('Cluster whose stored password to forget'));
  if (!cluster) return undefined;
  await ctx.passwords.delete(cluster.id);
  await ctx.connections.dispose(cluster.id);
  ctx.status.set(cluster.id, { state: 'unknown' });
  ctx.log.info(`forgot the stored password of "${cluster.name}"`);
  vscode.window.setStatusBarMessage(vscode.l10n.t('Stored password of "{0}" deleted.', cluster.name), 4000);
  return cluster.id;
}
