import { ALL_KEYWORDS, isSecretKeyword } from './keywords';
import { isConnSpace, looksLikeConnString, parseConnStringDetailed, type ConnEntry } from './parse';
import type { ConnKeyword, ConnParams } from './types';

/** The keywords people look for first; the rest follow in libpq's order. */
const LEADING: readonly ConnKeyword[] = ['host', 'hostaddr', 'port', 'dbname', 'user'];
const ORDER: readonly ConnKeyword[] = [...LEADING, ...ALL_KEYWORDS.filter((k) => !LEADING.includes(k))];

/** A keyword/value value, single-quoted (with \\ and \' escapes) when empty or holding spaces, quotes or backslashes. */
export function quoteConnValue(value: string): string {
  return value !== '' && !/[\s'\\]/.test(value) ? value : `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

/** Keyword/value form (`host=a,b port=5432 dbname=app`); secrets are left out unless includePassword. */
export function formatConnString(p: ConnParams, opts: { includePassword?: boolean } = {}): string {
  return ORDER
    .filter((k) => p[k] !== undefined && (opts.includePassword || !isSecretKeyword(k)))
    .map((k) => `${k}=${quoteConnValue(p[k]!)}`)
    .join(' ');
}

export const UNPARSEABLE = '<unparseable connection string>';

/**
 * The connection string for display and logs: same form and wording as given, with every secret
 * (password, sslpassword, …) removed. Anything that does not parse becomes "<unparseable connection string>".
 */
export function redactConnString(s: string): string {
  let parsed;
  try {
    parsed = parseConnStringDetailed(s);
  } catch {
    return UNPARSEABLE;
  }
  const edits = parsed.entries.flatMap((e) => editFor(s, e, parsed.form)).sort((a, b) => b.start - a.start);
  let out = s;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return parsed.form === 'uri' ? tidyUri(out) : out.trim();
}

interface Edit { start: number; end: number; text: string }

function editFor(s: string, e: ConnEntry, form: 'uri' | 'keyword'): Edit[] {
  if (isSecretKeyword(e.key)) {
    if (form === 'uri') return [{ start: e.start, end: e.end, text: '' }];
    // keyword/value: take the whitespace that follows along (spans stay disjoint; the result is trimmed)
    let end = e.end;
    while (end < s.length && isConnSpace(s[end])) end++;
    return [{ start: e.start, end, text: '' }];
  }
  // A dbname holding a whole connection string (as psql -d accepts) may carry a password of its own.
  if (e.key === 'dbname' && looksLikeConnString(e.value)) {
    const inner = redactConnString(e.value);
    if (inner === e.value) return [];
    const value = form === 'uri' ? encodeURIComponent(inner) : quoteConnValue(inner);
    return [{ start: e.start, end: e.end, text: e.valueOnly ? value : `dbname=${value}` }];
  }
  return [];
}


/** After removing query parameters: no "&&", no "?&", no trailing "&" or "?". */
function tidyUri(u: string): string {
  const q = u.indexOf('?');
  if (q < 0) return u;
  const query = u.slice(q + 1).split('&').filter((x) => x !== '').join('&');
  return query ? `${u.slice(0, q)}?${query}` : u.slice(0, q);
}
