import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { connectLab } from './client';
import { connectionString, kv, pgpassLine, stripReplicationSettings, validateSettings } from './conf';
import { chownTree, copyDataDir, ensureOwnedDir, writePrivateFile } from './files';
import { ensureLabOsUser } from './osUser';
import { assertPortFree, checkPortNumber } from './ports';
import { isServerRunning, labLayout, pgCtlStart, readServerFile, startServer, writeServerConfig, writeServerFile } from './server';
import type { LabServer, StartStandbyOptions } from './types';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until the primary lists application_name=name as streaming in pg_stat_replication. */
export async function waitForStreaming(primary: LabServer, applicationName: string, timeoutMs = 30_000): Promise<void> {
  const client = await connectLab(primary);
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await client.query<{ state: string }>('SELECT state FROM pg_stat_replication WHERE application_name = $1', [applicationName]);
      if (r.rows.some((row) => row.state === 'streaming')) return;
      if (Date.now() > deadline) {
        throw new Error(`standby ${applicationName} is not streaming from ${primary.name} after ${timeoutMs / 1000} s (state: ${r.rows.map((x) => x.state).join(', ') || 'not connected'})`);
      }
      await sleep(100);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Make a streaming physical standby of a running lab primary, for any major 12–18, with the online file-copy
 * method (pg_backup_start / copy / pg_backup_stop + backup_label), then standby.signal and a minimal
 * primary_conninfo in postgresql.auto.conf whose password lives in a 0600 passfile beside the data directory.
 * Idempotent: a standby already running in baseDir is returned as is.
 */
export async function startStandby(primary: LabServer, opts: StartStandbyOptions): Promise<LabServer> {
  checkPortNumber(opts.port);
  validateSettings(opts.settings);
  const name = opts.name ?? `${primary.name}-standby`;
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`standby name "${name}" may only use letters, digits, "_", "-" and "."`);
  if (opts.slotName !== undefined && !/^[a-z0-9_]{1,63}$/.test(opts.slotName)) {
    throw new Error(`replication slot name "${opts.slotName}" may only use lower-case letters, digits and "_"`);
  }
  const user = await ensureLabOsUser();
  const lay = labLayout(opts.baseDir);
  const existing = await readServerFile(lay.baseDir);
  if (existing && (await isServerRunning(existing))) {
    if (existing.role !== 'standby' || existing.primaryPort !== primary.port) {
      throw new Error(`${lay.baseDir} already holds running lab server ${existing.name}, which is not a standby of ${primary.name}`);
    }
    return existing;
  }
  if (!(await isServerRunning(primary))) throw new Error(`primary ${primary.name} is not running; start it before making a standby`);
  if (existing?.role === 'standby' && existing.primaryPort === primary.port && existsSync(join(lay.dataDir, 'standby.signal'))) {
    // A stopped standby of this primary: start it again, it resumes streaming.
    const restarted = await startServer({ name: existing.name, version: existing.alias ?? existing.version, port: opts.port, baseDir: lay.baseDir, password: existing.password });
    await waitForStreaming(primary, restarted.name, opts.timeoutMs);
    return restarted;
  }
  if (existsSync(lay.dataDir)) {
    throw new Error(`${lay.dataDir} already exists; remove ${lay.baseDir} or choose another directory for the standby`);
  }
  await assertPortFree(opts.port);
  await ensureOwnedDir(lay.baseDir, user);
  if (lay.socketDir !== lay.baseDir) await ensureOwnedDir(lay.socketDir, user);

  const standby: LabServer = {
    ...primary,
    name,
    port: opts.port,
    dataDir: lay.dataDir,
    osUser: user.name,
    connection: connectionString(primary.host, opts.port, primary.user, primary.database),
    baseDir: lay.baseDir,
    logFile: lay.logFile,
    socketDir: lay.socketDir,
    role: 'standby',
    primaryPort: primary.port,
    slotName: opts.slotName,
    settings: { ...(opts.settings ?? primary.settings ?? {}) },
  };
  if (!opts.slotName) delete standby.slotName;

  try {
    await copyOnline(primary, lay.dataDir, opts.slotName);
    await chownTree(lay.dataDir, user);
    const passfile = join(lay.baseDir, 'pgpass');
    await writePrivateFile(passfile, pgpassLine(primary.host, primary.port, primary.user, primary.password), user);
    const conninfo = [
      kv('host', primary.host), kv('port', primary.port), kv('user', primary.user),
      kv('application_name', name), kv('passfile', passfile),
    ].join(' ');
    const autoConf = join(lay.dataDir, 'postgresql.auto.conf');
    const previous = existsSync(autoConf) ? await fs.readFile(autoConf, 'utf8') : '';
    const extra = [`primary_conninfo = '${conninfo.replace(/'/g, "''")}'`];
    if (opts.slotName) extra.push(`primary_slot_name = '${opts.slotName}'`);
    await writePrivateFile(autoConf, `${stripReplicationSettings(previous)}${extra.join('\n')}\n`, user);
    await writePrivateFile(join(lay.dataDir, 'standby.signal'), '', user);
    await writeServerConfig(user, standby);
    await pgCtlStart(user, standby);
  } catch (e) {
    await fs.rm(lay.dataDir, { recursive: true, force: true });
    throw e;
  }
  await writeServerFile(standby);
  await waitForStreaming(primary, name, opts.timeoutMs);
  return standby;
}

/** Online copy of the primary's data directory into dataDir, bracketed by a non-exclusive backup. */
async function copyOnline(primary: LabServer, dataDir: string, slotName?: string): Promise<void> {
  const client = await connectLab(primary);
  try {
    if (slotName) {
      await client.query(
        'SELECT pg_create_physical_replication_slot($1, true) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)',
        [slotName],
      );
    }
    const label = `pgpilot standby ${new Date().toISOString()}`;
    if (primary.major >= 15) await client.query('SELECT pg_backup_start($1, true)', [label]);
    else await client.query('SELECT pg_start_backup($1, true, false)', [label]);
    let stopped = false;
    try {
      await copyDataDir(primary.dataDir, dataDir);
      const r = await client.query<{ labelfile: string; spcmapfile: string | null }>(
        primary.major >= 15
          ? 'SELECT labelfile, spcmapfile FROM pg_backup_stop(true)'
          : 'SELECT labelfile, spcmapfile FROM pg_stop_backup(false, true)',
      );
      stopped = true;
      await fs.writeFile(join(dataDir, 'backup_label'), r.rows[0].labelfile, { mode: 0o600 });
      if (r.rows[0].spcmapfile) await fs.writeFile(join(dataDir, 'tablespace_map'), r.rows[0].spcmapfile, { mode: 0o600 });
    } finally {
      if (!stopped) {
        await client.query(primary.major >= 15 ? 'SELECT pg_backup_stop(false)' : 'SELECT pg_stop_backup(false, false)').catch(() => undefined);
      }
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Wait until the standby has replayed everything inserted on the primary so far (pg_current_wal_insert_lsn:
 * with synchronous_commit=off, pg_current_wal_lsn can lag behind what was just written).
 */
export async function waitForReplay(primary: LabServer, standby: LabServer, timeoutMs = 15_000): Promise<void> {
  const p = await connectLab(primary);
  let target: string;
  try {
    target = (await p.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0].lsn;
  } finally {
    await p.end().catch(() => undefined);
  }
  const s = await connectLab(standby);
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await s.query<{ done: boolean; replayed: string | null }>(
        'SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false) AS done, pg_last_wal_replay_lsn()::text AS replayed', [target],
      );
      if (r.rows[0].done) return;
      if (Date.now() > deadline) {
        throw new Error(`standby ${standby.name} replayed up to ${r.rows[0].replayed ?? 'nothing'}, not ${target}, after ${timeoutMs / 1000} s`);
      }
      await sleep(50);
    }
  } finally {
    await s.end().catch(() => undefined);
  }
}
