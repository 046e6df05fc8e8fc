/**
 * The replication monitor against real servers: a publication on an old major feeding a subscription on a newer
 * one (14 → 18, and 12 → 14 for the oldest SQL), watched tick by tick until every table is ready, with the lag
 * reported while the subscriber is held back and after it catches up; long transactions, sequences, and a
 * streaming standby seen from its primary. Every tick must cost exactly ONE query per cluster.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from 'pg';
import { versionFromNum, type Queryable, type ServerVersion } from '../../src/core/db';
import { kv } from '../../src/core/lab/conf';
import { ReplicationMonitor, type DashboardSnapshot, type MonitoredCluster } from '../../src/core/monitor';
import { quoteIdent as qi, quoteLiteral as ql } from '../../src/core/sql';
import { clientFor, startTestServers, startTestStandby, type LabServer, type TestServers } from '../helpers/lab';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let lab: TestServers;
const server = (major: number) => lab.servers.find((s) => s.major === major)!;

before(async () => {
  lab = await startTestServers(['12', '14', '18'], { portBase: 22600 });
});
after(async () => {
  await lab?.stop();
});

/** A Queryable that counts the statements it is asked to run. */
function counting(c: Client): Queryable & { count: number } {
  const q = {
    count: 0,
    query: <R>(text: string, values?: unknown[]) => {
      q.count++;
      return c.query(text, values) as unknown as Promise<{ rows: R[]; rowCount: number | null }>;
    },
  };
  return q;
}

async function versionOf(c: Client): Promise<ServerVersion> {
  const r = await c.query<{ v: number }>(`SELECT current_setting('server_version_num')::int AS v`);
  return versionFromNum(r.rows[0].v);
}

async function until(what: string, monitor: ReplicationMonitor, pair: Parameters<ReplicationMonitor['poll']>[0],
  ok: (s: DashboardSnapshot) => boolean, timeoutMs = 60_000): Promise<DashboardSnapshot> {
  const deadline = Date.now() + timeoutMs;
  let last: DashboardSnapshot | undefined;
  while (Date.now() < deadline) {
    last = await monitor.poll(pair);
    if (ok(last)) return last;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}; last snapshot: ${JSON.stringify(last, null, 1).slice(0, 3000)}`);
}

function conninfo(s: LabServer, db: string): string {
  return [kv('host', s.host), kv('port', s.port), kv('user', s.user), kv('password', s.password), kv('dbname', db)].join(' ');
}

for (const [srcMajor, tgtMajor] of [[14, 18], [12, 14]] as const) {
  describe(`monitor: logical ${srcMajor} → ${tgtMajor}`, () => {
    const DB = `mon_${srcMajor}_${tgtMajor}`;
    const SUB = 'mon_sub';
    let src: Client;
    let tgt: Client;
    let srcQ: ReturnType<typeof counting>;
    let tgtQ: ReturnType<typeof counting>;
    let pair: { source: MonitoredCluster; target: MonitoredCluster };

    before(async () => {
      for (const s of [server(srcMajor), server(tgtMajor)]) {
        const admin = await clientFor(s);
        await admin.query(`CREATE DATABASE ${qi(DB)}`);
        await admin.end();
      }
      src = await clientFor(server(srcMajor), DB);
      tgt = await clientFor(server(tgtMajor), DB);
      for (const c of [src, tgt]) {
        await c.query('CREATE TABLE "Orders" (id bigserial PRIMARY KEY, note text)');
        await c.query('CREATE TABLE items (id int PRIMARY KEY, v text)');
      }
      await src.query(`INSERT INTO "Orders" (note) SELECT repeat('x', 200) FROM generate_series(1, 20000)`);
      await src.query(`INSERT INTO items SELECT g, 'v' FROM generate_series(1, 100) g`);
      await src.query('CREATE PUBLICATION mon_pub FOR TABLE "Orders", items');
      srcQ = counting(src);
      tgtQ = counting(tgt);
      pair = {
        source: { name: `pg${srcMajor}`, client: srcQ, version: await versionOf(src) },
        target: { name: `pg${tgtMajor}`, client: tgtQ, version: await versionOf(tgt) },
      };
    });
    after(async () => {
      await tgt?.query(`DROP SUBSCRIPTION IF EXISTS ${SUB}`).catch(() => undefined);
      await src?.end();
      await tgt?.end();
    });

    it('before the subscription: both clusters answer, versions and roles shown, not ready', async () => {
      const m = new ReplicationMonitor({ lagThresholdBytes: 64 * 1024 });
      const s = await m.poll(pair);
      assert.deepEqual(s.clusters.map((c) => [c.role, c.major, c.serverRole, c.error]), [
        ['source', srcMajor, 'primary', undefined], ['target', tgtMajor, 'primary', undefined],
      ]);
      assert.equal(s.subscriptions.length, 0);
      assert.equal(s.ready, false);
      assert.equal(s.readiness.find((r) => r.id === 'tables-ready')?.detail, 'no subscription on the target yet');
    });

    it('every tick costs one query per cluster; the tables reach ready and the lag is reported', async () => {
      await tgt.query(`CREATE SUBSCRIPTION ${SUB} CONNECTION ${ql(conninfo(server(srcMajor), DB))} PUBLICATION mon_pub`);
      const m = new ReplicationMonitor({ lagThresholdBytes: 64 * 1024, subscription: SUB });
      srcQ.count = 0;
      tgtQ.count = 0;
      const first = await m.poll(pair);
      assert.equal(srcQ.count, 1, 'one statement on the source per tick');
      assert.equal(tgtQ.count, 1, 'one statement on the target per tick');
      assert.equal(first.subscriptions[0]?.name, SUB);
      assert.equal(first.tables.total, 2);

      const ready = await until('both tables ready', m, pair, (s) => s.tables.counts.r === 2);
      assert.equal(srcQ.count, tgtQ.count, 'still one statement per cluster per tick');
      assert.deepEqual(ready.tables.listed, []);
      assert.equal(ready.readiness.find((r) => r.id === 'tables-ready')?.ok, true);
      const sub = ready.subscriptions[0];
      assert.equal(sub.workerRunning, true);
      assert.equal(sub.publisher, `${server(srcMajor).host}:${server(srcMajor).port}`);
      if (tgtMajor >= 15) assert.equal(sub.applyErrorCount, 0);
      else assert.equal(sub.applyErrorCount, null);
      const slot = ready.slots.find((x) => x.name === sub.slotName);
      assert.ok(slot, 'the subscription slot is shown on the source');
      assert.equal(slot.type, 'logical');
      assert.ok((slot.retainedWalBytes ?? -1) >= 0);
      assert.equal(slot.risk, 'unbounded', 'max_slot_wal_keep_size = -1 (the default)');
      // Lag: known once the subscriber has confirmed a position, and under the threshold when caught up.
      const caughtUp = await until('lag under the threshold', m, pair, (s) => s.readiness.find((r) => r.id === 'lag')?.ok === true);
      assert.equal(typeof caughtUp.lag.bytes, 'number');
      assert.ok(m.lagHistory().length >= 2, 'the lag chart has samples');
    });

    it('lag grows while the subscriber is held back and falls once it applies again', async () => {
      const m = new ReplicationMonitor({ lagThresholdBytes: 64 * 1024, subscription: SUB });
      await tgt.query(`ALTER SUBSCRIPTION ${SUB} DISABLE`);
      try {
        await src.query(`INSERT INTO "Orders" (note) SELECT repeat('y', 200) FROM generate_series(1, 5000)`);
        // The apply worker stops a moment after DISABLE.
        const behind = await until('lag above the threshold, no apply worker', m, pair, (s) => (s.lag.bytes ?? 0) > 64 * 1024 && !s.subscriptions[0].workerRunning);
        assert.equal(behind.readiness.find((r) => r.id === 'lag')?.ok, false);
        assert.equal(behind.ready, false);
      } finally {
        await tgt.query(`ALTER SUBSCRIPTION ${SUB} ENABLE`);
      }
      const back = await until('lag back under the threshold', m, pair, (s) => s.lag.bytes !== null && s.lag.bytes <= 64 * 1024 && s.subscriptions[0].workerRunning);
      assert.equal(back.readiness.find((r) => r.id === 'lag')?.ok, true);
      const samples = m.lagHistory();
      assert.ok(samples.some((x) => (x.bytes ?? 0) > 64 * 1024) && samples.some((x) => (x.bytes ?? Infinity) <= 64 * 1024), 'history holds both');
    });

    it('a long transaction on the source and a sequence missing on the target block readiness', async () => {
      await src.query('CREATE SEQUENCE lonely_seq');
      const m = new ReplicationMonitor({ lagThresholdBytes: 64 * 1024, longTransactionSeconds: 1, subscription: SUB });
      const holder = await clientFor(server(srcMajor), DB);
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT count(*) FROM items');
        await sleep(1500);
        const s = await m.poll(pair);
        const pid = (await holder.query<{ p: number }>('SELECT pg_backend_pid() AS p')).rows[0].p;
        assert.ok(s.longTransactions.some((t) => t.pid === pid && t.seconds >= 1), 'the open transaction is listed');
        assert.equal(s.readiness.find((r) => r.id === 'long-transactions')?.ok, false);
        const seq = s.readiness.find((r) => r.id === 'sequences');
        assert.equal(seq?.ok, false);
        assert.deepEqual(s.sequences?.missingOnTarget, ['public.lonely_seq']);
        await holder.query('COMMIT');
      } finally {
        await holder.end();
      }
      await tgt.query('CREATE SEQUENCE lonely_seq');
      const s = await until('ready', m, pair, (x) => x.ready);
      assert.equal(s.readiness.every((r) => r.ok === true), true, JSON.stringify(s.readiness));
      assert.equal(s.sequences?.count, 2, 'Orders_id_seq and lonely_seq');
    });

    it('an unreachable cluster gives a snapshot with its error, not a failed tick', async () => {
      const m = new ReplicationMonitor();
      const broken: MonitoredCluster = { name: 'gone', connect: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1 password=hunter2')) };
      const s = await m.poll({ source: broken, target: pair.target });
      assert.match(s.clusters[0].error ?? '', /ECONNREFUSED/);
      assert.doesNotMatch(s.clusters[0].error ?? '', /hunter2/);
      assert.equal(s.readiness.find((r) => r.id === 'long-transactions')?.ok, null);
      assert.equal(s.ready, false);
    });
  });
}

describe('monitor: streaming pair (14 primary + standby)', () => {
  it('shows the standby streaming with its write/flush/replay lag', async () => {
    const primary = server(14);
    const standby = await startTestStandby(primary, { name: 'mon-standby' });
    const p = await clientFor(primary);
    const sb = await clientFor(standby);
    try {
      const pq = counting(p);
      const m = new ReplicationMonitor({ lagThresholdBytes: 16 * 1024 * 1024 });
      const pair = {
        primary: { name: 'pg14', client: pq, version: await versionOf(p) },
        standby: { name: 'pg14-standby', client: sb, version: await versionOf(sb) },
      };
      await p.query('CREATE TABLE IF NOT EXISTS stream_t (id int)');
      await p.query('INSERT INTO stream_t SELECT generate_series(1, 1000)');
      const s = await until('standby streaming and caught up', m, pair, (x) => x.ready);
      assert.equal(pq.count >= 1, true);
      const st = s.standbys.find((x) => x.name === 'mon-standby');
      assert.ok(st, JSON.stringify(s.standbys));
      assert.equal(st.kind, 'physical');
      assert.equal(st.state, 'streaming');
      assert.equal(typeof st.replayLagBytes, 'number');
      assert.deepEqual(s.clusters.map((c) => c.serverRole), ['primary', 'standby']);
      assert.equal(s.readiness.find((r) => r.id === 'standbys-streaming')?.ok, true);
    } finally {
      await p.end();
      await sb.end();
    }
  });
});
