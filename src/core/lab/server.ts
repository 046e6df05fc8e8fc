import { randomBytes, createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { resolveBuild } from './binaries';
import { LAB_CONF_FILE, LAB_INCLUDE_LINE, connectionString, labSettings, renderConf, renderHba, validateSettings } from './conf';
import { run, runChecked } from './exec';
import { ensureOwnedDir, writePrivateFile } from './files';
import { asUser, ensureLabOsUser, type OsUser } from './osUser';
import { LAB_HOST, PortInUseError, assertPortFree, checkPortNumber } from './ports';
import type { InstalledBuild, LabServer, StartServerOptions } from './types';

export const SERVER_FILE = 'server.json';
export const LAB_SUPERUSER = 'postgres';
export const LAB_DATABASE = 'postgres';

/** Where a lab server keeps its things: everything under baseDir (the socket may move to /tmp if the path is long). */
export function labLayout(baseDir: string): { baseDir: string; dataDir: string; logFile: string; socketDir: string; serverFile: string } {
  const b = resolve(baseDir);
  // A unix socket path must stay under ~107 bytes: "<dir>/.s.PGSQL.NNNNN.lock".
  const socketDir = Buffer.byteLength(b) <= 80 ? b : join(tmpdir(), `pgpilot-sock-${createHash('sha256').update(b).digest('hex').slice(0, 12)}`);
  return { baseDir: b, dataDir: join(b, 'data'), logFile: join(b, 'server.log'), socketDir, serverFile: join(b, SERVER_FILE) };
}

export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

/** Environment for lab tools: no PG* variables from the caller's shell (PGPORT, PGDATA … would interfere). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG')) env[k] = v;
  env.LC_ALL = 'C.UTF-8';
  return env;
}

/** Run a lab binary (initdb, pg_ctl …) as the lab OS user, from a directory that user can enter. */
export async function runAsLabUser(user: OsUser, file: string, args: string[], cwd: string, what?: string, timeoutMs?: number) {
  const [cmd, argv] = asUser(user, file, args);
  return runChecked(cmd, argv, { cwd, what: what ?? file.split('/').pop(), timeoutMs, env: cleanEnv() });
}

async function pgCtl(user: OsUser, server: Pick<LabServer, 'binDir' | 'dataDir'>, args: string[], timeoutMs = 90_000) {
  const [cmd, argv] = asUser(user, join(server.binDir, 'pg_ctl'), ['-D', server.dataDir, ...args]);
  return run(cmd, argv, { cwd: dirname(server.dataDir), timeoutMs, env: cleanEnv() });
}

export async function readServerFile(baseDir: string): Promise<LabServer | undefined> {
  try {
    return JSON.parse(await fs.readFile(labLayout(baseDir).serverFile, 'utf8')) as LabServer;
  } catch {
    return undefined;
  }
}

async function writeServerFile(server: LabServer): Promise<void> {
  await writePrivateFile(labLayout(baseDirOf(server)).serverFile, `${JSON.stringify(server, null, 2)}\n`);
}

export function baseDirOf(server: Pick<LabServer, 'baseDir' | 'dataDir'>): string {
  return server.baseDir ?? dirname(server.dataDir);
}

/** True when the server's postmaster is running (pg_ctl status). */
export async function isServerRunning(server: Pick<LabServer, 'binDir' | 'dataDir'>): Promise<boolean> {
  if (!existsSync(join(server.dataDir, 'PG_VERSION'))) return false;
  const user = await ensureLabOsUser();
  return (await pgCtl(user, server, ['status'])).code === 0;
}

async function assertUserCanWrite(user: OsUser, dir: string): Promise<void> {
  if (!user.switchUser) return;
  const r = await run('runuser', ['-u', user.name, '--', 'test', '-w', dir]);
  if (r.code !== 0) {
    throw new Error(`the OS user "${user.name}" that runs lab servers cannot write ${dir} (a parent directory is not searchable by others); choose a directory under ${tmpdir()} or make its parents world-searchable`);
  }
}

async function initDataDir(user: OsUser, build: InstalledBuild, baseDir: string, dataDir: string, password: string): Promise<void> {
  const pwfile = join(baseDir, '.initdb-pw');
  await writePrivateFile(pwfile, `${password}\n`, user);
  try {
    await runAsLabUser(user, join(build.binDir, 'initdb'), [
      '-D', dataDir, '-U', LAB_SUPERUSER, '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C.UTF-8',
    ], baseDir, `initdb (${build.alias} ${build.version})`, 120_000);
  } catch (e) {
    await fs.rm(dataDir, { recursive: true, force: true });
    throw e;
  } finally {
    await fs.rm(pwfile, { force: true });
  }
  const conf = join(dataDir, 'postgresql.conf');
  await fs.appendFile(conf, `\n# pg-upgrade-pilot lab settings (rewritten on every start)\n${LAB_INCLUDE_LINE}\n`);
}

/** (Re)write the lab's include file and pg_hba.conf for this server's port, socket and settings. */
export async function writeServerConfig(user: OsUser, server: LabServer): Promise<void> {
  const lay = labLayout(baseDirOf(server));
  const conf = join(server.dataDir, 'postgresql.conf');
  const text = await fs.readFile(conf, 'utf8');
  if (!text.includes(LAB_INCLUDE_LINE)) await fs.appendFile(conf, `\n${LAB_INCLUDE_LINE}\n`);
  const settings = labSettings(server.major, server.port, server.socketDir ?? lay.socketDir, server.settings);
  await writePrivateFile(join(server.dataDir, LAB_CONF_FILE), renderConf(settings), user);
  await writePrivateFile(join(server.dataDir, 'pg_hba.conf'), renderHba(), user);
}

async function logSize(file: string): Promise<number> {
  try { return (await fs.stat(file)).size; } catch { return 0; }
}

async function logSince(file: string, offset: number): Promise<string> {
  try {
    const buf = await fs.readFile(file);
    return buf.subarray(offset).toString('utf8').trim().split('\n').slice(-12).join('\n');
  } catch {
    return '';
  }
}

/** pg_ctl -w start with the log appended to server.log; a clear error (with the log's tail) when it fails. */
export async function pgCtlStart(user: OsUser, server: LabServer): Promise<void> {
  const lay = labLayout(baseDirOf(server));
  const offset = await logSize(lay.logFile);
  const r = await pgCtl(user, server, ['-l', server.logFile ?? lay.logFile, '-w', '-t', '60', 'start']);
  if (r.code === 0) return;
  const log = await logSince(server.logFile ?? lay.logFile, offset);
  if (/could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(log)) throw new PortInUseError(server.port);
  throw new Error(`lab server ${server.name} (PostgreSQL ${server.version}) did not start: ${(r.stderr || r.stdout).trim()}${log ? `\n--- ${lay.logFile} ---\n${log}` : ''}`);
}

function sameSettings(a: Record<string, string> = {}, b: Record<string, string> = {}): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && String(a[k]) === String(b[k]));
}

/**
 * Start (initialising if needed) a lab server in baseDir. Idempotent: when the same build already runs there on
 * that port it returns the running server untouched (new settings → config rewritten and restarted).
 * Stopped data directory of the same major with other binaries = in-place minor upgrade (allowed).
 */
export async function startServer(opts: StartServerOptions): Promise<LabServer> {
  if (!/^[A-Za-z0-9_.-]+$/.test(opts.name)) throw new Error(`lab server name "${opts.name}" may only use letters, digits, "_", "-" and "."`);
  checkPortNumber(opts.port);
  validateSettings(opts.settings);
  const build = resolveBuild(opts.version);
  const user = await ensureLabOsUser();
  const lay = labLayout(opts.baseDir);
  const existing = await readServerFile(lay.baseDir);

  if (existing && (await isServerRunning(existing))) {
    if (existing.binDir !== build.binDir) {
      throw new Error(`lab server ${existing.name} in ${lay.baseDir} is running PostgreSQL ${existing.version} (${existing.alias ?? existing.binDir}); stop it before starting it with ${build.version} (${build.alias})`);
    }
    if (existing.port !== opts.port) {
      throw new Error(`lab server ${existing.name} in ${lay.baseDir} is already running on port ${existing.port}, not ${opts.port}; stop it first to move it`);
    }
    if (opts.settings === undefined || sameSettings(opts.settings, existing.settings)) return existing;
    const updated: LabServer = { ...existing, settings: { ...opts.settings } };
    await writeServerConfig(user, updated);
    await stopServer(existing);
    await pgCtlStart(user, updated);
    await writeServerFile(updated);
    return updated;
  }

  const hasData = existsSync(join(lay.dataDir, 'PG_VERSION'));
  if (hasData) {
    const dataMajor = Number((await fs.readFile(join(lay.dataDir, 'PG_VERSION'), 'utf8')).trim());
    if (dataMajor !== build.major) {
      throw new Error(`${lay.dataDir} holds a PostgreSQL ${dataMajor} cluster; it cannot be started with ${build.version} (${build.alias}). Use version ${dataMajor} or another directory`);
    }
  }
  const password = existing?.password ?? opts.password;
  if (hasData && !password) {
    throw new Error(`${lay.dataDir} exists but ${lay.serverFile} (with its password) is missing; pass the password or remove ${lay.baseDir}`);
  }
  await assertPortFree(opts.port);
  await ensureOwnedDir(lay.baseDir, user);
  if (lay.socketDir !== lay.baseDir) await ensureOwnedDir(lay.socketDir, user);
  await assertUserCanWrite(user, lay.baseDir);

  const server: LabServer = {
    ...(existing ?? {}),
    name: opts.name,
    version: build.version,
    major: build.major,
    host: LAB_HOST,
    port: opts.port,
    user: LAB_SUPERUSER,
    password: password ?? generatePassword(),
    database: LAB_DATABASE,
    dataDir: lay.dataDir,
    binDir: build.binDir,
    osUser: user.name,
    connection: connectionString(LAB_HOST, opts.port, LAB_SUPERUSER, LAB_DATABASE),
    alias: build.alias,
    baseDir: lay.baseDir,
    logFile: lay.logFile,
    socketDir: lay.socketDir,
    role: existing?.role ?? 'primary',
    settings: { ...(opts.settings ?? existing?.settings ?? {}) },
  };
  if (!hasData) {
    if (existsSync(lay.dataDir)) await fs.rm(lay.dataDir, { recursive: true, force: true }); // a half-made earlier attempt
    await initDataDir(user, build, lay.baseDir, lay.dataDir, server.password);
  }
  await writeServerConfig(user, server);
  try {
    await pgCtlStart(user, server);
  } catch (e) {
    if (!hasData) await fs.rm(lay.dataDir, { recursive: true, force: true });
    throw e;
  }
  await writeServerFile(server);
  return server;
}

export interface StopOptions {
  /** pg_ctl shutdown mode; default "fast" (rolls back open transactions, disconnects clients). */
  mode?: 'smart' | 'fast' | 'immediate';
}

/** Stop a lab server; a no-op when it is not running. */
export async function stopServer(server: Pick<LabServer, 'binDir' | 'dataDir' | 'name'>, opts: StopOptions = {}): Promise<void> {
  if (!(await isServerRunning(server))) return;
  const user = await ensureLabOsUser();
  const r = await pgCtl(user, server, ['-m', opts.mode ?? 'fast', '-w', '-t', '60', 'stop']);
  if (r.code !== 0 && (await isServerRunning(server))) {
    throw new Error(`could not stop lab server ${server.name}: ${(r.stderr || r.stdout).trim()}`);
  }
}

/**
 * Stop and start again. With `version` (e.g. "16.14" for a server made with 16.12) the same data directory is
 * started with other binaries of the same major: an in-place minor upgrade.
 */
export async function restartServer(server: LabServer, opts: { version?: string; settings?: Record<string, string> } & StopOptions = {}): Promise<LabServer> {
  await stopServer(server, opts);
  return startServer({
    name: server.name,
    version: opts.version ?? server.alias ?? server.version,
    port: server.port,
    baseDir: baseDirOf(server),
    password: server.password,
    settings: opts.settings ?? server.settings,
  });
}

/** Re-read the configuration files (pg_ctl reload), e.g. after ALTER SYSTEM or editing the lab settings. */
export async function reloadServer(server: Pick<LabServer, 'binDir' | 'dataDir' | 'name'>): Promise<void> {
  const user = await ensureLabOsUser();
  const r = await pgCtl(user, server, ['reload']);
  if (r.code !== 0) throw new Error(`could not reload lab server ${server.name}: ${(r.stderr || r.stdout).trim()}`);
}

/** Promote a standby (pg_ctl promote -w) and record its new role. */
export async function promoteServer(server: LabServer): Promise<LabServer> {
  const user = await ensureLabOsUser();
  const r = await pgCtl(user, server, ['-w', '-t', '60', 'promote']);
  if (r.code !== 0) throw new Error(`could not promote lab server ${server.name}: ${(r.stderr || r.stdout).trim()}`);
  const promoted: LabServer = { ...server, role: 'primary' };
  delete promoted.primaryPort;
  delete promoted.slotName;
  await writeServerFile(promoted);
  return promoted;
}

export { writeServerFile };
