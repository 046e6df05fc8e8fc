/**
 * Shared by the logical-upgrade integration tests (logical-*.test.ts): lab pairs, the engine with an auto-yes UI,
 * an application role and schema, and helpers to read both servers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import { runRunbook, type RunnerUi, type RunResult, type RunCluster } from '../../src/core/runbook';
import { defaultLogicalUpgradeParams, logicalUpgradeRunbook, type LogicalUpgradeParams } from '../../src/core/runbooks/logical';
import { clientFor, startTestServers, type LabServer, type TestServers } from '../helpers/lab';

export const APP_ROLE = 'app';
export const APP_PASSWORD = 'app-S3cret pass';

export interface Pair {
  lab: TestServers;
  source: LabServer;
  target: LabServer;
  src: Client;
  tgt: Client;
  /** New src/tgt clients (the switchover terminates client sessions on both servers). */
  reconnect(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPair(sourceVersion: string, targetVersion: string, portBase: number, settings?: Record<string, string>): Promise<Pair> {
  const lab = await startTestServers([sourceVersion, targetVersion], { portBase, settings });
  const [source, target] = lab.servers;
  const pair: Pair = {
    lab, source, target,
    src: await adminClient(source),
    tgt: await adminClient(target),
    async reconnect() {
      await pair.src.end().catch(() => undefined);
      await pair.tgt.end().catch(() => undefined);
      pair.src = await adminClient(source);
      pair.tgt = await adminClient(target);
    },
    async stop() {
      await pair.src.end().catch(() => undefined);
      await pair.tgt.end().catch(() => undefined);
      await lab.stop();
    },
  };
  return pair;
}

/** The test's own superuser session: it may write even on a frozen server. */
export async function adminClient(s: LabServer): Promise<Client> {
  const c = await clientFor(s);
  await c.query('SET default_transaction_read_only = off');
  return c;
}

export function labCluster(s: LabServer, name = s.name): RunCluster {
  return { name, connection: s.connection, password: async () => s.password };
}

export interface UiLog {
  ui: RunnerUi;
  lines: string[];
  confirms: string[];
}

export function autoUi(): UiLog {
  const lines: string[] = [];
  const confirms: string[] = [];
  return {
    lines,
    confirms,
    ui: {
      confirm: async (req) => {
        confirms.push(req.stepId);
        return { confirmed: true, by: 'test' };
      },
      progress: () => undefined,
      log: (level, message) => {
        lines.push(`${level}: ${message}`);
        if (process.env.PGPILOT_TEST_VERBOSE) console.log(`${level}: ${message}`);
      },
    },
  };
}

export interface RunOpts {
  dryRun?: boolean;
  only?: string;
  until?: string;
  runId?: string;
  journalDir?: string;
  signal?: AbortSignal;
  /** Also run the explicit cleanup (the finish that drops the way back). */
  finish?: boolean;
}

export async function runLogical(pair: Pair, params: Partial<LogicalUpgradeParams>, opts: RunOpts = {}): Promise<RunResult & { log: UiLog }> {
  const log = autoUi();
  const journalDir = opts.journalDir ?? mkdtempSync(join(tmpdir(), 'pgpilot-logical-journal-'));
  try {
    const result = await runRunbook({
      runbook: logicalUpgradeRunbook,
      clusters: { source: labCluster(pair.source, 'old'), target: labCluster(pair.target, 'new') },
      params: defaultLogicalUpgradeParams(params),
      ui: log.ui,
      journalDir,
      dryRun: opts.dryRun,
      only: opts.only,
      until: opts.until,
      runId: opts.runId,
      signal: opts.signal,
      finish: opts.finish,
      operator: 'test',
    });
    return { ...result, log };
  } finally {
    if (!opts.journalDir) rmSync(journalDir, { recursive: true, force: true });
  }
}

export function stepOf(r: RunResult, id: string) {
  const s = r.steps.find((x) => x.id === id);
  if (!s) throw new Error(`no step ${id} in the result`);
  return s;
}

/** A readable account of a run for assertion messages. */
export function describeRun(r: RunResult & { log?: UiLog }): string {
  return [`status ${r.status}: ${r.message}`, ...r.steps.map((s) => `  ${s.id}: ${s.status}${s.message ? ` — ${s.message}` : ''}`), ...(r.log?.lines.slice(-15) ?? [])].join('\n');
}

/** An application role that owns its tables, so role copy, ownership and password hashes are all exercised. */
export async function createAppRole(c: Client): Promise<void> {
  await c.query(`CREATE ROLE ${APP_ROLE} LOGIN PASSWORD '${APP_PASSWORD.replace(/'/g, "''")}'`);
  await c.query(`GRANT CREATE ON SCHEMA public TO ${APP_ROLE}`);
  await c.query(`ALTER ROLE ${APP_ROLE} SET search_path TO "$user", public`);
}

/** libpq multi-host connection string like seed 001's: old first, new second, read-write only. */
export function multiHost(pair: Pair, user = APP_ROLE): string {
  return `host=127.0.0.1,127.0.0.1 port=${pair.source.port},${pair.target.port} user=${user} dbname=postgres target_session_attrs=read-write connect_timeout=5`;
}

export async function scalar<T = string>(c: Client, sql: string, values?: unknown[]): Promise<T> {
  const r = await c.query(sql, values);
  return Object.values(r.rows[0] ?? {})[0] as T;
}

/** What a dry run or a refused run must leave untouched. */
export async function catalogSnapshot(c: Client): Promise<string> {
  const r = await c.query(`SELECT
    (SELECT json_agg(pubname ORDER BY pubname) FROM pg_publication) AS pubs,
    (SELECT json_agg(subname ORDER BY subname) FROM pg_subscription) AS subs,
    (SELECT json_agg(slot_name ORDER BY slot_name) FROM pg_replication_slots) AS slots,
    (SELECT json_agg(rolname ORDER BY rolname) FROM pg_roles) AS roles,
    (SELECT json_agg(c.relname ORDER BY c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')) AS rels,
    (SELECT json_agg(name || '=' || setting ORDER BY name) FROM pg_file_settings WHERE sourcefile LIKE '%auto.conf') AS auto_conf`);
  return JSON.stringify(r.rows[0]);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** default_transaction_read_only as a brand-new session of the server's database sees it ('on' / 'off'). */
export async function readOnlyForNewSessions(s: LabServer): Promise<string> {
  const c = await clientFor(s);
  try {
    return String(await scalar(c, 'SHOW default_transaction_read_only'));
  } finally {
    await c.end();
  }
}

/**
 * Ctrl-C in the middle of the initial copy: `controller` is aborted as soon as the subscription exists on the
 * target (`target`: any session there); the run, given `until` beyond the sync, then ends "aborted" at the latest
 * before its next step.
 */
export async function abortWhenSubscribed(target: Client, controller: AbortController, subscription = 'pgpilot_upgrade'): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if ((await target.query('SELECT 1 FROM pg_subscription WHERE subname = $1', [subscription])).rowCount) {
      controller.abort();
      return;
    }
    await sleep(25);
  }
  throw new Error('the run never created its subscription');
}
