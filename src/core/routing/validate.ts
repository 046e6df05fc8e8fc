import { validateHooks } from './hooks';
import { validatePoolers } from './pgbouncer';
import type { ClientRoutingParams } from './types';

/** Throws a clear error for routing params that cannot work (before anything runs); returns them normalised. */
export function validateClientRouting(p: ClientRoutingParams | undefined): ClientRoutingParams {
  if (p === undefined || p === null) return { kind: 'none' };
  switch (p.kind) {
    case 'none':
      return p;
    case 'pgbouncer':
      return { kind: 'pgbouncer', poolers: validatePoolers(p.poolers), hooks: validateHooks(p.hooks) };
    case 'hooks': {
      const hooks = validateHooks(p.hooks);
      if (!hooks.length) throw new Error('client routing "hooks" needs at least one --hook');
      return { kind: 'hooks', hooks };
    }
    default:
      throw new Error(`clientRouting.kind must be "none", "pgbouncer" or "hooks", not ${JSON.stringify((p as { kind?: unknown }).kind)}`);
  }
}

