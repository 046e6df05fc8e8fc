/**
 * libpq-style connection parameters, as parsed from a connection string (URI or keyword/value),
 * a service file entry and PG* environment variables. Keys are libpq keyword names.
 * Multi-host: `host` and `port` may hold comma-separated lists (libpq semantics).
 */
export type ConnKeyword =
  | 'host' | 'hostaddr' | 'port' | 'dbname' | 'user' | 'password' | 'passfile' | 'service'
  | 'connect_timeout' | 'application_name' | 'options' | 'sslmode' | 'sslrootcert' | 'sslcert'
  | 'sslkey' | 'target_session_attrs' | 'client_encoding' | 'keepalives' | 'channel_binding'
  | 'load_balance_hosts' | 'fallback_application_name' | 'sslpassword' | 'krbsrvname' | 'gssencmode';

/** Raw keyword → value map (strings, exactly as libpq would see them). */
export type ConnParams = Partial<Record<ConnKeyword, string>>;

export type TargetSessionAttrs =
  | 'any' | 'read-write' | 'read-only' | 'primary' | 'standby' | 'prefer-standby';

/** One candidate endpoint after expanding host/port lists. */
export interface HostEndpoint {
  host: string; // a hostname, an IP address, or an absolute Unix-socket directory
  port: number;
}

/** Fully resolved parameters ready for connecting (defaults applied, service/env merged). */
export interface ResolvedConn {
  endpoints: HostEndpoint[];
  dbname: string;
  user: string;
  password?: string; // never logged, never persisted outside SecretStorage / .pgpass
  sslmode: 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
  sslrootcert?: string;
  sslcert?: string;
  sslkey?: string;
  connectTimeoutSeconds: number; // default 10 (ours), 0 = none
  targetSessionAttrs: TargetSessionAttrs;
  applicationName?: string;
  options?: string;
}

/** Thrown for malformed connection strings; `position`/`part` point at the bad part. */
export class ConnStringError extends Error {
  constructor(message: string, readonly part?: string, readonly position?: number) {
    super(message);
    this.name = 'ConnStringError';
  }
}
