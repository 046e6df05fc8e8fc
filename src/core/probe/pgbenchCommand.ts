/**
 * Seed 001's application load: real pgbench with libpq's multi-host connection string, for a terminal.
 * Note (measured): pgbench's clients abort on the switchover's "read-only" / terminate errors (--max-tries only
 * retries serialization and deadlock failures); a new pgbench run afterwards lands on the new primary. The probe
 * and the TPC-B writers of this module retry by themselves and are what measures the window.
 */
import { formatConnString } from '../conn/format';
import type { HostEndpoint } from '../conn/types';

/** `host=a,b port=p,q target_session_attrs=read-write connect_timeout=20 user=u dbname=d` (seed 001), no password. */
export function multiHostConnection(endpoints: HostEndpoint[], user: string, dbname: string, connectTimeoutSeconds = 20): string {
  if (!endpoints.length) throw new Error('a multi-host connection needs at least one host');
  return formatConnString({
    host: endpoints.map((e) => e.host).join(','),
    port: endpoints.map((e) => String(e.port)).join(','),
    dbname,
    user,
    target_session_attrs: 'read-write',
    connect_timeout: String(connectTimeoutSeconds),
  });
}

export interface PgbenchCommandOptions {
  pgbench?: string; // executable, default "pgbench" (on PATH)
  clients?: number; // 20
  jobs?: number; // 4
  timeSeconds?: number; // 3600
  progressSeconds?: number; // 5
}

/** argv (executable first) for seed 001's pgbench run against `connection`; start it without a shell. */
export function pgbenchTerminalCommand(connection: string, opts: PgbenchCommandOptions = {}): string[] {
  const n = (v: number | undefined, d: number, name: string) => {
    const x = v ?? d;
    if (!Number.isInteger(x) || x < 1) throw new Error(`pgbench ${name} must be a positive integer, not ${v}`);
    return x;
  };
  return [
    opts.pgbench ?? 'pgbench',
    `--client=${n(opts.clients, 20, 'clients')}`,
    '--connect',
    `--jobs=${Math.min(n(opts.jobs, 4, 'jobs'), n(opts.clients, 20, 'clients'))}`,
    `--time=${n(opts.timeSeconds, 3600, 'time')}`,
    `--progress=${n(opts.progressSeconds, 5, 'progress')}`,
    connection,
  ];
}
