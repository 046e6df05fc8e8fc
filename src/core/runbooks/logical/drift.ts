/**
 * Schema drift between the source and the target (issue 9): tables, columns and types, enum labels, domains,
 * constraints, partitions and sequences. Each difference comes with the DDL to run on the TARGET (names quoted with
 * quoteIdent/quoteLiteral; type names, defaults and constraint definitions are the server's own deparsed SQL).
 * Exported for the CLI (`schema-drift`), the switchover's gate and the dashboard.
 */
import type { Queryable } from '../../db';
import { quoteIdent, quoteLiteral, quoteQualified } from '../../sql';
import { readDriftCatalog, type DriftCatalog, type DriftColumn, type DriftTable } from './drift-catalog';
import { display, tableKey } from './queries';

export type DriftKind =
  | 'table-missing' | 'partition-missing' | 'partition-bound' | 'column-missing' | 'column-type' | 'column-extra-not-null'
  | 'enum-missing' | 'enum-label-missing' | 'enum-label-order' | 'domain-missing' | 'domain-base' | 'domain-constraint-missing'
  | 'constraint-missing' | 'constraint-different' | 'sequence-missing';

export interface DriftItem {
  kind: DriftKind;
  /** Display name of the object (schema.table, schema.table.column, schema.type). */
  object: string;
  message: string;
  /** Statements to run on the target (empty when the fix is a decision, e.g. a label order). */
  ddl: string[];
  /** Breaks the replication (the apply stops) — as opposed to a difference the application may notice later. */
  breaksReplication: boolean;
}

const key = (x: { schema: string; name: string }) => tableKey(x);
const qn = (x: { schema: string; name: string }) => quoteQualified(x.schema, x.name);

function columnDdl(c: DriftColumn): string {
  let s = `${quoteIdent(c.name)} ${c.type}`;
  if (c.generated && c.default) s += ` GENERATED ALWAYS AS (${c.default}) STORED`;
  else if (c.identity) s += ` GENERATED ${c.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY`;
  else if (c.default) s += ` DEFAULT ${c.default}`;
  if (c.notNull && !c.identity) s += ' NOT NULL';
  return s;
}

/** CREATE TABLE for a table missing on the target: columns and partitioning (its constraints are separate items). */
export function createTableDdl(t: DriftTable): string {
  return t.parent && t.bound
    ? `CREATE TABLE ${qn(t)} PARTITION OF ${qn(t.parent)} ${t.bound}${t.partitionKey ? ` PARTITION BY ${t.partitionKey}` : ''};`
    : `CREATE TABLE ${qn(t)} (${t.columns.map(columnDdl).join(', ')})${t.partitionKey ? ` PARTITION BY ${t.partitionKey}` : ''};`;
}

function diffTable(s: DriftTable, t: DriftTable, out: DriftItem[], later: DriftItem[]): void {
  if (s.bound && t.bound && s.bound !== t.bound) {
    out.push({ kind: 'partition-bound', object: display(s), message: `partition ${display(s)} has bound ${s.bound} on the source, ${t.bound} on the target`, ddl: [], breaksReplication: true });
  }
  const tcols = new Map(t.columns.map((c) => [c.name, c]));
  for (const c of s.columns) {
    const tc = tcols.get(c.name);
    const obj = `${display(s)}.${quoteIdent(c.name)}`;
    if (!tc) {
      // with its DEFAULT: the source filled existing rows with it, and that fill is not replicated
      out.push({ kind: 'column-missing', object: obj, message: `column ${obj} (${c.type}) is missing on the target`, ddl: [`ALTER TABLE ${qn(s)} ADD COLUMN ${columnDdl(c)};`], breaksReplication: true });
    } else if (tc.type !== c.type) {
      out.push({ kind: 'column-type', object: obj, message: `column ${obj} is ${c.type} on the source, ${tc.type} on the target`, ddl: [`ALTER TABLE ${qn(s)} ALTER COLUMN ${quoteIdent(c.name)} TYPE ${c.type};`], breaksReplication: true });
    }
  }
  const scols = new Set(s.columns.map((c) => c.name));
  for (const tc of t.columns) {
    if (!scols.has(tc.name) && tc.notNull && !tc.default && !tc.identity && !tc.generated) {
      const obj = `${display(t)}.${quoteIdent(tc.name)}`;
      out.push({ kind: 'column-extra-not-null', object: obj, message: `column ${obj} exists only on the target and is NOT NULL without a default: replicated inserts fail`, ddl: [`ALTER TABLE ${qn(t)} ALTER COLUMN ${quoteIdent(tc.name)} DROP NOT NULL;`], breaksReplication: true });
    }
  }
  if (s.parent) return; // a partition's constraints are its parent's
  const tcons = new Map(t.constraints.map((k) => [k.name, k]));
  for (const k of s.constraints) {
    const tk = tcons.get(k.name);
    const obj = `${display(s)} ${quoteIdent(k.name)}`;
    const add = `ALTER TABLE ${qn(s)} ADD CONSTRAINT ${quoteIdent(k.name)} ${k.def};`;
    if (!tk) later.push({ kind: 'constraint-missing', object: obj, message: `constraint ${obj} (${k.def}) is missing on the target`, ddl: [add], breaksReplication: false });
    else if (tk.def !== k.def) {
      later.push({ kind: 'constraint-different', object: obj, message: `constraint ${obj} is ${k.def} on the source, ${tk.def} on the target`, ddl: [`ALTER TABLE ${qn(s)} DROP CONSTRAINT ${quoteIdent(k.name)};`, add], breaksReplication: false });
    }
  }
}

/** Pure: the differences that matter for a target fed by the source. Order = the order to apply the DDL in. */
export function diffCatalogs(src: DriftCatalog, tgt: DriftCatalog, inScope: (t: { schema: string; name: string }) => boolean = () => true): DriftItem[] {
  const out: DriftItem[] = [];
  const tEnums = new Map(tgt.enums.map((e) => [key(e), e]));
  for (const e of src.enums) {
    const te = tEnums.get(key(e));
    if (!te) {
      out.push({ kind: 'enum-missing', object: display(e), message: `enum type ${display(e)} is missing on the target`, ddl: [`CREATE TYPE ${qn(e)} AS ENUM (${e.labels.map(quoteLiteral).join(', ')});`], breaksReplication: true });
      continue;
    }
    const have = new Set(te.labels);
    e.labels.forEach((l, i) => {
      if (have.has(l)) return;
      const where = i > 0 ? ` AFTER ${quoteLiteral(e.labels[i - 1])}` : e.labels.length > 1 ? ` BEFORE ${quoteLiteral(e.labels[1])}` : '';
      out.push({ kind: 'enum-label-missing', object: display(e), message: `enum ${display(e)} lacks the label ${quoteLiteral(l)} on the target`, ddl: [`ALTER TYPE ${qn(e)} ADD VALUE IF NOT EXISTS ${quoteLiteral(l)}${where};`], breaksReplication: true });
      have.add(l);
    });
    const common = e.labels.filter((l) => te.labels.includes(l));
    if (common.join('\u0000') !== te.labels.filter((l) => e.labels.includes(l)).join('\u0000')) {
      out.push({ kind: 'enum-label-order', object: display(e), message: `enum ${display(e)} orders its labels differently on the target (ORDER BY and comparisons differ)`, ddl: [], breaksReplication: false });
    }
  }
  const tDomains = new Map(tgt.domains.map((d) => [key(d), d]));
  for (const d of src.domains) {
    const td = tDomains.get(key(d));
    if (!td) {
      const cons = d.constraints.map((k) => ` CONSTRAINT ${quoteIdent(k.name)} ${k.def}`).join('');
      out.push({ kind: 'domain-missing', object: display(d), message: `domain ${display(d)} is missing on the target`, ddl: [`CREATE DOMAIN ${qn(d)} AS ${d.base}${d.notNull ? ' NOT NULL' : ''}${cons};`], breaksReplication: true });
      continue;
    }
    if (td.base !== d.base) out.push({ kind: 'domain-base', object: display(d), message: `domain ${display(d)} is over ${d.base} on the source, ${td.base} on the target`, ddl: [], breaksReplication: true });
    const tcons = new Set(td.constraints.map((k) => k.name));
    for (const k of d.constraints.filter((x) => !tcons.has(x.name))) {
      out.push({ kind: 'domain-constraint-missing', object: display(d), message: `domain ${display(d)} lacks constraint ${quoteIdent(k.name)} (${k.def}) on the target`, ddl: [`ALTER DOMAIN ${qn(d)} ADD CONSTRAINT ${quoteIdent(k.name)} ${k.def};`], breaksReplication: false });
    }
  }
  const tSeqs = new Set(tgt.sequences.map(key));
  for (const s of src.sequences.filter((x) => !tSeqs.has(key(x)))) {
    out.push({ kind: 'sequence-missing', object: display(s), message: `sequence ${display(s)} is missing on the target (the switchover copies its value there)`, ddl: [`CREATE SEQUENCE ${qn(s)} AS ${s.type};`], breaksReplication: false });
  }
  const tTables = new Map(tgt.tables.map((t) => [key(t), t]));
  // parents before their partitions: depth order
  const depth = (t: DriftTable): number => {
    let d = 0;
    for (let p = t.parent; p && d < 64; d++) p = src.tables.find((x) => key(x) === key(p!))?.parent ?? null;
    return d;
  };
  // tables (parents first), then constraints of every table (foreign keys last: they reference other tables)
  const later: DriftItem[] = [];
  for (const s of [...src.tables].filter(inScope).sort((a, b) => depth(a) - depth(b))) {
    const t = tTables.get(key(s));
    if (!t) {
      out.push({
        kind: s.parent ? 'partition-missing' : 'table-missing', object: display(s),
        message: s.parent ? `partition ${display(s)} of ${display(s.parent)} (${s.bound}) is missing on the target` : `table ${display(s)} is missing on the target`,
        ddl: [createTableDdl(s)], breaksReplication: true,
      });
      if (!s.parent) diffTable(s, { ...s, columns: s.columns, constraints: [] }, out, later);
    } else diffTable(s, t, out, later);
  }
  const isFk = (i: DriftItem) => i.ddl.some((d) => / FOREIGN KEY /.test(d));
  out.push(...later.filter((i) => !isFk(i)), ...later.filter(isFk));
  return out;
}

export interface SchemaDrift {
  items: DriftItem[];
  /** All DDL in order, to run on the target (in a session that may write: SET default_transaction_read_only = off). */
  ddl: string[];
}

/**
 * Compare both servers now (one query each). `tables`: only these tables (and their partition ancestors) are compared
 * (the replicated set); types and sequences always are.
 */
export async function compareSchemas(source: Queryable, target: Queryable, tables?: Array<{ schema: string; name: string }>): Promise<SchemaDrift> {
  const [s, t] = await Promise.all([readDriftCatalog(source), readDriftCatalog(target)]);
  let inScope: ((x: { schema: string; name: string }) => boolean) | undefined;
  if (tables) {
    const keys = new Set(tables.map(key));
    const byKey = new Map(s.tables.map((x) => [key(x), x]));
    for (const k of [...keys]) for (let p = byKey.get(k)?.parent; p && !keys.has(key(p)); p = byKey.get(key(p))?.parent ?? null) keys.add(key(p));
    inScope = (x) => keys.has(key(x));
  }
  const items = diffCatalogs(s, t, inScope);
  return { items, ddl: items.flatMap((i) => i.ddl) };
}

/** A short account for messages: the first differences and the DDL to run on the target. */
export function describeDrift(d: SchemaDrift, max = 10): string {
  const shown = d.items.slice(0, max).map((i) => i.message).join('; ');
  const more = d.items.length > max ? ` and ${d.items.length - max} more` : '';
  return `schema drift, ${d.items.length} difference(s): ${shown}${more}. On the target: ${d.ddl.length ? ['SET default_transaction_read_only = off;', ...d.ddl].join(' ') : '(no DDL: decide by hand)'}`;
}
