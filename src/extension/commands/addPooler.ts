import * as vscode from 'vscode';
import { addPooler as addPoolerTo } from '../poolers/addPooler';
import type { CommandContext } from './context';
import { isString, option, resolveCluster } from './target';

const t = vscode.l10n.t;

/**
 * PG Upgrade: Add PgBouncer Pooler. Args: a cluster node / `{ clusterId, admin?, config?, password? }` (what is
 * missing is asked). The admin connection and pgbouncer.ini path go to the setting pgUpgradePilot.poolers, the
 * password only to SecretStorage; checked against the pooler before anything is saved. Returns the pooler id.
 */
export async function addPooler(ctx: CommandContext, arg?: unknown): Promise<string | undefined> {
  const cluster = await resolveCluster(ctx, option(arg, 'clusterId', isString) ? { id: option(arg, 'clusterId', isString) } : arg, t('Cluster the pooler is in front of'));
  if (!cluster) return undefined;
  const def = await addPoolerTo(ctx.services, cluster, {
    admin: option(arg, 'admin', isString), config: option(arg, 'config', isString), password: option(arg, 'password', isString),
  });
  if (def) ctx.log.info(`added pooler ${def.admin} (${def.id}) in front of "${cluster.name}"; its password (if any) in SecretStorage`);
  return def?.id;
}
