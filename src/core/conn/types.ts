/**
 * libpq-style connection parameters, as parsed from a connection string (URI or keyword/value),
 * a service file entry and PG* environment variables. Keys are libpq keyword names.
 * Multi-host: `host`, `hostaddr` and `port` may hold comma-separated lists (libpq semantics).
 */
export type ConnKeyword =
  | 'host' | 'hostaddr' | 'port' | 'dbname' | 'user' | 'password' | 'passfile' | 'service'
  | 'connect_timeout' | 'application_name' | 'options' | 'sslmode' | 'sslrootcert' | 'sslcert'
  | 'sslkey' | 'target_session_attrs' | 'client_encoding' | 'keepalives' | 'channel_binding'
  | 'load_balance_hosts' | 'fallback_application_name' | 'sslpassword' | 'krbsrvname' | 'gssencmode'
  // The rest of libpq's keywords (PostgreSQL 18): accepted and kept, so a string psql accepts parses here too.
  | 'keepalives_idle' | 'keepalives_interval' | 'keepalives_count' | 'tcp_user_timeout'
  | 'sslnegotiation' | 'sslcompression' | 'sslcertmode' | 'sslcrl' | 'sslcrldir' | 'sslsni' | 'sslkeylogfile'
  | 'requirepeer' | 'require_auth' | 'min_protocol_version' | 'max_protocol_version'
  | 'ssl_min_protocol_version' | 'ssl_max_protocol_version' | 'gsslib' | 'gssdelegation'
  | 'replication' | 'scram_client_key' | 'scram_server_key'
  | 'oauth_issuer' | 'oauth_client_id' | 'oauth_client_secret' | 'oauth_scope';

/** Raw keyword → value map (strings, exactly as libpq would see them). */
export type ConnParams = Partial<Record<ConnKeyword, string>>;

export type TargetSessionAttrs =
  | 'any' | 'read-write' | 'read-only' | 'primary' | 'standby' | 'prefer-standby';

export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

/** One candidate endpoint after expanding host/port lists. */
export interface HostEndpoint {
  host: string; // a hostname, an IP address, or an absolute Unix-socket directory
  port: number;
  /**
   * The port as written (one element of the port list, e.g. "05432"); absent means the default "5432". libpq matches
   * .pgpass lines against this string, not the number.
   */
  portText?: string;
  /** libpq `hostaddr`: the numeric address actually dialled; `host` stays the name (TLS, .pgpass). */
  hostaddr?: string;
}

/** Fully resolved parameters ready for connecting (defaults applied, service/env merged). */
export interface ResolvedConn {
  endpoints: HostEndpoint[];
  dbname: string;
  user: string;
  password?: string; // never logged, never persisted outside SecretStorage / .pgpass
  /**
   * Where `password` came from, for messages: "the connection string", "environment variable PGPASSWORD",
   * 'service "x" in FILE', "VS Code SecretStorage" (set by whoever puts a password here).
   */
  passwordSource?: string;
  sslmode: SslMode;
  sslrootcert?: string; // a file, or "system" (the platform's trusted roots)
  sslcert?: string;
  sslkey?: string;
  sslcrl?: string; // certificate revocation list file (PEM)
  connectTimeoutSeconds: number; // default 10 (ours), 0 = none
  targetSessionAttrs: TargetSessionAttrs;
  applicationName?: string;
  options?: string;
  /** The password file to consult (passfile= / PGPASSFILE / ~/.pgpass). */
  passfile?: string;
  /** libpq load_balance_hosts (16+): "random" shuffles the endpoints before trying them. */
  loadBalanceHosts?: 'disable' | 'random';
  sslpassword?: string; // passphrase of sslkey; a secret like `password`
  sslnegotiation?: 'postgres' | 'direct';
  sslMinProtocolVersion?: string; // TLSv1 … TLSv1.3 (libpq default TLSv1.2)
  sslMaxProtocolVersion?: string;
  clientEncoding?: string;
  replication?: string;
  keepalives?: boolean;
  keepalivesIdleSeconds?: number;
}

/**
 * Thrown for malformed connection strings, service files and parameter values.
 * `part` is the offending text (never a secret) and `position` its 1-based character position in the
 * connection string, as libpq counts ("at position 12"). Messages never contain a password.
 */
export class ConnStringError extends Error {
  constructor(message: string, readonly part?: string, readonly position?: number) {
    super(message);
    this.name = 'ConnStringError';
  }
}

export type ConnectErrorKind =
  | 'auth-failed' | 'password-required' | 'unreachable' | 'timeout' | 'ssl' | 'read-only'
  | 'database-missing' | 'other';

/** One host tried by connect(), in order. `reason` never contains a password. */
export interface ConnectAttempt {
  endpoint: HostEndpoint;
  ok: boolean;
  /** Why this host was not used (absent when ok). 'read-only' also covers any target_session_attrs mismatch. */
  kind?: ConnectErrorKind;
  reason?: string;
  /** Whether the (last) connection to this host was encrypted. */
  ssl: boolean;
  elapsedMs: number;
  /** What this pass required: prefer-standby tries "standby" first, then "any". */
  wanted: TargetSessionAttrs;
}

/** connect() failed on every host. The message lists each host's reason and never a password. */
export class ConnectError extends Error {
  constructor(readonly kind: ConnectErrorKind, message: string, readonly attempts: ConnectAttempt[] = []) {
    super(message);
    this.name = 'ConnectError';
  }
}
