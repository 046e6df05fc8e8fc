import { existsSync, promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildsOfMajor, listInstalledBuilds, resolveBuild } from './binaries';
import { pgpassLine } from './conf';
import { writePrivateFile } from './files';
import { assertPortFree, checkPortNumber } from './ports';
import { isServerRunning, startServer, stopServer } from './server';
import { startStandby } from './standby';
import { LAB_PGBOUNCER_DIR, LAB_PGBOUNCER_PORT_OFFSET, labPgBouncerDown, labPgBouncerPgpass, labPgBouncerUp, readLabPgBouncer, type LabPgBouncer } from './pgbouncer';
import type { InstalledBuild, LabServer } from './types';

/** The state file the extension's "Import Lab Clusters" command reads: `{ servers: LabServer[] }`, mode 0600. */
export const LAB_STATE_FILE = 'lab.json';
/** A .pgpass for every lab server (0600), for psql & co: PGPASSFILE=<dir>/pgpass. */
export const LAB_PGPASS_FILE = 'pgpass';
export const DEFAULT_PORT_BASE = 15400;
export const DEFAULT_VERSIONS = ['14', '16'];

export interface LabState {
  servers: LabServer[];
}

export interface LabOptions {
  /** Lab directory; default "<cwd>/.lab". */
  dir?: string;
  /** Default 15400. */
  portBase?: number;
}

export interface LabUpOptions extends LabOptions {
  /** Versions (among those brought up) that also get a streaming standby. */
  standbys?: string[];
  /** Also a real PgBouncer (transaction pooling) in front of the first server, on port-base + 32. */
  pgbouncer?: boolean;
}

export interface LabServerStatus {
  server: LabServer;
  running: boolean;
}

export function labDir(opts: LabOptions = {}): string {
  return resolve(opts.dir ?? join(process.cwd(), '.lab'));
}

/**
 * Port rule: primary = portBase + major (15414, 15416 …); each older installed minor of that major adds 60
 * (16.14 → 15416, 16.12 → 15476); a standby adds 100 to its primary's port (15516).
 */
export function labPort(build: InstalledBuild, portBase: number, builds: InstalledBuild[] = listInstalledBuilds()): number {
  const rank = Math.max(0, buildsOfMajor(build.major, builds).findIndex((b) => b.alias === build.alias));
  return portBase + build.major + 60 * rank;
}

export const STANDBY_PORT_OFFSET = 100;

export function labServerName(build: InstalledBuild): string {
  return `lab-${build.alias}`;
}

export async function readLabState(dir: string): Promise<LabState> {
  try {
    const state = JSON.parse(await fs.readFile(join(dir, LAB_STATE_FILE), 'utf8')) as Partial<LabState>;
    return { servers: Array.isArray(state.servers) ? state.servers : [] };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { servers: [] };
    throw new Error(`${join(dir, LAB_STATE_FILE)} is not a lab state file: ${(e as Error).message}`);
  }
}

async function writeLabState(dir: string, state: LabState): Promise<void> {
  const servers = [...state.servers].sort((a, b) => a.port - b.port);
  await writePrivateFile(join(dir, LAB_STATE_FILE), `${JSON.stringify({ servers }, null, 2)}\n`);
  const pooler = await readLabPgBouncer(join(dir, LAB_PGBOUNCER_DIR));
  await writePrivateFile(join(dir, LAB_PGPASS_FILE), [...servers.map((s) => pgpassLine(s.host, s.port, s.user, s.password)), ...(pooler ? labPgBouncerPgpass(pooler) : [])].join(''));
}

function merge(existing: LabServer[], updated: LabServer[]): LabServer[] {
  const byName = new Map(existing.map((s) => [s.name, s]));
  for (const s of updated) byName.set(s.name, s);
  return [...byName.values()];
}

/**
 * Bring the lab up: one server per version (idempotent: running servers are left alone), optional standbys,
 * state in <dir>/lab.json. Ports are checked before anything starts; if a start still fails, the servers
 * this call started are stopped again.
 */
export async function labUp(versions: string[] = DEFAULT_VERSIONS, opts: LabUpOptions = {}): Promise<{ dir: string; servers: LabServer[]; started: string[]; pgbouncer?: LabPgBouncer }> {
  const dir = labDir(opts);
  const portBase = opts.portBase ?? DEFAULT_PORT_BASE;
  if (!Number.isInteger(portBase)) throw new Error(`--port-base must be an integer, got ${portBase}`);
  const all = listInstalledBuilds();
  const builds = [...new Map((versions.length ? versions : DEFAULT_VERSIONS).map((v) => resolveBuild(v, all)).map((b) => [b.alias, b])).values()];
  const standbyBuilds = (opts.standbys ?? []).map((v) => resolveBuild(v, all));
  for (const sb of standbyBuilds) {
    if (!builds.some((b) => b.alias === sb.alias)) throw new Error(`--standby ${sb.version}: bring up ${sb.version} as well (a standby needs its primary)`);
  }
  const plan = builds.map((b) => ({ build: b, name: labServerName(b), port: labPort(b, portBase, all), baseDir: join(dir, b.alias) }));
  const standbyPlan = standbyBuilds.map((b) => ({
    build: b, name: `${labServerName(b)}-standby`, port: labPort(b, portBase, all) + STANDBY_PORT_OFFSET, baseDir: join(dir, `${b.alias}-standby`),
  }));
  for (const p of [...plan, ...standbyPlan]) checkPortNumber(p.port);

  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  const state = await readLabState(dir);
  const known = new Map(state.servers.map((s) => [s.name, s]));
  const alreadyRunning = new Set<string>();
  for (const p of [...plan, ...standbyPlan]) {
    const s = known.get(p.name);
    if (s && s.port === p.port && (await isServerRunning(s))) alreadyRunning.add(p.name);
    else await assertPortFree(p.port);
  }

  const started: LabServer[] = [];
  try {
    const primaries = await Promise.all(plan.map(async (p) => {
      const s = await startServer({ name: p.name, version: p.build.alias, port: p.port, baseDir: p.baseDir });
      if (!alreadyRunning.has(p.name)) started.push(s);
      return s;
    }));
    const standbys: LabServer[] = [];
    for (const p of standbyPlan) {
      const primary = primaries.find((s) => s.alias === p.build.alias) as LabServer;
      const s = await startStandby(primary, { name: p.name, port: p.port, baseDir: p.baseDir });
      if (!alreadyRunning.has(p.name)) started.push(s);
      standbys.push(s);
    }
    const servers = [...primaries, ...standbys];
    const pgbouncer = opts.pgbouncer ? (await labPgBouncerUp(dir, primaries[0], portBase + LAB_PGBOUNCER_PORT_OFFSET)).pooler : undefined;
    await writeLabState(dir, { servers: merge(state.servers, servers) });
    return { dir, servers, started: started.map((x) => x.name), pgbouncer };
  } catch (e) {
    for (const s of started.reverse()) await stopServer(s).catch(() => undefined);
    throw e;
  }
}

/** Stop every lab server (standbys first). With purge, also delete their directories and the state file. */
export async function labDown(opts: LabOptions & { purge?: boolean } = {}): Promise<{ dir: string; stopped: LabServer[] }> {
  const dir = labDir(opts);
  const state = await readLabState(dir);
  const ordered = [...state.servers.filter((s) => s.role === 'standby'), ...state.servers.filter((s) => s.role !== 'standby')];
  const stopped: LabServer[] = [];
  await labPgBouncerDown(dir, opts.purge);
  for (const s of ordered) {
    if (await isServerRunning(s)) {
      await stopServer(s);
      stopped.push(s);
    }
  }
  if (opts.purge) {
    for (const s of state.servers) {
      const baseDir = s.baseDir ?? resolve(s.dataDir, '..');
      await fs.rm(baseDir, { recursive: true, force: true });
      if (s.socketDir && s.socketDir !== baseDir) await fs.rm(s.socketDir, { recursive: true, force: true });
    }
    await fs.rm(join(dir, LAB_STATE_FILE), { force: true });
    await fs.rm(join(dir, LAB_PGPASS_FILE), { force: true });
    if (existsSync(dir) && (await fs.readdir(dir)).length === 0) await fs.rmdir(dir);
  }
  return { dir, stopped };
}

export async function labStatus(opts: LabOptions = {}): Promise<{ dir: string; servers: LabServerStatus[] }> {
  const dir = labDir(opts);
  const state = await readLabState(dir);
  const servers = await Promise.all(state.servers.map(async (server) => ({ server, running: await isServerRunning(server) })));
  return { dir, servers: servers.sort((a, b) => a.server.port - b.server.port) };
}
