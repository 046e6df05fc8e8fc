// A static harness for the dashboard webview bundle in a real browser: the SAME HTML and Content-Security-Policy the
// extension host renders (src/extension/dashboard/html.ts, loaded through tsx), served over http://127.0.0.1 like a
// webview's resource origin, with a fake acquireVsCodeApi that records what the webview sends and keeps its state
// across reloads (sessionStorage), and VS Code's theme variables for dark, light and high contrast.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { tsImport } from 'tsx/esm/api';
import { freePort } from '../../lib/ports.mjs';

export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const PORTS = [22700, 22719];

/** Builds dist/webview/dashboard.js from the current source, with the options of scripts/build.mjs (no dist wipe). */
export async function buildWebviewBundle() {
  await build({
    entryPoints: [join(ROOT, 'webview/dashboard/main.ts')], outfile: join(ROOT, 'dist/webview/dashboard.js'),
    bundle: true, sourcemap: true, platform: 'browser', format: 'iife', target: 'es2022', logLevel: 'warning', legalComments: 'none',
  });
}

export function loadTs(rel) {
  return tsImport(join(ROOT, rel), import.meta.url);
}

const COMMON = {
  '--vscode-font-family': 'system-ui, "Segoe UI", "Ubuntu", "Droid Sans", sans-serif',
  '--vscode-font-size': '13px',
  '--vscode-font-weight': 'normal',
  '--vscode-editor-font-family': '"Droid Sans Mono", monospace',
};

// A subset of VS Code's Dark Modern, Light Modern and High Contrast themes: what the dashboard and the elements read.
export const THEMES = {
  'vscode-dark': {
    '--vscode-foreground': '#cccccc', '--vscode-editor-background': '#1f1f1f', '--vscode-descriptionForeground': '#9d9d9d',
    '--vscode-button-background': '#0078d4', '--vscode-button-foreground': '#ffffff', '--vscode-button-hoverBackground': '#026ec1',
    '--vscode-button-secondaryBackground': '#313131', '--vscode-button-secondaryForeground': '#cccccc', '--vscode-button-border': '#ffffff12',
    '--vscode-badge-background': '#616161', '--vscode-badge-foreground': '#f8f8f8',
    '--vscode-input-background': '#313131', '--vscode-input-foreground': '#cccccc', '--vscode-input-border': '#3c3c3c', '--vscode-input-placeholderForeground': '#989898',
    '--vscode-settings-textInputBackground': '#313131', '--vscode-settings-textInputBorder': '#3c3c3c',
    '--vscode-dropdown-background': '#313131', '--vscode-dropdown-border': '#3c3c3c', '--vscode-dropdown-foreground': '#cccccc', '--vscode-dropdown-listBackground': '#1f1f1f',
    '--vscode-focusBorder': '#0078d4', '--vscode-panel-border': '#2b2b2b', '--vscode-widget-border': '#313131', '--vscode-editorWidget-border': '#454545',
    '--vscode-errorForeground': '#f85149', '--vscode-editorWarning-foreground': '#cca700',
    '--vscode-charts-blue': '#3794ff', '--vscode-charts-green': '#89d185', '--vscode-charts-orange': '#d18616', '--vscode-charts-red': '#f14c4c', '--vscode-charts-yellow': '#cca700',
    '--vscode-testing-iconPassed': '#73c991', '--vscode-testing-iconFailed': '#f14c4c',
    '--vscode-list-hoverBackground': '#2a2d2e', '--vscode-list-activeSelectionBackground': '#04395e', '--vscode-sideBar-background': '#181818',
    '--vscode-sideBarSectionHeader-background': '#181818', '--vscode-sideBarSectionHeader-foreground': '#cccccc', '--vscode-sideBarSectionHeader-border': '#2b2b2b',
    '--vscode-progressBar-background': '#0078d4', '--vscode-editorGroup-border': '#ffffff17', '--vscode-keybindingTable-rowsBackground': '#ffffff0a',
    '--vscode-inputValidation-errorBorder': '#be1100', '--vscode-inputValidation-errorBackground': '#5a1d1d',
    '--vscode-inputValidation-infoBorder': '#1b80b2', '--vscode-inputValidation-infoBackground': '#063b49', '--vscode-icon-foreground': '#cccccc',
    '--vscode-sideBarTitle-foreground': '#cccccc', '--vscode-settings-dropdownBackground': '#313131', '--vscode-settings-dropdownBorder': '#3c3c3c',
    '--vscode-settings-dropdownForeground': '#cccccc', '--vscode-settings-dropdownListBorder': '#454545', '--vscode-settings-textInputForeground': '#cccccc',
    '--vscode-editor-foreground': '#cccccc', '--vscode-list-activeSelectionForeground': '#ffffff', '--vscode-button-secondaryHoverBackground': '#3c3c3c',
  },
  'vscode-light': {
    '--vscode-foreground': '#3b3b3b', '--vscode-editor-background': '#ffffff', '--vscode-descriptionForeground': '#717171',
    '--vscode-button-background': '#005fb8', '--vscode-button-foreground': '#ffffff', '--vscode-button-hoverBackground': '#0258a8',
    '--vscode-button-secondaryBackground': '#e5e5e5', '--vscode-button-secondaryForeground': '#3b3b3b', '--vscode-button-border': '#0000001a',
    '--vscode-badge-background': '#cccccc', '--vscode-badge-foreground': '#3b3b3b',
    '--vscode-input-background': '#ffffff', '--vscode-input-foreground': '#3b3b3b', '--vscode-input-border': '#cecece', '--vscode-input-placeholderForeground': '#767676',
    '--vscode-settings-textInputBackground': '#ffffff', '--vscode-settings-textInputBorder': '#cecece',
    '--vscode-dropdown-background': '#ffffff', '--vscode-dropdown-border': '#cecece', '--vscode-dropdown-foreground': '#3b3b3b', '--vscode-dropdown-listBackground': '#ffffff',
    '--vscode-focusBorder': '#005fb8', '--vscode-panel-border': '#e5e5e5', '--vscode-widget-border': '#e5e5e5', '--vscode-editorWidget-border': '#c8c8c8',
    '--vscode-errorForeground': '#e51400', '--vscode-editorWarning-foreground': '#bf8803',
    '--vscode-charts-blue': '#1a85ff', '--vscode-charts-green': '#388a34', '--vscode-charts-orange': '#d18616', '--vscode-charts-red': '#e51400', '--vscode-charts-yellow': '#bf8803',
    '--vscode-testing-iconPassed': '#388a34', '--vscode-testing-iconFailed': '#e51400',
    '--vscode-list-hoverBackground': '#f2f2f2', '--vscode-list-activeSelectionBackground': '#e8e8e8', '--vscode-sideBar-background': '#f8f8f8',
    '--vscode-sideBarSectionHeader-background': '#f8f8f8', '--vscode-sideBarSectionHeader-foreground': '#3b3b3b', '--vscode-sideBarSectionHeader-border': '#e5e5e5',
    '--vscode-progressBar-background': '#005fb8', '--vscode-editorGroup-border': '#e5e5e5', '--vscode-keybindingTable-rowsBackground': '#0000000a',
    '--vscode-inputValidation-errorBorder': '#be1100', '--vscode-inputValidation-errorBackground': '#f2dede',
    '--vscode-inputValidation-infoBorder': '#1a85ff', '--vscode-inputValidation-infoBackground': '#d6ecf2', '--vscode-icon-foreground': '#3b3b3b',
    '--vscode-sideBarTitle-foreground': '#3b3b3b', '--vscode-settings-dropdownBackground': '#ffffff', '--vscode-settings-dropdownBorder': '#cecece',
    '--vscode-settings-dropdownForeground': '#3b3b3b', '--vscode-settings-dropdownListBorder': '#c8c8c8', '--vscode-settings-textInputForeground': '#3b3b3b',
    '--vscode-editor-foreground': '#3b3b3b', '--vscode-list-activeSelectionForeground': '#000000', '--vscode-button-secondaryHoverBackground': '#cccccc',
  },
  'vscode-high-contrast': {
    '--vscode-foreground': '#ffffff', '--vscode-editor-background': '#000000', '--vscode-descriptionForeground': '#ffffff',
    '--vscode-contrastBorder': '#6fc3df', '--vscode-contrastActiveBorder': '#f38518',
    '--vscode-button-background': '#000000', '--vscode-button-foreground': '#ffffff', '--vscode-button-border': '#6fc3df',
    '--vscode-button-secondaryBackground': '#000000', '--vscode-button-secondaryForeground': '#ffffff',
    '--vscode-badge-background': '#000000', '--vscode-badge-foreground': '#ffffff',
    '--vscode-input-background': '#000000', '--vscode-input-foreground': '#ffffff', '--vscode-input-border': '#6fc3df', '--vscode-input-placeholderForeground': '#ffffffb3',
    '--vscode-settings-textInputBackground': '#000000', '--vscode-settings-textInputBorder': '#6fc3df',
    '--vscode-dropdown-background': '#000000', '--vscode-dropdown-border': '#6fc3df', '--vscode-dropdown-foreground': '#ffffff', '--vscode-dropdown-listBackground': '#000000',
    '--vscode-focusBorder': '#f38518', '--vscode-panel-border': '#6fc3df', '--vscode-widget-border': '#6fc3df', '--vscode-editorWidget-border': '#6fc3df',
    '--vscode-errorForeground': '#f48771', '--vscode-editorWarning-foreground': '#ffd600',
    '--vscode-charts-blue': '#3794ff', '--vscode-charts-green': '#89d185', '--vscode-charts-orange': '#d18616', '--vscode-charts-red': '#f14c4c', '--vscode-charts-yellow': '#ffd600',
    '--vscode-testing-iconPassed': '#73c991', '--vscode-testing-iconFailed': '#f14c4c',
    '--vscode-list-hoverBackground': '#000000', '--vscode-sideBar-background': '#000000', '--vscode-sideBarSectionHeader-background': '#000000',
    '--vscode-sideBarSectionHeader-foreground': '#ffffff', '--vscode-sideBarSectionHeader-border': '#6fc3df',
    '--vscode-progressBar-background': '#6fc3df', '--vscode-editorGroup-border': '#6fc3df', '--vscode-keybindingTable-rowsBackground': '#00000000',
    '--vscode-inputValidation-errorBorder': '#f48771', '--vscode-inputValidation-errorBackground': '#000000',
    '--vscode-inputValidation-infoBorder': '#6fc3df', '--vscode-inputValidation-infoBackground': '#000000', '--vscode-icon-foreground': '#ffffff',
    '--vscode-sideBarTitle-foreground': '#ffffff', '--vscode-settings-dropdownBackground': '#000000', '--vscode-settings-dropdownBorder': '#6fc3df',
    '--vscode-settings-dropdownForeground': '#ffffff', '--vscode-settings-dropdownListBorder': '#6fc3df', '--vscode-settings-textInputForeground': '#ffffff',
    '--vscode-editor-foreground': '#ffffff', '--vscode-list-activeSelectionForeground': '#ffffff', '--vscode-list-focusOutline': '#f38518',
  },
};

/** Runs in the page before the bundle: the fake VS Code API, theme switching, CSP and error recording. */
function prelude(themes) {
  return `(() => {
  const THEMES = ${JSON.stringify(themes)};
  window.__sent = [];
  window.__csp = [];
  window.__errors = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
  window.addEventListener('error', (e) => window.__errors.push(String(e.message)));
  window.__setTheme = (kind) => {
    const vars = THEMES[kind];
    for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
    document.body.classList.remove('vscode-dark', 'vscode-light', 'vscode-high-contrast');
    document.body.classList.add(kind);
    document.body.dataset.vscodeThemeKind = kind;
  };
  const apply = () => window.__setTheme(sessionStorage.getItem('theme') || 'vscode-dark');
  if (document.body) apply(); else document.addEventListener('DOMContentLoaded', apply);
  window.acquireVsCodeApi = () => ({
    postMessage: (m) => window.__sent.push(JSON.parse(JSON.stringify(m))),
    getState: () => JSON.parse(sessionStorage.getItem('state') || 'null') ?? undefined,
    setState: (s) => sessionStorage.setItem('state', JSON.stringify(s)),
  });
})();`;
}

const COMMON_VARS = COMMON;

/** Serves the harness page and the bundle; resolves { url, close }. */
/** opts.lang: the page's <html lang> (the webview's labels follow it); opts.ports: [from, to] instead of PORTS. */
export async function startHarness(opts = {}) {
  const { dashboardHtml, newNonce } = await loadTs('src/extension/dashboard/html.ts');
  const port = await freePort(...(opts.ports ?? PORTS));
  const origin = `http://127.0.0.1:${port}`;
  const themes = Object.fromEntries(Object.entries(THEMES).map(([k, v]) => [k, { ...COMMON_VARS, ...v }]));
  const files = {
    '/dist/webview/dashboard.js': ['dist/webview/dashboard.js', 'text/javascript'],
    '/dist/webview/dashboard.js.map': ['dist/webview/dashboard.js.map', 'application/json'],
    '/media/dashboard.css': ['media/dashboard.css', 'text/css'],
  };
  const server = createServer((req, res) => {
    const path = new URL(req.url, origin).pathname;
    if (path === '/' || path === '/harness.html') {
      const html = dashboardHtml({
        cspSource: origin, nonce: newNonce(), scriptUri: `${origin}/dist/webview/dashboard.js`, styleUri: `${origin}/media/dashboard.css`,
        title: 'Dashboard harness', preludeScript: prelude(themes), lang: opts.lang,
      });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(html);
      return;
    }
    const f = files[path];
    if (!f) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': f[1], 'cache-control': 'no-store' });
    res.end(readFileSync(join(ROOT, f[0])));
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `${origin}/harness.html`,
    close: () => new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections(); // the browser's keep-alive connections would hold close() for seconds
    }),
  };
}

export function loadSnapshots() {
  return JSON.parse(readFileSync(join(ROOT, 'test/e2e/ui/dashboard-fixtures/logical-snapshots.json'), 'utf8'));
}

/**
 * A 10,000-table snapshot in the shape of a recorded one: every table listed, mixed states (a few copying, with
 * bytes), counts to match. `tick` varies the bytes and states so consecutive updates differ.
 */
export function bigSnapshot(base, tick, total = 10_000) {
  const listed = [];
  const counts = { i: 0, d: 0, f: 0, s: 0, r: 0 };
  const readyUpTo = Math.min(total, tick * 50);
  for (let k = 0; k < total; k++) {
    const state = k < readyUpTo ? 'r' : k % 97 === 0 ? 'd' : k % 89 === 0 ? 's' : k % 83 === 0 ? 'f' : 'i';
    counts[state]++;
    if (state === 'r') continue;
    listed.push({
      subscription: 'upgrade_sub', schema: k % 3 ? 'public' : 'sales', name: `bulk_${String(k).padStart(5, '0')}`, state,
      bytesCopied: state === 'd' ? (k * 1013 + tick * 65536) % 50_000_000 : null, since: Date.parse(base.at) - (k % 600) * 1000,
    });
  }
  listed.sort((a, b) => (b.bytesCopied ?? -1) - (a.bytesCopied ?? -1));
  const at = new Date(Date.parse(base.at) + tick * 1000).toISOString();
  const sub = { ...base.subscriptions[0], tableCount: total, states: counts, lagBytes: 3_000_000 + tick * 10_000 };
  return {
    ...base, at, subscriptions: [sub], tables: { counts, total, listed, omitted: 0 },
    lag: { t: Date.parse(at), bytes: 3_000_000 + tick * 10_000, seconds: 2 + tick / 10 }, ready: false,
    readiness: base.readiness.map((r) => (r.id === 'tables-ready' ? { ...r, ok: false, detail: `${total - counts.r} of ${total} tables not ready` } : r)),
  };
}
