// The dashboard webview at half width (720 px of a 1440 px window) in English and Spanish, in a real browser (Debian
// chromium via playwright-core) under the extension's own HTML and CSP: a run of 11 steps and the schema-drift
// section (issue 9) with "apply stopped by DDL". Asserted on layout, not only shot: the step numbers and titles of
// every row do not overlap and are not clipped, no drift item's DDL collides with its Copy button, nothing scrolls
// sideways; the labels are Spanish under lang=es; the buttons send exactly the protocol's checkDrift/copyDrift.
// Screenshots: test-artifacts/dashboard-half-{en,es}.png.
//   Picked up by test/e2e/run.mjs (exports `tests`); also runs alone: node test/e2e/ui/dashboard-drift-layout.mjs
/* global window, document, MessageEvent, requestAnimationFrame, structuredClone -- inside page.evaluate */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWebviewBundle, ROOT, startHarness } from './dashboard-fixtures/harness.mjs';

const RUN_ID = '20261203-170000-d1f7a0';
const PORTS = process.env.PGUP_E2E_PORT_BASE ? [Number(process.env.PGUP_E2E_PORT_BASE) + 90, Number(process.env.PGUP_E2E_PORT_BASE) + 99] : undefined;
const STEP_TITLES = [
  'Preflight checks on both servers', 'Copy the roles', 'Copy the schema', 'Create the publication on the source',
  'Create the subscription on the target', 'Wait for the initial copy and catch-up', 'Compare the data on both servers',
  'Guarded switchover: freeze, drain, copy sequences, open the target', 'Reverse replication (the way back)',
  'ANALYZE the target', 'Cleanup (drops the way back)',
];

const run = {
  runId: RUN_ID, runbook: 'logical-major-upgrade', title: 'Major upgrade by logical replication', status: 'failed', operator: 'alice (VS Code)',
  startedAt: '2026-12-03T17:00:00.000Z', updatedAt: '2026-12-03T17:20:00.000Z', dryRun: false,
  clusters: [{ role: 'source', name: 'pg14-old', hosts: '127.0.0.1:5432', version: '14.22' }, { role: 'target', name: 'pg16-new', hosts: '127.0.0.1:5433', version: '16.14' }],
  steps: STEP_TITLES.map((title, i) => ({
    id: `s${i}`, title, status: i < 5 ? 'succeeded' : i === 5 ? 'failed' : 'pending',
    ...(i <= 5 ? { startedAt: '2026-12-03T17:00:01.000Z', finishedAt: '2026-12-03T17:00:03.000Z', durationMs: 2250, confirmedBy: 'alice (VS Code)' } : {}),
  })),
  nextStepId: 's5', notes: [], busy: false, phase: 'copying',
};

const DDL = 'ALTER TABLE "public"."Order Items" ADD COLUMN "New col" text DEFAULT \'x\'::text;';
const drift = {
  checkedAt: '2026-12-03T17:20:00.000Z', tookMs: 42, status: 'apply-stopped',
  items: [
    { kind: 'column-missing', object: 'public."Order Items"."New col"', message: 'column public."Order Items"."New col" (text) is missing on the target', ddl: [DDL], breaksReplication: true },
    { kind: 'enum-label-missing', object: 'public.mood', message: 'enum public.mood lacks the label \'ecstatic\' on the target', ddl: ['ALTER TYPE "public"."mood" ADD VALUE \'ecstatic\' AFTER \'happy\';'], breaksReplication: true },
    { kind: 'constraint-missing', object: 'public.orders', message: 'constraint orders_amount_check of public.orders is missing on the target', ddl: [], breaksReplication: false },
  ],
  script: `SET default_transaction_read_only = off;\n${DDL}`,
};

const post = (page, m) => page.evaluate((msg) => window.dispatchEvent(new MessageEvent('message', { data: structuredClone(msg) })), m);

/** Pairs of boxes that overlap (by more than half a pixel). */
function overlapping(boxes) {
  const bad = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i];
      const b = boxes[j];
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 0.5 && h > 0.5) bad.push([a.what, b.what]);
    }
  }
  return bad;
}

async function check(page, artifacts, lang) {
  const harness = await startHarness({ lang, ports: PORTS });
  try {
    await page.setViewportSize({ width: 720, height: 1400 });
    await page.goto(harness.url);
    await page.waitForFunction(() => window.__sent.some((m) => m.type === 'ready'));
    await post(page, { type: 'init', protocol: 1, target: { kind: 'run', runId: RUN_ID }, title: `Upgrade Dashboard: ${RUN_ID}`, pollIntervalMs: 1000, polling: true, history: [], run });
    await post(page, { type: 'drift', drift });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await page.locator('.drift-item').nth(2).waitFor();

    const es = lang === 'es';
    const headline = await page.locator('.drift-headline').textContent();
    assert.match(headline, es ? /^Aplicación detenida por DDL:/ : /^Apply stopped by DDL:/);
    const heading = await page.locator('.drift-section').getAttribute('heading');
    assert.equal(heading, es ? 'Diferencias de esquema' : 'Schema drift');
    assert.equal(await page.locator('.drift-ddl').first().textContent(), DDL, 'the DDL exactly as the host sent it, quoted');
    const headers = await page.evaluate(() => [...document.querySelectorAll('vscode-table-header-cell')].map((c) => c.textContent));
    assert.ok(headers.includes(es ? 'Suscripción' : 'Subscription'), headers.join(', '));
    assert.ok(!es || !headers.includes('Subscription'), `English table headers under lang=es: ${headers.join(', ')}`);
    assert.equal(await page.locator('.drift-copy-all').isVisible(), true);

    const layout = await page.evaluate(() => {
      const box = (el, what) => { const r = el.getBoundingClientRect(); return { what, left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width }; };
      const rows = [...document.querySelectorAll('.run-panel vscode-table-row')].map((row, i) => {
        const cells = [...row.querySelectorAll('vscode-table-cell')];
        return { i, number: cells[0].textContent, clipped: cells[0].scrollWidth > cells[0].clientWidth + 1, boxes: [box(cells[0], `step ${i + 1} number`), box(cells[1], `step ${i + 1} title`)] };
      });
      const items = [...document.querySelectorAll('.drift-item')].map((li, i) => [li.querySelector('.drift-message'), li.querySelector('.drift-ddl'), li.querySelector('.drift-copy')]
        .filter(Boolean).map((el) => box(el, `drift ${i} ${el.className}`)));
      return { rows, items, scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth };
    });
    assert.equal(layout.rows.length, STEP_TITLES.length, 'every step listed');
    for (const r of layout.rows) {
      assert.equal(r.number, String(r.i + 1));
      assert.equal(r.clipped, false, `step number ${r.i + 1} is clipped`);
      assert.deepEqual(overlapping(r.boxes), [], `step ${r.i + 1}: number and title collide`);
    }
    for (const boxes of layout.items) {
      assert.deepEqual(overlapping(boxes), [], 'a drift item\'s message, DDL and Copy button collide');
      for (const b of boxes) assert.ok(b.right <= layout.innerWidth + 0.5, `${b.what} leaves the panel (${b.right} > ${layout.innerWidth})`);
    }
    assert.ok(layout.scrollWidth <= layout.innerWidth, `the page scrolls sideways at half width (${layout.scrollWidth} > ${layout.innerWidth})`);

    await page.evaluate(() => { window.__sent.length = 0; });
    await page.locator('.drift-copy').first().click();
    await page.locator('.drift-check').click();
    assert.deepEqual(await page.evaluate(() => window.__sent), [{ type: 'copyDrift', index: 0 }, { type: 'checkDrift' }]);
    assert.deepEqual(await page.evaluate(() => [...window.__csp, ...window.__errors]), []);
    await page.screenshot({ path: join(artifacts, `dashboard-half-${lang}.png`), fullPage: true });
  } finally {
    await harness.close();
  }
}

export const tests = [
  {
    title: 'dashboard at half width, English: steps and schema drift without collisions; the buttons send checkDrift/copyDrift',
    async run({ page, artifacts }) {
      mkdirSync(artifacts, { recursive: true });
      await buildWebviewBundle();
      await check(page, artifacts, 'en');
    },
  },
  {
    title: 'dashboard at half width, Spanish: the labels in Spanish, the same layout guarantees',
    async run({ page, artifacts }) {
      mkdirSync(artifacts, { recursive: true });
      await buildWebviewBundle();
      await check(page, artifacts, 'es');
    },
  },
];

// Standalone: node test/e2e/ui/dashboard-drift-layout.mjs
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { launchBrowser } = await import('../lib/browser.mjs');
  const artifacts = join(ROOT, 'test-artifacts');
  let failed = 0;
  for (const t of tests) {
    const browser = await launchBrowser({ consoleLog: join(artifacts, 'dashboard-drift-layout-console.log') });
    const start = Date.now();
    try {
      await t.run({ page: browser.page, artifacts });
      console.log(`  ✔ ${t.title} (${((Date.now() - start) / 1000).toFixed(1)} s)`);
    } catch (e) {
      failed++;
      await browser.page.screenshot({ path: join(artifacts, 'dashboard-drift-layout-failure.png') }).catch(() => {});
      console.log(`  ✘ ${t.title}\n${e.stack}`);
    } finally {
      await browser.close();
    }
  }
  process.exit(failed ? 1 : 0);
}
