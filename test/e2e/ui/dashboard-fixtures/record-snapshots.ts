// Records the dashboard fixture: real DashboardSnapshots of a PG14 → PG17 subscription (30 tables, 3 large enough to
// see pg_stat_progress_copy) from the initial copy to ready, a held-back phase with lag, and the catch-up.
// Run: node --import tsx test/e2e/ui/dashboard-fixtures/record-snapshots.ts   (ports from 22620)
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { versionFromNum } from '../../../../src/core/db';
import { kv } from '../../../../src/core/lab/conf';
import { ReplicationMonitor } from '../../../../src/core/monitor';
import { clientFor, startTestServers } from '../../../helpers/lab';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function main(): Promise<void> {
  const lab = await startTestServers(['14', '17'], { portBase: 22620 });
  try {
    const [s14, s17] = lab.servers;
    const src = await clientFor(s14);
    const tgt = await clientFor(s17);
    for (const c of [src, tgt]) for (let i = 0; i < 30; i++) await c.query(`CREATE TABLE t${i} (id bigint PRIMARY KEY, note text)`);
    for (let i = 0; i < 30; i++) await src.query(`INSERT INTO t${i} SELECT g, repeat('x', 300) FROM generate_series(1, ${i < 3 ? 200000 : 2000}) g`);
    await src.query('CREATE SEQUENCE order_seq');
    await tgt.query('CREATE SEQUENCE order_seq');
    await src.query('CREATE PUBLICATION pub FOR ALL TABLES');
    const v = async (c: typeof src) => versionFromNum((await c.query('SHOW server_version_num')).rows[0].server_version_num);
    const pair = { source: { name: 'pg14-old', client: src, version: await v(src) }, target: { name: 'pg17-new', client: tgt, version: await v(tgt) } };
    const m = new ReplicationMonitor({ subscription: 'upgrade_sub', lagThresholdBytes: 1024 * 1024 });
    const snaps = [];
    snaps.push(await m.poll(pair));
    const conn = [kv('host', s14.host), kv('port', s14.port), kv('user', s14.user), kv('password', s14.password), kv('dbname', 'postgres')].join(' ');
    await tgt.query(`CREATE SUBSCRIPTION upgrade_sub CONNECTION '${conn}' PUBLICATION pub`);
    for (let i = 0; i < 200; i++) {
      const s = await m.poll(pair);
      snaps.push(s);
      if (s.ready) break;
      await sleep(200);
    }
    await tgt.query('ALTER SUBSCRIPTION upgrade_sub DISABLE');
    for (let i = 0; i < 6; i++) {
      await src.query(`INSERT INTO t5 SELECT g, repeat('y', 300) FROM generate_series(${10_000 + i * 3000}, ${10_000 + i * 3000 + 2999}) g`);
      snaps.push(await m.poll(pair));
      await sleep(300);
    }
    await tgt.query('ALTER SUBSCRIPTION upgrade_sub ENABLE');
    for (let i = 0; i < 40; i++) {
      const s = await m.poll(pair);
      snaps.push(s);
      if (s.ready && i > 3) break;
      await sleep(300);
    }
    const copying = snaps.find((s) => s.tables.listed.some((t) => t.bytesCopied));
    console.log('snapshots', snaps.length, 'copying seen', !!copying, 'states', snaps.map((s) => s.tables.counts.r).join(','));
    // Nothing secret inside: names, versions, figures. Double-check.
    const text = JSON.stringify(snaps);
    if (text.includes(s14.password)) throw new Error('password in a snapshot');
    writeFileSync(join(__dirname, 'logical-snapshots.json'), `${JSON.stringify(snaps)}\n`);
    await src.end(); await tgt.end();
  } finally {
    await lab.stop();
  }
}

void main();
