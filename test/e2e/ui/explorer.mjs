// UI tests of the Cluster Explorer in the real workbench (code-server + chromium), extension installed from its VSIX.
// Each test gets a fresh code-server (own settings, own workspace) and a fresh browser profile from test/e2e/run.mjs:
//   run({ page, server, lab, artifacts }) — lab = { servers, file (lab.json), clientFor }.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expandRow, findRow, notifications, openWorkbench, runCommand, showActivity, treeRow, waitForRows } from '../lib/workbench.mjs';

const CONTAINER = 'PG Upgrade Pilot';
const VIEW = 'Clusters';
const PUBLICATION = 'e2e_orders_pub';

async function createPublication(lab, server) {
  const client = await lab.clientFor(server);
  try {
    await client.query('CREATE TABLE IF NOT EXISTS public.e2e_orders (id bigint PRIMARY KEY, note text)');
    await client.query(`DROP PUBLICATION IF EXISTS ${PUBLICATION}`);
    await client.query(`CREATE PUBLICATION ${PUBLICATION} FOR TABLE public.e2e_orders`);
  } finally {
    await client.end();
  }
}

export const tests = [
  {
    title: 'imports lab PG14 + PG16 from the palette and browses a publication in the explorer',
    async run({ page, server, lab, artifacts }) {
      const pg14 = lab.servers.find((s) => s.major === 14);
      const pg16 = lab.servers.find((s) => s.major === 16);
      await createPublication(lab, pg16);
      // Where `npm run lab -- up` leaves it in a workspace: the command finds it there without asking.
      mkdirSync(join(server.workspace, '.lab'), { recursive: true });
      copyFileSync(lab.file, join(server.workspace, '.lab', 'lab.json'));

      await openWorkbench(page, server, { activity: CONTAINER });
      await runCommand(page, 'PG Upgrade: Import Lab Clusters');
      await page.locator('.notifications-toasts .notification-toast', { hasText: 'Imported 2 lab clusters' }).waitFor({ state: 'visible' })
        .catch(async (e) => { throw new Error(`${e.message}; notifications: ${JSON.stringify(await notifications(page))}`); });

      await showActivity(page, CONTAINER);
      await waitForRows(page, VIEW, (rows) => findRow(rows, [pg14.name]) && findRow(rows, [pg16.name]), 'both lab clusters');
      // A cluster connects when expanded; its row then shows the server's version ("14.22 · primary").
      for (const s of [pg14, pg16]) {
        await expandRow(page, VIEW, [s.name]);
        await waitForRows(page, VIEW, (rows) => findRow(rows, [s.name])?.description.startsWith(`${s.major}.`),
          `version ${s.major}.x in the description of ${s.name}`);
      }
      await expandRow(page, VIEW, [pg16.name, 'Publications']);
      await waitForRows(page, VIEW, (rows) => findRow(rows, [pg16.name, 'Publications', PUBLICATION]), `publication ${PUBLICATION} under ${pg16.name}`);
      await (await treeRow(page, VIEW, [pg16.name, 'Publications', PUBLICATION])).click();
      await page.screenshot({ path: join(artifacts, 'explorer.png') });
    },
  },
];
