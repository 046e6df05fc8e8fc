/** Sessions on the server's other databases (extensions are per database), with the run's password. */
import { connect, formatConnString, parseConnString, resolveConn } from '../../conn';
import { APPLICATION_NAME } from '../../runbook/connections';
import type { Queryable } from '../../db';
import type { ClusterRole, StepContext } from '../../runbook/types';

export type DbSession = Queryable & { end(): Promise<void> };

/** The role's connection string (no password) with another database. */
export function connectionFor<P>(ctx: StepContext<P>, role: ClusterRole, dbname: string): string {
  return formatConnString({ ...parseConnString(ctx.connection(role)), dbname });
}

/** A dedicated session on `dbname` of the role's server; the caller ends it. */
export async function connectDatabase<P>(ctx: StepContext<P>, role: ClusterRole, dbname: string): Promise<DbSession> {
  const password = await ctx.password(role);
  const resolved = await resolveConn(parseConnString(connectionFor(ctx, role, dbname)));
  const { client } = await connect(resolved, {
    password: password !== undefined ? async () => password : undefined,
    signal: ctx.signal,
    applicationName: APPLICATION_NAME,
  });
  client.on('error', () => undefined);
  return {
    query: async <R>(text: string, values?: unknown[]) => {
      const r = await client.query(text, values as unknown[] | undefined);
      return { rows: r.rows as R[], rowCount: r.rowCount };
    },
    end: () => client.end().catch(() => undefined),
  };
}

/** Runs fn on every listed database (a session each, closed afterwards), in order. */
export async function forEachDatabase<P, T>(ctx: StepContext<P>, role: ClusterRole, names: string[], fn: (db: string, q: Queryable) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (const db of names) {
    const s = await connectDatabase(ctx, role, db);
    try {
      out.push(await fn(db, s));
    } finally {
      await s.end();
    }
  }
  return out;
}
