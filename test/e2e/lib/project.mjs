// The project steps the e2e run needs before VS Code starts: install code-server, build, package the VSIX, and a
// lab of real PostgreSQL servers (test/helpers/lab.ts, loaded through tsx).
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './code-server.mjs';
import { seconds } from './timing.mjs';

const require = createRequire(import.meta.url);

/** Runs a command (argument array, no shell) in the project root, output inherited; rejects on failure/timeout. */
export function step(title, cmd, args, { timeoutMs, env } = {}) {
  const start = Date.now();
  console.log(`\n--- ${title}`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env }, detached: true });
    const timer = setTimeout(() => {
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
      reject(new Error(`${title} timed out after ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) {
        console.log(`--- ${title}: ${seconds(start)} s`);
        resolve();
      } else {
        reject(new Error(`${title} failed (exit ${code ?? signal})`));
      }
    });
  });
}

export function installCodeServer() {
  return step('install code-server (skipped when present)', 'bash', [join(ROOT, 'scripts/install-code-server.sh')], { timeoutMs: 15 * 60_000 });
}

export function build() {
  return step('build', process.execPath, [join(ROOT, 'scripts/build.mjs')], { timeoutMs: 5 * 60_000 });
}

// Used only while the project has no .vscodeignore of its own (the VSIX must not swallow .cache/ or node_modules/).
const FALLBACK_IGNORE = ['**', '!package.json', '!package.nls*.json', '!README.md', '!CHANGELOG.md', '!LICENSE*',
  '!dist/extension.js', '!dist/webview/**', '!media/**', '!l10n/**', '**/*.map'].join('\n');

/** Packages the built extension as the Marketplace would get it: `vsce package --no-dependencies`. */
export async function packageVsix(outDir) {
  mkdirSync(outDir, { recursive: true });
  const vsix = join(outDir, 'pg-upgrade-pilot.vsix');
  const args = [require.resolve('@vscode/vsce/vsce'), 'package', '--no-dependencies', '--skip-license',
    '--allow-missing-repository', '--no-rewrite-relative-links', '-o', vsix];
  if (!existsSync(join(ROOT, '.vscodeignore'))) {
    const ignore = join(outDir, 'vscodeignore');
    writeFileSync(ignore, FALLBACK_IGNORE);
    args.push('--ignoreFile', ignore);
    console.log('(no .vscodeignore in the project: packaging with a minimal one from test/e2e/lib/project.mjs)');
  }
  await step('vsce package --no-dependencies', process.execPath, args, { timeoutMs: 3 * 60_000 });
  return vsix;
}

/**
 * Starts real PostgreSQL servers (e.g. ['14', '16']) and writes a lab.json file (`{ servers }`, mode 0600) like
 * `npm run lab -- up` does. Returns { servers, file, stop() }.
 */
export async function startLab(versions, portBase, settings = {}) {
  const start = Date.now();
  console.log(`\n--- lab: PostgreSQL ${versions.join(' + ')} from port ${portBase}`);
  const { tsImport } = await import('tsx/esm/api');
  const lab = await tsImport(pathToFileURL(join(ROOT, 'test/helpers/lab.ts')).href, import.meta.url);
  const group = await lab.startTestServers(versions, { portBase, settings });
  const dir = mkdtempSync(join(tmpdir(), 'pgup-e2e-lab-'));
  chmodSync(dir, 0o700);
  const file = join(dir, 'lab.json');
  writeFileSync(file, JSON.stringify({ servers: group.servers }, null, 2), { mode: 0o600 });
  console.log(`--- lab: ${group.servers.map((s) => `${s.name} ${s.version} on ${s.port}`).join(', ')} (${seconds(start)} s)`);
  const stop = async () => {
    try {
      await group.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return { servers: group.servers, file, stop, clientFor: lab.clientFor };
}
