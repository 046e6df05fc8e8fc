/** A target database that does not exist: say so, with the CREATE DATABASE (source's encoding and locale) to run. */
import type { Queryable } from '../../db';
import type { ClusterRole } from '../../runbook/types';
import { quoteIdent } from '../../sql';
import { createDatabaseFix, type DatabaseLocale } from './fixes';

/** The connected database's encoding and locale (provider and ICU/builtin locale where the server has them). */
export async function databaseLocale(q: Queryable): Promise<{ name: string; major: number; locale: DatabaseLocale }> {
  const r = (await q.query<Record<string, unknown>>(
    `SELECT d.datname, pg_encoding_to_char(d.encoding) AS enc, d.datcollate, d.datctype, to_jsonb(d) AS j,
       current_setting('server_version_num')::int / 10000 AS major
     FROM pg_database d WHERE d.datname = current_database()`,
  )).rows[0];
  const j = (typeof r.j === 'string' ? JSON.parse(r.j) : r.j) as Record<string, unknown>;
  const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    name: String(r.datname),
    major: Number(r.major),
    locale: { encoding: String(r.enc), collate: String(r.datcollate), ctype: String(r.datctype), provider: str(j.datlocprovider), locale: str(j.datlocale ?? j.daticulocale) },
  };
}

/** The runbook's explainConnectError: only for a target database that does not exist (ConnectError database-missing / 3D000). */
export async function explainMissingTargetDatabase(role: ClusterRole, err: unknown, db: (role: ClusterRole) => Promise<Queryable>): Promise<string | undefined> {
  const e = err as { code?: string; kind?: string } | undefined;
  if (role !== 'target' || (e?.code !== '3D000' && e?.kind !== 'database-missing')) return undefined;
  const name = /database "(.*)" does not exist/s.exec(err instanceof Error ? err.message : String(err))?.[1];
  if (!name) return undefined;
  const src = await databaseLocale(await db('source'));
  return `Nothing was changed. Create ${quoteIdent(name)} on the target with the source's encoding and locale, connected to another database there (e.g. postgres): ${createDatabaseFix(name, src.locale, src.major + 1)}`;
}
