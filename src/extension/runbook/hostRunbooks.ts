/**
 * Loader entries for the host-step runbooks (rolling switchover, minor upgrade), in the shape of runbooks.ts's
 * loaders: `{ ...HOST_RUNBOOK_LOADERS }` there makes them startable and their journals readable. Loaded on first use
 * (they pull in node-postgres; activation must not). Each cluster's executor (manual by default, local for lab
 * clusters) and lab paths come from its ClusterDefinition.
 */
import type { ClusterDefinition } from '../../core/clusters';
import type { ClusterRole } from '../../core/runbook/types';
import type { LoadedRunbook } from './runbooks';

export const ROLLING_SWITCHOVER = 'rolling';
export const MINOR_UPGRADE = 'minor';

type Clusters = Partial<Record<ClusterRole, ClusterDefinition>>;

export const HOST_RUNBOOK_LOADERS: Record<string, () => Promise<LoadedRunbook>> = {
  [ROLLING_SWITCHOVER]: async () => {
    const [m, h] = await Promise.all([import('../../core/runbooks/rolling'), import('../../core/hosts/spec')]);
    return {
      runbook: m.rollingSwitchoverRunbook,
      params: (partial: Record<string, unknown>, clusters: Clusters) => m.defaultRollingSwitchoverParams({
        hosts: h.hostsFromClusters({ primary: clusters.primary, standby: clusters.standby }),
        ...partial,
      }),
    };
  },
  [MINOR_UPGRADE]: async () => {
    const [m, h] = await Promise.all([import('../../core/runbooks/minor'), import('../../core/hosts/spec')]);
    return {
      runbook: m.minorUpgradeRunbook,
      params: (partial: Record<string, unknown>, clusters: Clusters) => m.defaultMinorUpgradeParams({
        hosts: h.hostsFromClusters({ server: clusters.server }),
        ...partial,
      }),
    };
  },
};
