/**
 * Cluster scope (issue 10): the databases one run moves, RE-DERIVED from the source's catalog whenever asked (never
 * remembered), and a step context per database: its connections, its sessions, its object names
 * (databaseScopedNames). A run without `databases` moves the source connection's database with the run's own context
 * and names: the one-database run is the N=1 case of the same loop.
 */
import { connect, parseConnString, resolveConn } from '../../conn';
import { copyRowsIn } from '../../copy-in';
import type { Queryable } from '../../db';
import { APPLICATION_NAME } from '../../runbook/connections';
import { isConnectionError } from '../../runbook/reconnect';
import type { ClusterRole, StepContext } from '../../runbook/types';
import { quoteIdent } from '../../sql';
import { connectionFor } from '../minor/databases';
import { databaseScopedNames } from './database-names';
import type { LogicalUpgradeParams } from './params';
import type { Session } from './session';

type Ctx = StepContext<LogicalUpgradeParams>;

/** A database list that cannot be moved (unknown, template, no connections, named twice): nothing has been changed. */
export class DatabaseListError extends Error {}

interface CatalogDatabase {
  name: string;
  template: boolean;
  allowsConnections: boolean;
}

const DATABASES_SQL = 'SELECT datname::text AS name, datistemplate AS template, datallowconn AS allow, datname = current_database() AS current FROM pg_database ORDER BY datname';

/** The databases `wanted` names on the source, as its catalog says now; throws DatabaseListError naming the culprit. */
export async function resolveDatabases(source: Queryable, wanted: LogicalUpgradeParams['databases']): Promise<string[]> {
  const rows = (await source.query<{ name: string; template: boolean; allow: boolean; current: boolean }>(DATABASES_SQL)).rows;
  if (wanted === undefined) return rows.filter((r) => r.current).map((r) => r.name);
  const all: CatalogDatabase[] = rows.map((r) => ({ name: r.name, template: r.template === true, allowsConnections: r.allow === true }));
  if (wanted === 'all') {
    const names = all.filter((d) => !d.template && d.allowsConnections).map((d) => d.name);
    if (names.length === 0) throw new DatabaseListError('the source has no database to move (every database is a template or refuses connections)');
    return names;
  }
  return checkDatabaseList(wanted, all);
}

/** Validates an explicit list against the source's databases (exported for the unit tests). */
export function checkDatabaseList(wanted: string[], all: CatalogDatabase[]): string[] {
  if (!Array.isArray(wanted) || wanted.length === 0) throw new DatabaseListError('the list of databases is empty: name at least one (or use all databases)');
  const seen = new Set<string>();
  for (const name of wanted) {
    if (typeof name !== 'string' || name === '') throw new DatabaseListError('a database name in the list is empty');
    if (seen.has(name)) throw new DatabaseListError(`database ${quoteIdent(name)} is named twice in the list`);
    seen.add(name);
    const d = all.find((x) => x.name === name);
    if (!d) throw new DatabaseListError(`the source has no database ${quoteIdent(name)} (it has ${all.filter((x) => !x.template).map((x) => quoteIdent(x.name)).join(', ')})`);
    if (d.template) throw new DatabaseListError(`database ${quoteIdent(name)} is a template: templates are not moved (CREATE DATABASE on the target copies template1 by itself)`);
    if (!d.allowsConnections) throw new DatabaseListError(`database ${quoteIdent(name)} does not allow connections (datallowconn = false): it cannot be replicated; leave it out of the list`);
  }
  return [...wanted];
}

/** True when the run names its databases (a list or 'all'): each database then gets its own object names. */
export function isClusterScope(p: LogicalUpgradeParams): boolean {
  return p.databases !== undefined;
}

/** The databases this run moves, re-derived from the source now. */
export async function databasesOf(ctx: Ctx): Promise<string[]> {
  return resolveDatabases(await ctx.db('source'), ctx.params.databases);
}

/** The run's parameters as one database's steps see them: that database's object names, the list resolved. */
export function paramsFor(p: LogicalUpgradeParams, database: string, databases: string[]): LogicalUpgradeParams {
  return isClusterScope(p) ? { ...p, ...databaseScopedNames(database), databases } : p;
}

export interface DatabaseUnit {
  database: string;
  ctx: Ctx;
}

/** A step's outputs as one database sees them: the run-wide ones with that database's section on top. */
function outputsForDatabase(all: Record<string, unknown> | undefined, database: string): Record<string, unknown> | undefined {
  const per = all?.databases as Record<string, Record<string, unknown>> | undefined;
  if (!all || !per || typeof per !== 'object' || !per[database]) return all;
  return { ...all, ...per[database] };
}

/** A session on `database` of the role's server with the run's password; dry runs stay read-only. */
async function openOn(ctx: Ctx, role: ClusterRole, database: string): Promise<Session & { dead(): boolean }> {
  const password = await ctx.password(role);
  const resolved = await resolveConn(parseConnString(connectionFor(ctx, role, database)));
  const { client } = await connect(resolved, { password: password !== undefined ? async () => password : undefined, signal: ctx.signal.aborted ? undefined : ctx.signal, applicationName: APPLICATION_NAME });
  let dead = false;
  client.on('error', () => { dead = true; });
  client.on('end', () => { dead = true; });
  if (ctx.dryRun) await client.query('SET default_transaction_read_only = on');
  return {
    query: async <R>(text: string, values?: unknown[]) => {
      const r = await client.query(text, values as unknown[] | undefined);
      return { rows: r.rows as R[], rowCount: r.rowCount };
    },
    // COPY … FROM STDIN: how a secret reaches the server without being in a loggable statement (unlogged-secret.ts)
    copyRowsIn: (statement: string, rows: string[][]) => copyRowsIn(client, statement, rows),
    end: async () => { dead = true; await client.end().catch(() => undefined); },
    dead: () => dead,
  } as Session & { dead(): boolean };
}

/**
 * One database's context: the run's, with sessions on `database` (a pooled one per role, reopened when dropped;
 * dedicated ones on demand), its connection strings and names. Checkpoints stay the run's (one commit point).
 */
export function databaseContext(ctx: Ctx, database: string, databases: string[]): { ctx: Ctx; close(): Promise<void> } {
  const pooled = new Map<ClusterRole, Promise<Session & { dead(): boolean }>>();
  const opened = new Set<Session>();
  const track = async (role: ClusterRole) => {
    const s = await openOn(ctx, role, database);
    opened.add(s);
    return s;
  };
  const scoped: Ctx = {
    ...ctx,
    params: paramsFor(ctx.params, database, databases),
    async db(role) {
      let p = pooled.get(role);
      const s = p && (await p.catch(() => undefined));
      if (!s || s.dead()) {
        p = track(role);
        pooled.set(role, p);
        p.catch(() => pooled.delete(role));
      }
      const live = await p!;
      return {
        ...live,
        query: async <R>(text: string, values?: unknown[]) => {
          try {
            return await live.query<R>(text, values);
          } catch (err) {
            if (isConnectionError(err)) pooled.delete(role);
            throw err;
          }
        },
      } as Queryable;
    },
    connect: (role) => track(role),
    connection: (role) => connectionFor(ctx, role, database),
    outputsOf: (stepId) => outputsForDatabase(ctx.outputsOf(stepId), database),
  };
  return { ctx: scoped, close: async () => { await Promise.allSettled([...opened].map((s) => s.end())); } };
}

/**
 * Runs fn once per database of the run, in order, each with its own context (closed afterwards). Without a list,
 * once, with the run's own context: the N=1 case.
 */
export async function forEachDatabase<T>(ctx: Ctx, fn: (u: DatabaseUnit) => Promise<T>): Promise<Array<{ database: string; value: T }>> {
  const names = await databasesOf(ctx);
  if (!isClusterScope(ctx.params)) return [{ database: names[0] ?? '', value: await fn({ database: names[0] ?? '', ctx }) }];
  const out: Array<{ database: string; value: T }> = [];
  for (const database of names) {
    const scoped = databaseContext(ctx, database, names);
    try {
      out.push({ database, value: await fn({ database, ctx: scoped.ctx }) });
    } finally {
      await scoped.close();
    }
  }
  return out;
}

/** Opens a context per database for work that spans them all (the window); the caller closes them. */
export async function openDatabaseUnits(ctx: Ctx): Promise<{ units: DatabaseUnit[]; close(): Promise<void> }> {
  const names = await databasesOf(ctx);
  if (!isClusterScope(ctx.params)) return { units: [{ database: names[0] ?? '', ctx }], close: async () => undefined };
  const scoped = names.map((database) => ({ database, s: databaseContext(ctx, database, names) }));
  return {
    units: scoped.map((x) => ({ database: x.database, ctx: x.s.ctx })),
    close: async () => { await Promise.allSettled(scoped.map((x) => x.s.close())); },
  };
}
