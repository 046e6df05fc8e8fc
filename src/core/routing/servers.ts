/** The old and the new primary of a switchover, as the pooler sees them (host and port), from the run's clusters. */
import { parseConnString, resolveConn } from '../conn';
import type { ClusterRole, StepContext } from '../runbook/types';

export interface Endpoint {
  host: string;
  port: number;
}

const OLD_ROLES: ClusterRole[] = ['source', 'primary'];
const NEW_ROLES: ClusterRole[] = ['target', 'standby'];

async function firstEndpoint<P>(ctx: StepContext<P>, roles: ClusterRole[], what: string): Promise<Endpoint> {
  for (const role of roles) {
    let conn: string;
    try {
      conn = ctx.connection(role);
    } catch {
      continue;
    }
    const r = await resolveConn(parseConnString(conn));
    const ep = r.endpoints[0];
    if (ep) return { host: ep.hostaddr ?? ep.host, port: ep.port };
  }
  throw new Error(`the run has no ${what} server (${roles.join(' or ')})`);
}

/** The server the pooler's entries point at before the switchover (source, or primary of a streaming pair). */
export function oldServerOf<P>(ctx: StepContext<P>): Promise<Endpoint> {
  return firstEndpoint(ctx, OLD_ROLES, 'old');
}

/** The server they point at afterwards (target, or the promoted standby). */
export function newServerOf<P>(ctx: StepContext<P>): Promise<Endpoint> {
  return firstEndpoint(ctx, NEW_ROLES, 'new');
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** Same server: same port and the same host name, or both loopback. */
export function sameServer(a: Endpoint, b: Endpoint): boolean {
  if (a.port !== b.port) return false;
  const ha = a.host.toLowerCase();
  const hb = b.host.toLowerCase();
  return ha === hb || (LOOPBACK.has(ha) && LOOPBACK.has(hb));
}
