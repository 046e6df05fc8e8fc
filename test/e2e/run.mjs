// The e2e run (invoked by `node scripts/test.mjs e2e`): the extension in a REAL VS Code (code-server 4.100.3 = the
// VS Code 1.100.3 workbench + Node extension host) against REAL PostgreSQL 14 and 16 from the lab.
//   1. install code-server if missing (scripts/install-code-server.sh), build, package the VSIX;
//   2. start lab servers PG14 + PG16 (lab.json as `npm run lab -- up` writes it);
//   3. mocha suites (dist/test/e2e/index.js) inside the real extension host, extension loaded from the project
//      folder (extensionDevelopmentPath) through the workbench's `payload` URL parameter;
//   4. Playwright UI tests (test/e2e/ui/*.mjs) in Debian chromium against code-server with the VSIX installed,
//      a fresh code-server and a fresh browser profile per test.
// Writes test-artifacts/e2e-result.json ({ passed, failed }) and screenshots/logs to test-artifacts/; exits non-zero
// on any failure. Everything it starts is stopped at the end, also on failure, timeout or Ctrl-C.
// Options: --only=mocha|ui   --grep=TEXT (mocha titles / UI test titles)   --skip-install   --skip-build
// --vsix=FILE (UI tests against that VSIX instead of packaging one)   --verbose (print the
// workbench's and extension host's log lines too; they always go to test-artifacts/e2e/mocha.log)
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchBrowser, removeProfilesSync, runExtensionTests } from './lib/browser.mjs';
import { killAllCodeServersSync, ROOT, startCodeServerInRange } from './lib/code-server.mjs';
import { build, installCodeServer, packageVsix, startLab } from './lib/project.mjs';
import { seconds, withTimeout } from './lib/timing.mjs';

const HARD_TIMEOUT_MS = 25 * 60_000; // a normal run takes ~2.5 min (+1.5 min install on a fresh machine); CI: ~30 min for all
const MOCHA_TIMEOUT_MS = 6 * 60_000;
const UI_TEST_TIMEOUT_MS = 3 * 60_000;
// PGUP_E2E_PORT_BASE moves both (parallel worktrees): code-server on base..base+79, the lab from base+100.
const PORT_BASE = Number(process.env.PGUP_E2E_PORT_BASE) || 21600;
const CODE_SERVER_PORTS = [PORT_BASE, PORT_BASE + 79]; // scripts/bench-activation.mjs uses 21680-21699
const LAB_PORT_BASE = PORT_BASE + 100;
const LAB_VERSIONS = ['14', '16'];
const RESULT_MARKER = 'PGUP_E2E_MOCHA_RESULT'; // printed by test/e2e/suite/index.ts
const WORKBENCH_ERROR = '[workbench error] '; // lib/browser.mjs: console errors the extension caused
const REPORTER_PREFIX = 'PGUP_E2E| '; // mocha reporter lines (index.ts); all lines go to test-artifacts/e2e/mocha.log

const opt = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')).map(([k, v]) => [k, v ?? true]));
const ARTIFACTS = join(ROOT, 'test-artifacts'); // e2e-result.json and the screenshots tests take on purpose
const LOGS = join(ARTIFACTS, 'e2e'); // logs, browser consoles, failure screenshots of this run (emptied at start)
const started = Date.now();
const result = { passed: 0, failed: 0, tests: [] };
const cleanups = [];

function record(title, ok, detail = '', ms = 0) {
  result.tests.push({ title, ok, ms, ...(detail ? { detail } : {}) });
  if (ok) result.passed++; else result.failed++;
  console.log(`${ok ? '  ✔' : '  ✘'} ${title}${ms ? ` (${(ms / 1000).toFixed(1)} s)` : ''}${detail ? `\n      ${detail}` : ''}`);
}

function writeResult() {
  result.seconds = Number(seconds(started));
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(ARTIFACTS, 'e2e-result.json'), `${JSON.stringify(result, null, 2)}\n`);
}

async function cleanup() {
  while (cleanups.length) {
    const fn = cleanups.pop();
    await withTimeout(Promise.resolve().then(fn), 30_000, 'cleanup').catch((e) => console.error(`cleanup: ${e.message}`));
  }
}

function abort(reason) {
  console.error(`\ne2e: ${reason}; stopping everything`);
  record(`e2e run (${reason})`, false);
  writeResult();
  killAllCodeServersSync();
  removeProfilesSync();
  // The lab helper stops its servers from its own 'exit' handler; chromium exits when Playwright's pipe closes.
  process.exit(1);
}
const watchdog = setTimeout(() => abort(`hard timeout of ${HARD_TIMEOUT_MS / 60_000} min reached`), HARD_TIMEOUT_MS);
process.once('SIGINT', () => abort('interrupted (SIGINT)'));
process.once('SIGTERM', () => abort('terminated (SIGTERM)'));

function isNoise(line) {
  return /127\.0\.0\.1:9\b|^Error while resolving configuration file/.test(line) || /^\s+at .*\/static\/out\//.test(line);
}

async function runMochaSuites(lab) {
  const t = Date.now();
  console.log('\n--- mocha suites inside the real extension host');
  const server = await startCodeServerInRange(CODE_SERVER_PORTS, {
    name: 'mocha', artifacts: LOGS,
    env: { PGUP_E2E_LAB: lab.file, ...(typeof opt.grep === 'string' ? { PGUP_E2E_GREP: opt.grep } : {}) },
  });
  cleanups.push(() => server.stop());
  const logLines = [];
  const extensionErrors = []; // with the reporter line printed last before each (the test running then comes next)
  let lastReported = '(before the first test finished)';
  let counts;
  try {
    const { code } = await runExtensionTests({
      server, name: 'mocha', artifacts: LOGS, timeoutMs: MOCHA_TIMEOUT_MS,
      extensionPath: ROOT, testsPath: join(ROOT, 'dist/test/e2e/index.js'),
      onLog: (line) => {
        logLines.push(line);
        if (line.startsWith(RESULT_MARKER)) counts = JSON.parse(line.slice(RESULT_MARKER.length));
        else if (line.startsWith(REPORTER_PREFIX)) {
          console.log(line.slice(REPORTER_PREFIX.length));
          if (line.slice(REPORTER_PREFIX.length).trim()) lastReported = line.slice(REPORTER_PREFIX.length).trim();
        } else if (line.startsWith(WORKBENCH_ERROR)) extensionErrors.push(`${line.slice(WORKBENCH_ERROR.length)} (logged after "${lastReported}")`);
        else if (opt.verbose && !isNoise(line)) console.log(line);
      },
    });
    if (!counts) record('mocha suites reported no result', false, `extension host exit code ${code}`);
    else {
      result.passed += counts.passed;
      result.failed += counts.failed;
      result.tests.push({ title: 'mocha suites', passed: counts.passed, failed: counts.failed, pending: counts.pending, failures: counts.failures });
      if (code !== 0 && counts.failed === 0) record('mocha run exit code', false, `extension host exit code ${code}`);
    }
    record('the workbench logged no error caused by the extension during the mocha suites', extensionErrors.length === 0,
      [...new Set(extensionErrors)].join('\n'));
  } catch (e) {
    record('mocha suites', false, e.message);
  } finally {
    writeFileSync(join(LOGS, 'mocha.log'), `${logLines.join('\n')}\n`);
    await server.stop();
  }
  console.log(`--- mocha suites: ${counts ? `${counts.passed} passed, ${counts.failed} failed, ${counts.pending} pending` : 'no result'} (${seconds(t)} s)`);
}

async function loadUiTests() {
  const dir = join(ROOT, 'test/e2e/ui');
  const files = readdirSync(dir).filter((f) => f.endsWith('.mjs')).sort();
  const tests = [];
  for (const f of files) {
    const mod = await import(pathToFileURL(join(dir, f)).href);
    for (const t of mod.tests ?? []) tests.push({ ...t, file: f });
  }
  return typeof opt.grep === 'string' ? tests.filter((t) => t.title.includes(opt.grep)) : tests;
}

async function runUiTests(lab, vsix) {
  const t = Date.now();
  const tests = await loadUiTests();
  console.log(`\n--- UI tests (Playwright + chromium): ${tests.length}`);
  for (const test of tests) {
    const start = Date.now();
    const slug = test.title.toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 60);
    let server;
    let browser;
    try {
      server = await startCodeServerInRange(CODE_SERVER_PORTS, { name: `ui-${slug}`, artifacts: LOGS, vsix, env: { PGUP_E2E_LAB: lab.file } });
      browser = await launchBrowser({ consoleLog: join(LOGS, `ui-${slug}-browser-console.log`) });
      await withTimeout(test.run({ page: browser.page, server, lab, artifacts: ARTIFACTS }), test.timeoutMs ?? UI_TEST_TIMEOUT_MS, test.title);
      if (browser.extensionErrors.length) throw new Error(`the workbench logged errors caused by the extension:\n${browser.extensionErrors.join('\n')}`);
      record(`UI: ${test.title}`, true, '', Date.now() - start);
    } catch (e) {
      await browser?.page.screenshot({ path: join(LOGS, `ui-${slug}-failure.png`) }).catch(() => {});
      const seen = browser?.extensionErrors.length ? `\nworkbench errors caused by the extension:\n${browser.extensionErrors.join('\n')}` : '';
      record(`UI: ${test.title}`, false, `${e.stack ?? e.message}${seen}`, Date.now() - start);
    } finally {
      await browser?.close();
      await server?.stop();
    }
  }
  console.log(`--- UI tests: ${seconds(t)} s`);
}

async function main() {
  rmSync(LOGS, { recursive: true, force: true });
  rmSync(join(ARTIFACTS, 'explorer.png'), { force: true });
  mkdirSync(LOGS, { recursive: true });
  if (!opt['skip-install']) await installCodeServer();
  const prepStart = Date.now();
  if (!opt['skip-build']) await build();
  const vsix = opt.only === 'mocha' ? undefined : (typeof opt.vsix === 'string' ? opt.vsix : await packageVsix(join(ROOT, '.cache/e2e')));
  const lab = await startLab(LAB_VERSIONS, LAB_PORT_BASE);
  cleanups.push(() => lab.stop());
  console.log(`--- prepared in ${seconds(prepStart)} s`);
  if (opt.only !== 'ui') await runMochaSuites(lab);
  if (opt.only !== 'mocha') await runUiTests(lab, vsix);
}

try {
  await main();
} catch (e) {
  record('e2e setup', false, e.stack ?? e.message);
} finally {
  await cleanup();
  clearTimeout(watchdog);
  writeResult();
  console.log(`\ne2e: ${result.passed} passed, ${result.failed} failed in ${seconds(started)} s`);
  process.exit(result.failed === 0 && result.passed > 0 ? 0 : 1); // nothing left running may keep us alive
}
