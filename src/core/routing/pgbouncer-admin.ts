/**
 * PgBouncer's admin console (the virtual database "pgbouncer"): simple query protocol only. node-postgres sends a
 * plain `client.query(text)` without parameters as a simple Query message, which the console accepts (checked
 * against PgBouncer 1.18). Commands take no bind parameters, so a database name is validated, then double-quoted.
 *
 * The password: the registered provider (VS Code: SecretStorage), else the password file (.pgpass / passfile=),
 * as libpq would. Never in params, never in messages.
 */
import type { Client } from 'pg';
import { connect, parseConnString, redactConnString, resolveConn } from '../conn';
import type { HostEndpoint } from '../conn';

/** Returns the admin console password for a pooler (by its admin connection string), if the host keeps one. */
export type PoolerPasswordProvider = (admin: string, ep: HostEndpoint) => Promise<string | undefined>;

let provider: PoolerPasswordProvider | undefined;

/** The extension registers SecretStorage here; the CLI relies on the password file. */
export function setPoolerPasswordProvider(p: PoolerPasswordProvider | undefined): void {
  provider = p;
}

export interface AdminConsole {
  readonly label: string;
  query<T = Record<string, unknown>>(text: string, timeoutMs?: number): Promise<T[]>;
  end(): Promise<void>;
  /** Drop the connection at once (a PAUSE that will never answer). */
  destroy(): void;
}

const DB_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.$-]{0,62}$/;

/** A pooler database name fit for a console command, double-quoted; throws on anything else. */
export function consoleDbName(name: string): string {
  if (!DB_NAME.test(name)) throw new Error(`"${name}" is not a database name the pooler's console can be given (letters, digits, _ . $ -)`);
  return `"${name}"`;
}

export function poolerLabel(admin: string): string {
  try {
    const p = parseConnString(admin);
    return `${p.host ?? 'localhost'}:${p.port ?? '6432'}`;
  } catch {
    return redactConnString(admin);
  }
}

/** Connects to the admin console; the error names the pooler and the cause, never a password. */
export async function openAdminConsole(admin: string, opts: { signal?: AbortSignal; connectTimeoutSeconds?: number } = {}): Promise<AdminConsole> {
  const params = parseConnString(admin);
  if (params.password !== undefined) throw new Error('the pooler admin connection string must not hold a password: put it in the password file (.pgpass) or the secret store');
  if ((params.dbname ?? 'pgbouncer') !== 'pgbouncer') throw new Error(`the pooler admin connection must use dbname=pgbouncer (the admin console), not "${params.dbname}"`);
  const resolved = await resolveConn({ connect_timeout: String(opts.connectTimeoutSeconds ?? 5), ...params, dbname: 'pgbouncer' });
  const label = poolerLabel(admin);
  let client: Client;
  try {
    ({ client } = await connect(resolved, { signal: opts.signal, password: provider ? (ep) => provider!(admin, ep) : undefined, applicationName: 'pg-upgrade-pilot' }));
  } catch (err) {
    throw new Error(`cannot reach the PgBouncer admin console at ${label}: ${err instanceof Error ? err.message : String(err)}`);
  }
  client.on('error', () => { /* a dropped idle console: the next query reports it */ });
  return {
    label,
    async query<T>(text: string, timeoutMs = 10_000): Promise<T[]> {
      let timer: NodeJS.Timeout | undefined;
      try {
        const r = await Promise.race([
          client.query(text),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`${text} on the pooler ${label} did not answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return (r.rows ?? []) as T[];
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        throw new Error(msg.includes(label) ? msg : `${text} on the pooler ${label}: ${msg}`);
      } finally {
        clearTimeout(timer);
      }
    },
    async end() {
      await Promise.race([client.end().catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
    },
    destroy() {
      (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    },
  };
}

// ---- the console's views, typed (the columns used here exist in 1.18 and later) ----

export interface PoolerDatabaseRow {
  name: string;
  host: string | null;
  port: number;
  database: string;
  pool_mode: string | null;
  paused: number;
  disabled: number;
}

export interface PoolerPoolRow {
  database: string;
  user: string;
  cl_active: number;
  cl_waiting: number;
  sv_active: number;
  sv_idle: number;
  sv_used: number;
  maxwait: number;
  maxwait_us: number;
  pool_mode: string;
}

export interface PoolerClientRow {
  user: string;
  database: string;
  state: string;
  addr: string;
  application_name?: string;
}

export async function showDatabases(c: AdminConsole): Promise<PoolerDatabaseRow[]> {
  return c.query<PoolerDatabaseRow>('SHOW DATABASES');
}

export async function showPools(c: AdminConsole): Promise<PoolerPoolRow[]> {
  return c.query<PoolerPoolRow>('SHOW POOLS');
}

export async function showClients(c: AdminConsole): Promise<PoolerClientRow[]> {
  return c.query<PoolerClientRow>('SHOW CLIENTS');
}

export async function showConfig(c: AdminConsole): Promise<Map<string, string>> {
  const rows = await c.query<{ key: string; value: string }>('SHOW CONFIG');
  return new Map(rows.map((r) => [r.key, String(r.value)]));
}

/** Clients waiting and the longest wait (ms) on one pooled database, summed over its users' pools. */
export function waitingOn(pools: PoolerPoolRow[], db: string): { waiting: number; active: number; maxWaitMs: number } {
  let waiting = 0;
  let active = 0;
  let maxWaitMs = 0;
  for (const p of pools) {
    if (p.database !== db) continue;
    waiting += Number(p.cl_waiting);
    active += Number(p.cl_active);
    maxWaitMs = Math.max(maxWaitMs, Number(p.maxwait) * 1000 + Math.round(Number(p.maxwait_us) / 1000));
  }
  return { waiting, active, maxWaitMs };
}
