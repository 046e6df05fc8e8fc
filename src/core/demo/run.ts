/**
 * The one-command demo: two fresh lab servers (default 14 and 16), pgbench data on the old one, write load through
 * seed 001's multi-host connection (a heartbeat probe + TPC-B-like writers that retry), the WHOLE logical-upgrade
 * runbook run non-interactively, then the proof: the write-unavailable window as the runbook and as the clients
 * measured it, lost/duplicated commits (0), row and balance checks, the journal and the upgrade record.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from 'pg';
import { connectLab, labDown, labUp, type LabServer } from '../lab';
import type { LabPgBouncer } from '../lab/pgbouncer';
import { routingOutputsOf, setPoolerPasswordProvider, type ClientRoutingParams, type RoutingOutputs } from '../routing';
import { quoteIdent } from '../sql';
import {
  checkBalances, ensureProbeTable, initPgbenchData, multiHostConnection, pgbenchSchemaStatements, pgbenchTerminalCommand,
  probeTableDdl, startProbe, startWriters, type CommitVerification, type Probe, type ProbeReport, type Writers,
  type WritersReport, type WritersVerification, type BalanceCheck,
} from '../probe';
import { probeRecordOf, probeSnapshotEvent, recordFileName, renderUpgradeRecord } from '../record';
import { appendEvent, readJournal, renderActions, runRunbook, type JournalEvent, type RunResult } from '../runbook';
import { defaultLogicalUpgradeParams, logicalUpgradeRunbook } from '../runbooks/logical';
import { clip, count, detailLines, displayPath, ms, PLAIN, seconds, timelineLine, type Style } from './format';
import type { DemoOptions } from './options';
import { pgDumpUsable } from './schema';
import { DEMO_OPERATOR, DemoUi } from './ui';

export interface DemoIo {
  write(text: string): void;
  style?: Style;
}

export interface DemoRowCheck {
  accounts: { source: number; target: number };
  history: { source: number; target: number };
  sourceBalances: BalanceCheck;
}

export interface DemoResult {
  /** The run succeeded, nothing was lost or duplicated and the balances agree. */
  ok: boolean;
  durationMs: number;
  message?: string;
  servers: { source: string; target: string };
  runId?: string;
  journalFile?: string;
  recordFile?: string;
  runStatus?: RunResult['status'];
  /** The switchover step's outputs (writeUnavailableMs, drainMs, …). */
  switchover?: Record<string, unknown>;
  probe?: Omit<ProbeReport, 'commits'>;
  probeVerification?: CommitVerification;
  writers?: Omit<WritersReport, 'ackedIds' | 'acks'>;
  writersVerification?: WritersVerification;
  rows?: DemoRowCheck;
  /** --pgbouncer: client errors seen through the pooler (must be 0) and the switchover's routing outputs. */
  pgbouncer?: { clientErrors: number; routing?: RoutingOutputs };
  schemaCopiedBy: 'pg_dump' | 'demo';
  timings: Record<string, number>;
}

const endpoint = (s: LabServer) => `${s.host}:${s.port}`;
const RUN_TIMEOUT_MS = 5 * 60_000;
const AFTER_SWITCHOVER_MS = 1500;

async function rowCounts(c: Client): Promise<{ accounts: number; history: number }> {
  const r = await c.query<{ a: number; h: number }>('SELECT (SELECT count(*) FROM pgbench_accounts)::int AS a, (SELECT count(*) FROM pgbench_history)::int AS h');
  return { accounts: r.rows[0].a, history: r.rows[0].h };
}

export async function runDemo(opts: DemoOptions, io: DemoIo): Promise<DemoResult> {
  const st = io.style ?? PLAIN;
  const t0 = Date.now();
  const elapsed = () => Date.now() - t0;
  const line = (tag: string, text: string, level: 'info' | 'warn' | 'error' = 'info') => {
    const colored = level === 'error' ? st.red(text) : level === 'warn' ? st.yellow(text) : text;
    io.write(`${timelineLine(elapsed(), tag, colored, st)}\n`);
  };
  const details = (lines: string[]) => { if (lines.length) io.write(`${detailLines(lines, st)}\n`); };
  const timings: Record<string, number> = {};
  const result: DemoResult = { ok: false, durationMs: 0, servers: { source: '', target: '' }, schemaCopiedBy: 'demo', timings };

  let source: LabServer | undefined;
  let target: LabServer | undefined;
  let probe: Probe | undefined;
  let writers: Writers | undefined;
  try {
    // ---- servers ----
    let t = Date.now();
    await labDown({ dir: opts.dir, purge: true });
    const up = await labUp([opts.from, opts.to], { dir: opts.dir, portBase: opts.portBase, pgbouncer: opts.pgbouncer });
    const pooler = up.pgbouncer;
    [source, target] = up.servers;
    result.servers = { source: `${source.version} ${endpoint(source)}`, target: `${target.version} ${endpoint(target)}` };
    timings.serversMs = Date.now() - t;
    line('servers', `PostgreSQL ${st.bold(source.version)} on ${endpoint(source)} (source) and ${st.bold(target.version)} on ${endpoint(target)} (target), fresh in ${displayPath(opts.dir)}  ${st.dim(seconds(timings.serversMs))}`);

    // ---- data ----
    t = Date.now();
    // Short-lived admin sessions: the switchover cuts every client session, ours included.
    const admin = async <T>(server: LabServer, fn: (c: Client) => Promise<T>): Promise<T> => {
      const c = await connectLab(server);
      try {
        return await fn(c);
      } finally {
        await c.end().catch(() => undefined);
      }
    };
    await admin(source, async (c) => {
      await initPgbenchData(c, opts.scale);
      await ensureProbeTable(c);
      if (pooler) await c.query(`GRANT ALL ON ALL TABLES IN SCHEMA public TO ${quoteIdent(pooler.appUser ?? 'app')}`);
    });
    timings.dataMs = Date.now() - t;
    line('data', `pgbench scale ${opts.scale} on the source: ${count(opts.scale * 100_000)} accounts, ${count(opts.scale * 10)} tellers, ${count(opts.scale)} branches; probe table pgpilot_probe (client-generated ids)  ${st.dim(seconds(timings.dataMs))}`);
    result.schemaCopiedBy = (await pgDumpUsable(source.major, target.major)) ? 'pg_dump' : 'demo';
    if (result.schemaCopiedBy === 'demo') {
      await admin(target, async (c) => { for (const sql of [...pgbenchSchemaStatements(), probeTableDdl()]) await c.query(sql); });
      line('schema', `no pg_dump ≥ ${source.major} with psql found: the demo created the pgbench and probe tables on the target (runbook copySchema=false)`, 'warn');
    }

    // ---- load ----
    const servers = [source, target];
    const load = pooler ? pgbouncerLoad(pooler, source.database) : {
      connection: multiHostConnection([{ host: source.host, port: source.port }, { host: target.host, port: target.port }], source.user, source.database),
      password: async (ep: { port: number }) => servers.find((s) => s.port === ep.port)?.password,
      attemptTimeoutMs: undefined,
    };
    const { connection, password, attemptTimeoutMs } = load;
    probe = await startProbe({ connection, password, intervalMs: opts.probeIntervalMs, attemptTimeoutMs });
    probe.onEvent((e) => {
      if (e.type === 'gap-started') line('probe', st.yellow(`writes failing: ${e.error}`));
      if (e.type === 'gap-ended' && e.gap.resolved) {
        line('probe', `${st.green('writes back')} on ${e.gap.toHost}${e.gap.toHost !== e.gap.fromHost ? ` (moved from ${e.gap.fromHost})` : ''} after ${st.bold(ms(e.gap.durationMs))}, ${e.gap.failedAttempts} failed attempt(s)`);
      }
    });
    if (opts.writers > 0) writers = await startWriters({ connection, password, clients: opts.writers, attemptTimeoutMs });
    if (pooler) {
      line('load', `heartbeat probe every ${opts.probeIntervalMs} ms${opts.writers ? ` + ${opts.writers} TPC-B-like writers` : ''}, all through PgBouncer (${pooler.poolMode} pooling) in front of the source:`);
      details([connection, `admin console ${pooler.adminConnection}, configuration ${pooler.configFile}`]);
    } else {
      line('load', `heartbeat probe every ${opts.probeIntervalMs} ms${opts.writers ? ` + ${opts.writers} TPC-B-like writers` : ''}, all through seed 001's libpq connection string:`);
      details([connection, `(real pgbench, whose clients abort at the switchover: ${pgbenchTerminalCommand(connection, { clients: opts.writers || 4 }).join(' ')})`]);
    }

    // ---- the runbook ----
    const journalDir = join(opts.dir, 'journal');
    const params = defaultLogicalUpgradeParams({
      reverseReplication: true, copySchema: result.schemaCopiedBy === 'pg_dump', syncTimeoutMs: RUN_TIMEOUT_MS,
      clientRouting: pooler ? labPoolerRouting(pooler) : undefined,
    });
    if (pooler) setPoolerPasswordProvider(async () => pooler.adminPassword);
    const ui = new DemoUi((tag, text, level) => line(tag, text, level));
    const stepNo = (id: string) => logicalUpgradeRunbook.steps.findIndex((s) => s.id === id) + 1;
    const total = logicalUpgradeRunbook.steps.length;
    t = Date.now();
    const onEvent = (e: JournalEvent) => {
      if (e.type === 'run-started') line('runbook', `${st.bold(logicalUpgradeRunbook.title)}: ${total} steps, every one confirmed automatically (operator "${DEMO_OPERATOR}")`);
      if (e.type === 'step-started') {
        ui.stepStarted();
        line(`step ${String(stepNo(e.stepId)).padStart(2)}/${total}`, `${st.bold(e.title)} ${st.dim(`[${e.risk}]`)}`);
        details(clip(renderActions(e.actions), opts.statementLines));
      }
      if (e.type === 'step-finished') {
        const mark = e.status === 'succeeded' ? st.green('✓') : e.status === 'skipped' ? st.dim('–') : st.red('✗');
        line('', `${mark} ${e.status} in ${seconds(e.durationMs)}${e.message ? `: ${clip([e.message], 1, 160)[0]}` : ''}`, e.status === 'failed' || e.status === 'aborted' ? 'error' : 'info');
        if (e.stepId === 'switchover' && e.outputs) {
          const o = e.outputs as Record<string, number | string | undefined>;
          details([`source frozen ${String(o.freezeStartedAt ?? '?')} → target opened ${String(o.targetOpenedAt ?? '?')}: ${ms(Number(o.writeUnavailableMs))} (freeze + terminate ${ms(Number(o.sourceFreezeMs))}, drain ${ms(Number(o.drainMs))}, ${o.sequencesCopied ?? 0} sequence(s) copied, ${o.terminatedBackends ?? 0} client session(s) cut)`, ...routingLines(e.outputs)]);
        }
      }
    };
    const runResult = await runRunbook({
      runbook: logicalUpgradeRunbook,
      clusters: {
        source: { name: source.name, connection: source.connection, password: async () => source!.password },
        target: { name: target.name, connection: target.connection, password: async () => target!.password },
      },
      params, ui, journalDir, operator: DEMO_OPERATOR, onEvent,
    });
    timings.runbookMs = Date.now() - t;
    result.runId = runResult.runId;
    result.journalFile = runResult.journalFile;
    result.runStatus = runResult.status;
    result.switchover = runResult.steps.find((s) => s.id === 'switchover')?.outputs;
    setPoolerPasswordProvider(undefined);
    if (runResult.status !== 'succeeded') result.message = `the runbook ${runResult.status}: ${runResult.message ?? ''}`.trim();

    // ---- the proof ----
    if (runResult.status === 'succeeded') await new Promise((r) => setTimeout(r, AFTER_SWITCHOVER_MS)); // writes go on, on the new server
    const probeReport = await probe.stop();
    const writersReport = writers ? await writers.stop() : undefined;
    const { commits: _c, ...probeSummary } = probeReport;
    result.probe = probeSummary;
    if (writersReport) {
      const { ackedIds: _i, acks: _a, ...w } = writersReport;
      result.writers = w;
    }
    if (runResult.status === 'succeeded') {
      await admin(target, async (c) => {
        result.probeVerification = await probe!.verify(c);
        if (writers) result.writersVerification = await writers.verify(c);
      });
      const [s, d] = [await admin(source, rowCounts), await admin(target, rowCounts)];
      result.rows = { accounts: { source: s.accounts, target: d.accounts }, history: { source: s.history, target: d.history }, sourceBalances: await admin(source, checkBalances) };
    }
    if (existsSync(runResult.journalFile)) {
      await appendEvent(runResult.journalFile, probeSnapshotEvent(probeRecordOf(probeReport, result.probeVerification)));
      if (writersReport) await appendEvent(runResult.journalFile, { type: 'note', ts: new Date().toISOString(), by: DEMO_OPERATOR, text: writersNote(writersReport, result.writersVerification) });
      const events = await readJournal(runResult.journalFile);
      result.recordFile = join(opts.dir, recordFileName(new Date(), source.name, target.name));
      await mkdir(join(result.recordFile, '..'), { recursive: true });
      await writeFile(result.recordFile, renderUpgradeRecord(events, { lang: 'en', runbook: logicalUpgradeRunbook }), { mode: 0o600 });
    }
    const pv = result.probeVerification;
    const wv = result.writersVerification;
    result.ok = runResult.status === 'succeeded' && pv?.lostCommits === 0 && pv.duplicates === 0
      && (!writers || (wv?.lostCommits === 0 && wv.duplicates === 0 && wv.balances.balanced))
      && result.rows?.accounts.source === result.rows?.accounts.target && result.rows?.sourceBalances.balanced === true;
    if (pooler) {
      const clientErrors = probeReport.failedAttempts + (writersReport?.failedAttempts ?? 0);
      result.pgbouncer = { clientErrors, routing: routingOutputsOf(result.switchover) };
      result.ok &&= clientErrors === 0;
    }
    if (runResult.status === 'succeeded' && !result.ok) result.message = 'the upgrade ran but a check failed (see above)';
  } catch (err) {
    result.message = err instanceof Error ? err.message : String(err);
    line('error', result.message, 'error');
  } finally {
    setPoolerPasswordProvider(undefined);
    await probe?.stop().catch(() => undefined);
    await writers?.stop().catch(() => undefined);
    if (!opts.keep && source) {
      // the journal and the record stay; the servers' data directories go (the next demo starts fresh anyway)
      await labDown({ dir: opts.dir, purge: true }).catch((e: unknown) => line('servers', `could not stop the demo servers: ${e instanceof Error ? e.message : String(e)}`, 'warn'));
    }
  }
  result.durationMs = Date.now() - t0;
  return result;
}

/** The clients' way in through the lab pooler: the app role, waiting as long as the pooler holds them (no client timeout). */
function pgbouncerLoad(pooler: LabPgBouncer, database: string) {
  return {
    connection: `host=${pooler.host} port=${pooler.port} user=${pooler.appUser ?? 'app'} dbname=${database} connect_timeout=10`,
    password: async () => pooler.appPassword,
    attemptTimeoutMs: 60_000,
  };
}

function labPoolerRouting(pooler: LabPgBouncer): ClientRoutingParams {
  return { kind: 'pgbouncer', poolers: [{ admin: pooler.adminConnection, config: { path: pooler.configFile, executor: 'local', osUser: pooler.osUser } }] };
}

/** The pooler's part of the switchover, from the step's routing outputs. */
function routingLines(outputs: Record<string, unknown>): string[] {
  const r = routingOutputsOf(outputs);
  const before = r.beforeFreeze?.pgbouncer?.poolers ?? [];
  return (r.afterOpen?.pgbouncer?.poolers ?? []).map((p, i) => {
    const b = before[i] ?? {};
    return `PgBouncer ${String(p.pooler)}: PAUSE took ${ms(Number(b.pauseMs))} (${String(b.clientsPaused ?? '?')} client(s)); repointed to ${p.repointedTo ?? '?'}, RELOAD, RESUME: clients stalled ${ms(Number(p.stallMs))}, ${String(p.clientsWaitingAtResume ?? '?')} waiting at RESUME${p.ok ? '' : ` — ${(p.errors ?? []).join('; ')}`}`;
  });
}

function writersNote(r: WritersReport, v?: WritersVerification): string {
  const sw = r.window.hostSwitch;
  const parts = [
    `TPC-B writers (${r.clients} clients, retrying through host=source,target target_session_attrs=read-write): ${r.acked} transactions acknowledged (${r.tps}/s)`,
    sw ? `last commit on ${sw.fromHost} → first on ${sw.toHost}: ${Math.round(sw.durationMs)} ms` : 'no move between servers seen',
    r.window.worstClientGapMs !== undefined ? `worst client waited ${Math.round(r.window.worstClientGapMs)} ms` : '',
    v ? `${v.lostCommits} lost, ${v.duplicates} duplicated on the target; balances ${v.balances.balanced ? 'agree' : 'DIFFER'}` : 'not verified',
  ];
  return parts.filter(Boolean).join('; ');
}
