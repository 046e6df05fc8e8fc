/**
 * The verify step's per-table results, read tolerantly from its outputs: the first array of objects that name a
 * table. Accepted per row: table | name | relation (with optional schema); sourceRows/targetRows (or
 * source/target objects with rows/count/checksum); sourceChecksum/targetChecksum (or …Hash); match | ok | equal;
 * method | kind. Pure.
 */
export interface VerificationRow {
  table: string;
  method?: string;
  sourceRows?: number;
  targetRows?: number;
  sourceChecksum?: string;
  targetChecksum?: string;
  match: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function pick(o: Obj, keys: string[]): unknown {
  for (const k of keys) if (o[k] !== undefined && o[k] !== null) return o[k];
  return undefined;
}

function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return undefined;
}

function asText(v: unknown): string | undefined {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
}

function tableName(o: Obj): string | undefined {
  const t = pick(o, ['table', 'name', 'relation', 'qualifiedName']);
  if (isObj(t)) return tableName(t);
  if (typeof t !== 'string') return undefined;
  const schema = typeof o.schema === 'string' ? o.schema : undefined;
  return schema && !t.includes('.') ? `${schema}.${t}` : t;
}

function side(o: Obj, which: 'source' | 'target'): { rows?: number; checksum?: string } {
  const nested = isObj(o[which]) ? (o[which] as Obj) : {};
  return {
    rows: asNumber(pick(o, [`${which}Rows`, `${which}Count`, `${which}_rows`, `rows${which[0].toUpperCase()}${which.slice(1)}`]) ?? pick(nested, ['rows', 'count', 'rowCount'])),
    checksum: asText(pick(o, [`${which}Checksum`, `${which}Hash`, `${which}_checksum`]) ?? pick(nested, ['checksum', 'hash', 'md5'])),
  };
}

function row(o: Obj): VerificationRow | undefined {
  const table = tableName(o);
  if (!table) return undefined;
  const s = side(o, 'source');
  const t = side(o, 'target');
  if (s.rows === undefined && t.rows === undefined && s.checksum === undefined && t.checksum === undefined && pick(o, ['match', 'ok', 'equal', 'matches']) === undefined) return undefined;
  const given = pick(o, ['match', 'ok', 'equal', 'matches']);
  const derived = (s.rows === undefined || s.rows === t.rows) && (s.checksum === undefined || s.checksum === t.checksum);
  return {
    table, method: asText(pick(o, ['method', 'kind', 'mode'])) ?? (s.checksum !== undefined || t.checksum !== undefined ? 'checksum' : 'count'),
    sourceRows: s.rows, targetRows: t.rows, sourceChecksum: s.checksum, targetChecksum: t.checksum,
    match: typeof given === 'boolean' ? given && derived : derived,
  };
}

/** The verify step's totals (logical runbook: tablesCompared, tablesChecksummed, rowsSource, rowsTarget, mismatches). */
export interface VerificationTotals {
  tables?: number;
  checksummed?: number;
  rowsSource?: number;
  rowsTarget?: number;
  mismatches?: number;
}

export function verificationTotals(outputs: Record<string, unknown> | undefined): VerificationTotals | undefined {
  if (!outputs) return undefined;
  const n = (k: string) => asNumber(outputs[k]);
  const totals = { tables: n('tablesCompared'), checksummed: n('tablesChecksummed'), rowsSource: n('rowsSource'), rowsTarget: n('rowsTarget'), mismatches: n('mismatches') };
  return Object.values(totals).some((v) => v !== undefined) ? totals : undefined;
}

export function verificationRows(outputs: Record<string, unknown> | undefined): VerificationRow[] {
  if (!outputs) return [];
  const candidates = Object.values(outputs).filter((v): v is unknown[] => Array.isArray(v));
  for (const arr of candidates) {
    const rows = arr.filter(isObj).map(row).filter((r): r is VerificationRow => r !== undefined);
    if (rows.length) return rows;
  }
  return [];
}
