// The operator's decisions in the real workbench (issue 15), against the lab's PG14 (source) and PG16 (target):
// the target picker (versions, hosts, the source left out), the preflight's warnings as a blocking prompt (nothing
// changes on the servers while it waits), and a confirmation that is still on screen — with the status bar saying
// so — after 30 s. Screenshots in test-artifacts/: target-picker.png, findings-prompt.png, confirmation-pending.png.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { acceptStartOptions, notifications, openWorkbench, runCommand, showActivity } from '../lib/workbench.mjs';

const CONTAINER = 'PG Upgrade Pilot';
const TABLE = 'e2e_operator_log';

async function onServer(lab, server, fn) {
  const client = await lab.clientFor(server);
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** An insert-only table without primary key: the preflight warns that UPDATE/DELETE would fail once published. */
async function createWarnedTable(lab, source) {
  await onServer(lab, source, async (c) => {
    await c.query(`DROP TABLE IF EXISTS public.${TABLE}`);
    await c.query(`CREATE TABLE public.${TABLE} (at timestamptz DEFAULT now(), line text)`);
    await c.query(`INSERT INTO public.${TABLE} (line) SELECT 'line ' || g FROM generate_series(1, 50) g`);
  });
}

async function dropWarnedTable(lab, source) {
  await onServer(lab, source, (c) => c.query(`DROP TABLE IF EXISTS public.${TABLE}`)).catch(() => undefined);
}

/** What a run would have created: publications on the source, subscriptions on the target. */
async function upgradeObjects(lab, source, target) {
  const pubs = await onServer(lab, source, async (c) => (await c.query('SELECT pubname FROM pg_publication')).rows.map((r) => `publication ${r.pubname}`));
  const subs = await onServer(lab, target, async (c) => (await c.query('SELECT subname FROM pg_subscription')).rows.map((r) => `subscription ${r.subname}`));
  return [...pubs, ...subs];
}

function dialog(page) {
  return page.locator('.monaco-dialog-box');
}

async function dialogText(page) {
  return (await dialog(page).innerText().catch(() => '')).replace(/\s+/g, ' ');
}

async function clickDialogButton(page, label) {
  await dialog(page).locator('.dialog-buttons a.monaco-button', { hasText: label }).first().evaluate((b) => b.click());
}

async function waitFor(what, fn, ms = 60_000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The items of the open QuickPick: [{ label, description, detail }]. */
async function quickPickItems(page) {
  return page.locator('.quick-input-widget .monaco-list-row').evaluateAll((rows) => rows.map((r) => ({
    label: r.querySelector('.label-name')?.textContent?.trim() ?? r.querySelector('.monaco-icon-label')?.textContent?.trim() ?? '',
    description: r.querySelector('.label-description')?.textContent?.trim() ?? '',
    text: r.textContent?.trim() ?? '',
  })));
}

async function pickQuickItem(page, label) {
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first().click();
}

async function importLab(page, server, lab) {
  mkdirSync(join(server.workspace, '.lab'), { recursive: true });
  copyFileSync(lab.file, join(server.workspace, '.lab', 'lab.json'));
  await openWorkbench(page, server, { activity: CONTAINER });
  await runCommand(page, 'PG Upgrade: Import Lab Clusters');
  await page.locator('.notifications-toasts .notification-toast', { hasText: 'Imported 2 lab clusters' }).waitFor({ state: 'visible', timeout: 30_000 })
    .catch(async (e) => { throw new Error(`${e.message}; notifications: ${JSON.stringify(await notifications(page))}`); });
  await showActivity(page, CONTAINER);
}

export const tests = [
  {
    title: 'operator: the target picker, a blocking findings prompt, a confirmation still pending after 30 s',
    timeoutMs: 6 * 60_000,
    async run({ page, server, lab, artifacts }) {
      const pg14 = lab.servers.find((s) => s.major === 14);
      const pg16 = lab.servers.find((s) => s.major === 16);
      await createWarnedTable(lab, pg14);
      try {
        const before = await upgradeObjects(lab, pg14, pg16);
        await importLab(page, server, lab);

        // --- the target picker: the source left out, versions and hosts shown
        await runCommand(page, 'PG Upgrade: Start Logical Upgrade');
        await page.locator('.quick-input-widget .monaco-list-row', { hasText: pg14.name }).first().waitFor({ state: 'visible' });
        await pickQuickItem(page, pg14.name);
        const items = await waitFor('the target picker with versions', async () => {
          const it = await quickPickItems(page);
          return it.some((i) => i.text.includes('PostgreSQL 16.')) ? it : undefined;
        }, 30_000);
        const title = await page.locator('.quick-input-widget .quick-input-title').innerText();
        if (!title.includes(pg14.name) || !title.includes('PostgreSQL 14.')) throw new Error(`picker title names the source and its version: "${title}"`);
        const target = items.find((i) => i.text.includes(pg16.name));
        if (!target || !target.text.includes(`${pg16.host}:${pg16.port}`)) throw new Error(`the target shows its host:port: ${JSON.stringify(items)}`);
        if (items.some((i) => i.label === pg14.name)) throw new Error(`the source is not offered as its own target: ${JSON.stringify(items)}`);
        await page.screenshot({ path: join(artifacts, 'target-picker.png') });
        await pickQuickItem(page, pg16.name);
        // --- the start options: Enter on "Start" keeps this database, libpq multi-host, the source's user
        await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'client routing:' }).first().waitFor({ state: 'visible', timeout: 30_000 });
        await page.screenshot({ path: join(artifacts, 'start-options.png') });
        await acceptStartOptions(page);

        // --- the preflight's finding: a table without replica identity is an ERROR (publishing it would make the
        // application's UPDATE/DELETE fail on the source): a blocking modal names it, its consequence and its fix;
        // nothing changes while it waits
        const text = await waitFor('the findings prompt', async () => {
          const t = await dialogText(page);
          return t.includes(TABLE) ? t : undefined;
        }, 90_000);
        if (!/UPDATE or DELETE/.test(text) || !/Fix:/.test(text)) throw new Error(`the finding names the consequence and the fix: ${text}`);
        await page.waitForTimeout(3000);
        if (!(await dialog(page).isVisible())) throw new Error('the findings prompt stays until answered');
        const during = await upgradeObjects(lab, pg14, pg16);
        if (JSON.stringify(during) !== JSON.stringify(before)) throw new Error(`nothing changed while the prompt waits: ${JSON.stringify(during)}`);
        await page.screenshot({ path: join(artifacts, 'findings-prompt.png') });
        // the operator applies the fix, closes the prompt and starts the upgrade again: the preflight passes now
        await onServer(lab, pg14, (c) => c.query(`ALTER TABLE public.${TABLE} REPLICA IDENTITY FULL`));
        await page.keyboard.press('Escape');
        await dialog(page).waitFor({ state: 'hidden', timeout: 15_000 });
        await runCommand(page, 'PG Upgrade: Start Logical Upgrade');
        await page.locator('.quick-input-widget .monaco-list-row', { hasText: pg14.name }).first().waitFor({ state: 'visible' });
        await pickQuickItem(page, pg14.name);
        await page.locator('.quick-input-widget .monaco-list-row', { hasText: pg16.name }).first().waitFor({ state: 'visible' });
        await pickQuickItem(page, pg16.name);
        await acceptStartOptions(page);

        // acknowledge every warning left: the first changing step then asks
        const confirmText = await waitFor('the first confirmation', async () => {
          const t = await dialogText(page);
          if (/Warning \d+ of \d+/.test(t)) {
            await clickDialogButton(page, 'Acknowledge');
            await page.waitForTimeout(300);
            return undefined;
          }
          return /reversible/.test(t) ? t : undefined;
        }, 60_000);
        if (!/Changes:/.test(confirmText) || !/How to undo:/.test(confirmText)) throw new Error(`the confirmation lists effects and undo: ${confirmText}`);

        // --- 30 s later the question is still on screen, and the status bar says the run waits for an answer
        await page.waitForTimeout(30_000);
        if (!(await dialog(page).isVisible())) throw new Error('the confirmation is still on screen after 30 s');
        const status = await page.locator('.part.statusbar').innerText();
        if (!/waiting for your answer/.test(status)) throw new Error(`the status bar says the run waits: ${status}`);
        await page.screenshot({ path: join(artifacts, 'confirmation-pending.png') });
        const after = await upgradeObjects(lab, pg14, pg16);
        if (JSON.stringify(after) !== JSON.stringify(before)) throw new Error(`nothing changed while the question waits: ${JSON.stringify(after)}`);

        // declining (Esc) pauses the run: the question and the status-bar item go away
        await page.keyboard.press('Escape');
        await waitFor('the status bar to stop saying waiting', async () => !/waiting for your answer/.test(await page.locator('.part.statusbar').innerText()), 15_000);
      } finally {
        await dropWarnedTable(lab, pg14);
      }
    },
  },
];
