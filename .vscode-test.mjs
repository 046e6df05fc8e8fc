// @vscode/test-cli configuration: the SAME mocha suites as test/e2e/run.mjs (code-server), run in a desktop VS Code
// downloaded by @vscode/test-electron. Only where VS Code's update server is reachable (not on the CI machines of
// this project: there `npm run test:e2e` uses code-server, see docs/design.md).
//   npm run build && npx vscode-test            (needs the devDependency @vscode/test-cli)
// The bundle dist/test/e2e/index.js registers every suite when test-cli's mocha loads it; the suites start their
// own lab servers (PostgreSQL 14 + 16 from the npm builds) because PGUP_E2E_LAB is not set here.
// This file deliberately imports nothing: `defineConfig` is an identity function.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const base = mkdtempSync(join(tmpdir(), 'pgup-vscode-test-'));
const userDataDir = join(base, 'user-data');
const workspace = join(base, 'workspace');
mkdirSync(userDataDir, { recursive: true });
mkdirSync(workspace, { recursive: true });

export default [
  {
    label: 'e2e',
    files: 'dist/test/e2e/index.js',
    version: '1.100.3', // the engines.vscode floor; the same VS Code as code-server 4.100.3
    extensionDevelopmentPath: '.',
    workspaceFolder: workspace,
    launchArgs: [`--user-data-dir=${userDataDir}`, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
    env: { PGUP_E2E_USER_DATA_DIR: userDataDir, PGUP_E2E_WORKSPACE: workspace },
    mocha: { ui: 'bdd', timeout: 60_000, slow: 5_000, color: true },
  },
];
