import { stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { homedir as osHomedir, userInfo } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_CONNECT_TIMEOUT_SECONDS, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_SOCKET_DIRS, MIN_CONNECT_TIMEOUT_SECONDS,
} from './defaults';
import { ALL_KEYWORDS, ENV_VARS, isSecretKeyword } from './keywords';
import { loadService } from './service';
import { checkValue, parseIntParam, parsePort } from './validate';
import {
  ConnStringError, type ConnKeyword, type ConnParams, type HostEndpoint, type ResolvedConn, type SslMode,
  type TargetSessionAttrs,
} from './types';

export interface ResolveOptions {
  /** Home directory for ~/.pg_service.conf, ~/.pgpass, ~/.postgresql/*; default $HOME or the OS's. */
  homedir?: string;
  /** The OS user name (default user); default the current OS user. */
  osUser?: string;
  /** The Unix-socket directory used when no host is given, if it exists; default /var/run/postgresql. */
  socketDir?: string;
}

type Sourced = Map<ConnKeyword, { value: string; source: string }>;

/**
 * Merges explicit parameters, a service (service= or PGSERVICE), PG* environment variables and
 * defaults with libpq's precedence (explicit > service > environment > defaults), validates every
 * value (errors say where the bad value came from) and expands the host/port lists into endpoints.
 */
export async function resolveConn(p: ConnParams, env: NodeJS.ProcessEnv = process.env, opts: ResolveOptions = {}): Promise<ResolvedConn> {
  const homedir = opts.homedir ?? (env.HOME || osHomedir());
  const vals: Sourced = new Map();
  for (const k of ALL_KEYWORDS) if (p[k] !== undefined) vals.set(k, { value: p[k]!, source: 'the connection string' });

  const service = vals.get('service')?.value ?? env.PGSERVICE;
  if (service) {
    const def = await loadService(service, { env, homedir });
    for (const k of ALL_KEYWORDS) {
      if (def.params[k] !== undefined && !vals.has(k)) vals.set(k, { value: def.params[k]!, source: `service "${service}" in ${def.file}` });
    }
  }
  for (const [k, envVar] of ENV_VARS) {
    if (!vals.has(k) && env[envVar] !== undefined) vals.set(k, { value: env[envVar]!, source: `environment variable ${envVar}` });
  }
  if (!vals.has('sslmode') && env.PGREQUIRESSL?.startsWith('1')) vals.set('sslmode', { value: 'require', source: 'environment variable PGREQUIRESSL' });

  for (const [k, { value, source }] of vals) {
    const problem = isSecretKeyword(k) ? undefined : checkValue(k, value);
    if (problem) throw new ConnStringError(`${problem.message} (from ${source})`, problem.part);
  }
  rejectUnsupported(vals);

  const get = (k: ConnKeyword): string | undefined => vals.get(k)?.value;
  const nonEmpty = (k: ConnKeyword): string | undefined => get(k) || undefined;
  const user = nonEmpty('user') ?? osUserName(env, opts);
  const sslrootcertGiven = nonEmpty('sslrootcert');
  const sslmode = resolveSslMode(get('sslmode'), sslrootcertGiven, vals);
  checkSslNegotiation(get('sslnegotiation'), sslmode, vals);
  checkTlsRange(nonEmpty('ssl_min_protocol_version'), nonEmpty('ssl_max_protocol_version'));
  const timeout = get('connect_timeout') === undefined ? DEFAULT_CONNECT_TIMEOUT_SECONDS : parseIntParam(get('connect_timeout')!)!;
  const ssl = await defaultSslFiles(homedir, sslmode, sslrootcertGiven, nonEmpty('sslcert'), nonEmpty('sslkey'));

  const r: ResolvedConn = {
    endpoints: await expandEndpoints(get('host'), get('hostaddr'), get('port'), vals, opts),
    dbname: nonEmpty('dbname') ?? user,
    user,
    sslmode,
    connectTimeoutSeconds: timeout <= 0 ? 0 : Math.max(timeout, MIN_CONNECT_TIMEOUT_SECONDS),
    targetSessionAttrs: (get('target_session_attrs') ?? 'any') as TargetSessionAttrs,
    passfile: nonEmpty('passfile') ?? join(homedir, '.pgpass'),
    ...ssl,
  };
  const optional: Array<[keyof ResolvedConn, string | undefined]> = [
    ['password', nonEmpty('password')],
    ['applicationName', nonEmpty('application_name') ?? nonEmpty('fallback_application_name')],
    ['options', nonEmpty('options')],
    ['sslpassword', nonEmpty('sslpassword')],
    ['sslcrl', sslmode === 'disable' ? undefined : nonEmpty('sslcrl')],
    ['sslMinProtocolVersion', nonEmpty('ssl_min_protocol_version')],
    ['sslMaxProtocolVersion', nonEmpty('ssl_max_protocol_version')],
    ['clientEncoding', nonEmpty('client_encoding')],
    ['replication', nonEmpty('replication')],
    ['loadBalanceHosts', nonEmpty('load_balance_hosts')],
    ['sslnegotiation', nonEmpty('sslnegotiation')],
  ];
  const out = r as unknown as Record<string, unknown>;
  for (const [k, v] of optional) if (v !== undefined) out[k] = v;
  if (r.password) r.passwordSource = vals.get('password')!.source;
  if (get('keepalives') !== undefined) r.keepalives = parseIntParam(get('keepalives')!) !== 0;
  if (get('keepalives_idle') !== undefined) r.keepalivesIdleSeconds = parseIntParam(get('keepalives_idle')!);
  return r;
}

async function expandEndpoints(host: string | undefined, hostaddr: string | undefined, port: string | undefined, vals: Sourced, opts: ResolveOptions): Promise<HostEndpoint[]> {
  const hosts = host !== undefined ? host.split(',').map((h) => h.trim()) : undefined;
  const addrs = hostaddr !== undefined ? hostaddr.split(',').map((a) => a.trim()) : undefined;
  const count = addrs?.length ?? hosts?.length ?? 1;
  if (hosts && addrs && hosts.length !== addrs.length) {
    throw new ConnStringError(`could not match ${hosts.length} host names to ${addrs.length} hostaddr values `
      + `(host from ${vals.get('host')!.source}, hostaddr from ${vals.get('hostaddr')!.source})`, hostaddr);
  }
  const ports = port !== undefined ? port.split(',') : [''];
  if (ports.length !== 1 && ports.length !== count) {
    throw new ConnStringError(`could not match ${ports.length} port numbers to ${count} hosts: give one port for all hosts `
      + `or one per host (port from ${vals.get('port')!.source})`, port);
  }
  let defaultHost: string | undefined;
  const endpoints: HostEndpoint[] = [];
  for (let i = 0; i < count; i++) {
    const name = hosts?.[i] ?? '';
    const addr = addrs?.[i] ?? '';
    if (addr && !isIP(addr)) throw new ConnStringError(`invalid hostaddr "${addr}": expected a numeric IP address (from ${vals.get('hostaddr')!.source})`, addr);
    if (name.startsWith('@')) throw new ConnStringError(`abstract Unix sockets ("${name}") are not supported; use a socket directory or a host name`, name);
    const portText = ports.length === 1 ? ports[0] : ports[i];
    const p = parsePort(portText);
    const ep: HostEndpoint = {
      host: name || addr || (defaultHost ??= await defaultHostFor(opts)),
      port: typeof p === 'number' ? p : DEFAULT_PORT,
    };
    if (typeof p === 'number' && portText !== String(p)) ep.portText = portText;
    if (name && addr) ep.hostaddr = addr;
    endpoints.push(ep);
  }
  return endpoints;
}

/** The default socket directory if it exists, else "localhost" (TCP). */
async function defaultHostFor(opts: ResolveOptions): Promise<string> {
  const dir = opts.socketDir ?? DEFAULT_SOCKET_DIRS[0];
  try {
    return (await stat(dir)).isDirectory() ? dir : DEFAULT_HOST;
  } catch {
    return DEFAULT_HOST;
  }
}

function osUserName(env: NodeJS.ProcessEnv, opts: ResolveOptions): string {
  if (opts.osUser) return opts.osUser;
  try {
    return userInfo().username;
  } catch {
    const u = env.USER || env.LOGNAME;
    if (u) return u;
    throw new ConnStringError('could not determine the user name: set user= in the connection string or PGUSER');
  }
}

function resolveSslMode(given: string | undefined, sslrootcert: string | undefined, vals: Sourced): SslMode {
  if (sslrootcert === 'system') {
    // libpq: sslrootcert=system demands full verification; it is the default then.
    if (given === undefined) return 'verify-full';
    if (given !== 'verify-full') {
      throw new ConnStringError(`weak sslmode "${given}" may not be used with sslrootcert=system (use "verify-full"; `
        + `sslmode from ${vals.get('sslmode')!.source})`, given);
    }
  }
  return (given ?? 'prefer') as SslMode;
}

/** libpq 17+: direct TLS negotiation needs an sslmode that never falls back to plain text. */
function checkSslNegotiation(negotiation: string | undefined, sslmode: SslMode, vals: Sourced): void {
  if (negotiation !== 'direct' || ['require', 'verify-ca', 'verify-full'].includes(sslmode)) return;
  const from = vals.get('sslmode')?.source ?? 'the default';
  throw new ConnStringError(`weak sslmode "${sslmode}" may not be used with sslnegotiation=direct (use "require", "verify-ca", or "verify-full"; `
    + `sslmode from ${from}, sslnegotiation from ${vals.get('sslnegotiation')!.source})`, sslmode);
}

const TLS_ORDER = ['tlsv1', 'tlsv1.1', 'tlsv1.2', 'tlsv1.3'];

/** libpq's sslVerifyProtocolRange: the minimum may not exceed the maximum. */
function checkTlsRange(min: string | undefined, max: string | undefined): void {
  if (!min || !max || TLS_ORDER.indexOf(min.toLowerCase()) <= TLS_ORDER.indexOf(max.toLowerCase())) return;
  throw new ConnStringError(`invalid SSL protocol version range: ssl_min_protocol_version=${min} is above ssl_max_protocol_version=${max}`, min);
}

/** libpq's defaults: ~/.postgresql/root.crt (required for verify-*), postgresql.crt and postgresql.key. */
async function defaultSslFiles(homedir: string, sslmode: SslMode, rootcert?: string, cert?: string, key?: string): Promise<Pick<ResolvedConn, 'sslrootcert' | 'sslcert' | 'sslkey'>> {
  const dir = join(homedir, '.postgresql');
  const out: Pick<ResolvedConn, 'sslrootcert' | 'sslcert' | 'sslkey'> = {};
  if (sslmode === 'disable') return out;
  const root = rootcert ?? join(dir, 'root.crt');
  if (rootcert || sslmode.startsWith('verify-') || (await exists(root))) out.sslrootcert = root;
  const c = cert ?? join(dir, 'postgresql.crt');
  const k = key ?? join(dir, 'postgresql.key');
  if (cert || (await exists(c))) out.sslcert = c;
  if (key || (out.sslcert && (await exists(k)))) out.sslkey = k;
  return out;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Settings whose meaning node-postgres cannot honour: refusing them beats silently weaker security. */
function rejectUnsupported(vals: Sourced): void {
  const bad = (k: ConnKeyword, why: string): never => {
    throw new ConnStringError(`${k}=${vals.get(k)!.value} is not supported here: ${why} (from ${vals.get(k)!.source})`, k);
  };
  const v = (k: ConnKeyword): string | undefined => vals.get(k)?.value || undefined;
  if (v('channel_binding') === 'require') bad('channel_binding', 'node-postgres cannot enforce channel binding; use "prefer"');
  if (v('gssencmode') === 'require') bad('gssencmode', 'GSSAPI encryption is not available; use sslmode instead');
  if (v('sslcertmode') === 'require') bad('sslcertmode', 'node-postgres cannot check that the server asked for a client certificate');
  if (v('require_auth')) bad('require_auth', 'node-postgres cannot restrict the authentication method');
  if (v('requirepeer')) bad('requirepeer', 'node-postgres cannot check the peer of a Unix socket');
  if (v('sslcrldir')) bad('sslcrldir', 'use sslcrl with a single file instead');
}
