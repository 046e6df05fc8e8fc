/**
 * The switchover benchmark: one pair of lab servers (default 14 → 16, pgbench scale 30), prepared once by the
 * logical-upgrade runbook, then switched back and forth under 20 TPC-B-like writers — N times with the runbook's
 * guarded switchover, then N times with seed 001's manual psql steps — measuring each window as the writers saw
 * it and proving lost / duplicated commits and lost updates (TPC-B balance sums) after every switchover.
 *
 * Between switchovers (outside any window) replication is turned around: the old forward subscription is dropped
 * and the old server subscribes to the new one from the slot created just before the new one opened
 * (copy_data = false), so every switchover starts from the same state: old open, new frozen and caught up.
 */
import type { Client } from 'pg';
import { connectLab, labDown, labUp, type LabServer } from '../lab';
import { initPgbenchData, pgbenchSchemaStatements, multiHostConnection, percentile, startWriters, type BalanceCheck, type WritersReport } from '../probe';
import { maxOf } from '../probe/timing';
import { runRunbook } from '../runbook';
import { defaultLogicalUpgradeParams, logicalUpgradeRunbook, type LogicalUpgradeParams } from '../runbooks/logical';
import { liftFence } from '../runbooks/logical/fence';
import { quoteIdent, quoteLiteral } from '../sql';
import { routingOutputsOf, setPoolerPasswordProvider } from '../routing';
import { manualSwitchover, manualSwitchoverScript } from './manual';
import { findPsql, pgDumpUsable } from './schema';
import { DemoUi } from './ui';

/**
 * guarded: multi-host clients; variant: the same with `variantEnv` set (an A/B of a window tuning); heavy: the same guarded switchover under `heavyWriters` writers; pgbouncer: the same
 * guarded switchover, clients through PgBouncer moved by it.
 */
export type BenchMethod = 'guarded' | 'manual' | 'heavy' | 'variant' | 'pgbouncer';

export interface BenchOptions {
  from: string;
  to: string;
  scale: number;
  writers: number;
  /** Writers of the 'heavy' method (e.g. 50). */
  heavyWriters?: number;
  /** Environment set around each 'variant' switchover (the window's tuning knobs, e.g. PGPILOT_SUBSCRIPTION_SYNC). */
  variantEnv?: Record<string, string>;
  switchovers: number; // per method
  methods: BenchMethod[];
  dir: string;
  portBase: number;
  keep: boolean;
  /** Load before each switchover, and after it once every writer is back. */
  warmupMs: number;
  afterMs: number;
  /** The runbook's lagThresholdBytes (default its own, 1 MiB): how far behind the subscriber may be at the freeze. */
  lagThresholdBytes?: number;
  /** Writers reconnect like a pool (one probes, the others wait); false: each on its own. */
  coordinatedReconnect: boolean;
  log(line: string): void;
}

export interface BenchIteration {
  method: BenchMethod;
  n: number;
  from: string;
  to: string;
  /** The procedure's own figure: runbook writeUnavailableMs (freeze → open), or first psql started → last psql done. */
  procedureMs: number;
  /** Writers: last commit acknowledged by the old server → first by the new one (nobody could commit). */
  writersWindowMs?: number;
  /** Writers: the longest any single client waited between two of its commits across the switchover. */
  worstClientMs?: number;
  p50ClientMs?: number;
  /** The old server acknowledged commits after the new one had started to: both were writable. */
  overlapped: boolean;
  acked: number;
  tps: number;
  lostCommits: number;
  duplicates: number;
  /** The TPC-B sums moved apart during this switchover: updates were lost (or applied twice). */
  balanceBroken: boolean;
  /** Failed attempts the writers saw (errors an application would get). */
  clientErrors: number;
  detail: Record<string, number | string | undefined>;
  /** The runbook's windowBreakdown (guarded methods). */
  phases?: Array<{ phase: string; ms: number }>;
}

export interface BenchMethodSummary {
  method: BenchMethod;
  runs: number;
  writersWindowP50?: number;
  writersWindowMax?: number;
  worstClientP50?: number;
  worstClientMax?: number;
  procedureP50?: number;
  procedureMax?: number;
  lostCommits: number;
  duplicates: number;
  balanceBroken: number;
  overlapped: number;
  clientErrors: number;
}

export interface BenchResult {
  servers: { a: string; b: string };
  setupMs: number;
  iterations: BenchIteration[];
  summaries: BenchMethodSummary[];
  manualScript: string[];
  totalMs: number;
}

interface Direction {
  source: LabServer;
  target: LabServer;
  params: LogicalUpgradeParams;
}

/** Publication on server x, and the subscription (= slot name) that replicates x to the other server. */
const names = (x: 'a' | 'b') => ({ pub: `bench_pub_${x}`, sub: x === 'a' ? 'bench_ab' : 'bench_ba' });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withClient<T>(server: LabServer, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = await connectLab(server);
  try {
    await c.query('SET default_transaction_read_only = off');
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(100);
  }
}

const endpoint = (s: LabServer) => `${s.host}:${s.port}`;
const imbalance = (b: BalanceCheck) => [BigInt(b.accounts) - BigInt(b.history), BigInt(b.tellers) - BigInt(b.history), BigInt(b.branches) - BigInt(b.history)].join(',');

export function summarize(method: BenchMethod, its: BenchIteration[]): BenchMethodSummary {
  const mine = its.filter((i) => i.method === method);
  const w = mine.map((i) => i.writersWindowMs).filter((v): v is number => v !== undefined);
  const c = mine.map((i) => i.worstClientMs).filter((v): v is number => v !== undefined);
  const p = mine.map((i) => i.procedureMs);
  return {
    method, runs: mine.length,
    writersWindowP50: percentile(w, 50), writersWindowMax: maxOf(w),
    worstClientP50: percentile(c, 50), worstClientMax: maxOf(c),
    procedureP50: percentile(p, 50), procedureMax: maxOf(p),
    lostCommits: mine.reduce((n, i) => n + i.lostCommits, 0),
    duplicates: mine.reduce((n, i) => n + i.duplicates, 0),
    balanceBroken: mine.filter((i) => i.balanceBroken).length,
    overlapped: mine.filter((i) => i.overlapped).length,
    clientErrors: mine.reduce((n, i) => n + i.clientErrors, 0),
  };
}

export async function runSwitchoverBench(o: BenchOptions): Promise<BenchResult> {
  const t0 = Date.now();
  const psql = o.methods.includes('manual') ? await findPsql() : undefined;
  if (o.methods.includes('manual') && !psql) throw new Error('the manual comparison needs psql (e.g. apt-get install postgresql-client-15); or run only the guarded switchovers (--no-manual)');
  await labDown({ dir: o.dir, purge: true });
  const up = await labUp([o.from, o.to], { dir: o.dir, portBase: o.portBase, pgbouncer: o.methods.includes('pgbouncer') });
  const [a, b] = up.servers;
  const pooler = up.pgbouncer;
  if (pooler) setPoolerPasswordProvider(async () => pooler.adminPassword);
  const iterations: BenchIteration[] = [];
  try {
    o.log(`servers: PostgreSQL ${a.version} on ${endpoint(a)}, ${b.version} on ${endpoint(b)}`);
    await withClient(a, async (c) => {
      await initPgbenchData(c, o.scale);
      if (pooler) await c.query(`GRANT ALL ON ALL TABLES IN SCHEMA public TO ${quoteIdent(pooler.appUser ?? 'app')}`);
    });
    o.log(`pgbench scale ${o.scale} loaded on ${a.version} (${Math.round((Date.now() - t0) / 1000)} s)`);

    const paramsFrom = (x: 'a' | 'b', copySchema: boolean, viaPooler = false): LogicalUpgradeParams => {
      const fwd = names(x);
      const back = names(x === 'a' ? 'b' : 'a');
      return defaultLogicalUpgradeParams({
        publication: fwd.pub, subscription: fwd.sub,
        reverseReplication: true, reversePublication: back.pub, reverseSubscription: back.sub,
        copySchema, syncTimeoutMs: 30 * 60_000, lagThresholdBytes: o.lagThresholdBytes,
        clientRouting: viaPooler && pooler ? { kind: 'pgbouncer', poolers: [{ admin: pooler.adminConnection, config: { path: pooler.configFile, executor: 'local', osUser: pooler.osUser } }] } : undefined,
      });
    };
    const cluster = (s: LabServer) => ({ name: s.name, connection: s.connection, password: async () => s.password });
    const ui = new DemoUi((_tag, text, level) => { if (level === 'warn' || level === 'error') o.log(`runbook ${level}: ${text}`); });
    const journalDir = `${o.dir}/journal`;
    // the gate's "wait until it catches up" is retried below: not worth a warning each time
    const quietUi = new DemoUi((_tag, text, level) => { if ((level === 'warn' || level === 'error') && !/behind/.test(text)) o.log(`runbook ${level}: ${text}`); });

    // ---- prepare once: the runbook up to the data comparison ----
    const copySchema = await pgDumpUsable(a.major, b.major);
    if (!copySchema) {
      await withClient(b, async (c) => { for (const sql of pgbenchSchemaStatements()) await c.query(sql); });
    }
    const setup = await runRunbook({ runbook: logicalUpgradeRunbook, clusters: { source: cluster(a), target: cluster(b) }, params: paramsFrom('a', copySchema), ui, journalDir, operator: 'bench', until: 'verify-data' });
    if (setup.status !== 'paused' && setup.status !== 'succeeded') throw new Error(`preparing replication failed: ${setup.message}`);
    const setupMs = Date.now() - t0;
    o.log(`replication ${a.version} → ${b.version} ready (${Math.round(setupMs / 1000)} s)`);

    const connection = multiHostConnection([{ host: a.host, port: a.port }, { host: b.host, port: b.port }], a.user, a.database);
    const password = async (ep: { port: number }) => [a, b].find((s) => s.port === ep.port)?.password;
    let dir: Direction = { source: a, target: b, params: paramsFrom('a', false) };
    let lastImbalance = '0,0,0';

    const prepare = async (d: Direction, method: BenchMethod) => {
      // The new server was the old source of the previous switchover: its hard fence goes (it is the target now,
      // read-only by its database setting like any target), or it would refuse every write once opened.
      await withClient(d.target, (c) => liftFence(c, d.target.database));
      // The seed's steps open the target with ALTER SYSTEM RESET: a target frozen per database (by a guarded
      // switchover) is frozen cluster-wide instead, as the seed has it (read-only all along).
      if (method === 'manual') {
        await withClient(d.target, async (c) => {
          await c.query('ALTER SYSTEM SET default_transaction_read_only = on');
          await c.query('SELECT pg_reload_conf()');
          await c.query(`ALTER DATABASE ${quoteIdent(d.target.database)} RESET default_transaction_read_only`);
        });
      }
      // the reverse publication on the frozen target (the guarded switchover would create it before its freeze too)
      await withClient(d.target, async (c) => {
        const r = await c.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [d.params.reversePublication]);
        if (!r.rowCount) await c.query(`CREATE PUBLICATION ${quoteIdent(d.params.reversePublication)} FOR ALL TABLES`);
      });
      // same start for both methods: the subscriber caught up (the guarded switchover's gate: ≤ lagThresholdBytes)
      await waitFor('the subscriber to catch up', () => withClient(d.source, async (c) => {
        const r = await c.query<{ lag: string | null }>('SELECT (pg_current_wal_lsn() - confirmed_flush_lsn)::text AS lag FROM pg_replication_slots WHERE slot_name = $1', [d.params.subscription]);
        return r.rows[0]?.lag !== null && r.rows[0] !== undefined && Number(r.rows[0].lag) <= d.params.lagThresholdBytes;
      }), 60_000);
    };

    const turnAround = async (d: Direction) => {
      // outside the window: the new server stops subscribing; the old one subscribes to it from the reverse slot
      await withClient(d.target, (c) => c.query(`DROP SUBSCRIPTION IF EXISTS ${quoteIdent(d.params.subscription)}`));
      const conninfo = `host=${d.target.host} port=${d.target.port} user=${d.target.user} dbname=${d.target.database} password=${d.target.password}`;
      await withClient(d.source, (c) => c.query(`CREATE SUBSCRIPTION ${quoteIdent(d.params.reverseSubscription)} CONNECTION ${quoteLiteral(conninfo)} PUBLICATION ${quoteIdent(d.params.reversePublication)} WITH (copy_data = false, create_slot = false, slot_name = ${quoteLiteral(d.params.reverseSubscription)}, streaming = on)`));
    };

    // interleaved (guarded, manual, heavy, guarded, …): every method sees the same changes of the machine's load
    for (let n = 1; n <= o.switchovers; n++) {
      for (const method of o.methods) {
        await prepare(dir, method);
        const viaPooler = method === 'pgbouncer';
        const clients = method === 'heavy' ? o.heavyWriters ?? 50 : o.writers;
        if (viaPooler) dir = { ...dir, params: { ...dir.params, clientRouting: paramsFrom('a', false, true).clientRouting } };
        // The switchover's gate wants this run's verify-data result: compared before the writers start (caught up, no load).
        const verified = method === 'manual' ? undefined : await runRunbook({
          runbook: logicalUpgradeRunbook, clusters: { source: cluster(dir.source), target: cluster(dir.target) }, params: dir.params, ui: quietUi, journalDir, operator: 'bench', only: 'verify-data',
        });
        if (verified && verified.steps.find((s) => s.id === 'verify-data')?.status !== 'succeeded') throw new Error(`verify-data before switchover ${n} did not succeed: ${verified.message}`);
        const writers = viaPooler && pooler
          ? await startWriters({ connection: `host=${pooler.host} port=${pooler.port} user=${pooler.appUser ?? 'app'} dbname=${a.database}`, password: pooler.appPassword, clients, attemptTimeoutMs: 60_000 })
          : await startWriters({ connection, password, clients, coordinatedReconnect: o.coordinatedReconnect });
        await sleep(o.warmupMs);
        let procedureMs: number;
        let detail: BenchIteration['detail'];
        let phases: BenchIteration['phases'];
        const guardedSwitchover = () => withEnv(method === 'variant' ? o.variantEnv : undefined, () => runRunbook({
          runbook: logicalUpgradeRunbook, clusters: { source: cluster(dir.source), target: cluster(dir.target) }, params: dir.params, ui: quietUi, journalDir, operator: 'bench', only: 'switchover', runId: verified?.runId,
        }));
        const ackedBefore = writers.snapshot().acked;
        if (method !== 'manual') {
          // The runbook refuses to start while the subscriber is too far behind (its gate); an operator waits and retries.
          let r = await guardedSwitchover();
          let gateRetries = 0;
          while (r.steps.find((s) => s.id === 'switchover')?.status !== 'succeeded' && /behind/.test(r.message ?? '') && gateRetries < 30) {
            gateRetries++;
            await sleep(500);
            r = await guardedSwitchover();
          }
          const step = r.steps.find((s) => s.id === 'switchover');
          if (step?.status !== 'succeeded') {
            await writers.stop();
            throw new Error(`guarded switchover ${n} did not succeed: ${r.message}`);
          }
          const out = step.outputs ?? {};
          procedureMs = Number(out.writeUnavailableMs);
          phases = Array.isArray(out.windowBreakdown) ? out.windowBreakdown as BenchIteration['phases'] : undefined;
          detail = { drainMs: Number(out.drainMs), sourceFreezeMs: Number(out.sourceFreezeMs), terminated: Number(out.terminatedBackends), ...(gateRetries ? { gateRetries } : {}), ...breakdownOf(out), ...poolerDetail(out) };
        } else {
          const r = await manualSwitchover({
            psql: psql!, source: dir.source, target: dir.target, subscription: dir.params.subscription, reverseSlot: dir.params.reverseSubscription,
          });
          procedureMs = r.windowMs;
          detail = { lagZeroMs: Math.round(r.lagZeroMs), polls: r.polls };
        }
        const target = endpoint(dir.target);
        await waitFor('every writer to commit on the new server', async () => {
          const s = writers.snapshot();
          // through the pooler every commit is on its address: count those after the switchover instead
          return (viaPooler ? s.acked - ackedBefore : s.perHost[target] ?? 0) >= clients * 5 && s.clientsFailing === 0;
        }, 60_000).catch(async (err: unknown) => {
          await writers.stop(); // or their loops keep the process alive
          throw err;
        });
        await sleep(o.afterMs);
        const report: WritersReport = await writers.stop();
        const v = await withClient(dir.target, (c) => writers.verify(c));
        const imb = imbalance(v.balances);
        const it: BenchIteration = {
          method, n, from: `${dir.source.version} ${endpoint(dir.source)}`, to: `${dir.target.version} ${target}`,
          procedureMs,
          // through the pooler no error marks the switch: the window is the longest stretch without any commit, and
          // a client's stall the longest time between two of its own commits
          writersWindowMs: viaPooler ? report.window.longestSilenceMs : report.window.hostSwitch?.durationMs,
          worstClientMs: viaPooler ? maxOf(clientStalls(report)) : report.window.worstClientGapMs,
          p50ClientMs: viaPooler ? percentile(clientStalls(report), 50) : report.window.p50ClientGapMs,
          clientErrors: report.failedAttempts,
          overlapped: report.window.hostSwitch?.overlapped ?? false,
          acked: report.acked, tps: report.tps,
          lostCommits: v.lostCommits, duplicates: v.duplicates,
          balanceBroken: imb !== lastImbalance,
          detail, phases,
        };
        lastImbalance = imb;
        iterations.push(it);
        o.log(`${method} ${n}/${o.switchovers} ${it.from} → ${it.to}: writers saw ${fmt(it.writersWindowMs)} (worst client ${fmt(it.worstClientMs)}), procedure ${fmt(it.procedureMs)}; ${it.acked} txns, ${it.clientErrors} client error(s), ${it.lostCommits} lost, ${it.duplicates} duplicated${it.balanceBroken ? ', BALANCES BROKEN (lost updates)' : ''}${it.overlapped ? ', BOTH WRITABLE' : ''}${detail.windowBreakdown ? `; window: ${String(detail.windowBreakdown)}` : ''}${detail.stallMs !== undefined ? `; pooler stall ${fmt(Number(detail.stallMs))}` : ''}`);
        await turnAround(dir);
        const back = dir.source === a ? 'b' : 'a';
        dir = { source: dir.target, target: dir.source, params: paramsFrom(back, false) };
      }
    }
    const manualScript = manualSwitchoverScript({ source: a, target: b, subscription: 'bench_ab', reverseSlot: 'bench_ba' })
      .map((s) => `${s.server}: ${s.sql.join('; ')}${s.repeat ? '   -- repeated until it returns t' : ''}`);
    return {
      servers: { a: `${a.version}`, b: `${b.version}` },
      setupMs,
      iterations,
      summaries: o.methods.map((m) => summarize(m, iterations)),
      manualScript,
      totalMs: Date.now() - t0,
    };
  } finally {
    setPoolerPasswordProvider(undefined);
    // the data directories are big (scale 30 ≈ 0.5 GB each): removed unless kept
    if (!o.keep) await labDown({ dir: o.dir, purge: true }).catch(() => undefined);
  }
}

/** Per phase of the window (in the order first seen), its median over the method's switchovers. */
export function phaseMedians(its: BenchIteration[]): Array<{ phase: string; p50: number; max: number; runs: number }> {
  const by = new Map<string, number[]>();
  for (const i of its) for (const ph of i.phases ?? []) by.set(ph.phase, [...(by.get(ph.phase) ?? []), ph.ms]);
  return [...by].map(([phase, v]) => ({ phase, p50: percentile(v, 50) ?? 0, max: maxOf(v) ?? 0, runs: v.length }));
}

/** Runs fn with these environment variables set (the window reads its tuning knobs at each switchover), then restores them. */
async function withEnv<T>(env: Record<string, string> | undefined, fn: () => Promise<T>): Promise<T> {
  const saved = Object.keys(env ?? {}).map((k) => [k, process.env[k]] as const);
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** The switchover's windowBreakdown (phase: ms, in order), when the protocol reports one. */
export function breakdownOf(out: Record<string, unknown>): { windowBreakdown?: string } {
  const b = out.windowBreakdown as Array<{ phase: string; ms: number }> | undefined;
  return Array.isArray(b) && b.length ? { windowBreakdown: b.map((x) => `${x.phase} ${Math.round(x.ms)}`).join(' + ') } : {};
}

/** The pooler's PAUSE and stall (PAUSE → RESUME) from the switchover's routing outputs. */
function poolerDetail(out: Record<string, unknown>): Record<string, number> {
  const r = routingOutputsOf(out);
  const before = r.beforeFreeze?.pgbouncer?.poolers?.[0];
  const after = r.afterOpen?.pgbouncer?.poolers?.[0];
  if (!after) return {};
  return { pauseMs: Number(before?.pauseMs), stallMs: Number(after.stallMs) };
}

/** Per writer, the longest time between two of its own acknowledged commits (ids are run:client:seq, in ack order). */
export function clientStalls(r: Pick<WritersReport, 'ackedIds' | 'acks'>): number[] {
  const last = new Map<string, number>();
  const worst = new Map<string, number>();
  const order = r.ackedIds.map((id, i) => ({ client: id.split(':')[1], at: r.acks[i]?.at })).filter((x) => x.at !== undefined);
  for (const { client, at } of order) {
    const prev = last.get(client);
    if (prev !== undefined) worst.set(client, Math.max(worst.get(client) ?? 0, at - prev));
    last.set(client, at);
  }
  return [...worst.values()];
}

function fmt(v: number | undefined): string {
  return v === undefined ? '—' : `${Math.round(v)} ms`;
}
