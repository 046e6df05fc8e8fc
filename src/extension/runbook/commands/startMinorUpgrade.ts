import * as vscode from 'vscode';
import { isString, option } from '../../commands/target';
import type { RunResult } from '../../../core/runbook/types';
import { MINOR_UPGRADE } from '../hostRunbooks';
import type { RunbookCommandContext } from './context';
import { paramsArg } from './pick';

const t = vscode.l10n.t;

/**
 * PG Upgrade: Start Minor Upgrade…  Args: a cluster node, `{ serverId, params? }` (params: Partial<MinorUpgradeParams>,
 * e.g. { toVersion: '16.14', backup: 'cold-copy' }), or nothing (pick one). Asks for the release and the backup
 * method unless params give them.
 */
export async function startMinorUpgrade(ctx: RunbookCommandContext, arg?: unknown): Promise<RunResult | undefined> {
  const reg = ctx.services.clusters;
  const id = option(arg, 'serverId', isString) ?? option(arg, 'clusterId', isString);
  const server = id !== undefined ? reg.get(id) : await reg.pick(t('Cluster to upgrade in place (minor release)'));
  if (id !== undefined && !server) throw new Error(t('No registered {0} cluster has the id "{1}".', t('server'), id));
  if (!server) return undefined;
  const params: Record<string, unknown> = { ...(paramsArg(arg) ?? {}) };
  if (typeof params.toVersion !== 'string') {
    const v = await vscode.window.showInputBox({
      title: t('Minor upgrade of {0}', server.name),
      prompt: t('The minor release to upgrade to (same major), e.g. 16.14'),
      validateInput: (s) => (/^\d+\.\d+$/.test(s.trim()) ? undefined : t('A minor release such as 16.14')),
      ignoreFocusOut: true,
    });
    if (v === undefined) return undefined;
    params.toVersion = v.trim();
  }
  if (params.backup === undefined) {
    const items = [
      { label: 'pg_dump', description: t('logical backup of every database, verified (needs pg_dump of the server\'s major or newer)') },
      { label: 'cold-copy', description: t('copy of the stopped data directory (longer downtime)') },
      { label: 'none', description: t('no backup (you have your own)') },
    ];
    const pick = await vscode.window.showQuickPick(items, { title: t('Backup before the upgrade'), ignoreFocusOut: true });
    if (!pick) return undefined;
    params.backup = pick.label;
  }
  return ctx.controller.run({ runbook: MINOR_UPGRADE, clusterIds: { server: server.id }, params });
}
