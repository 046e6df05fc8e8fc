/** The schema facts schema drift compares, read in ONE query per server (user schemas, extension objects excluded). */
import type { Queryable } from '../../db';
import { parseJson } from './queries';

export interface DriftColumn {
  name: string;
  type: string;
  notNull: boolean;
  /** DEFAULT expression, or the generation expression of a stored generated column. */
  default: string | null;
  generated: boolean;
  /** a (ALWAYS) / d (BY DEFAULT) for identity columns. */
  identity: string | null;
}

export interface DriftTable {
  schema: string;
  name: string;
  partitioned: boolean;
  partitionKey: string | null;
  /** Parent of a partition, and its bound (FOR VALUES …). */
  parent: { schema: string; name: string } | null;
  bound: string | null;
  columns: DriftColumn[];
  constraints: { name: string; type: string; def: string }[];
}

export interface DriftCatalog {
  tables: DriftTable[];
  enums: { schema: string; name: string; labels: string[] }[];
  domains: { schema: string; name: string; base: string; notNull: boolean; constraints: { name: string; def: string }[] }[];
  sequences: { schema: string; name: string; type: string }[];
}

const USER_NS = `n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'`;
const NOT_EXT = (cls: string, oid: string) => `NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '${cls}'::regclass AND e.objid = ${oid} AND e.deptype = 'e')`;

export const DRIFT_CATALOG_SQL = `SELECT
 (SELECT COALESCE(json_agg(json_build_object(
    'schema', n.nspname, 'name', c.relname, 'partitioned', c.relkind = 'p',
    'partitionKey', CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
    'parent', (SELECT json_build_object('schema', pn.nspname, 'name', pc.relname) FROM pg_inherits i
               JOIN pg_class pc ON pc.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace
               WHERE i.inhrelid = c.oid AND c.relispartition LIMIT 1),
    'bound', CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END,
    'columns', (SELECT COALESCE(json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                  'notNull', a.attnotnull, 'default', pg_get_expr(d.adbin, d.adrelid), 'generated', a.attgenerated = 's',
                  'identity', NULLIF(a.attidentity, '')) ORDER BY a.attnum), '[]'::json)
                FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
    'constraints', (SELECT COALESCE(json_agg(json_build_object('name', k.conname, 'type', k.contype, 'def', pg_get_constraintdef(k.oid))
                      ORDER BY k.conname), '[]'::json)
                    FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype IN ('p', 'u', 'f', 'c', 'x') AND k.conparentid = 0)
  ) ORDER BY n.nspname, c.relname), '[]'::json)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't' AND ${USER_NS} AND ${NOT_EXT('pg_class', 'c.oid')}) AS tables,
 (SELECT COALESCE(json_agg(json_build_object('schema', n.nspname, 'name', t.typname,
    'labels', (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid)) ORDER BY n.nspname, t.typname), '[]'::json)
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
  WHERE t.typtype = 'e' AND ${USER_NS} AND ${NOT_EXT('pg_type', 't.oid')}) AS enums,
 (SELECT COALESCE(json_agg(json_build_object('schema', n.nspname, 'name', t.typname, 'base', format_type(t.typbasetype, t.typtypmod),
    'notNull', t.typnotnull,
    'constraints', (SELECT COALESCE(json_agg(json_build_object('name', k.conname, 'def', pg_get_constraintdef(k.oid)) ORDER BY k.conname), '[]'::json)
                    FROM pg_constraint k WHERE k.contypid = t.oid AND k.contype = 'c')) ORDER BY n.nspname, t.typname), '[]'::json)
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
  WHERE t.typtype = 'd' AND ${USER_NS} AND ${NOT_EXT('pg_type', 't.oid')}) AS domains,
 (SELECT COALESCE(json_agg(json_build_object('schema', n.nspname, 'name', c.relname, 'type', format_type(s.seqtypid, NULL)) ORDER BY n.nspname, c.relname), '[]'::json)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_sequence s ON s.seqrelid = c.oid
  WHERE c.relkind = 'S' AND ${USER_NS} AND ${NOT_EXT('pg_class', 'c.oid')}) AS sequences`;

export async function readDriftCatalog(q: Queryable): Promise<DriftCatalog> {
  const r = (await q.query<Record<string, unknown>>(DRIFT_CATALOG_SQL)).rows[0];
  return {
    tables: parseJson<DriftTable[]>(r.tables),
    enums: parseJson<DriftCatalog['enums']>(r.enums),
    domains: parseJson<DriftCatalog['domains']>(r.domains),
    sequences: parseJson<DriftCatalog['sequences']>(r.sequences),
  };
}
