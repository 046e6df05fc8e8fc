import * as vscode from 'vscode';
import type { RunResult } from '../../../core/runbook/types';
import { ROLLING_SWITCHOVER } from '../hostRunbooks';
import type { RunbookCommandContext } from './context';
import { askStartOptions } from '../start/options';
import { paramsArg, resolveClusterPair } from './pick';

const t = vscode.l10n.t;

/**
 * PG Upgrade: Start Rolling Switchover…  Args: a cluster node (the primary), `{ primaryId, standbyId, params? }`
 * (params: Partial<RollingSwitchoverParams>, e.g. { upgradeTo: '15.18', fence: 'stop' }), or nothing (pick both).
 * Asks for the minor release to end on (empty: switchover only) unless params give it; without params, also the
 * client routing (Enter keeps libpq multi-host).
 */
export async function startRollingSwitchover(ctx: RunbookCommandContext, arg?: unknown): Promise<RunResult | undefined> {
  const pair = await resolveClusterPair(ctx, arg, {
    first: { key: 'primaryId', role: t('primary'), pick: () => t('Primary of the streaming pair') },
    second: { key: 'standbyId', role: t('standby'), pick: () => t('Its streaming standby (becomes the new primary)') },
    same: t('Primary and standby must be different clusters.'),
  });
  if (!pair) return undefined;
  const [primary, standby] = pair;
  const given = paramsArg(arg);
  const params: Record<string, unknown> = { ...(given ?? {}) };
  if (!('upgradeTo' in params)) {
    const v = await vscode.window.showInputBox({
      title: t('Rolling switchover: {0} → {1}', primary.name, standby.name),
      prompt: t('Minor release both servers end on (e.g. 15.18); leave empty for a switchover only'),
      validateInput: (s) => (s.trim() === '' || /^\d+\.\d+$/.test(s.trim()) ? undefined : t('A minor release such as 15.18, or empty')),
      ignoreFocusOut: true,
    });
    if (v === undefined) return undefined;
    if (v.trim()) params.upgradeTo = v.trim();
  }
  if (!given) {
    const options = await askStartOptions(ctx, 'rolling', primary, standby);
    if (!options) return undefined;
    Object.assign(params, options);
  }
  return ctx.controller.run({ runbook: ROLLING_SWITCHOVER, clusterIds: { primary: primary.id, standby: standby.id }, params });
}
