/**
 * Passwords that belong to a login on an endpoint rather than to a registered cluster: a PgBouncer admin console
 * (issue 12) and a dedicated replication user (issue 11). Kept only in SecretStorage, keyed user@host:port, and
 * handed to the core through its providers (registered on first use: the core modules load node-postgres, which
 * activation must not).
 */
import { userInfo } from 'node:os';
import type { PasswordStore } from './secrets';
import { endpointSecretId } from './secrets';
import { loadConn } from './lazy';

export interface EndpointPasswords {
  /** Admin console passwords of poolers. */
  poolers: PasswordStore;
  /** Passwords of dedicated replication users (the subscription's connection to the source). */
  replication: PasswordStore;
}

/** The user, host and port a connection string names (defaults as libpq: OS user, localhost, the given port). */
export async function endpointOf(connection: string, defaultPort: number): Promise<{ user: string; host: string; port: number }> {
  const p = (await loadConn()).parseConnString(connection);
  const host = (p.host ?? p.hostaddr ?? 'localhost').split(',')[0];
  const port = Number((p.port ?? String(defaultPort)).split(',')[0]) || defaultPort;
  return { user: p.user ?? userInfo().username, host, port };
}

export async function endpointSecretOf(connection: string, defaultPort: number): Promise<string> {
  const e = await endpointOf(connection, defaultPort);
  return endpointSecretId(e.user, e.host, e.port);
}

let registered: Promise<void> | undefined;

/** Registers the SecretStorage providers with the core (once per window); call before a run or a pooler query. */
export function registerEndpointPasswordProviders(stores: EndpointPasswords): Promise<void> {
  return (registered ??= (async () => {
    const [routing, conninfo, conn] = await Promise.all([
      import('../core/routing'), import('../core/runbooks/logical/conninfo'), loadConn(),
    ]);
    routing.setPoolerPasswordProvider(async (admin, ep) => {
      const user = conn.parseConnString(admin).user ?? userInfo().username;
      return stores.poolers.get(endpointSecretId(user, ep.host, ep.port));
    });
    conninfo.setReplicationPasswordProvider(async (user, ep) => stores.replication.get(endpointSecretId(user, ep.host, ep.port)));
  })());
}
