/**
 * The runbooks the extension can start, loaded on first use (they pull in node-postgres; activation must not).
 * Each entry knows how to build its parameters from the picked clusters.
 */
import type { ClusterDefinition } from '../../core/clusters';
import type { ClusterRole, RunbookDefinition } from '../../core/runbook/types';
import { HOST_RUNBOOK_LOADERS } from './hostRunbooks';

export const LOGICAL_UPGRADE = 'logical';

export interface LoadedRunbook {
  // Parameters differ per runbook; the engine is generic over them.
  runbook: RunbookDefinition<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Full parameters from the caller's partial ones and the clusters (throws a clear error for bad values). */
  params(partial: Record<string, unknown>, clusters: Partial<Record<ClusterRole, ClusterDefinition>>): unknown;
}

const loaders: Record<string, () => Promise<LoadedRunbook>> = {
  [LOGICAL_UPGRADE]: async () => {
    const m = await import('../../core/runbooks/logical');
    return {
      runbook: m.logicalUpgradeRunbook,
      params: (partial, clusters) => m.defaultLogicalUpgradeParams({
        subscriberConnection: clusters.source?.subscriberConnection,
        reverseReplication: true, // a way back after the switchover, as the CLI does unless --no-reverse
        ...partial,
      }, m.databaseNamedBy(clusters.source?.connection)), // names per database: one-database runs never share a slot
    };
  },
  ...HOST_RUNBOOK_LOADERS, // rolling switchover, minor upgrade
};

const cache = new Map<string, Promise<LoadedRunbook>>();

/** By our key ("logical") or by the runbook's own id (as journaled). */
export async function loadRunbook(key: string): Promise<LoadedRunbook> {
  const direct = loaders[key];
  if (direct) {
    let p = cache.get(key);
    if (!p) {
      p = direct();
      cache.set(key, p);
      p.catch(() => cache.delete(key));
    }
    return p;
  }
  for (const k of Object.keys(loaders)) {
    const loaded = await loadRunbook(k);
    if (loaded.runbook.id === key) return loaded;
  }
  throw new Error(`unknown runbook "${key}"`);
}

/** Every runbook definition (for reading journals back). */
export async function allRunbooks(): Promise<LoadedRunbook['runbook'][]> {
  const out: LoadedRunbook['runbook'][] = [];
  for (const k of Object.keys(loaders)) {
    try {
      out.push((await loadRunbook(k)).runbook);
    } catch {
      // a runbook module that fails to load: its runs are listed without step titles
    }
  }
  return out;
}
