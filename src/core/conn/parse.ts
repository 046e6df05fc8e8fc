import { checkValue } from './validate';
import { isConnKeyword, isSecretKeyword, suggestKeyword } from './keywords';
import { ConnStringError, type ConnKeyword, type ConnParams } from './types';

/** One parsed setting and the span of text that carries it ([start, end), 0-based). */
export interface ConnEntry {
  key: ConnKeyword;
  value: string;
  start: number;
  end: number;
  /** The span holds the value alone (a URI path's database name), not "key=value". */
  valueOnly?: boolean;
}

export interface ParsedConnString {
  form: 'uri' | 'keyword';
  params: ConnParams;
  /** Secret-bearing and dbname entries, with their spans in the input (used by redaction). */
  entries: ConnEntry[];
}

const URI_PREFIXES = ['postgresql://', 'postgres://'];

/** libpq's test for "this is a connection string rather than a plain database name". */
export function looksLikeConnString(s: string): boolean {
  return uriPrefixLength(s.trimStart()) > 0 || s.includes('=');
}

function uriPrefixLength(s: string): number {
  return URI_PREFIXES.find((p) => s.startsWith(p))?.length ?? 0;
}

/**
 * Parses a libpq connection string, URI (`postgresql://…`) or keyword/value (`host=… port=…`), with
 * libpq's rules. Throws ConnStringError pointing at the bad part (1-based position); never quotes a secret.
 */
export function parseConnString(s: string): ConnParams {
  return parseConnStringDetailed(s).params;
}

export function parseConnStringDetailed(s: string): ParsedConnString {
  const lead = s.length - s.trimStart().length;
  if (uriPrefixLength(s.slice(lead)) > 0) return parseUri(s, lead);
  return parseKeywordValue(s);
}

/** libpq's isspace() in keyword/value strings. */
export const isConnSpace = (c: string | undefined): boolean => c !== undefined && /[ \t\n\v\f\r]/.test(c);
const isSpace = isConnSpace;

function fail(message: string, part: string | undefined, index: number): never {
  throw new ConnStringError(message, part, index + 1);
}

function store(params: ConnParams, key: ConnKeyword, value: string, valueIndex: number): void {
  const problem = isSecretKeyword(key) ? undefined : checkValue(key, value);
  if (problem) fail(`${problem.message} at position ${valueIndex + problem.offset + 1}`, problem.part, valueIndex + problem.offset);
  params[key] = value;
}

// ---------------------------------------------------------------- keyword = value

function parseKeywordValue(s: string): ParsedConnString {
  const params: ConnParams = {};
  const entries: ConnEntry[] = [];
  let afterUnquotedSecret: string | undefined; // the previous value was an unquoted secret
  let i = 0;
  while (i < s.length) {
    if (isSpace(s[i])) {
      i++;
      continue;
    }
    const keyStart = i;
    while (i < s.length && s[i] !== '=' && !isSpace(s[i])) i++;
    const key = s.slice(keyStart, i);
    while (isSpace(s[i])) i++;
    if (s[i] !== '=') {
      if (afterUnquotedSecret) failAfterSecret(afterUnquotedSecret, keyStart);
      fail(`missing "=" after "${key}" at position ${keyStart + 1} in the connection string`
        + (isConnKeyword(key) ? '' : ' (a value with spaces must be single-quoted: key=\'a b\')'), key, keyStart);
    }
    i++;
    while (isSpace(s[i])) i++;
    const valueStart = i;
    let value = '';
    if (s[i] !== "'") {
      while (i < s.length && !isSpace(s[i])) {
        if (s[i] === '\\') i++;
        if (i < s.length) value += s[i++];
      }
    } else {
      i++;
      for (;;) {
        if (i >= s.length) {
          if (afterUnquotedSecret) failAfterSecret(afterUnquotedSecret, keyStart);
          const shown = isSecretKeyword(key) ? '' : `: ${s.slice(valueStart, valueStart + 40)}`;
          fail(`unterminated quoted string for "${key}" starting at position ${valueStart + 1}${shown}`, isSecretKeyword(key) ? undefined : s.slice(valueStart), valueStart);
        }
        if (s[i] === '\\') {
          i++;
          if (i < s.length) value += s[i++];
          continue;
        }
        if (s[i] === "'") {
          i++;
          break;
        }
        value += s[i++];
      }
    }
    if (!isConnKeyword(key)) {
      if (afterUnquotedSecret) failAfterSecret(afterUnquotedSecret, keyStart);
      fail(`invalid connection option "${key}" at position ${keyStart + 1}${suggestKeyword(key)}`, key, keyStart);
    }
    store(params, key, value, valueStart);
    if (isSecretKeyword(key) || key === 'dbname') entries.push({ key, value, start: keyStart, end: i });
    afterUnquotedSecret = isSecretKeyword(key) && s[valueStart] !== "'" ? key : undefined;
  }
  return { form: 'keyword', params, entries };
}

/** The text after an unquoted password may be the rest of that password: never quote it. */
function failAfterSecret(secretKey: string, index: number): never {
  fail(`unexpected text at position ${index + 1} after the value of "${secretKey}"; `
    + `a value containing spaces must be single-quoted (${secretKey}='…')`, undefined, index);
}

// ---------------------------------------------------------------- URI

function parseUri(s: string, lead: number): ParsedConnString {
  const end = s.trimEnd().length;
  const params: ConnParams = {};
  const entries: ConnEntry[] = [];
  let p = lead + uriPrefixLength(s.slice(lead));
  const at = (k: number): string => (k < end ? s[k] : '');

  // user[:password]@ — the first "@" before any "/"
  let q = p;
  while (q < end && s[q] !== '@' && s[q] !== '/') q++;
  if (at(q) === '@') {
    let u = p;
    while (s[u] !== ':' && s[u] !== '@') u++;
    const user = decode(s, p, u, 'user name', false);
    if (user) params.user = user;
    if (s[u] === ':') {
      const password = decode(s, u + 1, q, 'password', true);
      if (password) {
        params.password = password;
        entries.push({ key: 'password', value: password, start: u, end: q });
      }
    }
    p = q + 1;
  }

  // host[:port][,host[:port]…], IPv6 in brackets
  const hosts: string[] = [];
  const ports: string[] = [];
  const portPositions: number[] = [];
  let prev = '';
  for (;;) {
    let host: string;
    if (at(p) === '[') {
      const hs = p + 1;
      let e = hs;
      while (e < end && s[e] !== ']') e++;
      if (e >= end) fail(`missing "]" for the IPv6 address starting at position ${p + 1} in the URI`, s.slice(p, end), p);
      if (e === hs) fail(`empty IPv6 address "[]" at position ${p + 1} in the URI`, '[]', p);
      host = decode(s, hs, e, 'host', false);
      p = e + 1;
      if (at(p) && !':/?,'.includes(at(p))) {
        fail(`unexpected character "${at(p)}" at position ${p + 1} in the URI (expected ":" or "/" after "]")`, at(p), p);
      }
    } else {
      const hs = p;
      while (at(p) && !':/?,'.includes(at(p))) p++;
      host = decode(s, hs, p, 'host', false);
    }
    hosts.push(host);
    prev = at(p);
    let port = '';
    if (prev === ':') {
      const ps = ++p;
      while (at(p) && !'/?,'.includes(at(p))) p++;
      port = decode(s, ps, p, 'port', false);
      portPositions.push(ps);
      prev = at(p);
    } else {
      portPositions.push(p);
    }
    ports.push(port);
    if (prev !== ',') break;
    p++;
  }
  if (hosts.join(',') !== '') params.host = hosts.join(',');
  if (ports.join(',') !== '') {
    ports.forEach((port, k) => store({}, 'port', port, portPositions[k]));
    params.port = ports.join(',');
  }

  if (prev === '/') {
    const ds = ++p;
    while (at(p) && at(p) !== '?') p++;
    const dbname = decode(s, ds, p, 'database name', false);
    if (dbname) {
      params.dbname = dbname;
      entries.push({ key: 'dbname', value: dbname, start: ds, end: p, valueOnly: true });
    }
    prev = at(p);
  }
  if (prev === '?') parseUriQuery(s, p + 1, end, params, entries);
  return { form: 'uri', params, entries };
}

function parseUriQuery(s: string, start: number, end: number, params: ConnParams, entries: ConnEntry[]): void {
  let p = start;
  while (p < end) {
    const ks = p;
    let eq = -1;
    while (p < end && s[p] !== '&') {
      if (s[p] === '=') {
        if (eq >= 0) fail(`extra "=" at position ${p + 1} in URI query parameter "${s.slice(ks, eq)}"`, '=', p);
        eq = p;
      }
      p++;
    }
    if (eq < 0) fail(`missing "=" in URI query parameter "${s.slice(ks, p)}" at position ${ks + 1}`, s.slice(ks, p), ks);
    let key = decode(s, ks, eq, 'query parameter name', false);
    const secret = isSecretKeyword(key);
    let value = decode(s, eq + 1, p, `value of "${key}"`, secret);
    if (key === 'ssl' && value === 'true') [key, value] = ['sslmode', 'require']; // libpq's JDBC compatibility
    if (!isConnKeyword(key)) fail(`invalid URI query parameter "${key}" at position ${ks + 1}${suggestKeyword(key)}`, key, ks);
    store(params, key, value, eq + 1);
    if (secret || key === 'dbname') entries.push({ key, value, start: ks, end: p });
    p++; // past "&"
  }
}

/**
 * Percent-decodes s[from, to) as UTF-8 with libpq's rules: surrounding spaces are dropped, inner spaces
 * must be written %20, %00 is refused. A secret component is never quoted in an error.
 */
function decode(s: string, from: number, to: number, what: string, secret: boolean): string {
  while (from < to && s[from] === ' ') from++;
  while (to > from && s[to - 1] === ' ') to--;
  const bytes: number[] = [];
  for (let i = from; i < to; i++) {
    const c = s[i];
    if (c === ' ') {
      fail(`unexpected space at position ${i + 1} in the ${what} of the URI; write spaces as %20`, secret ? undefined : s.slice(from, to), i);
    }
    if (c !== '%') {
      const cp = s.codePointAt(i)!;
      if (cp > 0xffff) i++;
      bytes.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
      continue;
    }
    const hex = s.slice(i + 1, i + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) {
      const token = s.slice(i, Math.min(i + 3, to));
      fail(`invalid percent-encoding ${secret ? '' : `"${token}" `}at position ${i + 1} in the ${what} of the URI (expected % and two hex digits)`, secret ? undefined : token, i);
    }
    const byte = parseInt(hex, 16);
    if (byte === 0) fail(`forbidden value %00 at position ${i + 1} in the ${what} of the URI`, secret ? undefined : '%00', i);
    bytes.push(byte);
    i += 2;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return fail(`the ${what} at position ${from + 1} of the URI is not valid UTF-8 once percent-decoded`, secret ? undefined : s.slice(from, to), from);
  }
}
