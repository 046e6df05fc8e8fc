// Playwright helpers for the VS Code 1.100 workbench served by code-server. Selectors measured on this version
// (see /work/shared/notes/real-vscode-on-this-machine.md); every wait has a deadline.
import { workbenchUrl } from './browser.mjs';

/** Opens the workspace and waits until the workbench (and the given activity-bar entry, if any) is there. */
export async function openWorkbench(page, server, { activity } = {}) {
  await page.goto(workbenchUrl(server), { timeout: 90_000 }); // a loaded 2-core machine serves the workbench slowly
  await page.locator('.monaco-workbench .part.activitybar').waitFor({ state: 'visible', timeout: 60_000 });
  if (activity) await activityItem(page, activity).waitFor({ state: 'visible', timeout: 60_000 });
}

function activityItem(page, title) {
  return page.locator(`.part.activitybar a.action-label[aria-label^="${title}"]`);
}

/** Shows an activity-bar view container (clicking an already active one would close the sidebar). */
export async function showActivity(page, title) {
  const item = activityItem(page, title);
  const active = await item.evaluate((a) => a.closest('.action-item')?.classList.contains('checked') ?? false);
  const sidebarVisible = await page.locator('.part.sidebar').isVisible();
  if (!active || !sidebarVisible) await item.click();
}

/** Runs a command from the palette by its "Category: Title" label. */
export async function runCommand(page, label) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${label}`);
  await page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: label }).waitFor({ state: 'visible' });
  await page.keyboard.press('Enter');
}

/** The visible quick input (InputBox, QuickPick, the simple file dialog of the web workbench). */
export function quickInput(page) {
  return page.locator('.quick-input-widget');
}

/** Types into the visible quick input and accepts. */
export async function answerQuickInput(page, text) {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  await input.fill(text);
  await page.keyboard.press('Enter');
}

/**
 * The start options of a logical upgrade / rolling switchover started from the palette (scope, client routing,
 * replication user): picks its first row, "Start", keeping the defaults shown in it.
 */
export async function acceptStartOptions(page) {
  const start = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'client routing:' }).first();
  await start.waitFor({ state: 'visible', timeout: 30_000 });
  await start.click();
}

function treeList(page, viewName) {
  return page.locator(`.part.sidebar .monaco-list[aria-label="${viewName}"]`);
}

/** The rows of a tree view, top to bottom, as { index, label, description, level, expanded }. */
export async function treeRows(page, viewName) {
  const rows = await treeList(page, viewName).locator('.monaco-list-row').evaluateAll((els) => els.map((el) => ({
    index: Number(el.getAttribute('data-index')),
    label: el.querySelector('.label-name')?.textContent?.trim() ?? '',
    description: el.querySelector('.label-description')?.textContent?.trim() ?? '',
    level: Number(el.getAttribute('aria-level') ?? 0),
    expanded: el.getAttribute('aria-expanded'),
  })));
  return rows.sort((a, b) => a.index - b.index);
}

/** Waits until `predicate(rows)` holds; returns those rows, or throws with the rows last seen. */
export async function waitForRows(page, viewName, predicate, what, ms = 30_000) {
  const deadline = Date.now() + ms;
  let rows = [];
  while (Date.now() < deadline) {
    rows = await treeRows(page, viewName).catch(() => []);
    if (predicate(rows)) return rows;
    await page.waitForTimeout(200);
  }
  throw new Error(`timed out waiting for ${what} in view "${viewName}"; rows: ${JSON.stringify(rows.map((r) => [r.level, r.label, r.description, r.expanded]))}`);
}

/**
 * The row at a label path, e.g. ['test-pg16', 'Publications']: each label is searched among the descendants of the
 * previous one (the first label anywhere). undefined when not shown.
 */
export function findRow(rows, path) {
  let from = 0;
  let end = rows.length;
  let found;
  for (const label of path) {
    const i = rows.slice(from, end).findIndex((r) => r.label === label && (!found || r.level === found.level + 1));
    if (i < 0) return undefined;
    found = rows[from + i];
    from = from + i + 1;
    const next = rows.slice(from).findIndex((r) => r.level <= found.level);
    end = next < 0 ? rows.length : from + next;
  }
  return found;
}

/** Locator of the row at a label path (see findRow); waits for it to be shown. */
export async function treeRow(page, viewName, path) {
  const row = await waitForRows(page, viewName, (rows) => findRow(rows, path), `row ${path.join(' > ')}`)
    .then((rows) => findRow(rows, path));
  return treeList(page, viewName).locator(`.monaco-list-row[data-index="${row.index}"]`);
}

/** Expands the row at a label path (clicking its twistie; an expanded row is left alone) and waits until it is. */
export async function expandRow(page, viewName, path) {
  const rows = await waitForRows(page, viewName, (r) => findRow(r, path), `row ${path.join(' > ')}`);
  if (findRow(rows, path).expanded !== 'true') await (await treeRow(page, viewName, path)).locator('.monaco-tl-twistie').click();
  await waitForRows(page, viewName, (r) => findRow(r, path)?.expanded === 'true', `${path.join(' > ')} expanded`);
}

/** Texts of the notification toasts currently shown. */
export async function notifications(page) {
  return page.locator('.notifications-toasts .notification-toast').allInnerTexts();
}
