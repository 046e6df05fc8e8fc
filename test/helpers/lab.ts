/**
 * Real PostgreSQL servers for integration tests (the lab's npm builds 12–18), in a private temp directory.
 *
 *   const lab = await startTestServers(['14', '16']);
 *   after(() => lab.stop());
 *   const c = await clientFor(lab.servers[0]);   // end it yourself: await c.end()
 *   const standby = await startTestStandby(lab.servers[1]);   // stopped and removed by lab.stop() as well
 *
 * Ports: from opts.portBase, else $PGPILOT_TEST_PORT_BASE, else 21000, skipping ports already in use.
 * Safety net: servers still running when the process exits are stopped (immediate) and their files removed.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import { connectLab } from '../../src/core/lab/client';
import { resolveBuild } from '../../src/core/lab/binaries';
import { ensureLabOsUser, type OsUser } from '../../src/core/lab/osUser';
import { PortInUseError, isPortFree } from '../../src/core/lab/ports';
import { startServer, stopServer } from '../../src/core/lab/server';
import { startStandby } from '../../src/core/lab/standby';
export { waitForReplay } from '../../src/core/lab/standby';
import type { LabServer } from '../../src/core/lab/types';

export type { LabServer } from '../../src/core/lab/types';
export { stopServer, restartServer, reloadServer, promoteServer, isServerRunning } from '../../src/core/lab/server';

export interface TestServers {
  /** In the order of the versions asked for. */
  servers: LabServer[];
  /** Stop every server of this group (standbys included) and remove its directory. Idempotent. */
  stop(): Promise<void>;
}

export interface TestServerOptions {
  portBase?: number;
  /** Extra postgresql.conf settings for every server (override the fast test defaults). */
  settings?: Record<string, string>;
}

/** Fast and light: tests never need durability across an OS crash. */
export const TEST_SETTINGS: Readonly<Record<string, string>> = {
  fsync: 'off',
  synchronous_commit: 'off',
  shared_buffers: '32MB',
  max_connections: '50',
};

interface Group {
  rootDir: string;
  portBase: number;
  osUser: OsUser;
  settings: Record<string, string>;
  servers: LabServer[]; // primaries and standbys, in start order
  stopped: boolean;
}

const groups = new Set<Group>();
const groupOfPrimary = new Map<string, Group>(); // dataDir → group
const portsTaken = new Set<number>(); // handed out by this process

function defaultPortBase(): number {
  return Number(process.env.PGPILOT_TEST_PORT_BASE) || 21000;
}

async function nextFreePort(from: number): Promise<number> {
  for (let port = from; port < 32768; port++) {
    if (portsTaken.has(port)) continue;
    portsTaken.add(port);
    if (await isPortFree(port)) return port;
    portsTaken.delete(port);
  }
  throw new Error(`no free port on 127.0.0.1 from ${from} up to 32767`);
}

/** Start with the next free port; if another process grabs it first, move on (a few times). */
async function startOnFreePort<T>(from: number, start: (port: number) => Promise<T>): Promise<T> {
  let port = from;
  for (let attempt = 0; ; attempt++) {
    port = await nextFreePort(port);
    try {
      return await start(port);
    } catch (e) {
      if (!(e instanceof PortInUseError) || attempt >= 5) throw e;
      port += 1;
    }
  }
}

/** Start one server per version ("14", "16.12", "pg16old" …), in parallel, each in its own data directory. */
export async function startTestServers(versions: string[], opts: TestServerOptions = {}): Promise<TestServers> {
  const builds = versions.map((v) => resolveBuild(v)); // clear error before anything is created
  const osUser = await ensureLabOsUser();
  const rootDir = mkdtempSync(join(tmpdir(), 'pgpilot-test-'));
  chmodSync(rootDir, 0o755); // the lab OS user must reach the server directories inside
  const group: Group = {
    rootDir, portBase: opts.portBase ?? defaultPortBase(), osUser,
    settings: { ...TEST_SETTINGS, ...(opts.settings ?? {}) }, servers: [], stopped: false,
  };
  groups.add(group);
  const stop = () => stopGroup(group);
  const results = await Promise.allSettled(builds.map((b, i) => {
    const name = `test-${b.alias}${builds.filter((x) => x.alias === b.alias).length > 1 ? `-${i}` : ''}`;
    return startOnFreePort(group.portBase, async (port) => {
      const server = await startServer({ name, version: b.alias, port, baseDir: join(rootDir, `${name}-${port}`), settings: group.settings });
      group.servers.push(server);
      groupOfPrimary.set(server.dataDir, group);
      return server;
    });
  }));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { servers: results.map((r) => (r as PromiseFulfilledResult<LabServer>).value), stop };
}

/** A connected node-postgres client (superuser) for a lab server; the caller must `await client.end()`. */
export function clientFor(server: LabServer, database?: string): Promise<Client> {
  return connectLab(server, database);
}

export interface TestStandbyOptions {
  port?: number; // default: next free port from the group's port base
  slotName?: string; // physical slot on the primary (created if missing)
  settings?: Record<string, string>;
  name?: string;
}

/** A streaming physical standby of a server from startTestServers; returns once it streams. */
export async function startTestStandby(primary: LabServer, opts: TestStandbyOptions = {}): Promise<LabServer> {
  const group = groupOfPrimary.get(primary.dataDir);
  if (!group || group.stopped) throw new Error(`startTestStandby: ${primary.name} was not started by startTestServers (or its group is stopped)`);
  const siblings = group.servers.filter((s) => s.role === 'standby' && s.primaryPort === primary.port).length;
  const name = opts.name ?? `${primary.name}-standby${siblings || ''}`;
  const start = async (port: number) => {
    const standby = await startStandby(primary, {
      port, baseDir: join(group.rootDir, `${name}-${port}`), name, slotName: opts.slotName, settings: opts.settings ?? group.settings,
    });
    group.servers.push(standby);
    groupOfPrimary.set(standby.dataDir, group); // a standby can have standbys too
    return standby;
  };
  return opts.port ? start(opts.port) : startOnFreePort(group.portBase, start);
}

async function stopGroup(group: Group): Promise<void> {
  if (group.stopped) return;
  group.stopped = true;
  const standbys = group.servers.filter((s) => s.role === 'standby');
  const others = group.servers.filter((s) => s.role !== 'standby');
  const errors: unknown[] = [];
  for (const batch of [standbys, others]) {
    const rs = await Promise.allSettled(batch.map((s) => stopServer(s, { mode: 'fast' })));
    for (const r of rs) if (r.status === 'rejected') errors.push(r.reason);
  }
  for (const s of group.servers) {
    portsTaken.delete(s.port);
    groupOfPrimary.delete(s.dataDir);
  }
  rmSync(group.rootDir, { recursive: true, force: true });
  groups.delete(group);
  if (errors.length) throw errors[0];
}

/** Synchronous last resort: immediate stop of every server still running, and its files removed. */
function emergencyStopAll(): void {
  for (const group of groups) {
    for (const s of [...group.servers].reverse()) {
      const args = ['-D', s.dataDir, '-m', 'immediate', '-w', '-t', '30', 'stop'];
      const pgCtl = join(s.binDir, 'pg_ctl');
      const [cmd, argv] = group.osUser.switchUser ? ['runuser', ['-u', group.osUser.name, '--', pgCtl, ...args]] : [pgCtl, args];
      spawnSync(cmd, argv, { stdio: 'ignore', cwd: group.rootDir });
    }
    rmSync(group.rootDir, { recursive: true, force: true });
  }
  groups.clear();
}

// Safety net for a test that failed (or was interrupted) before calling stop(): no lab server outlives the process.
process.once('exit', emergencyStopAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    emergencyStopAll();
    process.kill(process.pid, signal); // our listener is gone: the default action ends the process
  });
}
