/**
 * Connection strings given on the command line: checked (no password inside where one must not be), turned into the
 * engine's RunCluster (the password taken out and served on demand from libpq's sources), and connected to.
 */
import { connect, parseConnString, redactConnString, resolveConn } from '../core/conn';
import type { RunCluster } from '../core/runbook';
import { libpqPassword } from '../core/runbook/passwords';
import { messageOf, UsageError } from './args';

/** The flag's connection string, parsed; a malformed one is a UsageError naming the flag. */
function parseFlag(flag: string, conn: string) {
  try {
    return parseConnString(conn);
  } catch (err) {
    throw new UsageError(`${flag}: ${messageOf(err)}`);
  }
}

/** Refuses a connection string that carries a password; `remedy` says where the password comes from instead. */
export function refusePassword(flag: string, conn: string, remedy: string): void {
  if (parseFlag(flag, conn).password !== undefined) throw new UsageError(`${flag} must not contain a password${remedy}`);
}

/** A RunCluster from a connection-string flag: the password is taken out and served on demand (libpq's sources). */
export async function clusterFromFlag(flag: string, conn: string, name: string | undefined, production: boolean): Promise<RunCluster> {
  let resolved;
  try {
    resolved = await resolveConn(parseFlag(flag, conn));
  } catch (err) {
    throw err instanceof UsageError ? err : new UsageError(`${flag}: ${messageOf(err)}`);
  }
  const ep = resolved.endpoints[0];
  return { name: name ?? `${ep.host}:${ep.port}/${resolved.dbname}`, connection: redactConnString(conn), production, password: () => libpqPassword(conn) };
}

/** A session on the cluster (the caller ends it), with the cluster's password. */
export async function connectCluster(cluster: Pick<RunCluster, 'connection' | 'password'>, applicationName?: string) {
  const resolved = await resolveConn(parseConnString(cluster.connection));
  const password = await cluster.password?.();
  return (await connect(resolved, { password: async () => password, applicationName })).client;
}
