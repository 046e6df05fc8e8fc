/**
 * Coercion of raw result values into the catalog's plain types. The SQL already casts sizes to float8 and
 * timestamps to ISO text, so with node-postgres these are mostly identity; they also accept the text forms
 * another Queryable (or pg's defaults for int8/numeric) would return.
 */
export type Row = Record<string, unknown>;

export function num(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    if (!Number.isNaN(n)) return n;
  }
  throw new Error(`Expected a number from the catalog, got ${JSON.stringify(String(v))}.`);
}

export function reqNum(v: unknown, field: string): number {
  const n = num(v);
  if (n === null) throw new Error(`The catalog returned no value for ${field}.`);
  return n;
}

export function bool(v: unknown): boolean | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return v;
  if (v === 't' || v === 'true' || v === 'on') return true;
  if (v === 'f' || v === 'false' || v === 'off') return false;
  throw new Error(`Expected a boolean from the catalog, got ${JSON.stringify(String(v))}.`);
}

export function reqBool(v: unknown, field: string): boolean {
  const b = bool(v);
  if (b === null) throw new Error(`The catalog returned no value for ${field}.`);
  return b;
}

export function str(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

export function reqStr(v: unknown, field: string): string {
  const s = str(v);
  if (s === null) throw new Error(`The catalog returned no value for ${field}.`);
  return s;
}

/** A json array of text (the SQL sends arrays as json so element quoting never depends on a driver). */
export function strArray(v: unknown): string[] {
  if (v === null || v === undefined) return [];
  const parsed: unknown = typeof v === 'string' ? JSON.parse(v) : v;
  if (!Array.isArray(parsed)) throw new Error('Expected a JSON array from the catalog.');
  return parsed.map((x) => String(x));
}
