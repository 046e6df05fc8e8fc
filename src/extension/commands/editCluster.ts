import * as vscode from 'vscode';
import { connStringErrorMessage } from '../clusters/connectionInput';
import { askConnectionString, askGroup, askProduction, validateConnectionString } from '../clusters/prompts';
import type { ClusterPatch } from '../clusters/settings';
import { loadConn, type ConnModule } from '../lazy';
import type { CommandContext } from './context';
import { isBoolean, isString, option, resolveCluster } from './target';

const t = vscode.l10n.t;

/**
 * Programmatic form: `{ id, connection?, subscriberConnection?, group?, production? }` (an empty string clears
 * subscriberConnection / group). Returns the cluster id. A password in a connection goes to SecretStorage.
 */
export interface EditClusterArgs {
  id: string;
  connection?: string;
  subscriberConnection?: string;
  group?: string;
  production?: boolean;
}

/** PG Upgrade: Edit Cluster. Returns the cluster id, or undefined when cancelled. */
export async function editCluster(ctx: CommandContext, arg?: unknown): Promise<string | undefined> {
  const cluster = await resolveCluster(ctx, arg, t('Cluster to edit'));
  if (!cluster) return undefined;
  const conn = await loadConn();
  const fields = ['connection', 'subscriberConnection', 'group', 'production'] as const;
  const programmatic = fields.some((f) => option(arg, f, (v): v is unknown => v !== undefined) !== undefined);

  let patch: ClusterPatch & { password?: string };
  if (programmatic) {
    patch = {};
    const connection = option(arg, 'connection', isString);
    if (connection !== undefined) Object.assign(patch, checkedConnection(conn, connection, false));
    const subscriber = option(arg, 'subscriberConnection', isString);
    if (subscriber !== undefined) patch.subscriberConnection = checkedConnection(conn, subscriber, true).connection;
    const group = option(arg, 'group', isString);
    if (group !== undefined) patch.group = group.trim() || undefined;
    const production = option(arg, 'production', isBoolean);
    if (production !== undefined) patch.production = production || undefined;
  } else {
    const picked = await askEdit(ctx, conn, cluster.id);
    if (!picked) return undefined;
    patch = picked;
  }

  const { password, ...settingsPatch } = patch;
  if (password) await ctx.passwords.set(cluster.id, password);
  if (Object.keys(settingsPatch).length) await ctx.registry.update(cluster.id, settingsPatch);
  if (settingsPatch.connection !== undefined) {
    ctx.log.info(`connection of "${cluster.name}" is now ${conn.redactConnString(settingsPatch.connection)}`);
    await ctx.connections.dispose(cluster.id);
    ctx.status.set(cluster.id, { state: 'unknown' });
  }
  ctx.explorer.refresh(cluster.id);
  return cluster.id;
}

/** Validates a connection string; a password in it is split off (for SecretStorage). */
function checkedConnection(conn: ConnModule, value: string, optional: boolean): { connection: string | undefined; password?: string } {
  const trimmed = value.trim();
  if (!trimmed) {
    if (optional) return { connection: undefined };
    throw new Error(t('The connection string must not be empty.'));
  }
  let params;
  try {
    params = conn.parseConnString(trimmed);
  } catch (err) {
    throw new Error(t('Invalid connection string: {0}', connStringErrorMessage(err, t)));
  }
  const hasSecret = params.password !== undefined || params.sslpassword !== undefined;
  return { connection: hasSecret ? conn.redactConnString(trimmed) : trimmed, password: optional ? undefined : params.password || undefined };
}

async function askEdit(ctx: CommandContext, conn: ConnModule, clusterId: string): Promise<(ClusterPatch & { password?: string }) | undefined> {
  const cluster = ctx.registry.get(clusterId);
  if (!cluster) return undefined;
  const title = t('Edit Cluster "{0}"', cluster.name);
  const items = [
    { field: 'connection', label: `$(plug) ${t('Connection string')}`, detail: cluster.connection },
    { field: 'subscriberConnection', label: `$(link) ${t('Subscriber connection')}`, detail: cluster.subscriberConnection ?? t('How the target server reaches this cluster for a subscription (default: the connection string)') },
    { field: 'group', label: `$(folder) ${t('Group')}`, detail: cluster.group ?? t('No group') },
    { field: 'production', label: `$(shield) ${t('Production flag')}`, detail: cluster.production ? t('Production') : t('Not production') },
    { field: 'name', label: `$(edit) ${t('Name')}`, detail: cluster.name },
  ];
  const picked = await vscode.window.showQuickPick(items, { title, placeHolder: t('What do you want to change?'), ignoreFocusOut: true });
  if (!picked) return undefined;
  switch (picked.field) {
    case 'connection': {
      const value = await askConnectionString(conn, title, cluster.connection);
      return value === undefined ? undefined : checkedConnection(conn, value, false);
    }
    case 'subscriberConnection': {
      const value = await vscode.window.showInputBox({
        title,
        prompt: t('Connection string the TARGET server uses to reach this cluster (CREATE SUBSCRIPTION … CONNECTION). Empty: use the cluster\'s connection string. Never put a password here.'),
        value: cluster.subscriberConnection ?? '',
        ignoreFocusOut: true,
        validateInput: (v) => validateConnectionString(conn, v, true),
      });
      return value === undefined ? undefined : { subscriberConnection: checkedConnection(conn, value, true).connection };
    }
    case 'group': {
      const group = await askGroup(ctx.registry, title, cluster.group);
      return group === undefined ? undefined : { group: group || undefined };
    }
    case 'production': {
      const production = await askProduction(title, cluster.production);
      return production === undefined ? undefined : { production: production || undefined };
    }
    default:
      await vscode.commands.executeCommand('pgUpgradePilot.renameCluster', { clusterId });
      return undefined;
  }
}
