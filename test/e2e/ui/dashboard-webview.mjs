// The dashboard webview bundle (dist/webview/dashboard.js) in a real browser (Debian chromium via playwright-core),
// under the extension's own HTML and CSP, fed recorded snapshots of a real PG14 → PG17 subscription, then 10,000
// tables, then theme changes. Checks what the operator sees, that the webview only sends valid protocol messages,
// that its state survives a reload, and that nothing violates the CSP; measures update times; screenshots go to
// test-artifacts/dashboard-*.png.
//   Picked up by test/e2e/run.mjs (exports `tests`); also runs alone: node test/e2e/ui/dashboard-webview.mjs
/* global window, document, performance, requestAnimationFrame, getComputedStyle, MessageEvent, Event, structuredClone, sessionStorage -- inside page.evaluate */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bigSnapshot, buildWebviewBundle, loadSnapshots, loadTs, ROOT, startHarness } from './dashboard-fixtures/harness.mjs';

const RUN_ID = '20260314-210000-a1b2c3';

function runView(overrides = {}) {
  return {
    runId: RUN_ID, runbook: 'logical-major-upgrade', title: 'Major upgrade by logical replication', status: 'paused', operator: 'alice (VS Code)',
    startedAt: '2026-03-14T21:00:00.000Z', updatedAt: '2026-03-14T21:10:00.000Z', dryRun: false,
    clusters: [{ role: 'source', name: 'pg14-old', hosts: '127.0.0.1:5432', version: '14.22' }, { role: 'target', name: 'pg17-new', hosts: '127.0.0.1:5433', version: '17.10' }],
    steps: [
      { id: 'preflight', title: 'Preflight checks on both servers', status: 'succeeded', startedAt: '2026-03-14T21:00:01.000Z', finishedAt: '2026-03-14T21:00:03.000Z', durationMs: 2250, confirmedBy: undefined },
      { id: 'publication', title: 'Create the publication on the source', status: 'succeeded', startedAt: '2026-03-14T21:01:00.000Z', finishedAt: '2026-03-14T21:01:00.300Z', durationMs: 120, confirmedBy: 'alice (VS Code)' },
      { id: 'subscription', title: 'Create the subscription on the target', status: 'pending' },
      { id: 'switchover', title: 'Switch over', status: 'pending' },
    ],
    nextStepId: 'subscription',
    notes: [{ ts: '2026-03-14T21:02:00.000Z', text: 'App team informed <b>not bold</b>', by: 'alice (VS Code)' }],
    busy: false,
    ...overrides,
  };
}

/** Dispatches a message as the host would (structured clone included) and times it until layout is done. */
async function post(page, message) {
  return page.evaluate((m) => {
    const t0 = performance.now();
    window.dispatchEvent(new MessageEvent('message', { data: structuredClone(m) }));
    void document.body.offsetHeight; // style + layout of the update
    return performance.now() - t0;
  }, message);
}

/** Times one update in the page: structured clone (as a message from the host is), handler, layout; then the next frame. */
async function timedPost(page, message) {
  return page.evaluate(async (m) => {
    const t0 = performance.now();
    window.dispatchEvent(new MessageEvent('message', { data: structuredClone(m) }));
    void document.body.offsetHeight;
    const sync = performance.now() - t0;
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return { sync, frame: performance.now() - t0 };
  }, message);
}

const text = (page, sel) => page.locator(sel).first().innerText();
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, median: s[Math.floor(s.length / 2)], p95: s[Math.floor(s.length * 0.95)], max: s[s.length - 1] };
};

export const tests = [
  {
    title: 'dashboard webview in chromium: recorded snapshots, 10,000 tables, themes, protocol, state, CSP',
    async run({ page, artifacts }) {
      mkdirSync(artifacts, { recursive: true });
      await buildWebviewBundle();
      const { parseWebviewMessage } = await loadTs('src/core/protocol/dashboard.ts');
      const { diffTables, compareTableRows } = await loadTs('src/core/monitor/tableDelta.ts');
      // What the host sends: the snapshot, its table rows as a delta against what the webview already holds.
      let held;
      const snapshotMessage = (s) => {
        const { delta, rows } = diffTables(held, s.tables.listed);
        held = rows;
        return { type: 'snapshot', snapshot: { ...s, tables: { ...s.tables, listed: [] } }, tables: delta };
      };
      const harness = await startHarness();
      const pageErrors = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      try {
        await page.setViewportSize({ width: 1300, height: 1000 });
        await page.goto(harness.url);
        await page.waitForFunction(() => window.__sent?.some((m) => m.type === 'ready'), null, { timeout: 20_000 });

        // ---- recorded snapshots of a real subscription, from the initial copy to ready ----
        const snaps = loadSnapshots();
        const target = { kind: 'run', runId: RUN_ID };
        await post(page, { type: 'init', protocol: 1, target, title: 'Upgrade Dashboard: pg14-old → pg17-new', pollIntervalMs: 1000, polling: true, history: [], run: runView() });
        await page.locator('h1', { hasText: 'Upgrade Dashboard: pg14-old → pg17-new' }).waitFor();
        let sawCopy = false;
        for (const s of snaps) {
          await post(page, snapshotMessage(s));
          if (!sawCopy && s.tables.listed.some((t) => t.bytesCopied)) {
            // a table being copied shows its state and the bytes copied so far
            const row = page.locator('.vlist .vlist-row[data-state="d"]').first();
            await row.waitFor();
            assert.match(await row.innerText(), /data copy[\s\S]*\d+(\.\d+)? (B|KiB|MiB)/);
            sawCopy = true;
            await page.screenshot({ path: join(artifacts, 'dashboard-initial-copy.png'), fullPage: true });
          }
        }
        assert.ok(sawCopy, 'the recording has a table in data copy with bytes copied');
        const last = snaps[snaps.length - 1];
        assert.equal(last.ready, true, 'the recording ends ready');
        await page.locator('.vlist-empty', { hasText: 'Every table is ready.' }).waitFor();
        assert.equal(await text(page, '.state-count[data-state="r"] vscode-badge'), '30');
        assert.equal(await text(page, '.verdict'), 'ready to switch over');
        assert.deepEqual(await page.locator('.readiness .check').evaluateAll((els) => els.map((e) => [e.dataset.id, e.classList.contains('ok')])),
          last.readiness.map((r) => [r.id, true]));
        const cards = await page.locator('.cluster-card').allInnerTexts();
        assert.match(cards[0], /pg14-old[\s\S]*PostgreSQL 14\.\d+ · primary/);
        assert.match(cards[1], /pg17-new[\s\S]*PostgreSQL 17\.\d+ · primary/);
        assert.ok(Number(await text(page, '[data-figure="samples"]')) >= 40, 'the chart holds the samples');
        // the run: steps with status, the next one marked; a note shown as text, not HTML
        const stepRows = await page.locator('.run-panel vscode-table-row').allInnerTexts();
        assert.equal(stepRows.length, 4);
        assert.match(stepRows[1], /Create the publication on the source[\s\S]*succeeded[\s\S]*alice \(VS Code\)/);
        assert.equal(await page.locator('.run-panel vscode-table-row.step-next').count(), 1);
        assert.match(await text(page, '.notes'), /App team informed <b>not bold<\/b>/);
        await page.screenshot({ path: join(artifacts, 'dashboard-dark.png'), fullPage: true });

        // ---- buttons send exactly the protocol's messages ----
        await page.locator('vscode-button.run-next').click();
        await page.locator('vscode-button.export-record').click();
        await page.locator('vscode-textarea.note-input').evaluate((el) => { el.value = 'switchover window agreed with the app team'; });
        await page.locator('vscode-button.add-note').click();
        await page.locator('vscode-button.pause').click();
        await page.locator('vscode-button.refresh').click();
        const sent = await page.evaluate(() => window.__sent);
        for (const m of sent) assert.equal(parseWebviewMessage(m).ok, true, `invalid message from the webview: ${JSON.stringify(m)}`);
        assert.deepEqual(sent.map((m) => m.type), ['ready', 'runNextStep', 'exportRecord', 'addNote', 'setPolling', 'refresh']);
        assert.deepEqual(sent[1], { type: 'runNextStep', runId: RUN_ID });
        assert.deepEqual(sent[3], { type: 'addNote', runId: RUN_ID, text: 'switchover window agreed with the app team' });
        assert.deepEqual(sent[4], { type: 'setPolling', polling: false });
        assert.equal(await page.locator('vscode-button.run-next').getAttribute('disabled'), '', 'waits for the host after a click');
        await post(page, { type: 'run', run: runView({ busy: true }) });
        assert.match(await text(page, '.run-next-hint'), /a step is running/);

        // ---- 10,000 tables: summarised counts, a virtualised list, a filter; updates timed ----
        const base = snaps.find((s) => s.subscriptions.length) ?? last;
        // Each tick 50 tables get ready and the copying ones advance; the first message carries all rows.
        const UPDATES = 30;
        held = undefined;
        const full = await timedPost(page, snapshotMessage(bigSnapshot(base, 1)));
        const timings = [];
        for (let i = 2; i <= UPDATES + 1; i++) timings.push(await timedPost(page, snapshotMessage(bigSnapshot(base, i))));
        const lastBig = bigSnapshot(base, UPDATES + 1);
        const notReady = lastBig.tables.total - lastBig.tables.counts.r;
        assert.equal(await text(page, '.filter-count'), `${notReady.toLocaleString('en-US')} not ready`);
        assert.equal(await text(page, '.state-count[data-state="i"] vscode-badge'), lastBig.tables.counts.i.toLocaleString('en-US'));
        const domRows = await page.locator('.vlist .vlist-row').count();
        assert.ok(domRows <= 40, `only the visible rows exist in the DOM (${domRows})`);
        await page.screenshot({ path: join(artifacts, 'dashboard-10000-tables.png'), fullPage: true });
        // filter by name, then by state
        const field = page.locator('vscode-textfield.table-filter input');
        await field.fill('bulk_09999');
        await page.locator('.filter-count', { hasText: `1 of ${notReady.toLocaleString('en-US')} not ready` }).waitFor();
        assert.match(await text(page, '.vlist .vlist-row:not([style*="display: none"])'), /sales\.bulk_09999/);
        await field.fill('');
        await page.locator('vscode-single-select.state-filter').evaluate((el) => { el.value = 'd'; el.dispatchEvent(new Event('change')); });
        const copying = lastBig.tables.listed.filter((t) => t.state === 'd').length;
        await page.locator('.filter-count', { hasText: `${copying} of ${notReady.toLocaleString('en-US')} not ready` }).waitFor();
        await page.locator('vscode-single-select.state-filter').evaluate((el) => { el.value = ''; el.dispatchEvent(new Event('change')); });
        // scrolled to the end, the last table is there
        await page.locator('.vlist').evaluate((el) => { el.scrollTop = el.scrollHeight; el.dispatchEvent(new Event('scroll')); });
        const lastRow = [...lastBig.tables.listed].sort(compareTableRows).at(-1);
        const lastName = `${lastRow.schema}.${lastRow.name}`;
        await page.locator('.vlist .vlist-row .name', { hasText: lastName }).waitFor();

        // ---- state survives the webview being rebuilt (hidden and shown again / window reload) ----
        await field.fill('bulk_0042');
        const saved = await page.evaluate(() => JSON.parse(sessionStorage.getItem('state')));
        assert.deepEqual(saved, { v: 1, target, filter: 'bulk_0042', stateFilter: '' });
        await page.reload();
        await page.waitForFunction(() => window.__sent?.some((m) => m.type === 'ready'));
        assert.equal(await page.locator('vscode-textfield.table-filter').evaluate((el) => el.value), 'bulk_0042');
        await post(page, {
          type: 'init', protocol: 1, target, title: 'Upgrade Dashboard: pg14-old → pg17-new', pollIntervalMs: 1000, polling: true,
          history: snaps.map((s) => s.lag), snapshot: { ...lastBig, tables: { ...lastBig.tables, listed: [] } },
          tables: { reset: true, upsert: lastBig.tables.listed, remove: [] }, run: runView(),
        });
        await page.locator('.filter-count', { hasText: /^\d+ of [\d,]+ not ready$/ }).waitFor();

        // ---- themes: light, high contrast, back to dark; the chart is redrawn in the theme's colours ----
        const shots = {};
        for (const theme of ['vscode-light', 'vscode-high-contrast', 'vscode-dark']) {
          await page.evaluate((t) => { sessionStorage.setItem('theme', t); window.__setTheme(t); }, theme);
          await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
          shots[theme] = {
            background: await page.evaluate(() => getComputedStyle(document.body).backgroundColor),
            chart: await page.locator('canvas.lag-chart').evaluate((c) => c.toDataURL()),
          };
          await page.screenshot({ path: join(artifacts, `dashboard-${theme.replace('vscode-', '')}.png`), fullPage: true });
        }
        assert.equal(shots['vscode-light'].background, 'rgb(255, 255, 255)');
        assert.equal(shots['vscode-high-contrast'].background, 'rgb(0, 0, 0)');
        assert.equal(shots['vscode-dark'].background, 'rgb(31, 31, 31)');
        assert.notEqual(shots['vscode-light'].chart, shots['vscode-dark'].chart, 'the chart follows the theme');

        // ---- nothing blocked by the CSP, no script error ----
        assert.deepEqual(await page.evaluate(() => window.__csp), []);
        assert.deepEqual([...pageErrors, ...await page.evaluate(() => window.__errors)], []);

        const figures = {
          tables: 10_000, listed: notReady, updates: UPDATES, fullList: full,
          sync: stats(timings.map((t) => t.sync)), frame: stats(timings.map((t) => t.frame)),
        };
        writeFileSync(join(artifacts, 'dashboard-webview-timings.json'), `${JSON.stringify(figures, null, 2)}\n`);
        console.log(`      10,000 tables, all rows sent: ${full.sync.toFixed(1)} ms (next frame ${full.frame.toFixed(1)} ms); per tick (handler + layout): median ${figures.sync.median.toFixed(1)} ms, p95 ${figures.sync.p95.toFixed(1)} ms, max ${figures.sync.max.toFixed(1)} ms; `
          + `to the next frame: median ${figures.frame.median.toFixed(1)} ms, max ${figures.frame.max.toFixed(1)} ms`);
      } finally {
        await harness.close();
      }
    },
  },
];

// Standalone: node test/e2e/ui/dashboard-webview.mjs
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { launchBrowser } = await import('../lib/browser.mjs');
  const artifacts = join(ROOT, 'test-artifacts');
  let failed = 0;
  for (const t of tests) {
    const browser = await launchBrowser({ consoleLog: join(artifacts, 'dashboard-webview-console.log') });
    const start = Date.now();
    try {
      await t.run({ page: browser.page, artifacts });
      console.log(`  ✔ ${t.title} (${((Date.now() - start) / 1000).toFixed(1)} s)`);
    } catch (e) {
      failed++;
      await browser.page.screenshot({ path: join(artifacts, 'dashboard-webview-failure.png') }).catch(() => {});
      console.log(`  ✘ ${t.title}\n${e.stack}`);
    } finally {
      await browser.close();
    }
  }
  process.exit(failed ? 1 : 0);
}
