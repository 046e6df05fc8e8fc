import type { Queryable, ServerVersion } from '../db';
import type { PublicationInfo } from './types';
import { bool, reqBool, reqNum, reqStr, type Row } from './values';
import { catalogMajor } from './version';

/** Publications of the connected database (pg_publication is per database). */
export function listPublicationsSql(v: ServerVersion): string {
  const major = catalogMajor(v);
  const viaRoot = major >= 13 ? 'p.pubviaroot' : 'NULL::boolean';
  return `SELECT p.pubname AS name,
  pg_get_userbyid(p.pubowner) AS owner,
  p.puballtables AS all_tables,
  (SELECT count(*) FROM pg_publication_tables pt WHERE pt.pubname = p.pubname)::int AS table_count,
  p.pubinsert AS ins, p.pubupdate AS upd, p.pubdelete AS del, p.pubtruncate AS trunc,
  ${viaRoot} AS via_root
FROM pg_publication p
ORDER BY p.pubname`;
}

export async function listPublications(q: Queryable, v: ServerVersion): Promise<PublicationInfo[]> {
  const { rows } = await q.query<Row>(listPublicationsSql(v));
  return rows.map((r) => ({
    name: reqStr(r.name, 'pubname'),
    owner: reqStr(r.owner, 'pubowner'),
    allTables: reqBool(r.all_tables, 'puballtables'),
    tableCount: reqNum(r.table_count, 'table count'),
    insert: reqBool(r.ins, 'pubinsert'),
    update: reqBool(r.upd, 'pubupdate'),
    delete: reqBool(r.del, 'pubdelete'),
    truncate: reqBool(r.trunc, 'pubtruncate'),
    viaRoot: bool(r.via_root),
  }));
}
