/**
 * The workload probe: one client writing a heartbeat row every intervalMs (default 50) through a libpq-style
 * multi-host connection with target_session_attrs=read-write, retrying every error through the host list.
 * It records every acknowledged commit (id, host:port, time) and every gap (start, end, duration, cause).
 */
import type { Queryable } from '../db';
import { quoteIdent } from '../sql';
import { multiHostConnector, type ProbePassword } from './connector';
import { sqlState } from './errors';
import { GapTracker, switchoverGap } from './gaps';
import { writeLoop, type Connector } from './loop';
import { DEFAULT_PROBE_TABLE, ProbeIds, ensureProbeTable, probeTableExists } from './table';
import { Backoff, maxOf, nowMs, percentile } from './timing';
import type { AckedCommit, ProbeEvent, ProbeReport, ProbeSnapshot } from './types';
import { verifyProbeCommits, type CommitVerification } from './verify';

export interface ProbeOptions {
  /** libpq connection string WITHOUT password; multi-host allowed ("host=a,b port=p,q target_session_attrs=read-write"). */
  connection: string;
  /** One password for all hosts, or a lookup per host; else PGPASSWORD / .pgpass as libpq does. */
  password?: ProbePassword;
  intervalMs?: number; // default 50
  table?: string; // default pgpilot_probe
  /** Create the table when missing on the first server reached (only right for a source before replication). */
  createTable?: boolean;
  /** Retry pause after a failure: from minMs doubling to maxMs (defaults 10 → 50 ms). */
  backoffMs?: { min: number; max: number };
  /** A connect or write slower than this counts as failed (default 3000 ms). */
  attemptTimeoutMs?: number;
  /** Another way to reach the servers (defaults to the multi-host connect of src/core/conn). */
  connector?: Connector;
}

export interface Probe {
  readonly run: string;
  readonly table: string;
  onEvent(listener: (e: ProbeEvent) => void): () => void;
  snapshot(): ProbeSnapshot;
  /** Stop writing (the write in flight completes) and return the report. Idempotent. */
  stop(): Promise<ProbeReport>;
  /** Every acknowledged commit so far present exactly once on `target`? Call after stop() for the final word. */
  verify(target: Queryable): Promise<CommitVerification>;
}

function runTag(): string {
  return `p${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 3).toString(36).padStart(3, '0')}`;
}

/**
 * Connects once (a clear error if no server accepts writes or the table is missing), then writes until stop().
 */
export async function startProbe(opts: ProbeOptions): Promise<Probe> {
  const table = opts.table ?? DEFAULT_PROBE_TABLE;
  const intervalMs = opts.intervalMs ?? 50;
  if (!(intervalMs > 0)) throw new Error(`probe interval must be a positive number of milliseconds, not ${opts.intervalMs}`);
  const connector = opts.connector ?? multiHostConnector(opts.connection, opts.password);

  const first = await connector();
  try {
    if (!(await probeTableExists(first.client, table))) {
      if (!opts.createTable) {
        throw new Error(`the probe table ${quoteIdent(table)} does not exist on ${first.host}; create it on the source before setting up replication (ensureProbeTable) so that it replicates`);
      }
      await ensureProbeTable(first.client, table);
    }
  } catch (e) {
    await first.client.end().catch(() => undefined);
    throw e;
  }

  const run = runTag();
  const ids = new ProbeIds();
  const insert = `INSERT INTO ${quoteIdent(table)} (id, run) VALUES ($1, $2)`;
  const tracker = new GapTracker();
  const commits: AckedCommit[] = [];
  const perHost: Record<string, number> = {};
  const listeners = new Set<(e: ProbeEvent) => void>();
  const emit = (e: ProbeEvent) => { for (const l of listeners) { try { l(e); } catch { /* a listener's bug must not stop the probe */ } } };
  let attempts = 0;
  let failedAttempts = 0;
  let host: string | undefined;
  let lastError: string | undefined;
  let pendingFirst: typeof first | undefined = first;
  const startedMs = nowMs();
  const abort = new AbortController();

  const loop = writeLoop<string>({
    connect: async () => {
      if (pendingFirst) { const c = pendingFirst; pendingFirst = undefined; return c; }
      return connector();
    },
    write: async (conn) => {
      attempts++;
      const id = ids.next();
      try {
        await conn.client.query(insert, [id, run]);
      } catch (e) {
        if (sqlState(e) === '23505') ids.rebase();
        throw e;
      }
      return id;
    },
    intervalMs,
    backoff: new Backoff(opts.backoffMs?.min ?? 10, opts.backoffMs?.max ?? 50),
    attemptTimeoutMs: opts.attemptTimeoutMs ?? 3000,
    signal: abort.signal,
    onConnected: (h, at) => { host = h; emit({ type: 'connected', host: h, at }); },
    onAck: (id, h, at, latencyMs) => {
      const commit: AckedCommit = { id, host: h, at, latencyMs };
      commits.push(commit);
      perHost[h] = (perHost[h] ?? 0) + 1;
      const closed = tracker.ack(at, h);
      if (closed) emit({ type: 'gap-ended', gap: closed });
      emit({ type: 'commit', commit });
    },
    onFail: (error, at) => {
      failedAttempts++;
      lastError = error;
      host = undefined;
      if (tracker.fail(at, error)) emit({ type: 'gap-started', at, error, fromHost: tracker.current?.fromHost });
    },
  });

  let report: Promise<ProbeReport> | undefined;
  const ackedIds = () => commits.map((c) => c.id);

  return {
    run,
    table,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    snapshot() {
      const cur = tracker.current;
      return {
        run, acked: commits.length, failedAttempts, host,
        lastAckAt: commits.at(-1)?.at, gapSince: cur?.startMs, lastError,
        gaps: tracker.gaps.length, maxGapMs: maxOf(tracker.gaps.map((g) => g.durationMs)) ?? 0, perHost: { ...perHost },
      };
    },
    stop() {
      report ??= (async () => {
        abort.abort();
        await loop;
        const stoppedMs = nowMs();
        const open = tracker.finish(stoppedMs);
        if (open) emit({ type: 'gap-ended', gap: open });
        const latencies = commits.map((c) => c.latencyMs);
        return {
          run, table, intervalMs,
          startedAt: new Date(startedMs).toISOString(),
          stoppedAt: new Date(stoppedMs).toISOString(),
          durationMs: Math.round(stoppedMs - startedMs),
          attempts, acked: commits.length, failedAttempts,
          perHost: { ...perHost },
          gaps: [...tracker.gaps],
          maxGapMs: maxOf(tracker.gaps.map((g) => g.durationMs)) ?? 0,
          switchoverGap: switchoverGap(tracker.gaps),
          commitLatencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: maxOf(latencies) },
          commits: [...commits],
        };
      })();
      return report;
    },
    verify(target) {
      return verifyProbeCommits(target, table, run, ackedIds());
    },
  };
}
