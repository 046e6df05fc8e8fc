/**
 * A pooler's state as the explorer and the dashboard show it (issue 12): one row per pooled database, from
 * SHOW DATABASES (where it points, pool mode, paused) and SHOW POOLS (clients active / waiting, longest wait). Pure.
 */
export interface PoolerDatabaseState {
  name: string;
  /** host:port the entry points at (null host: a unix socket). */
  server: string;
  database: string;
  poolMode: string;
  paused: boolean;
  disabled: boolean;
  clientsActive: number;
  clientsWaiting: number;
  maxWaitMs: number;
}

interface DbRow { name: string; host: string | null; port: number; database: string; pool_mode: string | null; paused: number; disabled: number }
interface PoolRow { database: string; cl_active: number; cl_waiting: number; maxwait: number; maxwait_us: number; pool_mode: string }

/** The pooled databases (the console database "pgbouncer" left out), with their pools summed. */
export function poolerDatabases(dbs: DbRow[], pools: PoolRow[], defaultPoolMode = 'session'): PoolerDatabaseState[] {
  return dbs.filter((d) => d.name !== 'pgbouncer').map((d) => {
    const mine = pools.filter((p) => p.database === d.name);
    return {
      name: d.name,
      server: `${d.host ?? 'unix socket'}:${d.port}`,
      database: d.database,
      poolMode: d.pool_mode ?? mine[0]?.pool_mode ?? defaultPoolMode,
      paused: Number(d.paused) === 1,
      disabled: Number(d.disabled) === 1,
      clientsActive: mine.reduce((n, p) => n + Number(p.cl_active), 0),
      clientsWaiting: mine.reduce((n, p) => n + Number(p.cl_waiting), 0),
      maxWaitMs: Math.max(0, ...mine.map((p) => Number(p.maxwait) * 1000 + Math.round(Number(p.maxwait_us) / 1000))),
    };
  });
}

/** A pooler on the dashboard: its databases this tick, or why it could not be read (no secret inside). */
export interface PoolerView {
  /** host:port of its admin console. */
  name: string;
  databases: PoolerDatabaseState[];
  error?: string;
}

/** A pooler the monitor reads each tick (the extension reads it through the admin console, never prompting). */
export interface MonitoredPooler {
  name: string;
  read(): Promise<PoolerDatabaseState[]>;
}
