/**
 * The replicated set, re-derived from the live catalogs (never remembered): every table in scope on the source must be
 * in the subscription and ready. Called by the switchover's gate and again inside the window's checks.
 *
 * SEAM: owned by the "replicated set" work (issue 9). The switchover calls it; it throws GateError naming what is missing.
 */
import type { Queryable } from '../../db';
import type { LogicalUpgradeParams } from './params';

export interface ReplicatedSetCheck {
  /** Tables in scope on the source, as re-derived now. */
  tablesInScope: number;
}

/**
 * Throws GateError (from ./gate-error) when a table in scope on the source is missing from the subscription or not
 * ready, naming it with its fix. `inWindow`: called with both servers frozen — must stay fast (one query per side).
 */
export async function checkReplicatedSet(
  _source: Queryable,
  _target: Queryable,
  _p: LogicalUpgradeParams,
  _opts: { inWindow: boolean } = { inWindow: false },
): Promise<ReplicatedSetCheck> {
  return { tablesInScope: -1 };
}
