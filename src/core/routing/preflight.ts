/**
 * Preflight of the client routing (read-only): for each pooler the admin console answers, the databases exist and
 * point at the old server (in SHOW DATABASES and, when readable here, in the configuration file), the pool mode,
 * clients actually come through it (SHOW CLIENTS), nothing is paused already, and query_wait_timeout outlasts the
 * PAUSE + the switchover window (else paused clients would be disconnected). Hooks: the command exists.
 */
import { accessSync, constants } from 'node:fs';
import type { Finding, StepContext } from '../runbook/types';
import { openAdminConsole, showClients, showConfig, showDatabases } from './pgbouncer-admin';
import { readConfigFile } from './pgbouncer-config';
import { entryValue, findDatabaseEntry } from './pgbouncer-ini';
import { databasesToMove, DEFAULT_PAUSE_TIMEOUT_MS } from './pgbouncer';
import { oldServerOf, sameServer } from './servers';
import type { ClientRoutingParams, HostHookParams, PgBouncerPoolerParams } from './types';
import { validateClientRouting } from './validate';

type Ctx = StepContext<{ clientRouting?: ClientRoutingParams; switchoverTimeoutMs?: number }>;

const err = (id: string, message: string, fix?: string): Finding => ({ id, severity: 'error', message, fix });
const warn = (id: string, message: string, fix?: string): Finding => ({ id, severity: 'warning', message, fix });
const info = (id: string, message: string): Finding => ({ id, severity: 'info', message });

/** Findings about the run's client routing; errors mean the switchover must not start. */
export async function checkClientRouting<P extends { clientRouting?: ClientRoutingParams; switchoverTimeoutMs?: number }>(ctx: StepContext<P>): Promise<Finding[]> {
  let params: ClientRoutingParams;
  try {
    params = validateClientRouting(ctx.params.clientRouting);
  } catch (e) {
    return [err('routing-params', (e as Error).message)];
  }
  if (params.kind === 'none') return [];
  const c = ctx as unknown as Ctx;
  const out: Finding[] = [];
  if (params.kind === 'pgbouncer') for (const p of params.poolers) out.push(...(await checkPooler(c, p)));
  out.push(...checkHooks(params.hooks ?? []));
  return out;
}

function checkHooks(hooks: HostHookParams[]): Finding[] {
  const out: Finding[] = [];
  for (const h of hooks) {
    if ((h.executor ?? 'local') !== 'local') continue;
    const cmd = h.argv[0];
    if (!cmd.includes('/')) {
      out.push(warn('routing-hook-path', `the ${h.at} hook "${cmd}" is not an absolute path: it is looked up in PATH when it runs`, `give its full path (e.g. /usr/local/bin/${cmd})`));
      continue;
    }
    try {
      accessSync(cmd, constants.X_OK);
    } catch {
      out.push(err('routing-hook-missing', `the ${h.at} hook ${cmd} does not exist or is not executable on this machine`, `install it or fix the path (chmod +x ${cmd})`));
    }
  }
  return out;
}

async function checkPooler(ctx: Ctx, p: PgBouncerPoolerParams): Promise<Finding[]> {
  const out: Finding[] = [];
  let c;
  try {
    c = await openAdminConsole(p.admin, { signal: ctx.signal });
  } catch (e) {
    return [err('pgbouncer-admin', (e as Error).message, 'check the admin connection string, that its user is in admin_users, and its password in .pgpass (host:port:pgbouncer:user:password)')];
  }
  const name = p.name ?? c.label;
  try {
    const old = await oldServerOf(ctx);
    let dbs: string[];
    try {
      dbs = await databasesToMove(c, p, old);
    } catch (e) {
      return [err('pgbouncer-database', (e as Error).message, 'add the database to [databases] in pgbouncer.ini, or name the right ones')];
    }
    const rows = await showDatabases(c);
    const config = await showConfig(c);
    for (const db of dbs) {
      const row = rows.find((r) => r.name === db)!;
      if (!row.host || !sameServer({ host: row.host, port: Number(row.port) }, old)) {
        out.push(err('pgbouncer-entry', `${name}: database "${db}" points at ${row.host}:${row.port}, not at the old server ${old.host}:${old.port}`, 'point it at the server being upgraded before the switchover'));
      }
      if (row.paused) out.push(err('pgbouncer-paused', `${name}: database "${db}" is PAUSEd already`, `RESUME ${db} on the admin console, or find out who paused it`));
      if (row.disabled) out.push(err('pgbouncer-disabled', `${name}: database "${db}" is DISABLEd`, `ENABLE ${db} on the admin console`));
      const mode = row.pool_mode ?? config.get('pool_mode') ?? 'session';
      if (mode === 'session') {
        out.push(warn('pgbouncer-pool-mode', `${name}: database "${db}" uses session pooling: PAUSE waits until every client disconnects, so it will likely time out`, 'use pool_mode = transaction for the applications that should move without errors'));
      } else out.push(info('pgbouncer-pool-mode', `${name}: "${db}" uses ${mode} pooling`));
    }
    const clients = (await showClients(c)).filter((x) => dbs.includes(x.database));
    if (!clients.length) {
      out.push(warn('pgbouncer-no-clients', `${name}: no client is connected through the pooler to ${dbs.join(', ')} (SHOW CLIENTS): applications that bypass it will not be moved by it`, 'check that the applications connect to the pooler, not to the server directly'));
    } else out.push(info('pgbouncer-clients', `${name}: ${clients.length} client(s) come through the pooler to ${dbs.join(', ')}`));
    const qwt = Number(config.get('query_wait_timeout') ?? '120');
    const needMs = (ctx.params.switchoverTimeoutMs ?? 10_000) + (p.pauseTimeoutMs ?? DEFAULT_PAUSE_TIMEOUT_MS) + 5000;
    if (qwt > 0 && qwt * 1000 < needMs) {
      out.push(err('pgbouncer-query-wait-timeout', `${name}: query_wait_timeout is ${qwt} s, shorter than the PAUSE bound + switchover timeout + 5 s (${Math.ceil(needMs / 1000)} s): paused clients could be disconnected in the window`,
        `set query_wait_timeout = ${Math.ceil(needMs / 1000)} (or more) in pgbouncer.ini and RELOAD, or lower the switchover timeout`));
    }
    if (p.config.executor === 'local') {
      try {
        const text = await readConfigFile(p.config, ctx.signal);
        for (const db of dbs) {
          const e = findDatabaseEntry(text, db);
          if (!e) {
            out.push(err('pgbouncer-config-entry', `${name}: ${p.config.path} has no [databases] entry "${db}" (an %include or another file?)`, `give the file that holds the entry with --pgbouncer-config`));
            continue;
          }
          const port = Number(entryValue(e, 'port') ?? '5432');
          const host = entryValue(e, 'host') ?? 'localhost';
          if (!sameServer({ host, port }, old)) out.push(err('pgbouncer-config-entry', `${name}: in ${p.config.path} "${db}" points at ${host}:${port}, but the pooler uses the old server ${old.host}:${old.port}: the file is not the one it loaded`, 'give the configuration file the running pooler was started with'));
        }
      } catch (e) {
        out.push(err('pgbouncer-config-read', `${name}: ${(e as Error).message}`, 'check the path and that the file is readable (by its osUser when given)'));
      }
    }
  } catch (e) {
    out.push(err('pgbouncer-admin', `${name}: ${(e as Error).message}`));
  } finally {
    await c.end();
  }
  return out;
}
