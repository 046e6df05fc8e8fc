/**
 * Shared by logical-managed*.test.ts (issue 11): a role built like a managed service's admin (RDS's master user,
 * Cloud SQL's postgres, Azure's admin) — NOT a superuser — and the run's clusters as that role.
 */
import type { Client } from 'pg';
import type { RunCluster } from '../../src/core/runbook';
import { clientFor } from '../helpers/lab';
import type { Pair } from './logical-kit';

export const ADMIN = 'admin';
export const ADMIN_PW = `Canary-admin-${Math.random().toString(36).slice(2, 10)}`;

export async function asAdmin(pair: Pair, which: 'source' | 'target'): Promise<Client> {
  const s = which === 'source' ? pair.source : pair.target;
  return clientFor({ ...s, user: ADMIN, password: ADMIN_PW, database: 'app' });
}

/**
 * CREATEDB CREATEROLE REPLICATION, member of pg_signal_backend, pg_monitor (pg_create_subscription on 16+), owner of
 * database "app". `readAllData` false on the source: a member of pg_read_all_data may read pg_authid (and so copy the
 * hashes), which providers hide from their admin. Server logs then log every statement (the password never in one).
 */
export async function createManagedAdmin(c: Client, major: number, readAllData: boolean): Promise<void> {
  await c.query('SET log_statement = none');
  await c.query('SET log_min_duration_statement = -1');
  await c.query(`CREATE ROLE admin LOGIN CREATEDB CREATEROLE REPLICATION PASSWORD '${ADMIN_PW}'`);
  await c.query('RESET log_statement');
  await c.query('RESET log_min_duration_statement');
  await c.query(`GRANT pg_signal_backend, pg_monitor${readAllData ? ', pg_read_all_data' : ''}${major >= 16 ? ', pg_create_subscription' : ''} TO admin`);
  await c.query('CREATE DATABASE app OWNER admin');
  for (const [k, v] of Object.entries({ log_statement: 'all', log_min_error_statement: 'error' })) await c.query(`ALTER SYSTEM SET ${k} = '${v}'`);
  await c.query('SELECT pg_reload_conf()');
}

/** The run's cluster as the managed admin, database "app". */
export function adminCluster(pair: Pair, which: 'source' | 'target'): RunCluster {
  const s = which === 'source' ? pair.source : pair.target;
  return { name: which === 'source' ? 'old' : 'new', connection: `host=127.0.0.1 port=${s.port} user=admin dbname=app`, password: async () => ADMIN_PW };
}
