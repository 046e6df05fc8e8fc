// Debian's chromium driven by playwright-core (no browser download), a fresh profile each time, and the launch of
// mocha suites inside code-server's real extension host through the workbench's `payload` URL parameter.
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format } from 'node:util';
import { chromium } from 'playwright-core';
import { sleep, withTimeout } from './timing.mjs';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

/** Workbench console errors caused by this extension (e.g. a tree view rejecting the provider's elements). */
const EXTENSION_ERROR = /pgUpgradePilot|pg-upgrade-pilot|Element with id cluster\//;
/**
 * The workbench's own tree race, not the provider's: its AsyncDataTree expands (restoring expanded state, or the test's
 * reveal) a node that a whole-tree refresh has just removed, and logs "Data tree node not found" from `expand`
 * (microsoft/vscode#73469, #99051: "the good old data tree node not found error", swallowed there for roots). Seen
 * only on a loaded machine, right after a test removes an expanded cluster on purpose; nothing in the view breaks
 * (the tests assert the tree afterwards). Kept in the console log, not counted as an extension error.
 */
const WORKBENCH_TREE_RACE = /Data tree node not found: 1\/cluster\/[^:]*: Error: TreeError[^\n]*\n\s+at \S+ \([^)]*\)\n\s+at \S+\.expand /;

/**
 * A fresh chromium profile (UI state lives in the profile). Browser console errors and warnings go to `consoleLog`;
 * errors caused by the extension are collected in `extensionErrors`. close() never hangs and removes the profile.
 */
/** Profiles of browsers not closed yet (removed by removeProfilesSync on an abort). */
const profiles = new Set();

export function removeProfilesSync() {
  for (const p of profiles) rmSync(p, { recursive: true, force: true });
  profiles.clear();
}

export async function launchBrowser({ consoleLog, onExtensionError } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'pgup-e2e-chromium-'));
  profiles.add(profile);
  let context;
  try {
    context = await withTimeout(chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1400, height: 900 },
    }), 60_000, 'launching chromium');
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    profiles.delete(profile);
    throw e;
  }
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(45_000); // a loaded shared 2-core machine
  const extensionErrors = [];
  page.on('console', (m) => {
    if (m.type() !== 'error' && m.type() !== 'warning') return;
    if (consoleLog) appendFileSync(consoleLog, `[${m.type()}] ${m.text()}\n`);
    if (m.type() === 'error' && EXTENSION_ERROR.test(m.text()) && !WORKBENCH_TREE_RACE.test(m.text())) {
      extensionErrors.push(m.text());
      onExtensionError?.(m.text());
    }
  });
  page.on('pageerror', (e) => {
    if (consoleLog) appendFileSync(consoleLog, `[pageerror] ${e.message}\n`);
  });
  let closed;
  const close = () => (closed ??= (async () => {
    await Promise.race([context.close().catch(() => {}), sleep(10_000)]);
    rmSync(profile, { recursive: true, force: true });
    profiles.delete(profile);
  })());
  return { context, page, close, extensionErrors };
}

/** The workbench URL that opens `server.workspace` (plus an optional development/test payload). */
export function workbenchUrl(server, payload) {
  let url = `${server.url}/?folder=${encodeURIComponent(server.workspace)}`;
  if (payload) url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return url;
}

function remote(server, absPath) {
  return `vscode-remote://127.0.0.1:${server.port}${absPath}`;
}

/**
 * Loads the extension from `extensionPath` (development mode) and runs `testsPath` (a module exporting run())
 * inside the real extension host. Resolves with the extension host's exit code and every line it logged.
 */
export async function runExtensionTests({ server, extensionPath, testsPath, timeoutMs, artifacts, name, onLog = console.log }) {
  mkdirSync(artifacts, { recursive: true });
  const lines = [];
  const browser = await launchBrowser({
    consoleLog: join(artifacts, `${name}-browser-console.log`),
    onExtensionError: (text) => {
      lines.push(`[workbench error] ${text}`);
      onLog(`[workbench error] ${text}`);
    },
  });
  try {
    let exit;
    const exited = new Promise((resolve) => { exit = resolve; });
    await browser.page.exposeFunction('codeAutomationLog', (_type, args) => {
      const line = Array.isArray(args) ? format(...args) : String(args);
      lines.push(line);
      onLog(line);
    });
    await browser.page.exposeFunction('codeAutomationExit', (code) => exit(Number(code)));
    await browser.page.goto(workbenchUrl(server, [
      ['extensionDevelopmentPath', remote(server, extensionPath)],
      ['extensionTestsPath', remote(server, testsPath)],
    ]));
    try {
      const code = await withTimeout(exited, timeoutMs, `${name} (extension tests)`);
      return { code, lines, extensionErrors: browser.extensionErrors };
    } catch (e) {
      await browser.page.screenshot({ path: join(artifacts, `${name}-timeout.png`) }).catch(() => {});
      throw e;
    }
  } finally {
    await browser.close();
  }
}
