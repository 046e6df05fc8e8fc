import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isConnKeyword, suggestKeyword } from './keywords';
import { ConnStringError, type ConnParams } from './types';

/** Where Debian's libpq looks for the system-wide pg_service.conf when PGSYSCONFDIR is not set. */
export const DEFAULT_SYSCONFDIR = '/etc/postgresql-common';

export interface ServiceLookup {
  env: NodeJS.ProcessEnv;
  homedir: string;
}

export interface ServiceDefinition {
  params: ConnParams;
  file: string;
}

/**
 * libpq's service lookup: PGSERVICEFILE (or ~/.pg_service.conf) first; if the service is not there,
 * PGSYSCONFDIR/pg_service.conf. The user file wins when both define it.
 */
export async function loadService(name: string, o: ServiceLookup): Promise<ServiceDefinition> {
  const looked: string[] = [];
  const userFile = o.env.PGSERVICEFILE || join(o.homedir, '.pg_service.conf');
  if (o.env.PGSERVICEFILE || (await isFile(userFile))) {
    looked.push(userFile);
    const found = parseServiceFile(await readServiceFile(userFile), name, userFile);
    if (found) return { params: found, file: userFile };
  }
  const sysFile = join(o.env.PGSYSCONFDIR || DEFAULT_SYSCONFDIR, 'pg_service.conf');
  if (await isFile(sysFile)) {
    looked.push(sysFile);
    const found = parseServiceFile(await readServiceFile(sysFile), name, sysFile);
    if (found) return { params: found, file: sysFile };
  }
  const where = looked.length ? `looked in ${looked.map((f) => `"${f}"`).join(' and ')}` : `no service file exists (${userFile}, ${sysFile})`;
  throw new ConnStringError(`definition of service "${name}" not found (${where})`, name);
}

/**
 * The settings of [name] in a service file, or undefined when the file has no such section.
 * libpq's format: "[name]" sections, "key=value" lines with no spaces around "=", "#" comments.
 * Within a section the first occurrence of a key wins. Errors name the file and line, never a value.
 */
export function parseServiceFile(text: string, name: string, file: string): ConnParams | undefined {
  let inGroup = false;
  let found: ConnParams | undefined;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      if (inGroup) break; // end of the wanted section
      inGroup = line.startsWith(`[${name}]`);
      if (inGroup) found = {};
      continue;
    }
    if (!inGroup || !found) continue;
    const eq = line.indexOf('=');
    const where = `service file "${file}", line ${n + 1}`;
    if (eq < 0) throw new ConnStringError(`syntax error in ${where}: expected key=value`, undefined);
    const key = line.slice(0, eq);
    if (key === 'service') throw new ConnStringError(`nested service specifications are not supported (${where})`, key);
    if (!isConnKeyword(key)) {
      const hint = key !== key.trim() ? ' (no spaces are allowed around "=" in a service file)' : suggestKeyword(key);
      throw new ConnStringError(`syntax error in ${where}: unknown keyword "${key}"${hint}`, key);
    }
    if (found[key] === undefined) found[key] = line.slice(eq + 1);
  }
  return found;
}

async function readServiceFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new ConnStringError(`service file "${file}" cannot be read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, file);
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
