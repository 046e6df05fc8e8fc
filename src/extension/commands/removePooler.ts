import * as vscode from 'vscode';
import { endpointSecretOf } from '../endpointSecrets';
import type { CommandContext } from './context';
import { isBoolean, isString, option } from './target';

const t = vscode.l10n.t;

/**
 * PG Upgrade: Remove Pooler. Args: a pooler node / `{ poolerId, skipConfirmation? }`. Deletes its entry and (when no
 * other pooler uses the same login) its stored password; the pooler itself is not touched. Returns the removed id.
 */
export async function removePooler(ctx: CommandContext, arg?: unknown): Promise<string | undefined> {
  const poolers = ctx.services.poolers;
  const id = option(arg, 'poolerId', isString)
    ?? (await vscode.window.showQuickPick(poolers.list().map((p) => ({ label: p.admin, description: ctx.registry.get(p.clusterId)?.name, id: p.id })), { placeHolder: t('Pooler to remove') }))?.id;
  if (!id) return undefined;
  const def = poolers.get(id);
  if (!def) throw new Error(t('No registered pooler has the id "{0}".', id));
  if (!option(arg, 'skipConfirmation', isBoolean)) {
    const remove = t('Remove');
    const answer = await vscode.window.showWarningMessage(t('Remove the pooler {0}?', def.admin), {
      modal: true, detail: t('Its entry and stored password are deleted from VS Code. PgBouncer itself is not touched.'),
    }, remove);
    if (answer !== remove) return undefined;
  }
  await poolers.remove(id);
  const key = await endpointSecretOf(def.admin, 6432);
  const shared = await Promise.all(poolers.list().map((p) => endpointSecretOf(p.admin, 6432)));
  if (!shared.includes(key)) await ctx.services.endpointPasswords.poolers.delete(key);
  ctx.log.info(`removed pooler ${def.admin} (${id})`);
  ctx.explorer.refresh(def.clusterId);
  return id;
}
