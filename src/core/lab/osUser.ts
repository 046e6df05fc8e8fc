import { promises as fs } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { run } from './exec';

/**
 * The unprivileged OS user the lab runs PostgreSQL as when we are root (initdb/postgres refuse root).
 * $PGPILOT_LAB_OS_USER overrides the name (e.g. when "pgpilot" means something else on that machine).
 */
export const LAB_OS_USER = process.env.PGPILOT_LAB_OS_USER || 'pgpilot';

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
  /** True when commands must be wrapped in `runuser -u NAME --`. */
  switchUser: boolean;
}

let cached: Promise<OsUser> | undefined;

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

async function lookup(name: string): Promise<OsUser | undefined> {
  const uid = await run('id', ['-u', name]);
  const gid = await run('id', ['-g', name]);
  if (uid.code !== 0 || gid.code !== 0) return undefined;
  return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()), switchUser: true };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (!/^[a-z_][a-z0-9_-]{0,30}$/.test(LAB_OS_USER)) throw new Error(`"${LAB_OS_USER}" is not a valid OS user name for the lab`);

/**
 * Cross-process mutex around useradd: concurrent useradd runs for the same name were seen to leave a
 * transient user (another uid) that one of them rolls back. Stale locks (older than 60 s) are taken over.
 */
async function withUseraddLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = join(tmpdir(), `pgpilot-useradd-${LAB_OS_USER}.lock`);
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.writeFile(lock, String(process.pid), { flag: 'wx', mode: 0o600 });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const age = await fs.stat(lock).then((st) => Date.now() - st.mtimeMs, () => 0);
      if (age > 60_000) await fs.rm(lock, { force: true });
      else if (attempt > 600) throw new Error(`timed out waiting for ${lock} (another process creating the OS user "${LAB_OS_USER}")`);
      else await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lock, { force: true });
  }
}

async function createLabUser(): Promise<OsUser> {
  const existing = await lookup(LAB_OS_USER);
  if (existing) return existing;
  return withUseraddLock(async () => {
    let lastError = '';
    for (let attempt = 0; attempt < 20; attempt++) {
      const found = await lookup(LAB_OS_USER);
      if (found) return found;
      // 9: created meanwhile by someone else; 10: /etc/passwd locked by another tool: try again.
      const r = await run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', '--user-group', LAB_OS_USER]);
      if (r.code === 0 || r.code === 9) continue;
      lastError = (r.stderr || r.stdout).trim();
      await sleep(100 + attempt * 50);
    }
    const found = await lookup(LAB_OS_USER);
    if (found) return found;
    throw new Error(`cannot create the OS user "${LAB_OS_USER}" that runs lab servers: ${lastError || 'useradd failed'}`);
  });
}

/** When root: the `pgpilot` user (created once). Otherwise: the current user, used as is. */
export function ensureLabOsUser(): Promise<OsUser> {
  if (!cached) {
    cached = isRoot()
      ? createLabUser()
      : Promise.resolve({ name: userInfo().username, uid: process.getuid?.() ?? -1, gid: process.getgid?.() ?? -1, switchUser: false });
    cached.catch(() => { cached = undefined; });
  }
  return cached;
}

/** Command and arguments that run `file args` as the lab OS user. */
export function asUser(user: OsUser, file: string, args: string[]): [string, string[]] {
  return user.switchUser ? ['runuser', ['-u', user.name, '--', file, ...args]] : [file, args];
}
