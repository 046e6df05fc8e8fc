/**
 * pgbouncer.ini's [databases] section, as text: find an entry, repoint it (host=, port=, optionally dbname=),
 * leaving every other line — comments, order, blank lines, other sections — byte for byte as it was. Pure.
 *
 * PgBouncer's syntax: `[section]` headers, `name = value` lines, comments starting with `;` or `#`; a database
 * entry's value is `key=value` pairs separated by spaces, a value optionally in single quotes ('' for a quote).
 */

export interface DbEntryPair {
  key: string;
  value: string;
}

export interface DatabaseEntry {
  /** The pooler's database name (the entry's key). */
  name: string;
  /** 0-based line index in the file. */
  line: number;
  pairs: DbEntryPair[];
}

const SECTION = /^\s*\[([^\]]+)\]\s*$/;

function unquoteName(raw: string): string {
  const t = raw.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).replace(/""/g, '"') : t;
}

/** key=value pairs of an entry's value (PgBouncer's connection-string syntax). Throws on an unterminated quote. */
export function parseEntryValue(value: string): DbEntryPair[] {
  const pairs: DbEntryPair[] = [];
  let i = 0;
  const n = value.length;
  while (i < n) {
    while (i < n && /\s/.test(value[i])) i++;
    if (i >= n) break;
    const eq = value.indexOf('=', i);
    if (eq < 0) throw new Error(`"${value.slice(i)}" is not key=value`);
    const key = value.slice(i, eq).trim();
    i = eq + 1;
    while (i < n && value[i] === ' ') i++;
    let v = '';
    if (value[i] === "'") {
      i++;
      for (;;) {
        if (i >= n) throw new Error(`unterminated quote in the value of ${key}`);
        if (value[i] === "'") {
          if (value[i + 1] === "'") {
            v += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += value[i++];
      }
    } else {
      while (i < n && !/\s/.test(value[i])) v += value[i++];
    }
    pairs.push({ key: key.toLowerCase(), value: v });
  }
  return pairs;
}

function formatPairValue(v: string): string {
  return v === '' || /[\s']/.test(v) ? `'${v.replace(/'/g, "''")}'` : v;
}

export function formatEntryValue(pairs: DbEntryPair[]): string {
  return pairs.map((p) => `${p.key}=${formatPairValue(p.value)}`).join(' ');
}

/** Every entry of the [databases] section(s), in file order. */
export function databaseEntries(text: string): DatabaseEntry[] {
  const lines = text.split('\n');
  const out: DatabaseEntry[] = [];
  let inDatabases = false;
  lines.forEach((raw, idx) => {
    const line = raw.replace(/\r$/, '');
    const sec = SECTION.exec(line);
    if (sec) {
      inDatabases = sec[1].trim().toLowerCase() === 'databases';
      return;
    }
    if (!inDatabases) return;
    const t = line.trim();
    if (!t || t.startsWith(';') || t.startsWith('#')) return;
    const eq = line.indexOf('=');
    if (eq < 0) return;
    out.push({ name: unquoteName(line.slice(0, eq)), line: idx, pairs: parseEntryValue(line.slice(eq + 1)) });
  });
  return out;
}

export function findDatabaseEntry(text: string, name: string): DatabaseEntry | undefined {
  return databaseEntries(text).find((e) => e.name === name);
}

export function entryValue(e: DatabaseEntry, key: string): string | undefined {
  return e.pairs.find((p) => p.key === key)?.value;
}

export interface Repoint {
  host: string;
  port: number;
  dbname?: string;
}

function setPair(pairs: DbEntryPair[], key: string, value: string): DbEntryPair[] {
  return pairs.some((p) => p.key === key) ? pairs.map((p) => (p.key === key ? { key, value } : p)) : [...pairs, { key, value }];
}

/**
 * The file with entry `name` pointing at `to` (host and port replaced in place, other keys kept in their order).
 * Throws when the entry does not exist. Only that one line changes.
 */
export function repointDatabase(text: string, name: string, to: Repoint): { text: string; /** Redacted, for display. */ before: string; after: string } {
  const entry = findDatabaseEntry(text, name);
  if (!entry) throw new Error(`the pooler's configuration has no [databases] entry "${name}"`);
  if (!/^[^\s']+$/.test(to.host)) throw new Error(`"${to.host}" is not a host name PgBouncer can use`);
  if (!Number.isInteger(to.port) || to.port < 1 || to.port > 65535) throw new Error(`port ${to.port} is not a TCP port`);
  let pairs = setPair(entry.pairs, 'host', to.host);
  pairs = setPair(pairs, 'port', String(to.port));
  if (to.dbname !== undefined) pairs = setPair(pairs, 'dbname', to.dbname);
  const lines = text.split('\n');
  const before = lines[entry.line];
  const eq = before.indexOf('=');
  const cr = before.endsWith('\r') ? '\r' : '';
  const after = `${before.slice(0, eq + 1)} ${formatEntryValue(pairs)}${cr}`;
  lines[entry.line] = after;
  return { text: lines.join('\n'), before: redactEntryLine(before.replace(/\r$/, '')), after: redactEntryLine(after.replace(/\r$/, '')) };
}

/** An entry line fit to show or journal: a password= value becomes ********. */
export function redactEntryLine(line: string): string {
  return line.replace(/(\bpassword\s*=\s*)('(?:[^']|'')*'|\S+)/gi, '$1********');
}

/** The entry's line as it would read pointing at `to` (for a manual host's instructions), without the file. */
export function entryLine(name: string, pairs: DbEntryPair[], to: Repoint): string {
  let p = setPair(pairs, 'host', to.host);
  p = setPair(p, 'port', String(to.port));
  if (to.dbname !== undefined) p = setPair(p, 'dbname', to.dbname);
  return redactEntryLine(`${name} = ${formatEntryValue(p)}`);
}
