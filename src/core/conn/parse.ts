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

/**
 * libpq's test for "this is a connection string rather than a plain database name" (recognized_connection_string):
 * the URI prefix must open the string — " postgresql://…" (leading space) is not a URI.
 */
export function looksLikeConnString(s: string): boolean {
  return uriPrefixLength(s) > 0 || s.includes('=');
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
  if (uriPrefixLength(s) === 0) return parseKeywordValue(s);
  const hidden = uriMayHidePassword(s);
  try {
    const parsed = parseUri(s);
    if (hidden) refuseStrayAt(s);
    return parsed;
  } catch (e) {
    throw hidden && e instanceof ConnStringError ? quietUriError(e) : e;
  }
}

/**
 * A URI holding "@" may carry a password, and an unencoded "/" or "@" in that password shifts the parts: libpq then
 * reads a piece of the password as a port, a host or a database name. Such a URI's errors quote nothing from it.
 */
function uriMayHidePassword(s: string): boolean {
  const query = s.indexOf('?');
  return s.includes('@', uriPrefixLength(s))
    || (query >= 0 && s.slice(query + 1).split('&').some((p) => isSecretKeyword(p.split('=')[0])));
}

/** The error without any quoted text from the URI (only positions), and what to do. */
function quietUriError(e: ConnStringError): ConnStringError {
  const message = e.message.replace(/ ?"(?:[^"\\]|\\.)*"/g, '').replace(/:\s*$/, '');
  return new ConnStringError(`${message} (values are not shown: this URI holds a password, and a part may be a piece of it; `
    + 'percent-encode a password\'s special characters: "@" %40, "/" %2F, ":" %3A, "&" %26, "?" %3F, "#" %23, "%" %25)', undefined, e.position);
}

/**
 * libpq takes the first "@" before any "/" as the end of user:password; another "@" after it (before "?") means an
 * unencoded "@" or "/" in the password, whose pieces libpq would send as a host, port or database name (and show in
 * its errors). Refused before anything connects; libpq itself would try to connect.
 */
function refuseStrayAt(s: string): void {
  const rest = s.slice(uriPrefixLength(s)).split('?')[0];
  const authority = /^[^@/]*@/.exec(rest)?.[0].length ?? 0;
  const stray = rest.indexOf('@', authority);
  if (stray < 0) return;
  throw new ConnStringError(`unexpected "@" at position ${uriPrefixLength(s) + stray + 1} of the URI, after its user:password@ part: `
    + 'a password containing "@" or "/" must be percent-encoded (%40, %2F); nothing of the URI is shown in case it holds a password',
  undefined, uriPrefixLength(s) + stray + 1);
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
  let afterSecret: string | undefined; // the previous value was a secret: what follows may be the rest of it
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
      if (afterSecret) failAfterSecret(afterSecret, keyStart);
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
          if (afterSecret) failAfterSecret(afterSecret, keyStart);
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
    if (key === 'requiressl') {
      store(params, 'sslmode', requiresslToSslmode(value), valueStart);
      afterSecret = undefined;
      continue;
    }
    if (!isConnKeyword(key)) {
      if (afterSecret) failAfterSecret(afterSecret, keyStart);
      fail(`invalid connection option "${key}" at position ${keyStart + 1}${suggestKeyword(key)}`, key, keyStart);
    }
    store(params, key, value, valueStart);
    if (isSecretKeyword(key) || key === 'dbname') entries.push({ key, value, start: keyStart, end: i });
    afterSecret = isSecretKeyword(key) ? key : undefined;
  }
  return { form: 'keyword', params, entries };
}

/** The text after a password (unquoted, or quoted around a stray quote) may be the rest of it: never quote it. */
function failAfterSecret(secretKey: string, index: number): never {
  fail(`unexpected text at position ${index + 1} after the value of "${secretKey}"; `
    + `a value containing spaces must be single-quoted (${secretKey}='…')`, undefined, index);
}

/** libpq's conninfo_storeval: the deprecated requiressl=1… means sslmode=require, any other value sslmode=prefer. */
function requiresslToSslmode(value: string): string {
  return value.startsWith('1') ? 'require' : 'prefer';
}

// ---------------------------------------------------------------- URI

function parseUri(s: string): ParsedConnString {
  const end = s.length; // libpq keeps surrounding spaces: "…/app " names the database "app "
  const params: ConnParams = {};
  const entries: ConnEntry[] = [];
  let p = uriPrefixLength(s);
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
    if (key === 'requiressl') [key, value] = ['sslmode', requiresslToSslmode(value)];
    if (!isConnKeyword(key)) fail(`invalid URI query parameter "${key}" at position ${ks + 1}${suggestKeyword(key)}`, key, ks);
    store(params, key, value, eq + 1);
    if (secret || key === 'dbname') entries.push({ key, value, start: ks, end: p });
    p++; // past "&"
  }
}

/**
 * Percent-decodes s[from, to) with libpq's rules (conninfo_uri_decode): every character is kept as is (spaces
 * included), %XX is a byte, %00 is refused; the bytes must form UTF-8 (libpq passes raw bytes; a JS string cannot).
 * A secret component is never quoted in an error.
 */
function decode(s: string, from: number, to: number, what: string, secret: boolean): string {
  const bytes: number[] = [];
  for (let i = from; i < to; i++) {
    const c = s[i];
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
