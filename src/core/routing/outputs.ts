/**
 * Reading a switchover step's routing outputs back (record, demo, bench): the protocols keep the hooks' results either
 * nested (`outputs.routing.afterOpen`) or flat (`outputs['routing.afterOpen']`); both are read here.
 */
export interface PoolerOutcome {
  pooler?: string;
  databases?: string[];
  pauseMs?: number;
  clientsPaused?: number;
  repointedTo?: string;
  stallMs?: number;
  clientsWaitingAtResume?: number;
  longestWaitMs?: number;
  ok?: boolean;
  errors?: string[];
}

export interface RoutingOutputs {
  beforeFreeze?: { pgbouncer?: { poolers?: PoolerOutcome[] }; hooks?: unknown[] };
  afterOpen?: { pgbouncer?: { poolers?: PoolerOutcome[] }; hooks?: unknown[] };
  afterAbort?: { pgbouncer?: { poolers?: PoolerOutcome[] }; hooks?: unknown[] };
}

export function routingOutputsOf(outputs: Record<string, unknown> | undefined): RoutingOutputs {
  if (!outputs) return {};
  const nested = (outputs.routing ?? {}) as Record<string, unknown>;
  const pick = (hook: keyof RoutingOutputs) => (nested[hook] ?? outputs[`routing.${hook}`]) as RoutingOutputs[typeof hook];
  return { beforeFreeze: pick('beforeFreeze'), afterOpen: pick('afterOpen'), afterAbort: pick('afterAbort') };
}
