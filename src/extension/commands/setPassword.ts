import * as vscode from 'vscode';
import { promptPassword } from '../connections/passwordPrompt';
import type { CommandContext } from './context';
import { isString, option, resolveCluster } from './target';

const t = vscode.l10n.t;

/**
 * PG Upgrade: Set Password. Args: a node / `{ id, password }`. Stores the password in SecretStorage (never in settings),
 * closes the cluster's connection so the next one uses it, and refreshes the node. Returns the cluster id.
 */
export async function setPassword(ctx: CommandContext, arg?: unknown): Promise<string | undefined> {
  const cluster = await resolveCluster(ctx, arg, t('Cluster whose password to set'));
  if (!cluster) return undefined;
  let password = option(arg, 'password', isString);
  if (password === '') throw new Error(t('An empty password is never stored.'));
  password ??= await promptPassword(cluster);
  if (!password) return undefined;
  await ctx.passwords.set(cluster.id, password);
  ctx.log.info(`stored a new password for "${cluster.name}" in SecretStorage`);
  ctx.connections.allowPrompt(cluster.id);
  await ctx.connections.dispose(cluster.id);
  if (ctx.status.get(cluster.id).state === 'error') ctx.status.set(cluster.id, { state: 'unknown' });
  ctx.explorer.refresh(cluster.id);
  return cluster.id;
}
