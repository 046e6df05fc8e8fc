import type { RunResult } from '../../../core/runbook/types';
import { LOGICAL_UPGRADE } from '../runbooks';
import { askStartOptions } from '../start/options';
import type { RunbookCommandContext } from './context';
import { paramsArg, resolveSourceTarget } from './pick';

/**
 * PG Upgrade: Start Logical Upgrade…  Args: a cluster node (the source), `{ sourceId, targetId, params? }`
 * (params: Partial<LogicalUpgradeParams>), or nothing (pick both). Without params, the start options are asked
 * (scope, client routing, replication user; Enter keeps the defaults). Runs every step, asking before each change;
 * a declined step pauses the run. Returns the RunResult (undefined when cancelled or the run could not start).
 */
export async function startLogicalUpgrade(ctx: RunbookCommandContext, arg?: unknown): Promise<RunResult | undefined> {
  const picked = await resolveSourceTarget(ctx, arg);
  if (!picked) return undefined;
  const params = paramsArg(arg) ?? await askStartOptions(ctx, 'logical', picked.source, picked.target);
  if (!params) return undefined;
  return ctx.controller.run({
    runbook: LOGICAL_UPGRADE,
    clusterIds: { source: picked.source.id, target: picked.target.id },
    params,
  });
}
