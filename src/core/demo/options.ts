/** Options of the one-command demo (`pg-upgrade-pilot demo`), their defaults and validation. */
import { resolve } from 'node:path';
import { resolveBuild } from '../lab';

export interface DemoOptions {
  /** Source version: a major ("14"), an exact minor ("14.22") or a lab alias. */
  from: string;
  /** Target version (a newer major). */
  to: string;
  /** pgbench scale of the demo data (100,000 accounts per unit). */
  scale: number;
  /** Lab directory of the demo: servers, journal, record. Recreated from scratch on every run. */
  dir: string;
  /** Leave the servers running at the end. */
  keep: boolean;
  /** Ports are portBase + major, as for `lab up` (default 15600: 14 → 15614, 16 → 15616). */
  portBase: number;
  /** TPC-B-like writers next to the heartbeat probe. */
  writers: number;
  /** Heartbeat probe interval. */
  probeIntervalMs: number;
  /** Statement lines shown per step (the journal has them all). */
  statementLines: number;
  /** Clients go through a real PgBouncer (transaction pooling) that the switchover moves: PAUSE / repoint / RESUME. */
  pgbouncer: boolean;
}

export const DEMO_DEFAULTS: Readonly<DemoOptions> = Object.freeze({
  from: '14',
  to: '16',
  scale: 10,
  dir: '.lab/demo',
  keep: false,
  portBase: 15600,
  writers: 4,
  probeIntervalMs: 50,
  statementLines: 6,
  pgbouncer: false,
});

/** Defaults + given values, checked: a clear error before anything starts. */
export function demoOptions(given: Partial<DemoOptions> = {}): DemoOptions {
  const o: DemoOptions = { ...DEMO_DEFAULTS };
  for (const [k, v] of Object.entries(given)) if (v !== undefined) (o as unknown as Record<string, unknown>)[k] = v;
  const from = resolveBuild(o.from);
  const to = resolveBuild(o.to);
  if (from.major >= to.major) throw new Error(`--from ${o.from} (${from.version}) must be an older major than --to ${o.to} (${to.version})`);
  if (!Number.isInteger(o.scale) || o.scale < 1 || o.scale > 1000) throw new Error(`--scale must be an integer from 1 to 1000, not ${o.scale}`);
  if (!Number.isInteger(o.writers) || o.writers < 0 || o.writers > 100) throw new Error(`--writers must be an integer from 0 to 100, not ${o.writers}`);
  if (!Number.isInteger(o.portBase) || o.portBase < 1024 || o.portBase + to.major >= 32768) throw new Error(`--port-base must keep the ports within 1024–32767, not ${o.portBase}`);
  if (!(o.probeIntervalMs >= 5)) throw new Error(`the probe interval must be at least 5 ms, not ${o.probeIntervalMs}`);
  if (!o.dir) throw new Error('--dir must not be empty');
  return { ...o, dir: resolve(o.dir) };
}
