/**
 * Resume finishes the switchover by itself (issue 8): the CLI runner is killed (PGPILOT_FAULT=<point>:kill, SIGKILL)
 * at points of the window, under a write probe through host=old,new target_session_attrs=read-write; a plain
 * `--resume RUNID --yes` then ends the protocol with no SQL typed by anyone. Before the commit point: the source is
 * handed back and the target stays read-only; after it: the target opens and the source stays read-only. Every state
 * is asserted through brand-new sessions, and every acknowledged probe write must end up on the final primary.
 * Also: a database-level freeze does not stop the apply worker (the target is frozen that way while it replicates).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureProbeTable, startProbe, type Probe } from '../../src/core/probe';
import { Client } from 'pg';
import { RunConnections } from '../../src/core/runbook/connections';
import { waitReconnecting } from '../../src/core/runbook/reconnect';
import { runCliChild, type CliRun } from '../helpers/cli-child';
import { clientFor, restartServer, type LabServer } from '../helpers/lab';
import { APP_PASSWORD, createAppRole, describeRun, labCluster, multiHost, readOnlyForNewSessions, runLogical, scalar, sleep, startPair, type Pair } from './logical-kit';

const dir = mkdtempSync(join(tmpdir(), 'pgpilot-switchover-resume-'));
const journal = join(dir, 'journal');

type Ran = CliRun;

const cli = runCliChild;

interface StepJson { id: string; status: string; message?: string; outputs?: Record<string, unknown> }

describe('switchover resume after the runner was killed inside the window (14 → 16)', { concurrency: 1 }, () => {
  let pair: Pair;
  let runId: string;
  let probe: Probe | undefined;
  let env: Record<string, string>;
  const conn = (s: LabServer) => `host=127.0.0.1 port=${s.port} user=${s.user} dbname=postgres`;
  const resumeArgs = () => ['logical-upgrade', '--source', conn(pair.source), '--target', conn(pair.target), '--journal', journal, '--resume', runId, '--yes', '--json'];
  const states = async () => [await readOnlyForNewSessions(pair.source), await readOnlyForNewSessions(pair.target)].join(',');
  const switchoverOf = (r: Ran): StepJson => (JSON.parse(r.stdout) as { steps: StepJson[] }).steps.find((s) => s.id === 'switchover')!;

  async function killAt(point: string): Promise<void> {
    // the gate wants the subscriber caught up: the probe keeps writing meanwhile
    await sleep(500);
    const r = await cli(resumeArgs(), { ...env, PGPILOT_FAULT: `${point}:kill` });
    assert.equal(r.signal, 'SIGKILL', `the runner was to be killed at ${point}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  }

  before(async () => {
    pair = await startPair('14', '16', 22400);
    const pgpass = join(dir, 'pgpass');
    writeFileSync(pgpass, [pair.source, pair.target].map((s) => `127.0.0.1:${s.port}:*:${s.user}:${s.password}\n`).join(''), { mode: 0o600 });
    env = { PGPASSFILE: pgpass };
    await createAppRole(pair.src);
    await ensureProbeTable(pair.src);
    await pair.src.query('CREATE TABLE accounts (id bigserial PRIMARY KEY, balance bigint NOT NULL)');
    await pair.src.query('INSERT INTO accounts (balance) SELECT g FROM generate_series(1, 1000) g');
    await pair.src.query('GRANT ALL ON ALL TABLES IN SCHEMA public TO app');
    await pair.src.query('GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO app');
    await pair.src.query('CREATE DATABASE other'); // not upgraded: must keep taking writes throughout (issue 10)
    const r = await runLogical(pair, {}, { until: 'verify-data', journalDir: journal });
    assert.equal(r.status, 'paused', describeRun(r));
    runId = r.runId;
    probe = await startProbe({ connection: multiHost(pair), password: APP_PASSWORD, intervalMs: 20 });
  });
  after(async () => {
    await probe?.stop().catch(() => undefined);
    await pair?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a database-level freeze does not stop the apply: rows written on the source reach the read-only target', async () => {
    assert.equal(await states(), 'off,on', 'the target is read-only for new sessions while it replicates');
    assert.equal(Number(await scalar(pair.tgt, "SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = 'postgres'")), 1, 'frozen by ALTER DATABASE, not ALTER SYSTEM');
    await pair.src.query("INSERT INTO accounts (balance) VALUES (-1)");
    const deadline = Date.now() + 20_000;
    while (Number(await scalar(pair.tgt, 'SELECT count(*) FROM accounts WHERE balance = -1')) === 0) {
      assert.ok(Date.now() < deadline, 'the row never reached the frozen target');
      await sleep(100);
    }
  });

  test('a step wait survives a restart of its server and names the server while it is away', { timeout: 60_000 }, async () => {
    const conns = new RunConnections({ source: labCluster(pair.source, 'old') }, { readOnly: false, passwords: { source: pair.source.password } });
    const events: string[] = [];
    try {
      const ctx = { db: (r: 'source') => conns.db(r), cluster: () => ({ role: 'source' as const, name: 'old', hosts: `127.0.0.1:${pair.source.port}`, production: false }) };
      await conns.db('source');
      const marker = 'after-restart';
      const waiting = waitReconnecting(ctx, 'source', async (q) => {
        const r = await q.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1", [marker]);
        return r.rows[0].n > 0 ? true : undefined;
      }, { what: 'a marker session', timeoutMs: 45_000, intervalMs: 50, reconnectMs: 30_000, onConnectionChange: (_s, d) => events.push(d) });
      waiting.catch(() => undefined);
      await sleep(200);
      await restartServer(pair.source);
      const c = new Client({ host: pair.source.host, port: pair.source.port, user: pair.source.user, password: pair.source.password, database: 'postgres', application_name: marker });
      await c.connect();
      try {
        assert.equal(await waiting, true);
      } finally {
        await c.end();
      }
      assert.ok(events.some((e) => e.includes('"old"') && e.includes('went away')), events.join(' | '));
      assert.ok(events.some((e) => e.includes('answers again')), events.join(' | '));
    } finally {
      await conns.closeAll();
      await pair.reconnect();
    }
  });

  for (const point of ['during-drain', 'after-drain']) {
    test(`killed at ${point} (before the commit point): both read-only; resume hands the source back, target read-only`, { timeout: 120_000 }, async () => {
      await killAt(point);
      assert.equal(await states(), 'on,on', 'the runner died inside the window: both servers read-only');
      const r = await cli(resumeArgs(), env);
      assert.equal(r.code, 130, `resume aborts the interrupted attempt (exit 130)\n${r.stdout}\n${r.stderr}`);
      const sw = switchoverOf(r);
      assert.equal(sw.status, 'aborted', JSON.stringify(sw));
      assert.equal(sw.outputs?.resumedFrom, 'frozen');
      assert.equal(sw.outputs?.targetReadOnly, true, 'proved by a fresh session before the source was reopened');
      assert.ok(typeof sw.outputs?.sourceReadOnlyMs === 'number', 'the record says how long writes were unavailable');
      assert.equal(await states(), 'off,on', 'source writable again, target read-only');
      await pair.reconnect();
      assert.equal(Number(await scalar(pair.tgt, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'pgpilot_reverse'")), 0, 'the reverse slot of the attempt is gone');
      const before = probe!.snapshot().acked;
      await sleep(500);
      assert.ok(probe!.snapshot().acked > before, 'the probe writes again (on the source)');
    });
  }

  test('killed after the commit point was journaled: resume rolls forward (target open, source read-only), nothing lost', { timeout: 120_000 }, async () => {
    await killAt('after-commit-journaled');
    assert.equal(await states(), 'on,on', 'the opening statement was never sent');
    const r = await cli(resumeArgs(), env);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const sw = switchoverOf(r);
    assert.equal(sw.status, 'succeeded', JSON.stringify(sw));
    assert.equal(sw.outputs?.resumedFrom, 'committed');
    assert.ok(typeof sw.outputs?.writeUnavailableMs === 'number' && typeof sw.outputs?.commitPointAt === 'string');
    const steps = (JSON.parse(r.stdout) as { steps: StepJson[] }).steps;
    assert.equal(steps.find((s) => s.id === 'cleanup')?.status, 'pending', 'the way back stays until an explicit finish');
    assert.equal(steps.find((s) => s.id === 'reverse-replication')?.status, 'succeeded');
    assert.equal(await states(), 'on,off', 'the target takes writes, the old source stays read-only');
    const other = await clientFor(pair.source, 'other');
    try {
      assert.equal(await scalar(other, 'SHOW default_transaction_read_only'), 'off', 'another database of the old server was never frozen');
      await other.query('CREATE TABLE IF NOT EXISTS still_writable (x int)');
    } finally {
      await other.end();
    }
    await sleep(1000);
    const stopped = probe!;
    probe = undefined;
    const report = await stopped.stop();
    await pair.reconnect();
    assert.ok((report.perHost[`127.0.0.1:${pair.target.port}`] ?? 0) > 0, 'the probe moved to the new server');
    const v = await stopped.verify(pair.tgt);
    assert.equal(v.lostCommits, 0, `acknowledged probe writes missing on the new server: ${v.lostIds.slice(0, 10).join(', ')}`);
    assert.equal(v.duplicates, 0);
    const sums = 'SELECT count(*)::text || \'/\' || sum(balance)::text FROM accounts';
    assert.equal(await scalar(pair.tgt, sums), await scalar(pair.src, sums), 'accounts equal on both servers');
    assert.equal(Number(await scalar(pair.tgt, 'SELECT count(*) FROM pg_subscription WHERE subenabled')), 0, 'the forward subscription is disabled');
  });
});
