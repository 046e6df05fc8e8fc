/**
 * A real PgBouncer (Debian's /usr/sbin/pgbouncer) in front of a lab server: transaction pooling, SCRAM for clients,
 * an admin console user of its own (`pgbouncer`), run as the lab's OS user (PgBouncer refuses root). Everything lives
 * in one directory: pgbouncer.ini (the file client routing edits), userlist.txt (0600: the lab's passwords, as the
 * lab state file already holds them), the log, the pid file and the unix socket.
 */
import { scramSha256Verifier } from '../scram';
import { quoteLiteral } from '../sql';
import { existsSync, promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { connectLab } from './client';
import { run, runChecked } from './exec';
import { ensureOwnedDir, writePrivateFile } from './files';
import { asUser, ensureLabOsUser } from './osUser';
import { LAB_HOST, assertPortFree, isPortFree } from './ports';
import { generatePassword } from './server';
import type { LabServer } from './types';

export const PGBOUNCER_BIN = process.env.PGPILOT_PGBOUNCER || '/usr/sbin/pgbouncer';
export const PGBOUNCER_ADMIN_USER = 'pgbouncer';
export const PGBOUNCER_FILE = 'pgbouncer.json';

/** A running lab PgBouncer (state kept in <dir>/pgbouncer.json, 0600). */
export interface LabPgBouncer {
  name: string;
  host: string;
  port: number;
  dir: string;
  configFile: string;
  logFile: string;
  pidFile: string;
  osUser: string;
  /** Admin console user and its lab password (the console database is "pgbouncer"). */
  adminUser: string;
  adminPassword: string;
  /** The admin console's connection string, without password. */
  adminConnection: string;
  /** Pooled databases: name → the server it points at when started. */
  databases: Record<string, { host: string; port: number; dbname: string }>;
  poolMode: 'transaction' | 'session' | 'statement';
  /** The lab's application role through the pooler, and its lab password (lab up --pgbouncer). */
  appUser?: string;
  appPassword?: string;
}

export interface StartPgBouncerOptions {
  name?: string;
  port: number;
  dir: string;
  /** The server behind it, and the database names to pool (default: the server's database). */
  server: Pick<LabServer, 'host' | 'port' | 'user' | 'password' | 'database'>;
  databases?: string[];
  /** Client users besides the server's superuser: name → password. */
  users?: Record<string, string>;
  poolMode?: 'transaction' | 'session' | 'statement';
  /** Seconds a client may wait for a server connection (also while PAUSEd). Default 120 (PgBouncer's). */
  queryWaitTimeout?: number;
  defaultPoolSize?: number;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$/;

function quoteUserlist(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

/** pgbouncer.ini for a lab pooler (pure). */
export function renderPgBouncerIni(o: {
  port: number; dir: string; databases: Record<string, { host: string; port: number; dbname: string }>; poolMode: string;
  queryWaitTimeout: number; defaultPoolSize: number; adminUser: string;
}): string {
  const dbLines = Object.entries(o.databases).map(([name, d]) => `${name} = host=${d.host} port=${d.port} dbname=${d.dbname}`);
  return [
    '; PgBouncer for the PostgreSQL Upgrade Pilot lab. Client routing edits the [databases] entries at a switchover.',
    '[databases]',
    ...dbLines,
    '',
    '[pgbouncer]',
    `listen_addr = ${LAB_HOST}`,
    `listen_port = ${o.port}`,
    `unix_socket_dir = ${o.dir}`,
    'auth_type = scram-sha-256',
    `auth_file = ${join(o.dir, 'userlist.txt')}`,
    `admin_users = ${o.adminUser}`,
    `stats_users = ${o.adminUser}`,
    `pool_mode = ${o.poolMode}`,
    'max_client_conn = 400',
    `default_pool_size = ${o.defaultPoolSize}`,
    `query_wait_timeout = ${o.queryWaitTimeout}`,
    'server_reset_query = DISCARD ALL',
    'ignore_startup_parameters = extra_float_digits,options',
    `logfile = ${join(o.dir, 'pgbouncer.log')}`,
    `pidfile = ${join(o.dir, 'pgbouncer.pid')}`,
    '',
  ].join('\n');
}

/** Start a PgBouncer in front of `server` (daemonised); returns once its admin console answers. */
export async function startPgBouncer(opts: StartPgBouncerOptions): Promise<LabPgBouncer> {
  if (!existsSync(PGBOUNCER_BIN)) throw new Error(`PgBouncer is not installed (${PGBOUNCER_BIN}); apt-get install pgbouncer (scripts/install-system-deps.sh)`);
  const names = opts.databases ?? [opts.server.database];
  for (const n of names) if (!NAME.test(n)) throw new Error(`"${n}" is not a database name the lab pooler accepts`);
  await assertPortFree(opts.port);
  const user = await ensureLabOsUser();
  const dir = resolve(opts.dir);
  await ensureOwnedDir(dir, user);
  const adminPassword = generatePassword();
  const databases = Object.fromEntries(names.map((n) => [n, { host: opts.server.host, port: opts.server.port, dbname: n }]));
  const poolMode = opts.poolMode ?? 'transaction';
  const configFile = join(dir, 'pgbouncer.ini');
  await writePrivateFile(configFile, renderPgBouncerIni({
    port: opts.port, dir, databases, poolMode, queryWaitTimeout: opts.queryWaitTimeout ?? 120, defaultPoolSize: opts.defaultPoolSize ?? 20, adminUser: PGBOUNCER_ADMIN_USER,
  }), user);
  const users = { [opts.server.user]: opts.server.password, ...(opts.users ?? {}), [PGBOUNCER_ADMIN_USER]: adminPassword };
  await writePrivateFile(join(dir, 'userlist.txt'), Object.entries(users).map(([u, p]) => `${quoteUserlist(u)} ${quoteUserlist(p)}\n`).join(''), user);
  const [cmd, argv] = asUser(user, PGBOUNCER_BIN, ['-d', '-q', configFile]);
  await runChecked(cmd, argv, { cwd: dir, what: 'pgbouncer', timeoutMs: 30_000 });
  const pooler: LabPgBouncer = {
    name: opts.name ?? 'lab-pgbouncer', host: LAB_HOST, port: opts.port, dir, configFile, logFile: join(dir, 'pgbouncer.log'), pidFile: join(dir, 'pgbouncer.pid'),
    osUser: user.name, adminUser: PGBOUNCER_ADMIN_USER, adminPassword,
    adminConnection: `host=${LAB_HOST} port=${opts.port} dbname=pgbouncer user=${PGBOUNCER_ADMIN_USER}`, databases, poolMode,
  };
  await waitForListening(pooler);
  await writePrivateFile(join(dir, PGBOUNCER_FILE), `${JSON.stringify(pooler, null, 2)}\n`);
  return pooler;
}

async function readPid(pidFile: string): Promise<number | undefined> {
  try {
    const pid = Number((await fs.readFile(pidFile, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function isPgBouncerRunning(p: Pick<LabPgBouncer, 'pidFile'>): Promise<boolean> {
  const pid = await readPid(p.pidFile);
  return pid !== undefined && alive(pid);
}

async function waitForListening(p: LabPgBouncer): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const pid = await readPid(p.pidFile);
    if (pid !== undefined && alive(pid) && !(await isPortFree(p.port))) return;
    if (Date.now() > deadline) {
      const log = await fs.readFile(p.logFile, 'utf8').catch(() => '');
      throw new Error(`PgBouncer did not start listening on ${p.host}:${p.port} within 10 s${log ? `: ${log.trim().split('\n').slice(-5).join('\n')}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stop it (SIGINT: immediate shutdown) and wait until the process is gone (bounded, 10 s). */
export async function stopPgBouncer(p: Pick<LabPgBouncer, 'pidFile'>): Promise<boolean> {
  const pid = await readPid(p.pidFile);
  if (pid === undefined || !alive(pid)) return false;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 10_000;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** The lab pooler recorded in `dir`, if any. */
export async function readLabPgBouncer(dir: string): Promise<LabPgBouncer | undefined> {
  try {
    return JSON.parse(await fs.readFile(join(dir, PGBOUNCER_FILE), 'utf8')) as LabPgBouncer;
  } catch {
    return undefined;
  }
}

/** SIGHUP-free sanity: the pgbouncer binary runs at all (for the lab's status). */
export async function pgBouncerVersion(): Promise<string | undefined> {
  if (!existsSync(PGBOUNCER_BIN)) return undefined;
  const r = await run(PGBOUNCER_BIN, ['--version']).catch(() => undefined);
  return r?.stdout.split('\n')[0]?.trim() || undefined;
}

// ---- the lab's pooler (`lab up … --pgbouncer`) ----

/** The lab pooler listens on port-base + 32 (15432 by default): clear of every server port the lab hands out. */
export const LAB_PGBOUNCER_PORT_OFFSET = 32;
export const LAB_PGBOUNCER_DIR = 'pgbouncer';
/** The application role clients use through the lab pooler (same password on both servers after a role copy). */
export const LAB_APP_ROLE = 'app';

/**
 * Start (or find running) the lab's PgBouncer in front of `server`, pooling its database for the role `app`
 * (created on the server with a generated password; LOGIN, CREATE on public, read/write on all data from 14).
 */
export async function labPgBouncerUp(dir: string, server: LabServer, port: number): Promise<{ pooler: LabPgBouncer; started: boolean }> {
  const pdir = join(dir, LAB_PGBOUNCER_DIR);
  const known = await readLabPgBouncer(pdir);
  if (known && (await isPgBouncerRunning(known))) return { pooler: known, started: false };
  const c = await connectLab(server);
  let appPassword: string;
  try {
    appPassword = generatePassword();
    const exists = (await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [LAB_APP_ROLE])).rowCount;
    // the verifier, not the password: no server log can hold the cleartext
    await c.query(`${exists ? 'ALTER' : 'CREATE'} ROLE ${LAB_APP_ROLE} LOGIN PASSWORD ${quoteLiteral(scramSha256Verifier(appPassword))}`);
    await c.query(`GRANT CREATE ON SCHEMA public TO ${LAB_APP_ROLE}`);
    if (server.major >= 14) await c.query(`GRANT pg_read_all_data, pg_write_all_data TO ${LAB_APP_ROLE}`);
  } finally {
    await c.end();
  }
  const started = await startPgBouncer({ name: 'lab-pgbouncer', port, dir: pdir, server, users: { [LAB_APP_ROLE]: appPassword } });
  const pooler: LabPgBouncer = { ...started, appUser: LAB_APP_ROLE, appPassword };
  await writePrivateFile(join(pdir, PGBOUNCER_FILE), `${JSON.stringify(pooler, null, 2)}\n`);
  return { pooler, started: true };
}

/** pgpass lines for the lab pooler: the admin console and the app role through the pooler. */
export function labPgBouncerPgpass(p: LabPgBouncer): string[] {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
  const lines = [`${p.host}:${p.port}:pgbouncer:${esc(p.adminUser)}:${esc(p.adminPassword)}\n`];
  if (p.appUser && p.appPassword) lines.push(`${p.host}:*:*:${esc(p.appUser)}:${esc(p.appPassword)}\n`);
  return lines;
}

export async function labPgBouncerDown(dir: string, purge = false): Promise<LabPgBouncer | undefined> {
  const pdir = join(dir, LAB_PGBOUNCER_DIR);
  const known = await readLabPgBouncer(pdir);
  const stopped = known && (await stopPgBouncer(known)) ? known : undefined;
  if (purge) await fs.rm(pdir, { recursive: true, force: true });
  return stopped;
}
