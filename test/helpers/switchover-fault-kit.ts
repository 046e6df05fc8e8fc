/**
 * The fault suite's bench (test/integration/switchover-faults*.test.ts): one source/target pair per file, a fault
 * proxy in front of each server for the CLI, the CLI as a child process (PGPILOT_FAULT for a runner crash), a
 * libpq multi-host writer (src/core/probe) and a writable sampler on both servers, and the assertions every case
 * makes: never two writable servers, no acknowledged write lost or duplicated, the expected end state.
 *
 *   const bench = await startFaultBench({ source: '14', target: '16', portBase: 22500 });
 *   const runId = await bench.prepare();                 // a fresh run paused before the switchover
 *   const watch = await bench.watch();                   // writer + sampler
 *   const r = await bench.cli(bench.switchoverArgs(runId), { fault: 'during-drain:kill' });
 *   const again = await bench.cli(bench.resumeArgs(runId));
 *   const seen = await watch.stop();
 *   await bench.assertEndState(seen, { writable: 'target', faultAt: r.endedAt });
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import { runRunbook, type RunnerUi } from '../../src/core/runbook';
import { defaultLogicalUpgradeParams, logicalUpgradeRunbook } from '../../src/core/runbooks/logical';
import { ensureProbeTable, startProbe, type CommitVerification, type ProbeReport } from '../../src/core/probe';
import { quoteIdent } from '../../src/core/sql';
import { startFaultProxy, type FaultProxy } from './fault-proxy';
import { clientFor, startTestServers, type LabServer, type TestServers } from './lab';
import {
  assertNeverTwoWritable, describeTimeline, samplingStats, firstOneWritableAt, startWritableSampler, type Timeline, type WritableSampler,
} from './writable-sampler';

export const APP_ROLE = 'app';
export const APP_PASSWORD = 'app-Fault pass';
const REPO = join(__dirname, '..', '..');
const CLI_MAIN = join(REPO, 'src', 'cli', 'main.ts');
/** Every CLI child is killed after this long (a hung child must not hang the suite). */
const CLI_BOUND_MS = 240_000;

export type Role = 'source' | 'target';

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  startedAt: number;
  endedAt: number;
  /** The suite killed it: it had not ended within its bound (a hang). */
  killedByBound: boolean;
  /** The --json result when the process printed one. */
  json?: { runId?: string; status?: string; message?: string; steps?: Array<{ id: string; status: string; message?: string; outputs?: Record<string, unknown> }> };
}

export interface CliOptions {
  fault?: string;
  env?: Record<string, string>;
  boundMs?: number;
  boundAfter?: () => number | undefined;
}

export interface Seen {
  timeline: Timeline;
  probe: ProbeReport;
  /** Every acknowledged write of the writer present exactly once on this server? */
  verify(on: Client): Promise<CommitVerification>;
}

export interface Watch {
  sampler: WritableSampler;
  stop(): Promise<Seen>;
}

export interface CaseResult {
  pair: string;
  name: string;
  endState: string;
  recoveryMs?: number;
  acked: number;
  samplesPerServer: Record<string, number>;
  maxSampleGapMs: Record<string, number>;
  p50SampleGapMs: Record<string, number>;
  watchedMs: number;
  note?: string;
}

export interface FaultBench {
  readonly lab: TestServers;
  readonly source: LabServer;
  readonly target: LabServer;
  readonly pairName: string; // "14→16"
  /** The CLI reaches each server through these. */
  readonly proxies: Record<Role, FaultProxy>;
  readonly journal: string;
  /** Admin session (superuser, writes allowed) on a server; reconnects when the previous one broke. */
  admin(role: Role): Promise<Client>;
  /** One query on a fresh admin session. */
  /** One statement on a fresh session; `database` defaults to the replicated one (its sessions end at the freeze). */
  sql<R = Record<string, unknown>>(role: Role, text: string, values?: unknown[], database?: string): Promise<R[]>;
  /** A new run, through the CLI, paused right before the switchover (replication set up, data verified). */
  prepare(): Promise<string>;
  switchoverArgs(runId: string, extra?: string[]): string[];
  resumeArgs(runId: string, extra?: string[]): string[];
  /**
   * `boundMs`: the child is SIGKILLed after this long (default 240 s); or, with `boundAfter`, this long after the
   * moment it returns (e.g. when a proxy fault fired). `killedByBound` then says so.
   */
  cli(args: string[], opts?: CliOptions): Promise<CliRun>;
  /** Start the multi-host writer and the sampler of both servers (as the application role sees them). */
  watch(): Promise<Watch>;
  /** What a new client of each server sees now. */
  writableNow(): Promise<Record<Role, 'writable' | 'read-only' | 'unreachable'>>;
  /**
   * The guarantees: never two writable servers at any sample; exactly `writable` takes writes at the end; every
   * acknowledged write present exactly once there; and the same rows on the other side when replication carries
   * them (`replicated`). Returns the measured recovery time (fault → the first sample with exactly one writable server).
   */
  assertEndState(seen: Seen, expect: { writable: Role; faultAt?: number; replicated?: boolean; context: string }): Promise<number | undefined>;
  /** After a case, passed or failed: kill its CLI children still running, stop its writer and sampler. */
  endCase(): Promise<void>;
  /** Back to "nothing set up": replication objects dropped on both, both writable, the target's tables emptied. */
  reset(): Promise<void>;
  /** Append a case's figures to $PGPILOT_FAULTS_REPORT (JSON lines), for docs/switchover-faults.md. */
  report(r: Omit<CaseResult, 'pair'>): void;
  stop(): Promise<void>;
}

export interface FaultBenchOptions {
  source: string;
  target: string;
  portBase: number;
  /**
   * Switchover drain timeout given to the CLI (seconds), default 20: long enough that a loaded machine does not abort
   * a window that should pass; the cases that want the timeout to fire give a short one themselves.
   */
  switchoverTimeoutS?: number;
}

/** Small data: the probe table and a table with a sequence (sequences must follow the switchover). */
async function createSchema(c: Client, withRows: boolean): Promise<void> {
  await c.query(`CREATE ROLE ${APP_ROLE} LOGIN PASSWORD '${APP_PASSWORD.replace(/'/g, "''")}'`);
  await c.query(`GRANT CREATE ON SCHEMA public TO ${APP_ROLE}`);
  await ensureProbeTable(c);
  await c.query('CREATE TABLE accounts (id bigserial PRIMARY KEY, balance bigint NOT NULL)');
  if (withRows) await c.query('INSERT INTO accounts (balance) SELECT g FROM generate_series(1, 500) g');
  await c.query(`GRANT ALL ON ALL TABLES IN SCHEMA public TO ${APP_ROLE}`);
  await c.query(`GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ${APP_ROLE}`);
}

export async function startFaultBench(o: FaultBenchOptions): Promise<FaultBench> {
  const lab = await startTestServers([o.source, o.target], {
    portBase: o.portBase,
    // prepared transactions for the case that needs one; a killed walsender's apply worker back within 0.5 s;
    // synchronous_commit on: a server stopped -m immediate keeps every write it acknowledged (fsync off is fine: the
    // OS does not crash)
    settings: { max_prepared_transactions: '4', wal_retrieve_retry_interval: '500ms', synchronous_commit: 'on' },
  });
  const [source, target] = lab.servers;
  const servers: Record<Role, LabServer> = { source, target };
  const dir = mkdtempSync(join(tmpdir(), 'pgpilot-faults-'));
  const journal = join(dir, 'journal');
  const pgpass = join(dir, 'pgpass');
  let proxies: Record<Role, FaultProxy>;
  try {
    proxies = {
      source: await startFaultProxy({ upstreamPort: source.port, port: o.portBase + 90 }),
      target: await startFaultProxy({ upstreamPort: target.port, port: o.portBase + 91 }),
    };
  } catch (e) {
    await lab.stop();
    throw e;
  }
  const ports = [source.port, target.port, proxies.source.port, proxies.target.port];
  const passwordOf = (port: number) => (port === source.port || port === proxies.source.port ? source.password : target.password);
  writeFileSync(pgpass, ports.map((p) => `127.0.0.1:${p}:*:postgres:${passwordOf(p)}\n`).join(''), { mode: 0o600 });
  // generous connect timeouts: the suite runs on a loaded 2-core machine (the outcome is asserted, not the speed)
  const conn = (port: number) => `host=127.0.0.1 port=${port} user=postgres dbname=postgres connect_timeout=10`;
  const timeoutS = o.switchoverTimeoutS ?? 20;
  const pairName = `${source.major}→${target.major}`;

  const admins: Partial<Record<Role, Client>> = {};
  const children = new Set<ReturnType<typeof spawn>>();
  const watches = new Set<Watch>();
  const admin = async (role: Role): Promise<Client> => {
    const cur = admins[role];
    if (cur) {
      try {
        await cur.query('SELECT 1');
        return cur;
      } catch {
        await cur.end().catch(() => undefined);
      }
    }
    const c = await clientFor(servers[role]);
    c.on('error', () => undefined);
    await c.query('SET default_transaction_read_only = off');
    admins[role] = c;
    return c;
  };
  const sql = async <R>(role: Role, text: string, values?: unknown[], database?: string): Promise<R[]> => {
    const c = await clientFor(servers[role], database);
    c.on('error', () => undefined);
    try {
      await c.query('SET default_transaction_read_only = off');
      return (await c.query(text, values)).rows as R[];
    } finally {
      await c.end().catch(() => undefined);
    }
  };

  await createSchema(await admin('source'), true);
  await createSchema(await admin('target'), false); // pg_dump 15 cannot read every source: the schema is there already

  const baseArgs = () => ['logical-upgrade', '--source', conn(proxies.source.port), '--target', conn(proxies.target.port),
    '--subscriber-source', conn(source.port), '--journal', journal, '--yes', '--json', '--switchover-timeout', String(timeoutS)];

  const cli = (args: string[], opts: CliOptions = {}): Promise<CliRun> => new Promise((resolve) => {
    const startedAt = Date.now();
    const env: NodeJS.ProcessEnv = { ...process.env, PGPASSFILE: pgpass, PGPASSWORD: '', ...opts.env };
    if (opts.fault) env.PGPILOT_FAULT = opts.fault;
    else delete env.PGPILOT_FAULT;
    const child = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    let killedByBound = false;
    const boundMs = opts.boundMs ?? CLI_BOUND_MS;
    const bound = setInterval(() => {
      const from = opts.boundAfter ? opts.boundAfter() : startedAt;
      if (from !== undefined && Date.now() - from > boundMs) {
        killedByBound = true;
        child.kill('SIGKILL');
      }
    }, 200);
    child.on('exit', (code, signal) => {
      children.delete(child);
      clearInterval(bound);
      let json: CliRun['json'];
      try { json = JSON.parse(stdout); } catch { json = undefined; }
      resolve({ code, signal, stdout, stderr, startedAt, endedAt: Date.now(), json, killedByBound });
    });
  });

  const writableNow = async () => {
    const out = {} as Record<Role, 'writable' | 'read-only' | 'unreachable'>;
    for (const role of ['source', 'target'] as const) {
      const s = servers[role];
      const c = new (await import('pg')).Client({ host: s.host, port: s.port, user: APP_ROLE, password: APP_PASSWORD, database: 'postgres', connectionTimeoutMillis: 3000 });
      c.on('error', () => undefined);
      try {
        await c.connect();
        const r = await c.query<{ transaction_read_only: string }>('SHOW transaction_read_only');
        out[role] = r.rows[0].transaction_read_only === 'off' ? 'writable' : 'read-only';
      } catch {
        out[role] = 'unreachable';
      } finally {
        await c.end().catch(() => undefined);
      }
    }
    return out;
  };

  const bench: FaultBench = {
    lab, source, target, pairName, proxies, journal,
    admin, sql, cli, writableNow,

    async prepare() {
      proxies.source.disarm();
      proxies.target.disarm();
      // The CLI has no --until for this runbook: the engine itself runs the preparation into the same journal
      // (same connections as the CLI's, so the CLI's --resume takes it over).
      const quiet: RunnerUi = { confirm: async () => ({ confirmed: true, by: 'fault-suite' }), progress: () => undefined, log: () => undefined };
      const r = await runRunbook({
        runbook: logicalUpgradeRunbook,
        clusters: {
          source: { name: 'old', connection: conn(proxies.source.port), password: async () => source.password },
          target: { name: 'new', connection: conn(proxies.target.port), password: async () => target.password },
        },
        params: defaultLogicalUpgradeParams({ subscriberConnection: conn(source.port), switchoverTimeoutMs: timeoutS * 1000, reverseReplication: true }),
        ui: quiet, journalDir: journal, until: 'verify-data', operator: 'fault-suite',
      });
      assert.equal(r.status, 'paused', `preparing the run (until verify-data): ${r.status} ${r.message}\n${r.steps.map((x) => `  ${x.id}: ${x.status} ${x.message ?? ''}`).join('\n')}`);
      return r.runId;
    },
    switchoverArgs: (runId, extra = []) => [...baseArgs(), '--resume', runId, ...extra],
    resumeArgs: (runId, extra = []) => [...baseArgs(), '--resume', runId, ...extra],

    async watch() {
      const app = (s: LabServer) => ({ host: s.host, port: s.port, user: APP_ROLE, password: APP_PASSWORD, database: 'postgres' });
      const sampler = startWritableSampler({ servers: { source: app(source), target: app(target) }, intervalMs: 10, maxInFlight: 6 });
      const probe = await startWriter(source, target).catch(async (e) => {
        await sampler.stop();
        throw e;
      });
      const w: Watch = {
        sampler,
        async stop() {
          watches.delete(w);
          const probeReport = await probe.stop();
          const timeline = await sampler.stop();
          return { timeline, probe: probeReport, verify: (c) => probe.verify(c) };
        },
      };
      watches.add(w);
      return w;
    },

    async assertEndState(seen, expect) {
      const { timeline } = seen;
      const ctx = `${pairName} ${expect.context}`;
      assertNeverTwoWritable(timeline, ctx);
      const now = await writableNow();
      const other: Role = expect.writable === 'source' ? 'target' : 'source';
      assert.equal(now[expect.writable], 'writable', `${ctx}: the ${expect.writable} should take writes at the end; now ${JSON.stringify(now)}\n${describeTimeline(timeline)}`);
      assert.notEqual(now[other], 'writable', `${ctx}: the ${other} must not take writes at the end`);
      const v = await seen.verify(await admin(expect.writable));
      assert.equal(v.lostCommits, 0, `${ctx}: acknowledged writes lost on the ${expect.writable}: ${v.lostIds.join(', ')}`);
      assert.equal(v.duplicates, 0, `${ctx}: acknowledged writes duplicated on the ${expect.writable}: ${v.duplicateIds.join(', ')}`);
      assert.ok(v.acked > 0, `${ctx}: the writer had no acknowledged write at all`);
      // After an abort the run has ended: by design its forward subscription is disabled and holds no password any
      // more (issue 13: no password in pg_subscription once a run ends); it replicates again when the run resumes.
      const parked = expect.writable === 'source' && await subscriptionParked(await admin('target'), source.password);
      if (expect.replicated !== false && !parked) await assertSameRows(admin, seen.probe.run, expect.writable, other, ctx);
      const back = expect.faultAt === undefined ? undefined : firstOneWritableAt(timeline, expect.faultAt);
      return back ? Math.max(0, back.at - expect.faultAt!) : undefined;
    },

    async endCase() {
      for (const child of children) child.kill('SIGKILL');
      for (const w of [...watches]) await w.stop().catch(() => undefined);
      while (children.size) await new Promise((r) => setTimeout(r, 50));
    },

    async reset() {
      proxies.source.disarm();
      proxies.target.disarm();
      for (const role of ['target', 'source'] as const) {
        const c = await admin(role);
        // sessions a killed or bounded run left behind (through a proxy that swallowed their traffic) hold its lock
        await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`);
        for (const { gid } of (await c.query<{ gid: string }>('SELECT gid FROM pg_prepared_xacts')).rows) {
          await c.query(`ROLLBACK PREPARED ${quoteLiteralGid(gid)}`);
        }
        for (const { subname } of (await c.query<{ subname: string }>('SELECT subname FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())')).rows) {
          await c.query(`ALTER SUBSCRIPTION ${quoteIdent(subname)} DISABLE`);
          await c.query(`ALTER SUBSCRIPTION ${quoteIdent(subname)} SET (slot_name = NONE)`);
          await c.query(`DROP SUBSCRIPTION ${quoteIdent(subname)}`);
        }
      }
      for (const role of ['source', 'target'] as const) {
        const c = await admin(role);
        for (const { pubname } of (await c.query<{ pubname: string }>('SELECT pubname FROM pg_publication')).rows) await c.query(`DROP PUBLICATION ${quoteIdent(pubname)}`);
        await c.query(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE active_pid IS NOT NULL`);
        for (let i = 0; i < 50; i++) {
          const left = await c.query<{ slot_name: string; active: boolean }>('SELECT slot_name, active FROM pg_replication_slots');
          if (left.rows.length === 0) break;
          for (const s of left.rows) if (!s.active) await c.query('SELECT pg_drop_replication_slot($1)', [s.slot_name]).catch(() => undefined);
          await new Promise((r) => setTimeout(r, 100));
        }
        await c.query('ALTER SYSTEM RESET ALL');
        await c.query('SELECT pg_reload_conf()');
        await c.query('ALTER DATABASE postgres RESET ALL');
        await c.query(`ALTER ROLE ${APP_ROLE} LOGIN`);
        await c.query(`ALTER ROLE ${APP_ROLE} RESET ALL`);
      }
      await (await admin('target')).query('TRUNCATE pgpilot_probe, accounts');
    },

    report(r) {
      const file = process.env.PGPILOT_FAULTS_REPORT;
      const line = { pair: pairName, ...r };
      console.log(`# fault case ${pairName} ${r.name}: ${r.endState}; recovery ${r.recoveryMs ?? '–'} ms; ${r.acked} acked writes; samples ${JSON.stringify(r.samplesPerServer)}`);
      if (file) appendFileSync(file, `${JSON.stringify(line)}\n`);
    },

    async stop() {
      for (const c of Object.values(admins)) await c?.end().catch(() => undefined);
      await Promise.allSettled([proxies.source.close(), proxies.target.close()]);
      try {
        await lab.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  return bench;
}

/** The libpq multi-host writer (heartbeat every 20 ms); its first connect retried for a while on a loaded machine. */
async function startWriter(source: LabServer, target: LabServer) {
  const opts = {
    connection: `host=127.0.0.1,127.0.0.1 port=${source.port},${target.port} user=${APP_ROLE} dbname=postgres target_session_attrs=read-write connect_timeout=5`,
    password: APP_PASSWORD, intervalMs: 20, attemptTimeoutMs: 5000,
  };
  for (let attempt = 1; ; attempt++) {
    try {
      return await startProbe(opts);
    } catch (e) {
      if (attempt >= 5) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

function quoteLiteralGid(gid: string): string {
  return `'${gid.replace(/'/g, "''")}'`;
}

/** Every subscription of the target disabled, and none of them holds a password (the state a run leaves at its end). */
async function subscriptionParked(target: Client, password: string): Promise<boolean> {
  const r = await target.query<{ enabled: boolean; conninfo: string }>('SELECT subenabled AS enabled, subconninfo AS conninfo FROM pg_subscription');
  return r.rows.length > 0 && r.rows.every((x) => !x.enabled && !x.conninfo.includes(password));
}

/** The other side has exactly the same probe rows of this run (replication carried them), within a bound. */
async function assertSameRows(admin: (r: Role) => Promise<Client>, run: string, from: Role, to: Role, ctx: string): Promise<void> {
  const count = async (role: Role) => Number((await (await admin(role)).query<{ n: string }>('SELECT count(*) AS n FROM pgpilot_probe WHERE run = $1', [run])).rows[0].n);
  const want = await count(from);
  let got = -1;
  for (const deadline = Date.now() + 15_000; Date.now() < deadline;) {
    got = await count(to);
    if (got === want) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(got, want, `${ctx}: replication should carry the ${from}'s ${want} probe rows to the ${to}; it has ${got} after 15 s`);
  const diff = await (await admin(to)).query<{ n: string }>('SELECT count(*) AS n FROM pgpilot_probe WHERE run = $1', [run]);
  assert.equal(Number(diff.rows[0].n), want);
}

export function describeCli(r: CliRun): string {
  const steps = r.json?.steps?.map((s) => `  ${s.id}: ${s.status}${s.message ? ` — ${s.message}` : ''}`).join('\n') ?? '';
  return `exit ${r.code ?? r.signal} after ${r.endedAt - r.startedAt} ms; ${r.json ? `status ${r.json.status}: ${r.json.message ?? ''}` : 'no JSON result'}\n${steps}\n--- stderr (tail)\n${r.stderr.split('\n').slice(-25).join('\n')}`;
}

/** Figures of a watch for the report. */
export function sampleFigures(seen: Seen): Pick<CaseResult, 'acked' | 'samplesPerServer' | 'maxSampleGapMs' | 'watchedMs' | 'p50SampleGapMs'> {
  const st = samplingStats(seen.timeline);
  return {
    watchedMs: seen.timeline.stoppedAt - seen.timeline.startedAt,
    p50SampleGapMs: Object.fromEntries(Object.entries(st).map(([k, v]) => [k, v.p50GapMs])),
    acked: seen.probe.acked,
    samplesPerServer: Object.fromEntries(Object.entries(st).map(([k, v]) => [k, v.samples])),
    maxSampleGapMs: Object.fromEntries(Object.entries(st).map(([k, v]) => [k, v.maxGapMs])),
  };
}

/** The single run id in a journal directory that is not one of `known` (after a runner was killed: no JSON). */
export function newRunIds(journal: string, known: string[]): string[] {
  return readdirSync(journal).map((f) => f.replace(/\.jsonl?$/, '')).filter((id) => !known.includes(id));
}
