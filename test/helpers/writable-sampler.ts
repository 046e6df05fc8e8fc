/**
 * Samples several servers every `intervalMs` (≤ 10 ms) and records, over time, whether each one is writable AS A NEW
 * CLIENT SEES IT: every sample is a fresh connection (the application's role and database) asking
 * `SHOW transaction_read_only` — what libpq's target_session_attrs=read-write relies on, and what a per-database or
 * per-role freeze changes for new sessions only. A server that refuses the connection or does not answer within
 * `attemptTimeoutMs` counts as not writable (nobody can write there).
 * Mode 'insert' instead tries a real write in a fresh session (BEGIN; INSERT …; ROLLBACK): slower, and it sees a
 * fence that read-only defaults do not express.
 *
 *   const sampler = startWritableSampler({ servers: { source: {...}, target: {...} }, intervalMs: 10 });
 *   … the switchover …
 *   const timeline = await sampler.stop();
 *   assertNeverTwoWritable(timeline);
 *
 * Samples of one server start every intervalMs whether or not the previous one has answered (each has its own
 * connection): the sampling rate does not drop when a server is slow. A sample's time is when the question was sent
 * on the established session (its settings applied), so a slow answer does not shift it.
 */
import { Client } from 'pg';
import { quoteIdent } from '../../src/core/sql';

export interface SampledServer {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** 'unknown': the sample timed out (a loaded machine): it proves nothing and does not change the server's state. */
export type Writability = 'writable' | 'read-only' | 'unreachable' | 'unknown';

export interface Sample {
  server: string; // the name given in `servers`
  at: number; // epoch ms the question was sent on the established session (settings applied), or the failure
  startedAt: number;
  state: Writability;
  detail?: string; // the error, for unreachable/read-only-by-error
}

export interface SamplerOptions {
  servers: Record<string, SampledServer>;
  intervalMs?: number; // default 10
  attemptTimeoutMs?: number; // default 2000
  mode?: 'show' | 'insert';
  /** mode 'insert': the table tried (rolled back); it must exist on every server. */
  table?: string;
  /** At most this many samples of one server in flight (a dead server must not pile up sockets). Default 20. */
  maxInFlight?: number;
}

export interface Timeline {
  servers: string[];
  samples: Sample[]; // sorted by `at`
  startedAt: number;
  stoppedAt: number;
}

export interface WritableSampler {
  /** Samples so far (unsorted). */
  readonly samples: ReadonlyArray<Sample>;
  /** The latest state of a server, if sampled. */
  latest(server: string): Sample | undefined;
  /** Resolves once `predicate` holds for the latest samples (bounded: rejects after timeoutMs, naming the states). */
  waitFor(predicate: (latest: Record<string, Writability | undefined>) => boolean, timeoutMs: number, what: string): Promise<void>;
  stop(): Promise<Timeline>;
}

export function startWritableSampler(opts: SamplerOptions): WritableSampler {
  const intervalMs = opts.intervalMs ?? 10;
  if (!(intervalMs > 0 && intervalMs <= 10)) throw new Error(`the sampler must sample at least every 10 ms, not every ${intervalMs} ms`);
  const timeoutMs = opts.attemptTimeoutMs ?? 2000;
  const maxInFlight = opts.maxInFlight ?? 20;
  const names = Object.keys(opts.servers);
  const samples: Sample[] = [];
  const latest = new Map<string, Sample>();
  const inFlight = new Map<string, number>(names.map((n) => [n, 0]));
  const pending = new Set<Promise<void>>();
  const startedAt = Date.now();
  const probeSql = opts.mode === 'insert'
    ? `INSERT INTO ${quoteIdent(opts.table ?? 'pgpilot_probe')} (id, run) VALUES (-1, 'sampler')`
    : 'SHOW transaction_read_only';

  const record = (s: Sample) => {
    samples.push(s);
    if (s.state === 'unknown') return;
    const prev = latest.get(s.server);
    if (!prev || prev.at <= s.at) latest.set(s.server, s);
  };

  const sampleOnce = async (name: string): Promise<void> => {
    const srv = opts.servers[name];
    const startedAt = Date.now();
    let queryAt: number | undefined;
    const c = new Client({ host: srv.host, port: srv.port, user: srv.user, password: srv.password, database: srv.database, application_name: 'pgpilot-test-sampler', connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
    c.on('error', () => undefined);
    try {
      await c.connect();
      queryAt = Date.now();
      if (opts.mode === 'insert') {
        await c.query('BEGIN');
        try {
          await c.query(probeSql);
          record({ server: name, at: queryAt, startedAt, state: 'writable' });
        } finally {
          await c.query('ROLLBACK').catch(() => undefined);
        }
      } else {
        const r = await c.query<{ transaction_read_only: string }>(probeSql);
        record({ server: name, at: queryAt, startedAt, state: r.rows[0]?.transaction_read_only === 'off' ? 'writable' : 'read-only' });
      }
    } catch (e) {
      const code = (e as { code?: string }).code;
      // 25006: read_only_sql_transaction — the write was refused: read-only, not unreachable
      const message = (e as Error).message ?? '';
      const state: Writability = code === '25006' ? 'read-only' : /timeout|timed out/i.test(message) ? 'unknown' : 'unreachable';
      record({ server: name, at: queryAt ?? Date.now(), startedAt, state, detail: message });
    } finally {
      await c.end().catch(() => undefined);
    }
  };

  const tick = () => {
    for (const name of names) {
      if ((inFlight.get(name) ?? 0) >= maxInFlight) continue;
      inFlight.set(name, (inFlight.get(name) ?? 0) + 1);
      const p = sampleOnce(name).finally(() => {
        inFlight.set(name, (inFlight.get(name) ?? 1) - 1);
        pending.delete(p);
      });
      pending.add(p);
    }
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  let stopped: Promise<Timeline> | undefined;

  const latestStates = () => Object.fromEntries(names.map((n) => [n, latest.get(n)?.state])) as Record<string, Writability | undefined>;

  return {
    samples,
    latest: (server) => latest.get(server),
    async waitFor(predicate, waitMs, what) {
      const deadline = Date.now() + waitMs;
      while (!predicate(latestStates())) {
        if (Date.now() > deadline) {
          const detail = names.map((n) => `${n}: ${latest.get(n)?.state ?? 'no sample'}${latest.get(n)?.detail ? ` (${latest.get(n)!.detail})` : ''}`).join('; ');
          throw new Error(`waited ${waitMs} ms for ${what}; latest samples: ${detail}`);
        }
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    },
    stop() {
      stopped ??= (async () => {
        clearInterval(timer);
        await Promise.allSettled([...pending]);
        return { servers: names, samples: [...samples].sort((a, b) => a.at - b.at), startedAt, stoppedAt: Date.now() };
      })();
      return stopped;
    },
  };
}

export interface WritableInterval {
  server: string;
  from: number;
  to: number;
}

/** Where each server was writable: runs of consecutive 'writable' samples (from first to last such sample). */
export function writableIntervals(t: Timeline): WritableInterval[] {
  const out: WritableInterval[] = [];
  const open = new Map<string, WritableInterval>();
  for (const s of t.samples) {
    if (s.state === 'unknown') continue;
    const cur = open.get(s.server);
    if (s.state === 'writable') {
      if (cur) cur.to = s.at;
      else open.set(s.server, { server: s.server, from: s.at, to: s.at });
    } else if (cur) {
      out.push(cur);
      open.delete(s.server);
    }
  }
  out.push(...open.values());
  return out.sort((a, b) => a.from - b.from);
}

export interface DoubleWritable {
  at: number;
  servers: string[];
}

/**
 * Every moment at which two or more servers' latest samples both said "writable" (a sample's state holds until the
 * next sample of the same server). Empty = never two writable servers at any sample.
 */
export function doubleWritableMoments(t: Timeline): DoubleWritable[] {
  const state = new Map<string, Writability>();
  const out: DoubleWritable[] = [];
  for (const s of t.samples) {
    if (s.state === 'unknown') continue;
    state.set(s.server, s.state);
    const writable = [...state].filter(([, st]) => st === 'writable').map(([n]) => n);
    if (writable.length > 1) out.push({ at: s.at, servers: writable });
  }
  return out;
}

export function assertNeverTwoWritable(t: Timeline, context = ''): void {
  const bad = doubleWritableMoments(t);
  if (bad.length === 0) return;
  const first = bad[0];
  const last = bad[bad.length - 1];
  throw new Error(`${context ? `${context}: ` : ''}two writable servers (${first.servers.join(' and ')}) at ${bad.length} sample(s), ` +
    `from ${new Date(first.at).toISOString()} to ${new Date(last.at).toISOString()} (${last.at - first.at} ms)\n${describeTimeline(t)}`);
}

/** Samples per server and the longest gap between two samples of one server (the real sampling period). */
export function samplingStats(t: Timeline): Record<string, { samples: number; maxGapMs: number; p50GapMs: number }> {
  const out: Record<string, { samples: number; maxGapMs: number; p50GapMs: number }> = {};
  for (const name of t.servers) {
    const at = t.samples.filter((s) => s.server === name).map((s) => s.at);
    const gaps = at.slice(1).map((x, i) => x - at[i]).sort((a, b) => a - b);
    out[name] = { samples: at.length, maxGapMs: gaps.at(-1) ?? 0, p50GapMs: gaps[Math.floor(gaps.length / 2)] ?? 0 };
  }
  return out;
}

/** The first sample at or after `from` at which exactly one server is writable (the recovery point of a fault). */
export function firstOneWritableAt(t: Timeline, from: number): { at: number; server: string } | undefined {
  const state = new Map<string, Writability>();
  for (const s of t.samples) {
    if (s.state === 'unknown') continue;
    state.set(s.server, s.state);
    if (s.at < from) continue;
    const writable = [...state].filter(([, st]) => st === 'writable').map(([n]) => n);
    if (writable.length === 1) return { at: s.at, server: writable[0] };
  }
  return undefined;
}

/** State changes per server, e.g. "source: writable → read-only at +1203 ms" — for the docs and failure messages. */
export function describeTimeline(t: Timeline): string {
  const last = new Map<string, Writability>();
  const lines: string[] = [];
  for (const s of t.samples) {
    if (s.state === 'unknown' || last.get(s.server) === s.state) continue;
    last.set(s.server, s.state);
    lines.push(`  +${s.at - t.startedAt} ms ${s.server}: ${s.state}${s.detail && s.state === 'unreachable' ? ` (${s.detail.slice(0, 80)})` : ''}`);
    if (lines.length > 60) { lines.push('  …'); break; }
  }
  return lines.join('\n');
}
