import { execFile } from 'node:child_process';
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, delimiter, join } from 'node:path';
import type { ClientTool, ClientToolName, ToolVersion } from './types';

export interface DiscoverOptions {
  /** The `clientToolsPath` setting / param: one directory, or several separated by the path delimiter. */
  clientToolsPath?: string | string[];
  /** Defaults to process.env (PATH is read from it). */
  env?: NodeJS.ProcessEnv;
  /** Extra well-known directories (tests); defaults to the usual install locations of each platform. */
  wellKnownDirs?: string[];
  platform?: NodeJS.Platform;
}

/** "pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" → { major: 15, minor: 18 }; null when not recognised. */
export function parseToolVersion(output: string): ToolVersion | null {
  const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(output);
  if (!m) return null;
  // 9.6.24 gives major 9, minor 6: too old for anything here anyway.
  const first = Number(m[1]);
  const minor = Number(m[2] ?? 0);
  const text = m[3] !== undefined ? `${m[1]}.${m[2]}.${m[3]}` : m[2] !== undefined ? `${m[1]}.${m[2]}` : m[1];
  return { major: first, minor, text };
}

/** Directories globbed one level deep ("/usr/lib/postgresql/*\/bin"), sorted newest version first. */
function expand(parent: string, suffix: string[], prefix = ''): string[] {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(prefix))
    .sort((a, b) => versionKey(b) - versionKey(a))
    .map((n) => join(parent, n, ...suffix));
}

function versionKey(name: string): number {
  const m = /(\d+)(?:\.(\d+))?/.exec(name);
  return m ? Number(m[1]) * 1000 + Number(m[2] ?? 0) : -1;
}

/** Where PostgreSQL client programs usually live, per platform (Debian/Ubuntu, RHEL, Homebrew, Postgres.app, Windows). */
export function wellKnownToolDirs(platform: NodeJS.Platform = process.platform): string[] {
  if (platform === 'win32') {
    const pf = process.env.ProgramFiles ?? 'C:\\Program Files';
    return expand(join(pf, 'PostgreSQL'), ['bin']);
  }
  return [
    ...expand('/usr/lib/postgresql', ['bin']),
    ...expand('/usr', ['bin'], 'pgsql-'),
    '/usr/local/pgsql/bin',
    ...expand('/opt/homebrew/opt', ['bin'], 'postgresql'),
    ...expand('/usr/local/opt', ['bin'], 'postgresql'),
    ...expand('/Applications/Postgres.app/Contents/Versions', ['bin']),
  ];
}

function splitDirs(value: string | string[] | undefined): string[] {
  if (!value) return [];
  const list = Array.isArray(value) ? value : value.split(delimiter);
  return list.map((d) => d.trim()).filter((d) => d !== '');
}

function isExecutableFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function runVersion(path: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(path, ['--version'], { timeout: 5000, windowsHide: true }, (err, stdout) => {
      resolve(err ? null : String(stdout));
    });
  });
}

/**
 * Every copy of the named client programs, from the clientToolsPath setting, PATH and well-known directories
 * (in that order), each with the version it reports. Copies resolving to the same file are listed once.
 */
export async function discoverClientTools(names: ClientToolName[], opts: DiscoverOptions = {}): Promise<ClientTool[]> {
  const env = opts.env ?? process.env;
  const platform = opts.platform ?? process.platform;
  const exe = platform === 'win32' ? '.exe' : '';
  const dirs: { dir: string; source: ClientTool['source'] }[] = [
    ...splitDirs(opts.clientToolsPath).map((dir) => ({ dir, source: 'setting' as const })),
    ...splitDirs(env.PATH ?? env.Path).map((dir) => ({ dir, source: 'path' as const })),
    ...(opts.wellKnownDirs ?? wellKnownToolDirs(platform)).map((dir) => ({ dir, source: 'well-known' as const })),
  ];
  const seen = new Set<string>();
  const candidates: { name: ClientToolName; path: string; source: ClientTool['source']; wrapper: boolean }[] = [];
  for (const { dir, source } of dirs) {
    if (!existsSync(dir)) continue;
    for (const name of names) {
      const path = join(dir, name + exe);
      if (!isExecutableFile(path)) continue;
      let real: string;
      try {
        real = realpathSync(path);
      } catch {
        continue;
      }
      // Debian's /usr/bin/pg_dump is a wrapper script shared by all programs: key it by name as well.
      const key = `${name}\0${real}`;
      if (seen.has(key)) continue;
      seen.add(key);
      candidates.push({ name, path, source, wrapper: basename(real) === 'pg_wrapper' });
    }
  }
  const versions = await Promise.all(candidates.map((c) => runVersion(c.path)));
  const found: (ClientTool & { wrapper: boolean })[] = [];
  candidates.forEach((c, i) => {
    const v = versions[i] !== null ? parseToolVersion(versions[i]!) : null;
    if (v) found.push({ ...c, version: v });
  });
  // Debian's /usr/bin/pg_dump is pg_wrapper choosing among /usr/lib/postgresql/*/bin: list the real program
  // instead when it is there (same name and version), keep the wrapper otherwise.
  const real = new Set(found.filter((t) => !t.wrapper).map((t) => `${t.name}\0${t.version.text}`));
  return found
    .filter((t) => !t.wrapper || !real.has(`${t.name}\0${t.version.text}`))
    .map(({ wrapper: _w, ...t }) => t);
}
