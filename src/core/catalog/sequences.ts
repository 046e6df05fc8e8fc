import type { Queryable, ServerVersion } from '../db';
import type { SequenceInfo, SequenceOwner } from './types';
import { reqBool, reqStr, str, type Row } from './values';
import { catalogMajor } from './version';

/**
 * Every sequence visible in pg_sequences (all schemas of the connected database), with the column that owns
 * it: OWNED BY (serial, dependency 'a') or an identity column (dependency 'i'). The same SQL for 12–18.
 * Sequences are not replicated logically, so the switchover copies these last values.
 */
export function listSequencesSql(v: ServerVersion): string {
  catalogMajor(v);
  return `SELECT s.schemaname AS schema, s.sequencename AS name, s.data_type::text AS data_type,
  s.increment_by::text AS increment_by, s.last_value::text AS last_value,
  has_sequence_privilege(c.oid, 'SELECT,USAGE') AS readable,
  dep.deptype = 'i' AS is_identity,
  tn.nspname AS owner_schema, t.relname AS owner_table, att.attname AS owner_column
FROM pg_sequences s
JOIN pg_namespace n ON n.nspname = s.schemaname
JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.sequencename AND c.relkind = 'S'
LEFT JOIN LATERAL (
  SELECT d.refobjid, d.refobjsubid, d.deptype FROM pg_depend d
  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
    AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i')
  ORDER BY d.deptype DESC LIMIT 1
) dep ON true
LEFT JOIN pg_class t ON t.oid = dep.refobjid
LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
LEFT JOIN pg_attribute att ON att.attrelid = dep.refobjid AND att.attnum = dep.refobjsubid
ORDER BY s.schemaname, s.sequencename`;
}

export async function listSequences(q: Queryable, v: ServerVersion): Promise<SequenceInfo[]> {
  const { rows } = await q.query<Row>(listSequencesSql(v));
  return rows.map((r) => {
    const lastValue = str(r.last_value);
    return {
      schema: reqStr(r.schema, 'schemaname'),
      name: reqStr(r.name, 'sequencename'),
      dataType: reqStr(r.data_type, 'data_type'),
      incrementBy: reqStr(r.increment_by, 'increment_by'),
      lastValue,
      isCalled: lastValue !== null,
      readable: reqBool(r.readable, 'privilege'),
      ownedBy: owner(r),
      isIdentity: r.is_identity === true || r.is_identity === 't',
    };
  });
}

function owner(r: Row): SequenceOwner | null {
  const schema = str(r.owner_schema);
  const table = str(r.owner_table);
  const column = str(r.owner_column);
  return schema !== null && table !== null && column !== null ? { schema, table, column } : null;
}
