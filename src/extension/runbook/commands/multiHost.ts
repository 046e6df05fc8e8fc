/**
 * Seed 001's application connection for two registered clusters: one libpq string naming the old cluster's hosts,
 * then the new one's, with target_session_attrs=read-write, so a client (pgbench, the write probe) keeps writing to
 * whichever is the primary — the old one until the switchover, the new one after it. Pure: no vscode, no I/O.
 */
import { DEFAULT_PORT } from '../../../core/conn/defaults';
import { formatConnString } from '../../../core/conn/format';
import { parseConnString } from '../../../core/conn/parse';
import type { ConnKeyword, ConnParams, HostEndpoint } from '../../../core/conn/types';
import { multiHostConnection } from '../../../core/probe/pgbenchCommand';
import type { Translate } from '../../translate';

/** A cluster as the builder needs it: its display name (for messages) and libpq connection string. */
export interface NamedConnection {
  name: string;
  connection: string;
}

export interface ClusterPairConnection {
  /** `host=old…,new… port=… dbname=… user=… connect_timeout=20 target_session_attrs=read-write` (+ shared settings). */
  connection: string;
  /** Settings the two strings give differently (or only one gives): left out of the shared string. */
  leftOut: ConnKeyword[];
}

/** Chosen by the builder itself, or per host: never copied from either string. */
const OWN: ReadonlySet<ConnKeyword> = new Set<ConnKeyword>([
  'host', 'hostaddr', 'port', 'user', 'dbname', 'password', 'target_session_attrs', 'connect_timeout', 'load_balance_hosts',
]);

/**
 * The multi-host string for `old` then `next`. user and dbname must agree where both strings give them; any other
 * setting (sslmode, application_name, …) is kept when both give it alike, else left out and listed in `leftOut`.
 * Throws (messages through `t`) for a string that does not parse, names no host, or uses hostaddr.
 */
export function clusterPairConnection(old: NamedConnection, next: NamedConnection, t: Translate): ClusterPairConnection {
  const a = parse(old, t);
  const b = parse(next, t);
  const user = same('user', old, a, next, b, t);
  if (user === undefined) throw new Error(t('Neither {0} nor {1} names a user in its connection string; add user=… to one of them.', old.name, next.name));
  const dbname = same('dbname', old, a, next, b, t) ?? user;
  const shared: ConnParams = {};
  const leftOut: ConnKeyword[] = [];
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)] as ConnKeyword[])) {
    if (OWN.has(k)) continue;
    if (a[k] === b[k]) shared[k] = a[k];
    else leftOut.push(k);
  }
  const seed = parseConnString(multiHostConnection([...endpointsOf(old, a, t), ...endpointsOf(next, b, t)], user, dbname));
  return { connection: formatConnString({ ...shared, ...seed }), leftOut };
}

/**
 * The password for the terminal's PGPASSWORD: one string serves every host of the shared connection. undefined when
 * neither cluster has a stored one (the password file or trust then applies); throws when they differ.
 */
export function sharedPassword(old: { name: string; password?: string }, next: { name: string; password?: string }, t: Translate): string | undefined {
  if (old.password !== undefined && next.password !== undefined && old.password !== next.password) {
    throw new Error(t('{0} and {1} have different stored passwords, but one connection string takes one password (PGPASSWORD). Store the same password for both, or forget the stored passwords and put both in your password file (~/.pgpass).', old.name, next.name));
  }
  return old.password ?? next.password;
}

function parse(c: NamedConnection, t: Translate): ConnParams {
  try {
    return parseConnString(c.connection);
  } catch (err) {
    throw new Error(t('The connection string of {0} does not parse: {1}', c.name, err instanceof Error ? err.message : String(err)));
  }
}

function same(k: 'user' | 'dbname', old: NamedConnection, a: ConnParams, next: NamedConnection, b: ConnParams, t: Translate): string | undefined {
  const x = a[k] || undefined;
  const y = b[k] || undefined;
  if (x !== undefined && y !== undefined && x !== y) {
    throw new Error(t('{0} connects with {1}={2} and {3} with {1}={4}; one connection string has one {1}. Make them the same.', old.name, k, x, next.name, y));
  }
  return x ?? y;
}

/** host/port lists as libpq pairs them: one port for every host, or one per host; no port is 5432. */
function endpointsOf(c: NamedConnection, p: ConnParams, t: Translate): HostEndpoint[] {
  if (p.hostaddr !== undefined) throw new Error(t('{0} uses hostaddr=, which cannot be combined into a shared connection string; use host names (host=…).', c.name));
  const hosts = (p.host ?? '').split(',').map((h) => h.trim());
  if (hosts.some((h) => h === '')) throw new Error(t('The connection string of {0} must name its host (host=…) to be combined with another cluster.', c.name));
  const ports = (p.port ?? '').split(',').map((x) => x.trim());
  if (ports.length !== 1 && ports.length !== hosts.length) throw new Error(t('The connection string of {0} has {1} hosts but {2} ports.', c.name, hosts.length, ports.length));
  return hosts.map((host, i) => {
    const port = ports.length === 1 ? ports[0] : ports[i];
    return { host, port: port === '' ? DEFAULT_PORT : Number(port) };
  });
}
