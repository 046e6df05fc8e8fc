// The Upgrade Dashboard in the real workbench (code-server + chromium, extension installed from its VSIX) on a real
// logical upgrade run between the lab's PostgreSQL 14 and 16: the run is started from the palette and paused at its
// first confirmation, then driven from the dashboard's "Run next step" button (each confirmation answered in VS
// Code's own modal dialog, warnings acknowledged) until the subscription's table is ready; polling stops while the
// panel is hidden; the upgrade record is exported from the dashboard and read back from the workspace on disk; then
// the run goes on to the switchover and the cleanup: the phases go preparing → copying → ready → switched over →
// finished, with the switchover's result in a banner.
// Each test gets a fresh code-server and browser profile from test/e2e/run.mjs: run({ page, server, lab, artifacts }).
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acceptStartOptions, answerQuickInput, openWorkbench, quickInput, runCommand } from '../lib/workbench.mjs';

const DB = 'dash_e2e';
const TABLE_ROWS = 20_000;
const EXTENSION = 'pg-upgrade-pilot.pg-upgrade-pilot';
const SOURCE = 'dash pg14';
const TARGET = 'dash pg16';

async function sql(lab, server, db, statements) {
  const c = await lab.clientFor(server, db);
  try {
    for (const s of statements) await c.query(s);
  } finally {
    await c.end();
  }
}

async function one(lab, server, db, text) {
  const c = await lab.clientFor(server, db);
  try {
    return (await c.query(text)).rows[0];
  } finally {
    await c.end();
  }
}

/** Fresh databases on both servers, a table with rows on the source, and both servers writable. */
async function prepare(lab, pg14, pg16) {
  await cleanup(lab, pg14, pg16);
  for (const s of [pg14, pg16]) await sql(lab, s, 'postgres', [`CREATE DATABASE ${DB}`]);
  await sql(lab, pg14, DB, [
    'CREATE TABLE public.dash_orders (id bigserial PRIMARY KEY, note text NOT NULL)',
    `INSERT INTO public.dash_orders (note) SELECT repeat('x', 100) FROM generate_series(1, ${TABLE_ROWS})`,
  ]);
}

/** Leaves the shared lab servers as other tests expect them: no subscription, no slot, writable, no test database. */
async function cleanup(lab, pg14, pg16) {
  for (const s of [pg14, pg16]) {
    await sql(lab, s, 'postgres', ['ALTER SYSTEM RESET default_transaction_read_only', 'SELECT pg_reload_conf()']).catch(() => {});
  }
  await lab.clientFor(pg16, DB).then(async (c) => {
    try {
      const r = await c.query('SELECT subname FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid WHERE d.datname = current_database()');
      for (const { subname } of r.rows) await c.query(`DROP SUBSCRIPTION "${subname.replace(/"/g, '""')}"`);
    } finally {
      await c.end();
    }
  }).catch(() => {}); // no such database yet
  await sql(lab, pg14, 'postgres', [`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '${DB}' AND NOT active`]).catch(() => {});
  for (const s of [pg14, pg16]) await sql(lab, s, 'postgres', [`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`]).catch(() => {});
}

/** Two registered clusters on the test databases; passwords in a private password file (never in settings). */
function registerClusters(server, pg14, pg16) {
  const dir = mkdtempSync(join(tmpdir(), 'pgup-e2e-dash-'));
  const passfile = join(dir, 'pgpass');
  writeFileSync(passfile, [pg14, pg16].map((s) => `${s.host}:${s.port}:*:${s.user}:${s.password}`).join('\n') + '\n');
  chmodSync(passfile, 0o600);
  const conn = (s) => `host=${s.host} port=${s.port} user=${s.user} dbname=${DB} passfile=${passfile}`;
  const settings = JSON.parse(readFileSync(server.settingsFile, 'utf8'));
  settings['pgUpgradePilot.clusters'] = [
    { id: 'dash-e2e-14', name: SOURCE, connection: conn(pg14) },
    { id: 'dash-e2e-16', name: TARGET, connection: conn(pg16) },
  ];
  settings['pgUpgradePilot.dashboard.pollIntervalMs'] = 500;
  writeFileSync(server.settingsFile, JSON.stringify(settings, null, 2));
  return () => rmSync(dir, { recursive: true, force: true });
}

/** The visible dashboard webview (a hidden panel's frame may still be in the page). */
function dashboard(page) {
  return page.frameLocator(`iframe.webview.ready[src*="extensionId=${EXTENSION}"] >> visible=true`).frameLocator('#active-frame');
}

/** VS Code's modal dialog: step confirmations and the warnings to acknowledge (they stay until answered). */
const dialogBox = (page) => page.locator('.monaco-dialog-box');

/** Clicks `button` in the open dialog and waits until it is gone. */
async function answer(page, button) {
  const box = dialogBox(page);
  // a DOM click: the workbench must not depend on the pointer reaching a button (a tall dialog on a small screen)
  await box.locator('.dialog-buttons a.monaco-button', { hasText: new RegExp(`^${button}$`) }).first().evaluate((b) => b.click());
  await box.waitFor({ state: 'detached', timeout: 10_000 }).catch(() => {});
}

/**
 * Answers whatever the run asks right now: a warning → Acknowledge, a confirmation → Run, the typed-name box of a
 * destructive step → the name it asks for. false when nothing is asked.
 */
async function answerAnyQuestion(page, frame) {
  if (await dialogBox(page).isVisible().catch(() => false)) {
    const text = await dialogBox(page).innerText();
    await answer(page, /Warning \d+ of \d+/.test(text) ? 'Acknowledge' : 'Run');
    return true;
  }
  const box = quickInput(page);
  if (await box.isVisible().catch(() => false)) {
    const title = await box.locator('.quick-input-title').innerText().catch(() => '');
    if (/Destructive step|Production cluster/.test(title)) {
      const input = box.locator('.quick-input-box input');
      const expected = await input.getAttribute('placeholder');
      await input.fill(expected ?? '', { timeout: 5000 }).then(() => page.keyboard.press('Enter')).catch(() => undefined);
      return true;
    }
  }
  // the question was hidden (focus moved): it is still pending, and the dashboard's banner brings it back
  const again = frame?.locator('.waiting-banner:not([hidden]) vscode-button.show-question');
  if (again && await again.isVisible().catch(() => false)) {
    // the question may be about to appear (the banner comes first): only a question still unseen is brought back
    await page.waitForTimeout(1500);
    if (await dialogBox(page).isVisible().catch(() => false) || await box.isVisible().catch(() => false)) return true;
    await again.click({ timeout: 3000 }).catch(() => undefined);
    await page.waitForTimeout(500);
    return true;
  }
  return false;
}

/** The phase the dashboard shows as current. */
async function phaseOf(frame) {
  return (await frame.locator('.phases li.current').getAttribute('data-phase').catch(() => null)) ?? '';
}

/** The status cell of a step row in the dashboard's runbook table. */
async function stepStatus(frame, title) {
  const row = frame.locator('.run-panel vscode-table-row:not([hidden])', { hasText: title }).first();
  if (!(await row.count())) return undefined;
  return (await row.locator('vscode-table-cell').nth(2).innerText()).trim();
}

/**
 * Clicks "Run next step" and answers its confirmation (if the step needs one) until `title` has succeeded.
 * Returns the steps that were run through the button.
 */
async function runStepsUntil(page, frame, title, deadlineMs = 300_000) {
  const ran = [];
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if ((await stepStatus(frame, title)) === 'succeeded') return ran;
    const button = frame.locator('vscode-button.run-next');
    await button.waitFor();
    if ((await button.getAttribute('disabled')) !== null) {
      await page.waitForTimeout(300);
      continue;
    }
    const label = (await button.innerText()).replace(/^Run next step:\s*/, '');
    ran.push(label);
    await button.click();
    // Either VS Code asks (a modal, a typed name, warnings to acknowledge) or the step runs at once (read-only).
    for (;;) {
      if (Date.now() > deadline) throw new Error(`timed out running "${label}"`);
      if (await answerAnyQuestion(page, frame)) continue;
      const status = await stepStatus(frame, label);
      const buttonBack = (await button.getAttribute('disabled')) === null;
      if (status === 'failed') throw new Error(`step "${label}" failed: ${await frame.locator('.run-panel').innerText()}`);
      if ((status === 'succeeded' || status === 'skipped') && buttonBack) break;
      if (status === 'succeeded' && label === title) break;
      await page.waitForTimeout(300);
    }
  }
  throw new Error(`"${title}" did not succeed in time`);
}

/** When the dashboard's pooled session on the source last ran a query (its polling). */
async function lastPoll(lab, pg14) {
  const r = await one(lab, pg14, 'postgres',
    `SELECT max(query_start) AS t FROM pg_stat_activity WHERE datname = '${DB}' AND application_name LIKE 'PG Upgrade Pilot%'`);
  return r.t ? new Date(r.t).getTime() : 0;
}

export const tests = [
  {
    title: 'upgrade dashboard of a lab run: steps from the button, a table reaching ready, polling paused while hidden, record exported, phases to finished',
    // a whole run through the UI (~2 min on an idle 2-core machine; far more on a loaded one)
    timeoutMs: 10 * 60_000,
    async run({ page, server, lab, artifacts }) {
      const pg14 = lab.servers.find((s) => s.major === 14);
      const pg16 = lab.servers.find((s) => s.major === 16);
      await prepare(lab, pg14, pg16);
      const forgetPassfile = registerClusters(server, pg14, pg16);
      try {
        await openWorkbench(page, server, { activity: 'PG Upgrade Pilot' }); // the extension's contributions are in

        // Start the run from the palette; preflight runs (read-only), its warnings are acknowledged, the first
        // confirmation is answered "Cancel" (the run pauses).
        await runCommand(page, 'PG Upgrade: Start Logical Upgrade');
        await answerQuickInput(page, SOURCE);
        await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'PostgreSQL 16.' }).first().waitFor({ timeout: 30_000 });
        await answerQuickInput(page, TARGET);
        await acceptStartOptions(page);
        for (const deadline = Date.now() + 90_000; ;) {
          await dialogBox(page).waitFor({ timeout: Math.max(1, deadline - Date.now()) });
          if (!/Warning \d+ of \d+/.test(await dialogBox(page).innerText())) break;
          await answer(page, 'Acknowledge');
        }
        await answer(page, 'Cancel');

        // Open its dashboard (the only run).
        await runCommand(page, 'PG Upgrade: Open Upgrade Dashboard');
        await quickInput(page).waitFor({ state: 'visible' });
        await page.keyboard.press('Enter');
        const frame = dashboard(page);
        await frame.locator('h1', { hasText: 'Upgrade Dashboard' }).waitFor({ timeout: 30_000 });
        assert.equal(await stepStatus(frame, 'Preflight checks on both servers'), 'succeeded');
        assert.equal(await phaseOf(frame), 'preparing');
        assert.equal(await stepStatus(frame, 'Copy the schema to the target (pg_dump --schema-only | psql)'), 'pending', 'a declined step is not shown as running');
        const cards = await frame.locator('.cluster-card').allInnerTexts();
        assert.match(cards[0], new RegExp(`${SOURCE}[\\s\\S]*PostgreSQL 14\\.`));
        assert.match(cards[1], new RegExp(`${TARGET}[\\s\\S]*PostgreSQL 16\\.`));
        await frame.locator('.readiness .check[data-id="tables-ready"]', { hasText: 'no subscription on the target yet' }).waitFor();

        // Drive the run from the button up to the subscription; its table reaches "ready" on the dashboard.
        const ran = await runStepsUntil(page, frame, 'Freeze the target and subscribe it to the source');
        assert.ok(ran.includes('Create the publication on the source'), `steps run from the button: ${ran.join(' | ')}`);
        await frame.locator('.vlist-empty', { hasText: 'Every table is ready.' }).waitFor({ timeout: 60_000 });
        await frame.locator('.readiness .check.ok[data-id="tables-ready"]', { hasText: 'the only table ready' }).waitFor();
        assert.equal(await frame.locator('.state-count[data-state="r"] vscode-badge').innerText(), '1');
        assert.match(await phaseOf(frame), /^(copying|catching-up)$/, 'subscribed: copying or catching up');
        await page.screenshot({ path: join(artifacts, 'dashboard-codeserver-ready.png') });

        // Hidden (another editor in front): no polling. Shown again: polling resumes.
        assert.ok(Date.now() - (await lastPoll(lab, pg14)) < 3000, 'the dashboard polls while visible');
        await page.keyboard.press('Control+N'); // a new untitled editor covers the dashboard
        await page.waitForTimeout(4000); // a tick already in flight when the panel was hidden may finish late on a loaded machine
        const hiddenSince = await lastPoll(lab, pg14);
        await page.waitForTimeout(3000);
        assert.equal(await lastPoll(lab, pg14), hiddenSince, 'no query while the panel is hidden');
        await page.locator('.tabs-container .tab', { hasText: 'Upgrade Dashboard' }).first().click();
        const back = await dashboard(page).locator('h1', { hasText: 'Upgrade Dashboard' });
        await back.waitFor({ timeout: 30_000 });
        await page.waitForTimeout(2000);
        assert.ok((await lastPoll(lab, pg14)) > hiddenSince, 'polling resumed once shown');

        // One more step (read-only: no confirmation), then the record from the dashboard's button.
        await runStepsUntil(page, dashboard(page), 'Wait for the initial copy and the catch-up');
        await dashboard(page).locator('.phases li.current[data-phase="ready"]').waitFor({ timeout: 30_000 });
        await dashboard(page).locator('vscode-button.export-record').click();
        const dir = join(server.workspace, 'upgrade-records');
        const deadline = Date.now() + 30_000;
        while (!(existsSync(dir) && readdirSync(dir).length) && Date.now() < deadline) await page.waitForTimeout(300);
        const files = existsSync(dir) ? readdirSync(dir) : [];
        assert.equal(files.length, 1, `one record in ${dir}`);
        assert.match(files[0], /^\d{4}-\d{2}-\d{2}-dash-pg14-to-dash-pg16\.md$/);
        const record = readFileSync(join(dir, files[0]), 'utf8');
        writeFileSync(join(artifacts, 'dashboard-codeserver-record.md'), record);
        assert.match(record, /^# Upgrade record: Major upgrade by logical replication$/m);
        assert.match(record, /- \*\*PostgreSQL version:\*\* 14\.\d+ → 16\.\d+/);
        assert.match(record, new RegExp(`- \\*\\*source:\\*\\* ${SOURCE} — 127\\.0\\.0\\.1:${pg14.port}`));
        for (const step of ['Preflight checks on both servers', 'Create the publication on the source', 'Freeze the target and subscribe it to the source', 'Wait for the initial copy and the catch-up']) {
          assert.match(record, new RegExp(`\\| \\d+ \\| ${step.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\| .* \\| succeeded`), `timeline row of ${step}`);
        }
        assert.match(record, /CREATE PUBLICATION/);
        // a superuser target: the password is in a private file the target writes on its host, never in the connection
        assert.match(record, /CREATE SUBSCRIPTION[^\n]*passfile=[^\n ]+\.pgpass/);
        assert.match(record, /subscription-password/);
        for (const s of [pg14, pg16]) assert.ok(!record.includes(s.password), 'no lab password in the record');
        assert.match(record, /- \[ \] Cleanup pending/);
        // The Markdown preview of the record opened.
        await page.locator('.tabs-container .tab', { hasText: /Preview .*dash-pg14-to-dash-pg16/ }).first().waitFor({ timeout: 20_000 });
        const preview = page.frameLocator('iframe.webview.ready[src*="extensionId=vscode.markdown-language-features"]').frameLocator('#active-frame');
        await preview.locator('h1', { hasText: 'Upgrade record: Major upgrade by logical replication' }).waitFor({ timeout: 30_000 });
        assert.match(record, /\*\*Copy the schema to the target .*\*\* was declined by .*\n {2}Resolved: the step was run again and succeeded/, 'the paused step is an issue, resolved');
        await page.screenshot({ path: join(artifacts, 'dashboard-codeserver-record.png') });

        // The same pair as a "Replication" dashboard picked by hand (no run): the subscription the run created.
        await runCommand(page, 'PG Upgrade: Open Replication Dashboard');
        await answerQuickInput(page, 'Logical replication');
        await answerQuickInput(page, SOURCE);
        await answerQuickInput(page, TARGET);
        const replication = dashboard(page);
        await replication.locator('h1', { hasText: `Replication: ${SOURCE} → ${TARGET}` }).waitFor({ timeout: 30_000 });
        await replication.locator('.simple-table vscode-table-row:not([hidden])', { hasText: 'pgpilot_upgrade' }).first().waitFor({ timeout: 30_000 });
        await replication.locator('.readiness .check.ok[data-id="tables-ready"]').waitFor();
        assert.equal(await replication.locator('.run-panel').isVisible(), false, 'no runbook part for a plain pair');

        // A window reload brings the panel back (serializer + the webview's saved state) and it polls again.
        await page.waitForTimeout(1000);
        await runCommand(page, 'Developer: Reload Window');
        await page.waitForLoadState('domcontentloaded');
        await page.locator('.monaco-workbench .part.activitybar').waitFor({ state: 'visible', timeout: 60_000 });
        const restored = dashboard(page);
        await restored.locator('h1', { hasText: `Replication: ${SOURCE} → ${TARGET}` }).waitFor({ timeout: 60_000 });
        await restored.locator('.cluster-card', { hasText: /PostgreSQL 16\./ }).waitFor({ timeout: 30_000 });
        await page.screenshot({ path: join(artifacts, 'dashboard-codeserver-restored.png') });

        // The rest of the run from its dashboard: the switchover (its result in a banner, the readiness to switch over
        // gone, the reverse path watched), then reverse replication and ANALYZE: the phases end at "finished".
        await runCommand(page, 'PG Upgrade: Open Upgrade Dashboard');
        await quickInput(page).waitFor({ state: 'visible' });
        await page.keyboard.press('Enter');
        const run = dashboard(page);
        await run.locator('.run-panel').waitFor({ timeout: 30_000 });
        await runStepsUntil(page, run, 'Guarded switchover: freeze, drain, copy sequences, open the target', 180_000);
        await run.locator('.phases li.current[data-phase="switched-over"]').waitFor({ timeout: 30_000 });
        await run.locator('.result-banner .window').waitFor({ timeout: 30_000 });
        assert.match(await run.locator('.result-banner').innerText(), /Writes unavailable for \S+/);
        assert.equal(await run.locator('.readiness').isVisible(), false, 'no "readiness to switch over" after the switchover');
        await page.screenshot({ path: join(artifacts, 'dashboard-codeserver-switched-over.png') });
        // The runbook ends after ANALYZE with the way back open: the cleanup is only run by an explicit finish
        // ("Finish Upgrade (drop the way back)"), never by "Run next step".
        await runStepsUntil(page, run, 'Refresh materialized views and ANALYZE the new server', 120_000);
        await run.locator('.phases li.current[data-phase="finished"]').waitFor({ timeout: 30_000 });
        assert.equal(await stepStatus(run, 'Remove the replication set-up'), 'pending', 'the cleanup waits for an explicit finish');
        await page.screenshot({ path: join(artifacts, 'dashboard-codeserver-finished.png') });
      } finally {
        forgetPassfile();
        await cleanup(lab, pg14, pg16);
      }
    },
  },
];
