/**
 * PgBouncer routing in the switchover window (measured by a DBA, issue 12: 0 client errors this way):
 *   before the freeze: PAUSE each database on each pooler (bounded; clients' queries queue in the pooler);
 *   after the target opened: repoint the [databases] entries in pgbouncer.ini → RELOAD → RESUME (queued queries
 *   run on the new server);
 *   after an abort: RESUME (the entries were never changed: clients continue on the old server).
 * RESUME on the old entry is always safe (at worst a frozen source refuses writes): a watchdog does it if the
 * switchover never calls back, so no client waits for query_wait_timeout.
 */
import { performance } from 'node:perf_hooks';
import type { HostRunContext } from '../hosts/types';
import type { PlannedAction, StepContext } from '../runbook/types';
import { consoleDbName, openAdminConsole, poolerLabel, showDatabases, showPools, waitingOn, type AdminConsole } from './pgbouncer-admin';
import { discardConfigFile, installConfigAction, installConfigFile, prepareConfigActions, prepareConfigFile, readConfigFile, validateConfigFile } from './pgbouncer-config';
import { repointDatabase, type Repoint } from './pgbouncer-ini';
import { newServerOf, oldServerOf, sameServer, type Endpoint } from './servers';
import type { PgBouncerPoolerParams } from './types';

export const DEFAULT_PAUSE_TIMEOUT_MS = 5000;
/** Beyond the switchover timeout, how long a PAUSE may be held before the watchdog RESUMEs on the old server. */
export const WATCHDOG_MARGIN_MS = 15_000;

export function validatePoolers(poolers: PgBouncerPoolerParams[] | undefined): PgBouncerPoolerParams[] {
  if (!Array.isArray(poolers) || poolers.length === 0) throw new Error('PgBouncer routing needs at least one pooler (--pgbouncer "host=… port=6432 dbname=pgbouncer user=…")');
  return poolers.map((p, i) => {
    const what = `pooler ${i + 1}`;
    if (!p || typeof p.admin !== 'string' || !p.admin.trim()) throw new Error(`${what}: the admin console connection string is missing`);
    if (/\bpassword\s*=/i.test(p.admin) || /:\/\/[^/@]*:[^/@]*@/.test(p.admin)) throw new Error(`${what}: the admin connection string must not hold a password; put it in the password file (.pgpass) or the secret store`);
    validateConfigFile(p.config, `${what} (${poolerLabel(p.admin)})`);
    for (const d of p.databases ?? []) consoleDbName(d);
    if (p.pauseTimeoutMs !== undefined && (!Number.isFinite(p.pauseTimeoutMs) || p.pauseTimeoutMs < 100 || p.pauseTimeoutMs > 600_000)) throw new Error(`${what}: pauseTimeoutMs must be between 100 and 600000`);
    if (p.newPort !== undefined && (!Number.isInteger(p.newPort) || p.newPort < 1 || p.newPort > 65535)) throw new Error(`${what}: newPort must be a TCP port`);
    return p;
  });
}

interface PoolerRun {
  params: PgBouncerPoolerParams;
  label: string;
  console?: AdminConsole;
  databases: string[];
  paused: string[];
  pauseStartedMs?: number;
  pauseMs?: number;
  clientsAtPause?: number;
  resumedMs?: number;
  /** Where the entries go, and (local file) the lines changed, prepared before the PAUSE. */
  dest?: Repoint;
  entries?: Array<{ before: string; after: string }> | string[];
  prepared?: boolean;
}

function nameOf(p: PgBouncerPoolerParams): string {
  return p.name ?? poolerLabel(p.admin);
}

/** The pooler's databases to move: the given ones, else every entry SHOW DATABASES shows pointing at the old server. */
export async function databasesToMove(c: AdminConsole, p: PgBouncerPoolerParams, old: Endpoint): Promise<string[]> {
  const rows = await showDatabases(c);
  if (p.databases?.length) {
    const missing = p.databases.filter((d) => !rows.some((r) => r.name === d));
    if (missing.length) throw new Error(`the pooler ${nameOf(p)} has no database ${missing.map((m) => `"${m}"`).join(', ')} (SHOW DATABASES)`);
    return [...p.databases];
  }
  const found = rows.filter((r) => r.name !== 'pgbouncer' && r.host && sameServer({ host: r.host, port: Number(r.port) }, old)).map((r) => r.name);
  if (!found.length) throw new Error(`no database of the pooler ${nameOf(p)} points at the old server ${old.host}:${old.port} (SHOW DATABASES); name them with databases`);
  return found;
}

function hostCtx<P>(ctx: StepContext<P>): HostRunContext & { runId: string; stepId: string } {
  return { ui: ctx.ui, signal: ctx.signal, runId: ctx.runId, stepId: 'switchover', cluster: { role: 'server', name: 'pooler host', hosts: 'pooler', production: false } };
}

const since = (t: number) => Math.round(performance.now() - t);

async function resumeAll(r: PoolerRun, log: (m: string) => void): Promise<string[]> {
  if (!r.paused.length) return [];
  const errors: string[] = [];
  let c = r.console;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      c ??= await openAdminConsole(r.params.admin, { connectTimeoutSeconds: 5 });
      r.console = c;
      for (const db of [...r.paused]) {
        try {
          await c.query(`RESUME ${consoleDbName(db)}`, 5000);
        } catch (err) {
          if (!/not paused/i.test(String((err as Error).message))) throw err;
        }
        r.paused = r.paused.filter((x) => x !== db);
      }
      r.resumedMs = performance.now();
      return errors;
    } catch (err) {
      errors.push((err as Error).message);
      c?.destroy();
      c = undefined;
      r.console = undefined;
    }
  }
  log(`could not RESUME ${r.paused.join(', ')} on the pooler ${r.label}: ${errors.join('; ')}. Run RESUME on its admin console now.`);
  return errors;
}

export class PgBouncerRouting {
  private runs: PoolerRun[];
  private watchdog?: NodeJS.Timeout;
  private settled = false;

  constructor(private readonly ctx: StepContext<{ switchoverTimeoutMs?: number }>, poolers: PgBouncerPoolerParams[]) {
    this.runs = poolers.map((p) => ({ params: p, label: nameOf(p), databases: [], paused: [] }));
  }

  private log(level: 'info' | 'warn' | 'error', m: string): void {
    this.ctx.ui.log(level, `[pgbouncer] ${m}`);
  }

  plan(): PlannedAction[] {
    const out: PlannedAction[] = [];
    for (const r of this.runs) {
      const dbs = r.params.databases?.join(', ') ?? 'the databases pointing at the old server';
      out.push({ kind: 'wait', cluster: 'server', description: `pooler ${r.label}: PAUSE ${dbs} before the freeze (at most ${r.params.pauseTimeoutMs ?? DEFAULT_PAUSE_TIMEOUT_MS} ms; on timeout RESUME and no switchover)` });
      if (r.params.config.executor === 'local') out.push(...prepareConfigActions(r.params.config, this.ctx.runId), installConfigAction(r.params.config));
      else out.push({ kind: 'manual', cluster: 'server', instructions: `after the target opens: repoint ${dbs} in ${r.params.config.path} on the pooler's host` });
      out.push({ kind: 'wait', cluster: 'server', description: `pooler ${r.label}: after the target opened, repoint ${dbs} in ${r.params.config.path}, RELOAD, RESUME; after an abort: RESUME (clients stay on the old server)` });
    }
    return out;
  }

  async beforeFreeze(): Promise<Record<string, unknown>> {
    const old = await oldServerOf(this.ctx);
    const to = await newServerOf(this.ctx).catch(() => undefined);
    try {
      await Promise.all(this.runs.map(async (r) => {
        r.console = await openAdminConsole(r.params.admin, { signal: this.ctx.signal });
        r.databases = await databasesToMove(r.console, r.params, old);
        await this.prepare(r, to);
      }));
      // All consoles are open and every database known: now PAUSE, each pooler in parallel, bounded.
      await Promise.all(this.runs.map((r) => this.pause(r)));
    } catch (err) {
      await Promise.all(this.runs.map((r) => resumeAll(r, (m) => this.log('error', m))));
      await this.discardAll();
      await this.closeAll();
      this.settled = true;
      throw new Error(`client routing: ${(err as Error).message}; every pooler was RESUMEd on the old server, nothing was frozen`);
    }
    this.armWatchdog();
    return {
      poolers: this.runs.map((r) => ({ pooler: r.label, databases: r.databases, pauseMs: r.pauseMs, clientsPaused: r.clientsAtPause, willPointAt: `${r.dest?.host}:${r.dest?.port}` })),
    };
  }

  /** Outside the window (before the PAUSE): the new file is prepared beside the old one; the window only renames it. */
  private async prepare(r: PoolerRun, defaultTo: Endpoint | undefined): Promise<void> {
    const dest: Repoint = { host: r.params.newHost ?? defaultTo?.host ?? '', port: r.params.newPort ?? defaultTo?.port ?? 0 };
    if (!dest.host || !dest.port) throw new Error(`${r.label}: the new server's host and port are unknown (give newHost/newPort)`);
    r.dest = dest;
    const cfg = r.params.config;
    if (cfg.executor !== 'local') {
      r.entries = r.databases.map((db) => `${db} = … host=${dest.host} port=${dest.port} …`);
      return;
    }
    let text = await readConfigFile(cfg, this.ctx.signal);
    const changes: Array<{ before: string; after: string }> = [];
    for (const db of r.databases) {
      const c = repointDatabase(text, db, dest);
      text = c.text;
      changes.push({ before: c.before, after: c.after });
    }
    await prepareConfigFile(cfg, text, this.batchInfo(r, 'prepare'), hostCtx(this.ctx));
    r.entries = changes;
    r.prepared = true;
  }

  private batchInfo(r: PoolerRun, what: 'prepare' | 'install' | 'discard') {
    const cfg = r.params.config;
    const title = what === 'prepare' ? `prepare ${cfg.path} with ${r.databases.join(', ')} repointed` : what === 'install' ? `repoint ${r.databases.join(', ')} in ${cfg.path}` : `remove the prepared copy of ${cfg.path}`;
    return { runId: this.ctx.runId, stepId: 'switchover', title, why: 'Client routing through PgBouncer: the pooler must send clients to the new primary once it opens.' };
  }

  private async discardAll(): Promise<void> {
    await Promise.all(this.runs.filter((r) => r.prepared).map(async (r) => {
      await discardConfigFile(r.params.config, this.batchInfo(r, 'discard'), hostCtx(this.ctx)).catch((e: Error) => this.log('warn', `${r.label}: ${e.message}`));
      r.prepared = false;
    }));
  }

  /** The moved databases (given, else those pointing at the old server) and which of them are PAUSEd now. */
  private async rediscover(r: PoolerRun): Promise<void> {
    r.console ??= await openAdminConsole(r.params.admin, { signal: this.ctx.signal, connectTimeoutSeconds: 5 });
    const old = await oldServerOf(this.ctx);
    const to = await newServerOf(this.ctx).catch(() => undefined);
    const rows = await showDatabases(r.console);
    // pointing at the old server, or PAUSEd and already pointing at the new one (a run stopped between RELOAD and RESUME)
    const moving = (x: (typeof rows)[number]) => !!x.host && (sameServer({ host: x.host, port: Number(x.port) }, old) || (!!Number(x.paused) && !!to && sameServer({ host: x.host, port: Number(x.port) }, to)));
    r.databases = r.params.databases?.length ? [...r.params.databases] : rows.filter((x) => x.name !== 'pgbouncer' && moving(x)).map((x) => x.name);
    r.paused = rows.filter((x) => r.databases.includes(x.name) && Number(x.paused)).map((x) => x.name);
    if (!r.databases.length) throw new Error(`no database of the pooler ${r.label} points at the old server ${old.host}:${old.port} any more (SHOW DATABASES)`);
  }

  private async pause(r: PoolerRun): Promise<void> {
    const c = r.console!;
    const limit = r.params.pauseTimeoutMs ?? DEFAULT_PAUSE_TIMEOUT_MS;
    const start = performance.now();
    r.pauseStartedMs = start;
    for (const db of r.databases) {
      r.paused.push(db); // a PAUSE that times out may still take effect: RESUME it too
      const left = limit - (performance.now() - start);
      try {
        await c.query(`PAUSE ${consoleDbName(db)}`, Math.max(1, left));
      } catch (err) {
        c.destroy(); // the pending PAUSE never answers now; RESUME goes through a fresh console
        r.console = undefined;
        const pools = await this.poolsOf(r).catch(() => undefined);
        const busy = pools ? waitingOn(pools, db).active : undefined;
        throw new Error(`PAUSE ${db} on the pooler ${r.label} did not finish within ${limit} ms${busy ? ` (${busy} client(s) still inside a transaction)` : ''}: ${(err as Error).message}`);
      }
    }
    r.pauseMs = since(start);
    const pools = await c.query<{ database: string; cl_active: number; cl_waiting: number }>('SHOW POOLS', 5000).catch(() => []);
    r.clientsAtPause = pools.filter((p) => r.databases.includes(p.database)).reduce((n, p) => n + Number(p.cl_active) + Number(p.cl_waiting), 0);
    this.log('info', `${r.label}: paused ${r.databases.join(', ')} in ${r.pauseMs} ms (${r.clientsAtPause} client(s))`);
  }

  private async poolsOf(r: PoolerRun) {
    const c = await openAdminConsole(r.params.admin, { connectTimeoutSeconds: 3 });
    try {
      return await showPools(c);
    } finally {
      await c.end();
    }
  }

  private armWatchdog(): void {
    const ms = (this.ctx.params.switchoverTimeoutMs ?? 10_000) + WATCHDOG_MARGIN_MS + Math.max(...this.runs.map((r) => r.params.pauseTimeoutMs ?? DEFAULT_PAUSE_TIMEOUT_MS));
    this.watchdog = setTimeout(() => {
      if (this.settled) return;
      this.log('error', `the switchover did not report back within ${ms} ms of the PAUSE: RESUMEing every pooler on the old server so clients do not wait for query_wait_timeout`);
      void Promise.all(this.runs.map((r) => resumeAll(r, (m) => this.log('error', m))));
    }, ms);
    this.watchdog.unref();
  }

  private settle(): boolean {
    if (this.watchdog) clearTimeout(this.watchdog);
    const first = !this.settled;
    this.settled = true;
    return first;
  }

  async afterOpen(): Promise<Record<string, unknown>> {
    this.settle();
    const results = await Promise.all(this.runs.map(async (r) => {
      if (!r.dest) {
        // A routing that did not run beforeFreeze (another instance, or a resumed run in a new process): find the
        // pooler's state again — the databases still pointing at the old server, those PAUSEd — and prepare now.
        try {
          await this.rediscover(r);
          await this.prepare(r, await newServerOf(this.ctx).catch(() => undefined));
        } catch (err) {
          const errors = [(err as Error).message, ...(await resumeAll(r, (m) => this.log('error', m)))];
          this.log('error', `${r.label}: ${errors[0]}`);
          return { pooler: r.label, ok: false, errors };
        }
      }
      return this.repointAndResume(r);
    }));
    await this.closeAll();
    return { poolers: results };
  }

  private async repointAndResume(r: PoolerRun): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = { pooler: r.label, databases: r.databases, entries: r.entries };
    const errors: string[] = [];
    try {
      const dest = r.dest!;
      const cfg = r.params.config;
      const t0 = performance.now();
      await installConfigFile(cfg, {
        ...this.batchInfo(r, 'install'),
        instructions: `In ${cfg.path} on the pooler's host, section [databases], set host and port of: ${(r.entries as string[]).join('; ')}. Keep everything else. Clients stay PAUSEd until you confirm; then RELOAD and RESUME follow.`,
      }, hostCtx(this.ctx));
      r.prepared = false;
      out.editMs = since(t0);
      r.console ??= await openAdminConsole(r.params.admin, { connectTimeoutSeconds: 5 });
      const t1 = performance.now();
      await r.console.query('RELOAD', 5000);
      out.reloadMs = since(t1);
      const rows = await showDatabases(r.console);
      const wrong = r.databases.filter((db) => {
        const row = rows.find((x) => x.name === db);
        return !row || !row.host || !sameServer({ host: row.host, port: Number(row.port) }, dest);
      });
      if (wrong.length) throw new Error(`after RELOAD the pooler still shows ${wrong.join(', ')} elsewhere than ${dest.host}:${dest.port} (was the right file edited?)`);
      const pools = await showPools(r.console).catch(() => []);
      out.clientsWaitingAtResume = r.databases.reduce((n, db) => n + waitingOn(pools, db).waiting, 0);
      out.longestWaitMs = Math.max(0, ...r.databases.map((db) => waitingOn(pools, db).maxWaitMs));
      out.repointedTo = `${dest.host}:${dest.port}`;
    } catch (err) {
      errors.push((err as Error).message);
      this.log('error', `${r.label}: ${(err as Error).message}. Clients are RESUMEd on the old entry: they reach the old (read-only) server until you repoint the entry and RELOAD.`);
    }
    errors.push(...(await resumeAll(r, (m) => this.log('error', m))));
    if (r.pauseStartedMs !== undefined && r.resumedMs !== undefined) out.stallMs = Math.round(r.resumedMs - r.pauseStartedMs);
    out.ok = errors.length === 0;
    if (errors.length) out.errors = errors;
    else this.log('info', `${r.label}: ${r.databases.join(', ')} → ${String(out.repointedTo)}, RESUMEd (stall ${String(out.stallMs)} ms)`);
    return out;
  }

  async afterAbort(): Promise<Record<string, unknown>> {
    this.settle();
    const results = await Promise.all(this.runs.map(async (r) => {
      if (!r.databases.length) {
        try {
          await this.rediscover(r);
          r.prepared = r.params.config.executor === 'local';
        } catch (err) {
          return { pooler: r.label, ok: false, errors: [(err as Error).message] };
        }
      }
      const errors = await resumeAll(r, (m) => this.log('error', m));
      return {
        pooler: r.label, databases: r.databases, ok: errors.length === 0, ...(errors.length ? { errors } : {}),
        ...(r.pauseStartedMs !== undefined && r.resumedMs !== undefined ? { stallMs: Math.round(r.resumedMs - r.pauseStartedMs) } : {}),
      };
    }));
    await this.discardAll();
    await this.closeAll();
    return { poolers: results };
  }

  private async closeAll(): Promise<void> {
    await Promise.all(this.runs.map(async (r) => {
      await r.console?.end();
      r.console = undefined;
    }));
  }
}
