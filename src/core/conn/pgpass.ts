import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { homedir as osHomedir } from 'node:os';
import { DEFAULT_HOST, DEFAULT_PGSOCKET_DIR, DEFAULT_PORT } from './defaults';
import type { HostEndpoint } from './types';

export interface PgpassOptions {
  passfile?: string;
  homedir?: string;
  /** Told why the file was skipped (missing, not a plain file, group/world accessible). */
  onIgnored?: (reason: string) => void;
}

export type PgpassFileStatus =
  | { usable: true; file: string }
  | { usable: false; file: string; reason: string };

export function pgpassPath(opts: { passfile?: string; homedir?: string }): string {
  return opts.passfile || join(opts.homedir ?? osHomedir(), '.pgpass');
}

/**
 * The password for one endpoint from the password file, as libpq finds it (passwordFromFile): the first line whose
 * host:port:database:username match (each a literal with \-escapes, or *) gives the password. The port is compared
 * as the text given ("05432" matches only "05432"); a Unix-socket connection to libpq's compiled-in socket directory
 * (exactly "/var/run/postgresql") matches "localhost"; trailing \r and \n are all stripped. The file is ignored
 * if it is not a plain file or if group or others have any access to it (libpq's rule).
 */
export async function lookupPgpass(ep: HostEndpoint, dbname: string, user: string, opts: PgpassOptions): Promise<string | undefined> {
  if (!dbname || !user) return undefined;
  const file = pgpassPath(opts);
  const text = await readIfUsable(file, opts.onIgnored);
  if (text === undefined) return undefined;
  const wanted = [pgpassHostName(ep), ep.portText ?? String(ep.port || DEFAULT_PORT), dbname, user];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[\r\n]+$/, ''); // libpq's pg_strip_crlf: "\r\r\n" leaves no \r in the password
    if (line === '' || line.startsWith('#')) continue;
    const fields = splitPgpassLine(line);
    if (fields.length < 5) continue;
    if (wanted.every((w, i) => fields[i].raw === '*' || fields[i].value === w)) {
      return fields[4].value === '' ? undefined : fields[4].value;
    }
  }
  return undefined;
}

/** Whether libpq would read this password file, and if not, why. */
export async function pgpassFileStatus(file: string): Promise<PgpassFileStatus> {
  let reason: string | undefined;
  await readIfUsable(file, (r) => (reason = r));
  return reason === undefined ? { usable: true, file } : { usable: false, file, reason };
}

/**
 * The name a .pgpass line is matched against: host (or hostaddr); "localhost" for libpq's compiled-in socket
 * directory only, compared as a string (libpq does not canonicalize: "/run/postgresql" or a trailing "/" stay as is).
 */
export function pgpassHostName(ep: HostEndpoint): string {
  const name = ep.host || ep.hostaddr || '';
  if (name === '' || name === DEFAULT_PGSOCKET_DIR) return DEFAULT_HOST;
  return name;
}

async function readIfUsable(file: string, onIgnored?: (reason: string) => void): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    onIgnored?.(code === 'ENOENT' ? `password file "${file}" does not exist` : `password file "${file}" cannot be read (${code})`);
    return undefined;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) {
      onIgnored?.(`password file "${file}" is not a plain file`);
      return undefined;
    }
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      onIgnored?.(`password file "${file}" has group or world access (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); `
        + 'permissions should be u=rw (0600) or less: chmod 0600 the file');
      return undefined;
    }
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

interface PgpassField { raw: string; value: string }

/** Splits on unescaped ":"; `value` has the \-escapes removed, `raw` keeps them (a wildcard is a raw "*"). */
function splitPgpassLine(line: string): PgpassField[] {
  const fields: PgpassField[] = [];
  let raw = '';
  let value = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && i + 1 < line.length) {
      raw += c + line[i + 1];
      value += line[++i];
    } else if (c === ':' && fields.length < 4) {
      fields.push({ raw, value });
      raw = value = '';
    } else if (c === ':') {
      break; // the password ends at the next unescaped colon
    } else {
      raw += c;
      value += c;
    }
  }
  fields.push({ raw, value });
  return fields;
}
