import type { StepContext } from '../runbook/types';
import type { ClientRouting, ClientRoutingParams } from './types';

export type { ClientRouting, ClientRoutingParams } from './types';

const NONE: ClientRouting = {
  beforeFreeze: async () => ({}),
  afterOpen: async () => ({}),
  afterAbort: async () => ({}),
  plan: () => [],
};

/** The routing of a run (from its params' clientRouting; 'none' when absent). SEAM: filled in by the routing work. */
export function clientRoutingFor<P extends { clientRouting?: ClientRoutingParams }>(_ctx: StepContext<P>): ClientRouting {
  return NONE;
}
