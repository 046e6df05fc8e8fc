/**
 * TPC-B-like concurrent writers for demo and benchmark load: N clients each running pgbench's built-in
 * "tpcb-like" transaction back to back, through the same multi-host connect and retry loop as the probe (real
 * pgbench aborts its clients on the switchover's errors; these retry, as an application would).
 *
 * Each transaction is one simple-protocol query string (an implicit transaction: all or nothing, one round trip)
 * and tags its pgbench_history row with a client-generated id in `filler` (char(22), left NULL by pgbench), so a
 * lost or duplicated commit can be proven on the new server. Balances prove lost updates: with every transaction
 * adding the same delta to one account, teller and branch and logging it in history, the four sums stay equal.
 */
import { setMaxListeners } from 'node:events';
import type { Queryable } from '../db';
import { quoteLiteral } from '../sql';
import { multiHostConnector, type ProbePassword } from './connector';
import { GapTracker, hostSwitch, longestSilence, switchoverGap, type Gap, type HostSwitch } from './gaps';
import { writeLoop, type Connector } from './loop';
import { sharedReconnect } from './reconnect';
import { Backoff, maxOf, nowMs, percentile } from './timing';
import { compareCommits, type CommitVerification } from './verify';

export interface WritersOptions {
  /** libpq connection string WITHOUT password; multi-host allowed. */
  connection: string;
  /** One password for all hosts, or a lookup per host; else PGPASSWORD / .pgpass as libpq does. */
  password?: ProbePassword;
  clients?: number; // default 20, like seed 001's pgbench --client=20
  backoffMs?: { min: number; max: number }; // default 5 → 20 ms coordinated, else 10 → 100 ms
  /**
   * While no server accepts writes, one client probes the host list (every reconnectPauseMs) and the others wait,
   * like a pool; false: every client retries on its own (a connection storm on both servers). Default true.
   */
  coordinatedReconnect?: boolean;
  reconnectPauseMs?: number; // default 10
  attemptTimeoutMs?: number; // default 5000
  connector?: Connector;
}

export interface WritersSnapshot {
  run: string;
  clients: number;
  acked: number;
  failedAttempts: number;
  /** Clients whose last attempt failed. */
  clientsFailing: number;
  perHost: Record<string, number>;
}

export interface WritersWindow {
  /** All writers together: last commit on the old server → first commit on the new one. */
  hostSwitch?: HostSwitch;
  /** Longest stretch in which no writer got any commit acknowledged. */
  longestSilenceMs?: number;
  /** Per client: the gap spanning the switch (its last commit before its first error → its next commit). */
  clientGaps: Gap[];
  worstClientGapMs?: number;
  p50ClientGapMs?: number;
}

export interface WritersReport {
  run: string;
  clients: number;
  scale: number;
  startedAt: string;
  stoppedAt: string;
  durationMs: number;
  acked: number;
  failedAttempts: number;
  tps: number;
  perHost: Record<string, number>;
  window: WritersWindow;
  /** history ids (pgbench_history.filler) of every acknowledged transaction. */
  ackedIds: string[];
  /** Every acknowledgement in time order (epoch ms, host:port). */
  acks: { at: number; host: string }[];
}

export interface BalanceCheck {
  accounts: string;
  tellers: string;
  branches: string;
  history: string;
  /** The four sums are equal: no update was lost or applied twice. */
  balanced: boolean;
}

export interface WritersVerification extends CommitVerification {
  balances: BalanceCheck;
}

export interface Writers {
  readonly run: string;
  snapshot(): WritersSnapshot;
  stop(): Promise<WritersReport>;
  verify(target: Queryable): Promise<WritersVerification>;
}

const ACCOUNTS_PER_BRANCH = 100_000;
const TELLERS_PER_BRANCH = 10;

function randInt(lo: number, hi: number): number {
  return lo + Math.floor(Math.random() * (hi - lo + 1));
}

/** pgbench's tpcb-like script with its random choices made, as one implicit transaction. */
export function tpcbTransaction(scale: number, historyId: string): string {
  const aid = randInt(1, ACCOUNTS_PER_BRANCH * scale);
  const bid = randInt(1, scale);
  const tid = randInt(1, TELLERS_PER_BRANCH * scale);
  const delta = randInt(-5000, 5000);
  return [
    `UPDATE pgbench_accounts SET abalance = abalance + ${delta} WHERE aid = ${aid}`,
    `SELECT abalance FROM pgbench_accounts WHERE aid = ${aid}`,
    `UPDATE pgbench_tellers SET tbalance = tbalance + ${delta} WHERE tid = ${tid}`,
    `UPDATE pgbench_branches SET bbalance = bbalance + ${delta} WHERE bid = ${bid}`,
    `INSERT INTO pgbench_history (tid, bid, aid, delta, mtime, filler) VALUES (${tid}, ${bid}, ${aid}, ${delta}, CURRENT_TIMESTAMP, ${quoteLiteral(historyId)})`,
  ].join(';\n');
}

/** The pgbench scale of the database (rows in pgbench_branches); a clear error when pgbench tables are missing. */
export async function pgbenchScale(db: Queryable): Promise<number> {
  const t = await db.query<{ ok: boolean }>(
    "SELECT to_regclass('pgbench_accounts') IS NOT NULL AND to_regclass('pgbench_tellers') IS NOT NULL AND to_regclass('pgbench_branches') IS NOT NULL AND to_regclass('pgbench_history') IS NOT NULL AS ok");
  if (!t.rows[0]?.ok) throw new Error('the pgbench tables (pgbench_accounts, _tellers, _branches, _history) are missing; initialise them first (pgbench -i, or initPgbenchData)');
  const r = await db.query<{ n: number }>('SELECT count(*)::integer AS n FROM pgbench_branches');
  const n = r.rows[0]?.n ?? 0;
  if (n < 1) throw new Error('pgbench_branches is empty; initialise the pgbench data first');
  return n;
}

/** The four TPC-B sums on one server. */
export async function checkBalances(db: Queryable): Promise<BalanceCheck> {
  const r = await db.query<{ a: string; t: string; b: string; h: string }>(`SELECT
    (SELECT coalesce(sum(abalance), 0) FROM pgbench_accounts)::text AS a,
    (SELECT coalesce(sum(tbalance), 0) FROM pgbench_tellers)::text AS t,
    (SELECT coalesce(sum(bbalance), 0) FROM pgbench_branches)::text AS b,
    (SELECT coalesce(sum(delta), 0) FROM pgbench_history)::text AS h`);
  const { a, t, b, h } = r.rows[0];
  return { accounts: a, tellers: t, branches: b, history: h, balanced: a === t && t === b && b === h };
}

function runTag(): string {
  return `w${(Date.now() % 36 ** 5).toString(36)}${Math.floor(Math.random() * 36 ** 2).toString(36)}`;
}

export async function startWriters(opts: WritersOptions): Promise<Writers> {
  const clients = opts.clients ?? 20;
  if (!Number.isInteger(clients) || clients < 1 || clients > 500) throw new Error(`writers: clients must be an integer from 1 to 500, not ${opts.clients}`);
  const base = opts.connector ?? multiHostConnector(opts.connection, opts.password, 'pgpilot-tpcb');
  const first = await base();
  let scale: number;
  try {
    scale = await pgbenchScale(first.client);
  } finally {
    await first.client.end().catch(() => undefined);
  }

  const run = runTag();
  const startedMs = nowMs();
  const abort = new AbortController();
  setMaxListeners(clients + 10, abort.signal); // every client's pause listens to the same stop signal
  const coordinated = opts.coordinatedReconnect !== false;
  const connector = !coordinated ? base : sharedReconnect(base, { pauseMs: opts.reconnectPauseMs ?? 10, signal: abort.signal });
  const acks: { at: number; host: string }[] = [];
  const ackedIds: string[] = [];
  const perHost: Record<string, number> = {};
  const trackers: GapTracker[] = [];
  const failing = new Set<number>();
  let failedAttempts = 0;

  const loops = Array.from({ length: clients }, (_, c) => {
    const tracker = new GapTracker();
    trackers.push(tracker);
    let seq = 0;
    return writeLoop<string>({
      connect: connector,
      write: async (conn) => {
        const id = `${run}:${c}:${seq++}`;
        await conn.client.query(tpcbTransaction(scale, id));
        return id;
      },
      intervalMs: 0,
      // Coordinated: a failed client soon waits on the shared probe (no storm), so its own pause can stay short.
      backoff: new Backoff(opts.backoffMs?.min ?? (coordinated ? 5 : 10), opts.backoffMs?.max ?? (coordinated ? 20 : 100)),
      attemptTimeoutMs: opts.attemptTimeoutMs ?? 5000,
      signal: abort.signal,
      onAck: (id, host, at) => {
        ackedIds.push(id);
        acks.push({ at, host });
        perHost[host] = (perHost[host] ?? 0) + 1;
        tracker.ack(at, host);
        failing.delete(c);
      },
      onFail: (error, at) => {
        failedAttempts++;
        failing.add(c);
        tracker.fail(at, error);
      },
    });
  });

  let report: Promise<WritersReport> | undefined;
  return {
    run,
    snapshot: () => ({ run, clients, acked: ackedIds.length, failedAttempts, clientsFailing: failing.size, perHost: { ...perHost } }),
    stop() {
      report ??= (async () => {
        abort.abort();
        await Promise.all(loops);
        const stoppedMs = nowMs();
        for (const t of trackers) t.finish(stoppedMs);
        acks.sort((x, y) => x.at - y.at);
        const clientGaps = trackers.map((t) => switchoverGap(t.gaps)).filter((g): g is Gap => g !== undefined);
        const gapMs = clientGaps.map((g) => g.durationMs);
        const durationMs = stoppedMs - startedMs;
        return {
          run, clients, scale,
          startedAt: new Date(startedMs).toISOString(),
          stoppedAt: new Date(stoppedMs).toISOString(),
          durationMs: Math.round(durationMs),
          acked: ackedIds.length,
          failedAttempts,
          tps: Math.round((ackedIds.length / durationMs) * 1000),
          perHost: { ...perHost },
          window: {
            hostSwitch: hostSwitch(acks),
            longestSilenceMs: longestSilence(acks)?.durationMs,
            clientGaps,
            worstClientGapMs: maxOf(gapMs),
            p50ClientGapMs: percentile(gapMs, 50),
          },
          ackedIds: [...ackedIds],
          acks: [...acks],
        };
      })();
      return report;
    },
    async verify(target) {
      const r = await target.query<{ id: string; n: number }>(
        'SELECT rtrim(filler) AS id, count(*)::integer AS n FROM pgbench_history WHERE filler LIKE $1 GROUP BY 1', [`${run}:%`]);
      return { ...compareCommits(ackedIds, r.rows), balances: await checkBalances(target) };
    },
  };
}
