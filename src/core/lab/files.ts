import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import type { OsUser } from './osUser';

/** Write a file readable only by its owner, owned by the lab OS user. */
export async function writePrivateFile(path: string, text: string, owner?: OsUser): Promise<void> {
  await fs.writeFile(path, text, { mode: 0o600 });
  await fs.chmod(path, 0o600);
  if (owner?.switchUser) await fs.chown(path, owner.uid, owner.gid);
}

/** mkdir -p, then make the leaf belong to the lab OS user with mode 0700. */
export async function ensureOwnedDir(dir: string, owner: OsUser): Promise<void> {
  await fs.mkdir(dirname(dir), { recursive: true }); // parents stay searchable (umask default)
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await fs.chmod(dir, 0o700);
  if (owner.switchUser) await fs.chown(dir, owner.uid, owner.gid);
}

export async function chownTree(path: string, owner: OsUser): Promise<void> {
  if (!owner.switchUser) return;
  await fs.lchown(path, owner.uid, owner.gid);
  const st = await fs.lstat(path);
  if (!st.isDirectory()) return;
  for (const name of await fs.readdir(path)) await chownTree(join(path, name), owner);
}

/**
 * What an online copy of a running data directory leaves out (per the PostgreSQL docs on base backups):
 * the contents of these directories are recreated at start, and pg_wal comes by streaming.
 */
const EMPTY_DIRS = new Set(['pg_wal', 'pg_replslot', 'pg_dynshmem', 'pg_notify', 'pg_serial', 'pg_snapshots', 'pg_stat_tmp', 'pg_subtrans']);
const SKIP_FILES = new Set(['postmaster.pid', 'postmaster.opts', 'backup_label', 'tablespace_map', 'standby.signal', 'recovery.signal', 'current_logfiles', 'postgresql.auto.conf.tmp', 'backup_manifest']);

/**
 * Copy a data directory while its server runs (between pg_backup_start and pg_backup_stop).
 * Files that vanish during the copy are skipped, as PostgreSQL allows.
 */
export async function copyDataDir(src: string, dst: string): Promise<void> {
  await copyDir(src, dst, true);
  await fs.mkdir(join(dst, 'pg_wal', 'archive_status'), { recursive: true, mode: 0o700 });
}

async function copyDir(src: string, dst: string, top: boolean): Promise<void> {
  const st = await fs.stat(src);
  await fs.mkdir(dst, { recursive: true, mode: st.mode & 0o7777 });
  let entries;
  try {
    entries = await fs.readdir(src, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  for (const e of entries) {
    const from = join(src, e.name);
    const to = join(dst, e.name);
    if (e.name.startsWith('pgsql_tmp') || e.name === 'pg_internal.init') continue;
    if (top && SKIP_FILES.has(e.name)) continue;
    try {
      if (e.isDirectory()) {
        if (top && EMPTY_DIRS.has(e.name)) await fs.mkdir(to, { mode: 0o700 });
        else await copyDir(from, to, false);
      } else if (e.isSymbolicLink()) {
        await fs.symlink(await fs.readlink(from), to);
      } else if (e.isFile()) {
        await fs.copyFile(from, to);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
