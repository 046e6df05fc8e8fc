import { Client, type ClientConfig } from 'pg';
import type { ConnectionOptions } from 'node:tls';
import { isSocketDir } from './defaults';
import { classifyPgError, describeError, PasswordRequiredError } from './errors';
import { lookupPgpass } from './pgpass';
import { loadSslMaterial, sslVariants, type SslMaterial } from './ssl';
import {
  ConnectError, type ConnectAttempt, type ConnectErrorKind, type HostEndpoint, type ResolvedConn,
  type TargetSessionAttrs,
} from './types';

export interface ConnectOptions {
  /** Asked (once per endpoint, only if the server wants a password) when r.password is not set. */
  password?: (ep: HostEndpoint) => Promise<string | undefined>;
  /** Where the provider's passwords come from, for messages (e.g. "the password prompt"); deduced when absent. */
  passwordSource?: string;
  signal?: AbortSignal;
  /** Overrides r.applicationName; "pg-upgrade-pilot" is the fallback. */
  applicationName?: string;
}

export interface Connected {
  /** Connected and checked against target_session_attrs. Attach an 'error' listener if you keep it idle. */
  client: Client;
  endpoint: HostEndpoint;
  attempts: ConnectAttempt[];
}

export const FALLBACK_APPLICATION_NAME = 'pg-upgrade-pilot';

/**
 * libpq's multi-host connect on node-postgres: tries the endpoints in order (shuffled with
 * load_balance_hosts=random), each within connect_timeout, checks target_session_attrs once connected
 * and moves on to the next host on any failure; prefer-standby makes a second pass accepting any server.
 * Passwords: r.password, then opts.password(ep), then the password file; asked only when the server
 * wants one, and never sent empty. Throws ConnectError listing every host's reason (never a password).
 */
export async function connect(r: ResolvedConn, opts: ConnectOptions = {}): Promise<Connected> {
  opts.signal?.throwIfAborted();
  if (r.endpoints.length === 0) throw new ConnectError('other', 'no host to connect to');
  const material = await loadSslMaterial(r);
  const passwords = new Passwords(r, opts.password, opts.passwordSource);
  const order = r.loadBalanceHosts === 'random' ? shuffle(r.endpoints) : r.endpoints;
  const passes: TargetSessionAttrs[] = r.targetSessionAttrs === 'prefer-standby' ? ['standby', 'any'] : [r.targetSessionAttrs];
  const attempts: ConnectAttempt[] = [];
  for (const [pass, wanted] of passes.entries()) {
    for (const ep of order) {
      // Second pass of prefer-standby: only servers that answered but were not standbys.
      if (pass > 0 && !attempts.some((a) => a.endpoint === ep && a.kind === 'read-only')) continue;
      const { client, attempt } = await tryEndpoint(r, ep, wanted, material, passwords, opts);
      attempts.push(attempt);
      if (client) return { client, endpoint: ep, attempts };
    }
  }
  const kind = overallKind(attempts);
  throw new ConnectError(kind, passwords.scrub(failureMessage(r, attempts)), attempts.map((a) => ({ ...a, reason: a.reason && passwords.scrub(a.reason) })));
}

/** "db.example.com:5432", "[::1]:5432", 'socket "/var/run/postgresql/.s.PGSQL.5432"'. */
export function formatEndpoint(ep: HostEndpoint): string {
  if (isSocketDir(ep.host) && !ep.hostaddr) return `socket "${ep.host.replace(/\/+$/, '')}/.s.PGSQL.${ep.port}"`;
  const host = ep.host.includes(':') ? `[${ep.host}]` : ep.host;
  return ep.hostaddr ? `${host} (${ep.hostaddr}) port ${ep.port}` : `${host}:${ep.port}`;
}

async function tryEndpoint(
  r: ResolvedConn, ep: HostEndpoint, wanted: TargetSessionAttrs, material: SslMaterial, passwords: Passwords, opts: ConnectOptions,
): Promise<{ client?: Client; attempt: ConnectAttempt }> {
  const started = Date.now();
  const variants = sslVariants(r, ep, material);
  const attempt = (fields: Partial<ConnectAttempt>): ConnectAttempt => ({
    endpoint: ep, ok: false, ssl: false, elapsedMs: Date.now() - started, wanted, ...fields,
  });
  let failure: unknown;
  let usedSsl = false;
  for (const [i, ssl] of variants.entries()) {
    opts.signal?.throwIfAborted();
    usedSsl = ssl !== false;
    let client: Client | undefined;
    try {
      client = await openClient(r, ep, ssl, passwords, opts);
      const mismatch = await sessionMismatch(client, wanted);
      opts.signal?.throwIfAborted();
      if (mismatch) {
        await client.end().catch(() => undefined);
        return { attempt: attempt({ kind: 'read-only', reason: `${mismatch} (target_session_attrs=${wanted})`, ssl: usedSsl }) };
      }
      return { client, attempt: attempt({ ok: true, ssl: usedSsl }) };
    } catch (e) {
      if (client) await client.end().catch(() => undefined);
      if (opts.signal?.aborted) throw opts.signal.reason;
      failure = e;
      if (i + 1 < variants.length && worthOtherSslMode(e)) continue;
      break;
    }
  }
  const kind = classifyPgError(failure);
  return { attempt: attempt({ kind, reason: reasonFor(kind, failure, r, ep, passwords), ssl: usedSsl }) };
}

/** libpq retries with the other sslmode (allow/prefer) after a TLS failure or a server's authentication refusal. */
function worthOtherSslMode(e: unknown): boolean {
  const kind = classifyPgError(e);
  return kind === 'ssl' || kind === 'auth-failed';
}

async function openClient(r: ResolvedConn, ep: HostEndpoint, ssl: false | ConnectionOptions, passwords: Passwords, opts: ConnectOptions): Promise<Client> {
  const applicationName = opts.applicationName ?? r.applicationName;
  const config: ClientConfig = {
    host: ep.hostaddr ?? ep.host,
    port: ep.port,
    user: r.user,
    database: r.dbname,
    password: () => passwords.get(ep),
    ssl,
    sslnegotiation: ssl ? r.sslnegotiation ?? 'postgres' : 'postgres',
    connectionTimeoutMillis: r.connectTimeoutSeconds * 1000,
    application_name: applicationName,
    fallback_application_name: FALLBACK_APPLICATION_NAME,
    options: r.options,
    client_encoding: r.clientEncoding,
    keepAlive: r.keepalives ?? true,
    keepAliveInitialDelayMillis: (r.keepalivesIdleSeconds ?? 0) * 1000,
  };
  const client = new Client(config);
  // A server that ends the session (pg_terminate_backend, a fast stop) between the connect and the caller's own
  // 'error' listener must not crash the process: the next query reports it.
  client.on('error', () => undefined);
  // node-postgres falls back to process.env (PGOPTIONS, PGAPPNAME, …) for unset values; the resolved
  // parameters are the whole truth, so pin them.
  const cp = (client as unknown as { connectionParameters: Record<string, unknown> }).connectionParameters;
  Object.assign(cp, { options: r.options, application_name: applicationName, client_encoding: r.clientEncoding ?? '', replication: r.replication });
  // A failed connect leaves node-postgres' socket open: close it ourselves (also on abort).
  const destroy = (): void => {
    (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  };
  opts.signal?.addEventListener('abort', destroy, { once: true });
  try {
    await client.connect();
    return client;
  } catch (e) {
    destroy();
    throw e;
  } finally {
    opts.signal?.removeEventListener('abort', destroy);
  }
}

/** Why this server does not suit target_session_attrs, or undefined if it does (libpq's wording). */
async function sessionMismatch(client: Client, wanted: TargetSessionAttrs): Promise<string | undefined> {
  switch (wanted) {
    case 'read-write':
    case 'read-only': {
      const ro = (await client.query<{ transaction_read_only: string }>('SHOW transaction_read_only')).rows[0].transaction_read_only === 'on';
      if (wanted === 'read-write' && ro) return 'session is read-only';
      if (wanted === 'read-only' && !ro) return 'session is not read-only';
      return undefined;
    }
    case 'primary':
    case 'standby': {
      const standby = (await client.query<{ r: boolean }>('SELECT pg_catalog.pg_is_in_recovery() AS r')).rows[0].r;
      if (wanted === 'primary' && standby) return 'server is in hot standby mode';
      if (wanted === 'standby' && !standby) return 'server is not in hot standby mode';
      return undefined;
    }
    default:
      return undefined;
  }
}

function reasonFor(kind: ConnectErrorKind, e: unknown, r: ResolvedConn, ep: HostEndpoint, passwords: Passwords): string {
  if (kind === 'timeout') return `no answer within connect_timeout (${r.connectTimeoutSeconds} s)`;
  const base = describeError(e);
  const from = passwords.sourceOf(ep);
  if (kind === 'auth-failed' && from) return `${base} (password from ${from})`;
  return base;
}

/** The most actionable kind among the failures: a credentials problem before a network one. */
const KIND_PRIORITY: ConnectErrorKind[] = ['password-required', 'auth-failed', 'ssl', 'database-missing', 'read-only', 'other', 'timeout', 'unreachable'];

function overallKind(attempts: ConnectAttempt[]): ConnectErrorKind {
  const kinds = new Set(attempts.map((a) => a.kind ?? 'other'));
  return KIND_PRIORITY.find((k) => kinds.has(k)) ?? 'other';
}

function failureMessage(r: ResolvedConn, attempts: ConnectAttempt[]): string {
  const tsa = r.targetSessionAttrs !== 'any' ? ` with target_session_attrs=${r.targetSessionAttrs}` : '';
  if (attempts.length === 1) return `could not connect to ${formatEndpoint(attempts[0].endpoint)}${tsa}: ${attempts[0].reason}`;
  const lines = attempts.map((a) => `  - ${formatEndpoint(a.endpoint)}: ${a.reason}`);
  return `could not connect to any of ${r.endpoints.length} hosts${tsa}:\n${lines.join('\n')}`;
}

/** Per-endpoint password lookup (cached: a provider that prompts is asked once), and scrubbing of messages. */
class Passwords {
  private readonly cache = new Map<string, Promise<{ password: string; source: string }>>();
  private readonly sources = new Map<string, string>();
  private readonly known = new Set<string>();

  constructor(
    private readonly r: ResolvedConn,
    private readonly provider?: (ep: HostEndpoint) => Promise<string | undefined>,
    private readonly providerSource?: string,
  ) {
    for (const s of [r.password, r.sslpassword]) if (s) this.known.add(s);
  }

  async get(ep: HostEndpoint): Promise<string> {
    const key = endpointKey(ep);
    let entry = this.cache.get(key);
    if (!entry) {
      entry = this.find(ep);
      this.cache.set(key, entry);
      entry.catch(() => this.cache.delete(key));
    }
    const { password, source } = await entry;
    this.sources.set(key, source);
    return password;
  }

  sourceOf(ep: HostEndpoint): string | undefined {
    return this.sources.get(endpointKey(ep));
  }

  /** Defence in depth: no message leaves connect() with a password in it. */
  scrub(text: string): string {
    let out = text;
    for (const s of this.known) if (s.length >= 4) out = out.split(s).join('********');
    return out;
  }

  /**
   * A provider's password named by where libpq itself would have found the same value (the CLI's provider serves
   * PGPASSWORD or the password file), else "the password given for this cluster".
   */
  private async deduceSource(password: string, ep: HostEndpoint): Promise<string> {
    if (process.env.PGPASSWORD === password) return 'environment variable PGPASSWORD';
    const fromFile = await lookupPgpass(ep, this.r.dbname, this.r.user, { passfile: this.r.passfile }).catch(() => undefined);
    if (fromFile === password) return `password file "${this.r.passfile}"`;
    return 'the password given for this cluster';
  }

  private async find(ep: HostEndpoint): Promise<{ password: string; source: string }> {
    if (this.r.password) return { password: this.r.password, source: this.r.passwordSource ?? 'the connection string' };
    const provided = await this.provider?.(ep);
    if (provided) {
      this.known.add(provided);
      return { password: provided, source: this.providerSource ?? (await this.deduceSource(provided, ep)) };
    }
    let ignored: string | undefined;
    const fromFile = await lookupPgpass(ep, this.r.dbname, this.r.user, { passfile: this.r.passfile, onIgnored: (why) => (ignored = why) });
    if (fromFile) {
      this.known.add(fromFile);
      return { password: fromFile, source: `password file "${this.r.passfile}"` };
    }
    const tried = ['none in the connection string or PGPASSWORD'];
    if (this.provider) tried.push('none from the password provider');
    tried.push(ignored ?? `no matching line in "${this.r.passfile}"`);
    throw new PasswordRequiredError(`the server asked for a password for user "${this.r.user}" and none is available (${tried.join('; ')})`);
  }
}

const endpointKey = (ep: HostEndpoint): string => `${ep.host}\u0000${ep.hostaddr ?? ''}\u0000${ep.port}`;

function shuffle<T>(items: readonly T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
