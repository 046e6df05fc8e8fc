/**
 * Client routing as part of a switchover (issue 12): none (libpq multi-host), PgBouncer (PAUSE / repoint / RELOAD /
 * RESUME), or host-command hooks. The switchover protocols call clientRoutingFor(ctx) once per switchover and its
 * three hooks at fixed points; see types.ts.
 */
import type { StepContext } from '../runbook/types';
import { planHooks, runHooks, type HookResult } from './hooks';
import { PgBouncerRouting } from './pgbouncer';
import { validateClientRouting } from './validate';
import type { ClientRouting, ClientRoutingParams, HostHookParams } from './types';

export type { ClientRouting, ClientRoutingParams, HostHookParams, HookPoint, PgBouncerPoolerParams, PgBouncerConfigFile } from './types';
export { HOOK_POINTS } from './types';
export { validateClientRouting } from './validate';
export { routingOutputsOf, type RoutingOutputs, type PoolerOutcome } from './outputs';
export { checkClientRouting } from './preflight';
export { parseHookOption, parseCommandLine, clientRoutingFromOptions, type RoutingOptions } from './cli-options';
export { setPoolerPasswordProvider, openAdminConsole, showPools, showDatabases, showClients, waitingOn } from './pgbouncer-admin';
export { repointDatabase, databaseEntries, findDatabaseEntry } from './pgbouncer-ini';

const NONE: ClientRouting = {
  beforeFreeze: async () => ({}),
  afterOpen: async () => ({}),
  afterAbort: async () => ({}),
  plan: () => [],
};

type Ctx = StepContext<{ clientRouting?: ClientRoutingParams; switchoverTimeoutMs?: number }>;

function hookRunner(ctx: Ctx, hooks: HostHookParams[]) {
  const hctx = { ui: ctx.ui, signal: ctx.signal, runId: ctx.runId, stepId: 'switchover', cluster: { role: 'server' as const, name: 'client routing', hosts: 'this machine', production: false } };
  return {
    any: hooks.length > 0,
    run: (at: 'before-freeze' | 'after-open' | 'after-abort', stop: boolean): Promise<HookResult[]> => runHooks(hooks, at, hctx, stop),
  };
}

/**
 * Routings between beforeFreeze and afterOpen/afterAbort, by run: a caller that builds a fresh routing for the second
 * hook (or calls clientRoutingFor again) gets the one holding the pooler state (the PAUSE time, the prepared file).
 * In another process (a resumed run) the hooks find the pooler's state again from the pooler itself.
 */
const held = new Map<string, ClientRouting>();

/** The routing of a run (from its params' clientRouting; 'none' when absent). */
export function clientRoutingFor<P extends { clientRouting?: ClientRoutingParams }>(ctx: StepContext<P>): ClientRouting {
  const params = validateClientRouting(ctx.params.clientRouting);
  if (params.kind === 'none') return NONE;
  const key = `${ctx.runId}\n${JSON.stringify(params)}`;
  const live = held.get(key);
  if (live) return live;
  const routing = buildRouting(ctx, params, {
    hold: () => held.set(key, routing),
    release: () => { if (held.get(key) === routing) held.delete(key); },
  });
  return routing;
}

function buildRouting<P>(ctx: StepContext<P>, params: Exclude<ClientRoutingParams, { kind: 'none' }>, life: { hold(): void; release(): void }): ClientRouting {
  const c = ctx as unknown as Ctx;
  const hooks = hookRunner(c, params.hooks ?? []);
  const bouncer = params.kind === 'pgbouncer' ? new PgBouncerRouting(c, params.poolers) : undefined;
  let beforeHooksRan = false;
  let abortHooksRan = false;
  const afterAbortHooks = async () => {
    if (abortHooksRan || !hooks.any) return undefined;
    abortHooksRan = true;
    return hooks.run('after-abort', false);
  };
  return {
    plan: () => [...(bouncer?.plan() ?? []), ...planHooks(params.hooks ?? [])],
    async beforeFreeze() {
      const out: Record<string, unknown> = {};
      try {
        if (hooks.any) {
          beforeHooksRan = true;
          out.hooks = await hooks.run('before-freeze', true);
        }
        if (bouncer) out.pgbouncer = await bouncer.beforeFreeze();
        life.hold();
      } catch (err) {
        // Nothing frozen: whatever the before-freeze hooks changed is put back by the after-abort hooks.
        const undo = beforeHooksRan ? await afterAbortHooks() : undefined;
        throw Object.assign(new Error((err as Error).message), { outputs: { ...out, afterAbortHooks: undo } });
      }
      return out;
    },
    async afterOpen() {
      life.release();
      const out: Record<string, unknown> = {};
      if (bouncer) {
        try {
          out.pgbouncer = await bouncer.afterOpen();
        } catch (err) {
          out.pgbouncer = { ok: false, error: (err as Error).message };
        }
      }
      if (hooks.any) out.hooks = await hooks.run('after-open', false).catch((err: Error) => [{ ok: false, error: err.message }]);
      return out;
    },
    async afterAbort() {
      life.release();
      const out: Record<string, unknown> = {};
      if (bouncer) {
        try {
          out.pgbouncer = await bouncer.afterAbort();
        } catch (err) {
          out.pgbouncer = { ok: false, error: (err as Error).message };
        }
      }
      const undo = await afterAbortHooks().catch((err: Error) => [{ ok: false, error: err.message }]);
      if (undo) out.hooks = undo;
      return out;
    },
  };
}
