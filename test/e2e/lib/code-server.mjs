// Starts code-server 4.100.3 (the real VS Code 1.100.3 workbench + Node extension host) isolated from $HOME and from
// the network: private XDG/TMP folders, user-data and extensions dirs, a gallery URL nobody answers, no telemetry,
// no update checks. Installed by scripts/install-code-server.sh. Facts: /work/shared/notes/real-vscode-on-this-machine.md
import { execFile, spawn } from 'node:child_process';
import { get } from 'node:http';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from './ports.mjs';
import { sleep, withTimeout } from './timing.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const CODE_SERVER_DIR = join(ROOT, '.cache/code-server');
const ENTRY = join(CODE_SERVER_DIR, 'node_modules/code-server/out/node/entry.js');
const VERSION = '4.100.3';

const USER_SETTINGS = {
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'workbench.startupEditor': 'none',
  'workbench.enableExperiments': false,
  'workbench.tips.enabled': false,
  'security.workspace.trust.enabled': false,
};

/** Every code-server started by this process, so an exit handler can still kill them. */
const running = new Set();

export function codeServerVersion() {
  const pkg = join(CODE_SERVER_DIR, 'node_modules/code-server/package.json');
  return existsSync(pkg) ? JSON.parse(readFileSync(pkg, 'utf8')).version : undefined;
}

export function assertCodeServerInstalled() {
  const v = codeServerVersion();
  if (v !== VERSION) {
    throw new Error(`code-server ${VERSION} is not installed in ${CODE_SERVER_DIR} (found ${v ?? 'nothing'}); ` +
      'run: bash scripts/install-code-server.sh');
  }
}

function isolatedEnv(dirs, extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('VSCODE_') && !k.startsWith('ELECTRON_')) env[k] = v;
  }
  return {
    ...env,
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_CACHE_HOME: dirs.cache,
    TMPDIR: dirs.tmp,
    EXTENSIONS_GALLERY: '{"serviceUrl":"http://127.0.0.1:9/gallery","itemUrl":"http://127.0.0.1:9/item"}',
    ...extra,
  };
}

function healthy(url) {
  return new Promise((resolve) => {
    const req = get(`${url}/healthz`, { timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

async function waitHealthy(url, child, logFile, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    if (await healthy(url)) return;
    await sleep(100);
  }
  const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n') : '';
  throw new Error(`code-server did not become healthy at ${url} within ${ms / 1000} s (exit code ${child.exitCode})\n${tail}`);
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // already gone
  }
}

/**
 * @param {object} o
 * @param {string} o.name       label for folders and artifacts
 * @param {number} o.port       127.0.0.1 port (< 32768)
 * @param {string} o.artifacts  where logs are copied when stopped
 * @param {string} [o.vsix]     a .vsix installed offline before start
 * @param {object} [o.userSettings] extra user settings
 * @param {object} [o.env]      extra environment for the server and its extension hosts
 */
export async function startCodeServer({ name, port, artifacts, vsix, userSettings = {}, env = {} }) {
  assertCodeServerInstalled();
  // Short: VS Code's IPC socket lives under TMPDIR and a unix socket path must stay below 108 bytes.
  const base = mkdtempSync(join(tmpdir(), 'pgup-cs-'));
  const dirs = Object.fromEntries(['config', 'data', 'cache', 'tmp', 'user-data', 'extensions', 'workspace']
    .map((d) => [d, join(base, d)]));
  dirs.userData = dirs['user-data'];
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  // Searchable (not listable) by others: lab servers started from inside the extension host run as the lab's OS user
  // and keep their files under this TMPDIR.
  chmodSync(base, 0o711);
  chmodSync(dirs.tmp, 0o711);
  mkdirSync(join(dirs.userData, 'User'), { recursive: true });
  const settingsFile = join(dirs.userData, 'User', 'settings.json');
  writeFileSync(settingsFile, JSON.stringify({ ...USER_SETTINGS, ...userSettings }, null, 2));
  const configFile = join(dirs.config, 'code-server.yaml');
  writeFileSync(configFile, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const url = `http://127.0.0.1:${port}`;
  const procEnv = isolatedEnv(dirs, {
    PGUP_E2E_USER_DATA_DIR: dirs.userData,
    PGUP_E2E_WORKSPACE: dirs.workspace,
    ...env,
  });
  const common = ['--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions];

  if (vsix) {
    await withTimeout(promisify(execFile)(process.execPath, [ENTRY, '--config', configFile, ...common,
      '--install-extension', vsix, '--force'], { env: procEnv }), 120_000, `installing ${vsix}`);
  }

  const logFile = join(base, 'code-server.log');
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [ENTRY,
    '--config', configFile, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--disable-getting-started-override', '--ignore-last-opened', ...common, dirs.workspace,
  ], { env: procEnv, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const server = { name, port, url, dirs, settingsFile, workspace: dirs.workspace, pid: child.pid, child, base, logFile };
  running.add(server);

  let stopped;
  server.stop = () => (stopped ??= (async () => {
    running.delete(server);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      killGroup(child.pid, 'SIGTERM');
      await Promise.race([exited, sleep(5000)]);
    }
    killGroup(child.pid, 'SIGKILL'); // extension hosts would otherwise wait hours for a reconnect
    const dest = join(artifacts, 'logs', name);
    try {
      mkdirSync(dest, { recursive: true });
      cpSync(logFile, join(dest, 'code-server.log'));
      if (existsSync(join(dirs.userData, 'logs'))) cpSync(join(dirs.userData, 'logs'), join(dest, 'vscode'), { recursive: true });
    } catch (e) {
      console.error(`could not copy logs of ${name}: ${e.message}`);
    }
    rmSync(base, { recursive: true, force: true });
  })());

  try {
    await waitHealthy(url, child, logFile, 30_000);
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}

/**
 * startCodeServer on the first free port of [from, to]; if another process takes that port between the check and
 * code-server's bind, tries the next ones (3 attempts).
 */
export async function startCodeServerInRange([from, to], opts) {
  let port = from;
  for (let attempt = 1; ; attempt++) {
    port = await freePort(port, to);
    try {
      return await startCodeServer({ ...opts, port });
    } catch (e) {
      if (attempt >= 3 || !/EADDRINUSE|did not become healthy/.test(e.message)) throw e;
      port += 1;
    }
  }
}

/** Last resort from an 'exit' handler: synchronous SIGKILL of every server's process group. */
export function killAllCodeServersSync() {
  for (const s of running) {
    killGroup(s.pid, 'SIGKILL');
    rmSync(s.base, { recursive: true, force: true });
  }
  running.clear();
}
