/**
 * Entry of the mocha suites that run inside a REAL VS Code extension host:
 * - code-server (test/e2e/run.mjs): the workbench loads this bundle (dist/test/e2e/index.js) through the `payload`
 *   URL parameter and calls run(); the extension host's exit code is the result.
 * - desktop VS Code (@vscode/test-electron): the same run(); with @vscode/test-cli (.vscode-test.mjs) its own mocha
 *   loads this file, finds mocha's globals already defined and registers the suites at once.
 * Suites call describe()/it() when loaded, so they are required only once mocha's globals exist.
 * Env: PGUP_E2E_GREP runs only the tests whose full title matches.
 */
import Mocha from 'mocha';
import { format } from 'node:util';
import * as vscode from 'vscode';
import { stopOwnLab } from './fixtures';

/** The line run.mjs looks for in the extension host's log to count tests. */
export const RESULT_MARKER = 'PGUP_E2E_MOCHA_RESULT';
/** Prefix of the reporter's lines, so run.mjs can tell them from the workbench's own (trace) log lines. */
export const REPORTER_PREFIX = 'PGUP_E2E| ';

function loadSuites(): void {
  // Everything the extension logs, down to trace, reaches its log file: the secret-leak checks read it.
  before(() => vscode.commands.executeCommand('_extensionTests.setLogLevel', 'trace'));
  /* eslint-disable @typescript-eslint/no-require-imports -- lazily, after mocha's globals exist */
  require('./smoke.test');
  require('./explorer.test');
  require('./secrets.test');
  require('./runbook.test');
  require('./dashboard.test');
  require('./poolers.test');
  /* eslint-enable @typescript-eslint/no-require-imports */
  after(() => stopOwnLab());
}

interface Counts {
  passed: number;
  failed: number;
  pending: number;
  failures: string[];
}

export async function run(): Promise<void> {
  Mocha.reporters.Base.consoleLog = (...args: unknown[]) => console.log(REPORTER_PREFIX + format(...args));
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, slow: 5_000, reporter: 'spec' });
  if (process.env.PGUP_E2E_GREP) mocha.grep(process.env.PGUP_E2E_GREP);
  mocha.suite.emit('pre-require', globalThis, 'pg-upgrade-pilot-e2e', mocha);
  loadSuites();
  const counts: Counts = { passed: 0, failed: 0, pending: 0, failures: [] };
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    runner.on('pass', () => { counts.passed++; });
    runner.on('pending', () => { counts.pending++; });
    runner.on('fail', (test, err: unknown) => {
      counts.failed++;
      counts.failures.push(`${test.fullTitle()}: ${err instanceof Error ? err.message : String(err)}`);
    });
  });
  console.log(`${RESULT_MARKER} ${JSON.stringify(counts)}`);
  if (counts.failed > 0) throw new Error(`${counts.failed} e2e test(s) failed`);
}

// Loaded by @vscode/test-cli's own mocha: its globals are already there.
if (typeof (globalThis as { describe?: unknown }).describe === 'function') loadSuites();
