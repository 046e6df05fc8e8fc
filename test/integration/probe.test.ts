/**
 * The workload probe against real servers (14 and 16): its multi-host retry moves to the second server as soon
 * as the first one turns read-only and reports the gap; verify() proves 0 lost commits after real logical
 * replication and exactly N lost when N acknowledged rows are deleted on the target; the TPC-B writers follow a
 * switchover done the correct way and lose nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from 'pg';
import {
  ensureProbeTable, initPgbenchData, multiHostConnection, pgbenchTerminalCommand, startProbe, startWriters, type ProbeEvent,
} from '../../src/core/probe';
import { clientFor, startTestServers, type LabServer, type TestServers } from '../helpers/lab';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let lab: TestServers;
let a: LabServer; // PG14, first in the host list
let b: LabServer; // PG16
let ca: Client;
let cb: Client;

before(async () => {
  lab = await startTestServers(['14', '16'], { portBase: 22400 });
  [a, b] = lab.servers;
  ca = await clientFor(a);
  cb = await clientFor(b);
  // Our admin sessions stay writable whatever the servers' default becomes (as the runbook's own session does).
  for (const c of [ca, cb]) await c.query('SET default_transaction_read_only = off');
});
after(async () => {
  await ca?.end().catch(() => undefined);
  await cb?.end().catch(() => undefined);
  await lab?.stop();
});

const both = () => multiHostConnection([{ host: a.host, port: a.port }, { host: b.host, port: b.port }], a.user, 'postgres');
const hostOf = (s: LabServer) => `${s.host}:${s.port}`;
/** Lab servers have a password each: looked up per host, as SecretStorage per cluster would. */
const password = async (ep: { port: number }) => lab.servers.find((s) => s.port === ep.port)?.password;

async function setReadOnly(c: Client, on: boolean): Promise<void> {
  await c.query(on ? 'ALTER SYSTEM SET default_transaction_read_only = on' : 'ALTER SYSTEM RESET default_transaction_read_only');
  await c.query('SELECT pg_reload_conf()');
}

async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('probe: multi-host retry', () => {
  after(async () => {
    await setReadOnly(ca, false);
    await setReadOnly(cb, false);
  });

  it('refuses clearly when the probe table is missing', async () => {
    await assert.rejects(
      startProbe({ connection: a.connection, password: a.password, table: 'no_such_probe_table' }),
      /no_such_probe_table.*does not exist.*create it on the source before setting up replication/s,
    );
  });

  it('lands on the second server when the first turns read-only, and reports the gap', async () => {
    for (const c of [ca, cb]) await ensureProbeTable(c);
    const probe = await startProbe({ connection: both(), password, intervalMs: 50 });
    const events: ProbeEvent[] = [];
    probe.onEvent((e) => events.push(e));
    await waitFor('20 commits on the first server', async () => (probe.snapshot().perHost[hostOf(a)] ?? 0) >= 20);
    assert.equal(probe.snapshot().perHost[hostOf(b)], undefined, 'nothing may land on the second server while the first accepts writes');

    const frozenAt = Date.now();
    await setReadOnly(ca, true); // the probe's open session gets read-only transactions from now on
    await waitFor('20 commits on the second server', async () => (probe.snapshot().perHost[hostOf(b)] ?? 0) >= 20);
    const report = await probe.stop();

    assert.ok(report.acked >= 40);
    assert.equal(report.perHost[hostOf(a)] + report.perHost[hostOf(b)], report.acked);
    const gap = report.switchoverGap;
    assert.ok(gap, 'a switchover gap is reported');
    assert.equal(gap.fromHost, hostOf(a));
    assert.equal(gap.toHost, hostOf(b));
    assert.equal(gap.resolved, true);
    assert.match(gap.error, /25006|read-only/, `the gap names its cause: ${gap.error}`);
    assert.ok(gap.startMs <= frozenAt + 50 && gap.endMs > frozenAt, 'the gap spans the moment the first server turned read-only');
    assert.ok(gap.durationMs < 1000, `moving to the second server took ${gap.durationMs} ms`);
    assert.equal(report.maxGapMs, gap.durationMs);
    // Every commit before the gap is on the first server, every one after it on the second.
    for (const c of report.commits) assert.equal(c.host, c.at <= gap.startMs ? hostOf(a) : hostOf(b));
    assert.ok(events.some((e) => e.type === 'gap-started') && events.some((e) => e.type === 'gap-ended'));
    // The rows themselves say where they were written.
    const landed = await cb.query<{ v: number; n: number }>('SELECT server_version_num / 10000 AS v, count(*)::int AS n FROM pgpilot_probe WHERE run = $1 GROUP BY 1', [report.run]);
    assert.deepEqual(landed.rows, [{ v: 16, n: report.perHost[hostOf(b)] }]);
  });

  it('keeps retrying while no server accepts writes and reports an unresolved gap at stop', async () => {
    await setReadOnly(ca, false);
    const probe = await startProbe({ connection: both(), password, intervalMs: 20 });
    await waitFor('a commit', async () => probe.snapshot().acked > 0);
    await setReadOnly(ca, true);
    await setReadOnly(cb, true);
    await waitFor('failures', async () => probe.snapshot().failedAttempts >= 5);
    const report = await probe.stop();
    const last = report.gaps.at(-1)!;
    assert.equal(last.resolved, false);
    assert.ok(last.failedAttempts >= 5);
    assert.ok(last.errorKinds.some((k) => /read-only/.test(k)), last.errorKinds.join(' | '));
  });
});

describe('probe: verify() against a logical replica', () => {
  before(async () => {
    await setReadOnly(ca, false);
    await setReadOnly(cb, false);
    for (const c of [ca, cb]) {
      await c.query('DROP TABLE IF EXISTS pgpilot_probe');
      await ensureProbeTable(c);
    }
    await ca.query('CREATE PUBLICATION probe_pub FOR TABLE pgpilot_probe');
    await cb.query(`CREATE SUBSCRIPTION probe_sub CONNECTION 'host=${a.host} port=${a.port} user=${a.user} password=${a.password} dbname=postgres' PUBLICATION probe_pub`);
  });
  after(async () => {
    await cb.query('DROP SUBSCRIPTION IF EXISTS probe_sub');
    await ca.query('DROP PUBLICATION IF EXISTS probe_pub');
  });

  it('finds 0 lost when every row replicated, and exactly N lost when N rows are deleted on the target', async () => {
    const probe = await startProbe({ connection: a.connection, password: a.password, intervalMs: 10 });
    await waitFor('100 commits', async () => probe.snapshot().acked >= 100);
    const report = await probe.stop();
    await waitFor('the replica to catch up', async () => {
      const r = await cb.query<{ n: number }>('SELECT count(*)::int AS n FROM pgpilot_probe WHERE run = $1', [report.run]);
      return r.rows[0].n >= report.acked;
    });
    const ok = await probe.verify(cb);
    assert.equal(ok.acked, report.acked);
    assert.equal(ok.present, report.acked);
    assert.equal(ok.lostCommits, 0);
    assert.equal(ok.duplicates, 0);

    const victims = [report.commits[3].id, report.commits[42].id, report.commits.at(-1)!.id];
    await cb.query('DELETE FROM pgpilot_probe WHERE id = ANY($1::bigint[])', [victims]);
    const lost = await probe.verify(cb);
    assert.equal(lost.lostCommits, 3);
    assert.deepEqual([...lost.lostIds].sort(), [...victims].sort());
    assert.equal(lost.present, report.acked - 3);
  });
});

describe('TPC-B writers', () => {
  it('follow a correct switchover by themselves and lose nothing', async () => {
    await setReadOnly(ca, false);
    await setReadOnly(cb, false);
    await initPgbenchData(ca, 1);
    await initPgbenchData(cb, 1);
    await cb.query('TRUNCATE pgbench_accounts, pgbench_tellers, pgbench_branches, pgbench_history');
    await ca.query('CREATE PUBLICATION bench_pub FOR TABLE pgbench_accounts, pgbench_tellers, pgbench_branches, pgbench_history');
    await cb.query(`CREATE SUBSCRIPTION bench_sub CONNECTION 'host=${a.host} port=${a.port} user=${a.user} password=${a.password} dbname=postgres' PUBLICATION bench_pub`);
    try {
      await waitFor('initial sync', async () => (await cb.query(`SELECT count(*)::int AS n FROM pg_subscription_rel WHERE srsubstate::text <> 'r'`)).rows[0].n === 0
        && (await cb.query('SELECT count(*)::int AS n FROM pgbench_branches')).rows[0].n === 1);
      await setReadOnly(cb, true);
      const writers = await startWriters({ connection: both(), password, clients: 4 });
      await waitFor('load', async () => writers.snapshot().acked >= 200);

      // The switchover, done right: freeze the source, cut its clients, drain to the frozen position, open the target.
      await setReadOnly(ca, true);
      await ca.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()");
      const frozen = (await ca.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0].lsn;
      await waitFor('drain', async () => (await ca.query<{ ok: boolean }>(
        "SELECT bool_and(confirmed_flush_lsn >= $1::pg_lsn) AS ok FROM pg_replication_slots WHERE slot_name = 'bench_sub'", [frozen])).rows[0].ok === true);
      await setReadOnly(cb, false);

      await waitFor('writes on the target', async () => (writers.snapshot().perHost[hostOf(b)] ?? 0) >= 200);
      const report = await writers.stop();
      assert.equal(report.clients, 4);
      assert.equal(report.scale, 1);
      assert.ok(report.window.hostSwitch, 'the move is seen');
      assert.equal(report.window.hostSwitch.fromHost, hostOf(a));
      assert.equal(report.window.hostSwitch.toHost, hostOf(b));
      assert.equal(report.window.hostSwitch.overlapped, false, 'never writable on both at once');
      assert.equal(report.window.clientGaps.length, 4);
      assert.ok(report.window.worstClientGapMs! >= report.window.hostSwitch.durationMs - 1);

      const v = await writers.verify(cb);
      assert.equal(v.acked, report.acked);
      assert.equal(v.lostCommits, 0, `lost: ${v.lostIds.join(', ')}`);
      assert.equal(v.duplicates, 0);
      assert.equal(v.balances.balanced, true, JSON.stringify(v.balances));
    } finally {
      await cb.query('DROP SUBSCRIPTION IF EXISTS bench_sub');
      await ca.query('DROP PUBLICATION IF EXISTS bench_pub');
      await setReadOnly(ca, false);
      await setReadOnly(cb, false);
    }
  });

  it('pgbenchTerminalCommand gives seed 001\'s argv', () => {
    const conn = both();
    assert.equal(conn, `host=${a.host},${b.host} port=${a.port},${b.port} dbname=postgres user=postgres connect_timeout=20 target_session_attrs=read-write`);
    assert.deepEqual(pgbenchTerminalCommand(conn), ['pgbench', '--client=20', '--connect', '--jobs=4', '--time=3600', '--progress=5', conn]);
  });
});
