/**
 * The logical backup before a minor upgrade: pg_dump --format=directory --jobs=N per database, pg_dumpall
 * --globals-only for roles and tablespaces, each verified with pg_restore --list. Runs on this machine; the
 * password goes in the child's environment only (PGPASSWORD), never in an argument, a plan or the journal.
 */
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { discoverClientTools, runTool, selectDumpTool, type ClientTool, type ToolInvocation } from '../../tools';
import { ClientToolError } from '../../tools/types';

export const MASK = '********';

export interface BackupTools {
  pgDump: ClientTool;
  pgDumpall: ClientTool;
  pgRestore: ClientTool;
}

/** pg_dump/pg_dumpall ≥ the server's major (they refuse newer servers), pg_restore able to read their archives. */
export async function chooseBackupTools(serverMajor: number, clientToolsPath?: string): Promise<BackupTools> {
  const tools = await discoverClientTools(['pg_dump', 'pg_dumpall', 'pg_restore'], { clientToolsPath });
  let pgDump: ClientTool;
  try {
    pgDump = selectDumpTool(tools, 'pg_dump', serverMajor, serverMajor);
  } catch (err) {
    throw new ClientToolError(`${(err as Error).message} Or choose another backup method: cold-copy (a copy of the stopped data directory) or none with a backup of your own.`);
  }
  const pgDumpall = selectDumpTool(tools, 'pg_dumpall', serverMajor, pgDump.version.major);
  const restores = tools.filter((t) => t.name === 'pg_restore' && t.version.major >= pgDump.version.major);
  if (!restores.length) throw new ClientToolError(`pg_restore ${pgDump.version.major} or newer is needed to verify the backup (found none); install postgresql-client-${pgDump.version.major}`);
  const pgRestore = restores.find((t) => t.version.major === pgDump.version.major) ?? restores.sort((a, b) => a.version.major - b.version.major)[0];
  return { pgDump, pgDumpall, pgRestore };
}

/** A directory name for a database's dump: index plus the name's safe characters (names may hold "/" or ".."). */
export function dumpDirName(index: number, database: string): string {
  const safe = database.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_').slice(0, 60) || 'db';
  return `${String(index + 1).padStart(2, '0')}-${safe}.dir`;
}

/** Default location of a pg_dump backup: the user's state directory, one folder per run. */
export function defaultDumpBackupDir(runId: string, env: NodeJS.ProcessEnv = process.env): string {
  const state = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(state, 'pg-upgrade-pilot', 'backups', runId);
}

export interface DumpPlan {
  dir: string;
  globals: ToolInvocation;
  databases: { name: string; dir: string; dump: ToolInvocation; verify: ToolInvocation }[];
}

/** The invocations (password given, or MASK for a plan). `conninfoFor(db)` has no password. */
export function dumpPlan(tools: BackupTools, dir: string, databases: string[], jobs: number, conninfoFor: (db: string) => string, password: string | undefined): DumpPlan {
  const env = { PGAPPNAME: 'pg-upgrade-pilot', ...(password ? { PGPASSWORD: password } : {}) };
  const first = databases[0] ?? 'postgres';
  return {
    dir,
    globals: {
      path: tools.pgDumpall.path,
      args: ['--globals-only', '--no-password', `--file=${join(dir, 'globals.sql')}`, `--dbname=${conninfoFor(first)}`],
      env,
    },
    databases: databases.map((name, i) => {
      const out = join(dir, dumpDirName(i, name));
      return {
        name, dir: out,
        dump: { path: tools.pgDump.path, args: ['--format=directory', `--jobs=${jobs}`, '--no-password', `--file=${out}`, `--dbname=${conninfoFor(name)}`], env },
        verify: { path: tools.pgRestore.path, args: ['--list', out] },
      };
    }),
  };
}

export interface VerifiedDump {
  name: string;
  dir: string;
  tocEntries: number;
  bytes: number;
}

/** pg_restore --list succeeds and lists entries: the archive is complete and readable. */
export async function verifyDumpDir(inv: ToolInvocation, signal?: AbortSignal): Promise<number> {
  const r = await runTool(inv, { signal, timeoutMs: 10 * 60_000 });
  if (r.code !== 0) throw new ClientToolError(`pg_restore --list ${inv.args[inv.args.length - 1]} failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-5).join(' ')}`);
  return r.stdout.split('\n').filter((l) => l.trim() && !l.startsWith(';')).length;
}

export async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await dirBytes(p);
    else if (e.isFile()) total += (await fs.stat(p)).size;
  }
  return total;
}

/** A finished manifest beside the dumps: what they are, for the person who restores them. */
export async function writeManifest(dir: string, manifest: Record<string, unknown>): Promise<void> {
  await fs.writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
}

/** An existing backup directory made by this runbook (manifest.json) or a single pg_dump directory archive. */
export async function findDumpDirs(path: string): Promise<{ name: string; dir: string }[]> {
  try {
    const m = JSON.parse(await fs.readFile(join(path, 'manifest.json'), 'utf8')) as { databases?: { name: string; dir: string }[] };
    if (Array.isArray(m.databases) && m.databases.length) return m.databases.map((d) => ({ name: d.name, dir: d.dir }));
  } catch {
    // not one of ours
  }
  try {
    await fs.access(join(path, 'toc.dat'));
    return [{ name: '(archive)', dir: path }];
  } catch {
    return [];
  }
}

/** The invocation with its secrets shown as ******** (plans, journal). */
export function maskedInvocation(inv: ToolInvocation): { argv: string[]; env?: Record<string, string> } {
  const env = inv.env ? Object.fromEntries(Object.entries(inv.env).map(([k, v]) => [k, k === 'PGPASSWORD' ? MASK : v])) : undefined;
  return { argv: [inv.path, ...inv.args], env };
}
