/**
 * Issue 16, the rolling runbook: a fence that holds against clients that ignore read-only. On a REAL PostgreSQL 15
 * streaming pair, writers opt out of read-only in every way a client can (options='-c default_transaction_read_only=off',
 * SET default_transaction_read_only = off, SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE), writing straight at
 * the old primary, at the standby, and through the multi-host string, through the whole rolling switchover (read-only
 * fence, then the hard fence: the old primary stopped before the standby is promoted; pg_rewind rejoin).
 * Outcomes: every write any server acknowledged is on the new primary; the old primary acknowledged nothing after
 * the new one opened (never two writable servers); the old primary streams from the new one afterwards.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeRecord } from '../../src/cli/record';
import { hostSpecFromCluster } from '../../src/core/hosts';
import { multiHostConnection } from '../../src/core/probe';
import { readJournal } from '../../src/core/runbook';
import { runRunbook } from '../../src/core/runbook/engine';
import type { RunnerUi } from '../../src/core/runbook/types';
import { defaultRollingSwitchoverParams, rollingSwitchoverRunbook } from '../../src/core/runbooks/rolling';
import { clientFor, startTestServers, startTestStandby, type LabServer, type TestServers } from '../helpers/lab';
import { missingOn, ROGUE_TABLE_DDL, startRogueWriters, type RogueSpec } from '../helpers/rogue-writers';

const PORT_BASE = (Number(process.env.PGPILOT_TEST_PORT_BASE) || 21000) + 120;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const local = (s: LabServer) => hostSpecFromCluster({ executor: 'local', lab: { dataDir: s.dataDir, binDir: s.binDir, osUser: s.osUser, version: s.version } });
const direct = (s: LabServer) => `host=${s.host} port=${s.port} user=postgres dbname=postgres connect_timeout=5`;

const ui: RunnerUi = {
  async confirm() { return { confirmed: true, by: 'test' }; },
  progress() {},
  log(level, message) { if (process.env.PGPILOT_TEST_ECHO) process.stderr.write(`${level}: ${message}\n`); },
};

describe('rolling switchover: the fence holds against clients that ignore read-only (real PG 15 pair)', { timeout: 300_000 }, () => {
  let lab: TestServers;
  let primary: LabServer;
  let standby: LabServer;
  let journalDir: string;

  before(async () => {
    journalDir = mkdtempSync(join(tmpdir(), 'pgpilot-rolling-fence-'));
    lab = await startTestServers(['15'], { portBase: PORT_BASE });
    primary = lab.servers[0];
    const c = await clientFor(primary);
    await c.query(ROGUE_TABLE_DDL);
    await c.end();
    standby = await startTestStandby(primary);
  });
  after(async () => {
    await lab?.stop();
    rmSync(journalDir, { recursive: true, force: true });
  });

  it('0 acknowledged writes lost, nothing acknowledged by the old primary after the new one opened', async () => {
    const both = multiHostConnection([{ host: primary.host, port: primary.port }, { host: standby.host, port: standby.port }], 'postgres', 'postgres', 5);
    const specs: RogueSpec[] = [
      { name: 'old-options', connection: direct(primary), optOut: 'options' },
      { name: 'old-set', connection: direct(primary), optOut: 'set' },
      { name: 'old-session', connection: direct(primary), optOut: 'session' },
      { name: 'new-options', connection: direct(standby), optOut: 'options' },
      { name: 'multi-options', connection: both, optOut: 'options' },
      { name: 'multi-set', connection: both, optOut: 'set' },
    ];
    const writers = startRogueWriters(specs, primary.password, 5);
    await sleep(300);
    const r = await runRunbook({
      runbook: rollingSwitchoverRunbook,
      clusters: {
        primary: { name: primary.name, connection: primary.connection, password: async () => primary.password },
        standby: { name: standby.name, connection: standby.connection, password: async () => standby.password },
      },
      params: defaultRollingSwitchoverParams({ hosts: { primary: local(primary), standby: local(standby) }, clientConnection: both }),
      ui, journalDir, operator: 'test',
    });
    await sleep(500);
    const acks = await writers.stop();
    assert.equal(r.status, 'succeeded', `${r.status}: ${r.message}\n${JSON.stringify(r.steps.map((s) => [s.id, s.status, s.message]), null, 1)}`);
    const so = r.steps.find((s) => s.id === 'switchover')!.outputs!;
    const opened = Date.parse(String(so.newPrimaryOpenedAt));
    const frozen = Date.parse(String(so.freezeStartedAt));
    const oldHost = `${primary.host}:${primary.port}`;
    const newHost = `${standby.host}:${standby.port}`;
    const onOld = acks.filter((a) => a.host === oldHost);
    const duringFence = onOld.filter((a) => a.at >= frozen);
    console.log(`# rolling fence: ${acks.length} acknowledged writes (${onOld.length} by the old primary, ${duringFence.length} of them after the read-only fence started); ` +
      `window ${so.writeUnavailableMs} ms = ${JSON.stringify(so.windowBreakdown)}`);

    assert.ok(onOld.length > 0 && acks.some((a) => a.host === newHost), 'the writers wrote on both servers');
    for (const w of specs.filter((x) => !x.name.startsWith('old-'))) assert.ok(acks.some((a) => a.writer === w.name && a.host === newHost), `${w.name} wrote on the new primary`);
    const late = onOld.filter((a) => a.at >= opened);
    assert.deepEqual(late, [], 'the old primary acknowledged nothing once the new primary was open');
    const np = await clientFor(standby);
    try {
      assert.deepEqual(await missingOn(np, acks), [], 'every acknowledged write is on the new primary');
    } finally {
      await np.end();
    }
    assert.equal(so.hardFence, 'stop');
    assert.ok(Array.isArray(so.windowBreakdown) && (so.windowBreakdown as unknown[]).length >= 4);
    assert.equal(r.steps.find((s) => s.id === 'verify-replication')!.outputs!.state, 'streaming');

    // --record: the CLI's record of this run tells the truth
    const file = join(journalDir, 'records', 'rolling.md');
    await writeRecord(file, 'en', rollingSwitchoverRunbook, r, ui);
    const md = readFileSync(file, 'utf8');
    assert.match(md, /- \*\*Outcome:\*\* \*\*Completed successfully\.\*\* PostgreSQL 15\.\d+ → 15\.\d+\. Writes were unavailable for [\d.]+ (ms|s)\./);
    assert.match(md, /### Where the window went\n\n\| Phase \| Time \|[\s\S]*\| stop the primary \|/);
    assert.match(md, /\| Fence on the old primary \| read-only \|/);
    assert.match(md, /pg_ctl'? -D [^\n]* -m fast -w -t 120 stop/, 'the stop is in the statements');
    assert.ok(!md.includes(primary.password), 'no password in the record');
  });

  it('a delayed standby (recovery_min_apply_delay = 1h) is refused by the preflight with the fix, before anything changes', async () => {
    // after the first test the roles are swapped: the old primary streams from the new one
    const [newPrimary, newStandby] = [standby, primary];
    const s = await clientFor(newStandby);
    try {
      await s.query("ALTER SYSTEM SET recovery_min_apply_delay = '1h'");
      await s.query('SELECT pg_reload_conf()');
    } finally {
      await s.end();
    }
    const r = await runRunbook({
      runbook: rollingSwitchoverRunbook,
      clusters: {
        primary: { name: newPrimary.name, connection: newPrimary.connection, password: async () => newPrimary.password },
        standby: { name: newStandby.name, connection: newStandby.connection, password: async () => newStandby.password },
      },
      params: defaultRollingSwitchoverParams({ hosts: { primary: local(newPrimary), standby: local(newStandby) } }),
      ui, journalDir, operator: 'test', until: 'preflight',
    });
    const pf = r.steps.find((x) => x.id === 'preflight')!;
    assert.equal(pf.status, 'failed');
    const finished = (await readJournal(r.journalFile)).filter((e) => e.type === 'step-finished' && e.stepId === 'preflight').pop();
    const f = (finished?.type === 'step-finished' ? finished.findings ?? [] : []).find((x) => x.id === 'apply-delay')!;
    assert.equal(f.severity, 'error');
    assert.match(f.message, /recovery_min_apply_delay = 3600 s/);
    assert.match(f.fix!, /ALTER SYSTEM SET recovery_min_apply_delay = 0; SELECT pg_reload_conf\(\);/);
    const p = await clientFor(newPrimary);
    try {
      assert.equal((await p.query("SELECT current_setting('default_transaction_read_only') AS v")).rows[0].v, 'off', 'nothing was fenced');
    } finally {
      await p.end();
    }
  });
});
