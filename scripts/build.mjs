// One esbuild context per bundle: extension host (node/cjs, vscode external), CLI (node), webview (browser),
// and the mocha suites that run inside the real extension host (node/cjs, vscode external).
import * as esbuild from 'esbuild';
import { existsSync, rmSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning', legalComments: 'none' };
const bundles = [
  { ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', target: 'node20', external: ['vscode', 'pg-native'] },
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', target: 'node20', external: ['pg-native'], banner: { js: '#!/usr/bin/env node' } },
  { ...common, entryPoints: ['webview/dashboard/main.ts'], outfile: 'dist/webview/dashboard.js', platform: 'browser', format: 'iife', target: 'es2022' },
  { ...common, entryPoints: ['test/e2e/suite/index.ts'], outfile: 'dist/test/e2e/index.js', platform: 'node', format: 'cjs', target: 'node20', external: ['vscode', 'mocha', 'pg-native'] },
].filter((b) => existsSync(b.entryPoints[0]));

if (!watch) rmSync('dist', { recursive: true, force: true });
const contexts = await Promise.all(bundles.map((b) => esbuild.context(b)));
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
  console.log(`watching ${bundles.length} bundles`);
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
  console.log(`built ${bundles.map((b) => b.outfile).join(', ')}`);
}
