/**
 * What the e2e suites share inside the extension host: the extension under test, the real PostgreSQL servers
 * (from the lab file test/e2e/run.mjs started, else started here), and the files VS Code writes on disk.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { PgUpgradePilotApi } from '../../../src/extension/extension';
import type { ExplorerNode } from '../../../src/extension/tree/nodes';
import { clientFor, startTestServers, type LabServer, type TestServers } from '../../helpers/lab';

export const EXTENSION_ID = 'pg-upgrade-pilot.pg-upgrade-pilot';
/** Major versions of the lab servers every e2e run has (run.mjs starts the same ones). */
export const LAB_MAJORS = ['14', '16'];

export async function activeExtension<T = unknown>(): Promise<vscode.Extension<T>> {
  const ext = vscode.extensions.getExtension<T>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not installed in this VS Code`);
  await ext.activate();
  return ext;
}

let own: TestServers | undefined;
let ownDir: string | undefined;
let lab: Promise<{ servers: LabServer[]; file: string }> | undefined;

async function loadLab(): Promise<{ servers: LabServer[]; file: string }> {
  const given = process.env.PGUP_E2E_LAB;
  if (given) {
    const { servers } = JSON.parse(readFileSync(given, 'utf8')) as { servers: LabServer[] };
    return { servers, file: given };
  }
  own = await startTestServers(LAB_MAJORS, { portBase: Number(process.env.PGUP_E2E_LAB_PORT_BASE) || 21720 });
  ownDir = mkdtempSync(join(tmpdir(), 'pgup-e2e-lab-'));
  const file = join(ownDir, 'lab.json');
  writeFileSync(file, JSON.stringify({ servers: own.servers }, null, 2), { mode: 0o600 });
  return { servers: own.servers, file };
}

/** The lab servers (PostgreSQL 14 and 16) and a lab.json file listing them, as `npm run lab -- up` writes it. */
export function labServers(): Promise<{ servers: LabServer[]; file: string }> {
  return (lab ??= loadLab());
}

export async function labServer(major: number): Promise<LabServer> {
  const { servers } = await labServers();
  const s = servers.find((x) => x.major === major);
  if (!s) throw new Error(`no lab server of major ${major} (have ${servers.map((x) => x.version).join(', ')})`);
  return s;
}

/** Runs one SQL text as the lab superuser. */
export async function labQuery<R = Record<string, unknown>>(server: LabServer, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = await clientFor(server);
  try {
    return (await client.query(sql, params)).rows as R[];
  } finally {
    await client.end();
  }
}

export async function stopOwnLab(): Promise<void> {
  const servers = own;
  own = undefined;
  lab = undefined;
  await servers?.stop();
  if (ownDir) rmSync(ownDir, { recursive: true, force: true });
  ownDir = undefined;
}

/** VS Code's user data folder (settings, logs): run.mjs / .vscode-test.mjs pass it in PGUP_E2E_USER_DATA_DIR. */
export function userDataDir(): string {
  const dir = process.env.PGUP_E2E_USER_DATA_DIR;
  if (!dir || !existsSync(dir)) throw new Error('PGUP_E2E_USER_DATA_DIR does not name VS Code\'s user data folder');
  return dir;
}

/** Every regular file below `dir` (recursively); missing dir → []. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...filesUnder(p));
    else if (st.isFile()) out.push(p);
  }
  return out;
}

/** Polls `probe` until it returns a value other than undefined, or fails after `ms` with `what`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms / 1000} s waiting for ${what}${last instanceof Error ? ` (last error: ${last.message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

// ---- the extension's test surface: activate() returns PgUpgradePilotApi (src/extension/extension.ts) ----

export async function api(): Promise<PgUpgradePilotApi> {
  return (await activeExtension<PgUpgradePilotApi>()).exports;
}

/** Adds a cluster through the real command (no dialog); returns its id. */
export async function addCluster(args: { name: string; connection: string; password?: string; production?: boolean }): Promise<string> {
  const id = await vscode.commands.executeCommand<string | undefined>('pgUpgradePilot.addCluster', args);
  if (!id) throw new Error(`pgUpgradePilot.addCluster returned no id for "${args.name}"`);
  return id;
}

export async function removeCluster(id: string): Promise<string[]> {
  return (await vscode.commands.executeCommand<string[]>('pgUpgradePilot.removeCluster', { id, skipConfirmation: true })) ?? [];
}

/** Removes every registered cluster (between tests). */
export async function removeAllClusters(): Promise<void> {
  for (const c of (await api()).services.clusters.list()) await removeCluster(c.id);
}

/** The explorer's node of a cluster, searched from the root like the view does (through group nodes). */
export async function clusterNode(clusterId: string): Promise<ExplorerNode | undefined> {
  const { explorer } = await api();
  const queue = [...((await explorer.getChildren()) ?? [])];
  while (queue.length) {
    const node = queue.shift() as ExplorerNode;
    if (node.kind === 'cluster' && node.clusterId === clusterId) return node;
    if (node.kind === 'group') queue.push(...((await explorer.getChildren(node)) ?? []));
  }
  return undefined;
}

/** getChildren of a node, as the view asks for them when the user expands it. */
export async function childrenOf(node: ExplorerNode): Promise<ExplorerNode[]> {
  return (await (await api()).explorer.getChildren(node)) ?? [];
}

export async function treeItemOf(node: ExplorerNode): Promise<vscode.TreeItem> {
  return (await api()).explorer.getTreeItem(node);
}

export function labelOf(item: vscode.TreeItem): string {
  return typeof item.label === 'string' ? item.label : item.label?.label ?? '';
}

/** Log files VS Code wrote for this extension (its LogOutputChannel) and the extension host's own log. */
export function logFiles(): { extension: string[]; extensionHost: string[] } {
  const all = filesUnder(join(userDataDir(), 'logs'));
  return {
    extension: all.filter((p) => p.includes(EXTENSION_ID)),
    extensionHost: all.filter((p) => /exthost\.log$/.test(p)),
  };
}

export function readAll(files: string[]): string {
  return files.map((f) => readFileSync(f, 'utf8')).join('\n');
}
