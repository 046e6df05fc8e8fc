// Switchover benchmark: `npm run bench:switchover` (node --import tsx scripts/bench-switchover.ts [options]).
// PG14 → 16, pgbench scale 30, 20 TPC-B-like writers through seed 001's multi-host connection string, 10 guarded
// switchovers (the runbook's) and 10 scripted manual ones (seed 001's psql steps), back and forth on one pair.
// Prints p50 / max of the write-unavailable window as the writers saw it, lost and duplicated commits, and writes
// the results into BENCHMARKS.md (its "Switchover" section only) with the machine and the date.
//
// Options: --switchovers N (per method, default 10)  --scale N (30)  --writers N (20)  --from V (14)  --to V (16)
//          --port-base N (15700)  --dir DIR (.lab/bench)  --no-manual  --keep  --no-write (do not touch BENCHMARKS.md)
//          --storm (writers reconnect each on its own instead of like a pool)
//          --lag-threshold BYTES (the runbook's lagThresholdBytes; default its own, 1 MiB)
//          --heavy-writers N (the guarded switchover again under N writers, default 50; 0: not run)
//          --variant K=V[,K=V…] (an A/B: guarded switchovers with these environment variables — the window's tuning knobs,
//          e.g. PGPILOT_SUBSCRIPTION_SYNC=prepare — interleaved with the default ones)
//          --pgbouncer (first N switchovers with the writers going through a real PgBouncer in transaction pooling that
//          the switchover PAUSEs / repoints / RESUMEs, then N with multi-host writers, side by side; written to its own
//          BENCHMARKS.md section)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { phaseMedians, runSwitchoverBench, type BenchMethod, type BenchMethodSummary, type BenchResult } from '../src/core/demo/bench';

/** Issue 14, on an otherwise idle machine: guarded p50 ≤ 110 ms and ≤ half the manual steps' p50, max ≤ 250 ms, 0 lost. */
const TARGETS = { p50: 110, max: 250, ratioToManual: 0.5 };
const START = '<!-- bench:switchover:start -->';
const END = '<!-- bench:switchover:end -->';

function args(argv: string[]) {
  const o = { switchovers: 10, scale: 30, writers: 20, from: '14', to: '16', portBase: 15700, dir: '.lab/bench', manual: true, keep: false, write: true, storm: false, lagThreshold: undefined as number | undefined, pgbouncer: false, heavyWriters: 50, variant: undefined as Record<string, string> | undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const int = () => {
      const v = next();
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new Error(`${a} must be a positive whole number, got "${v}"`);
      return Number(v);
    };
    switch (a) {
      case '--switchovers': o.switchovers = int(); break;
      case '--scale': o.scale = int(); break;
      case '--writers': o.writers = int(); break;
      case '--heavy-writers': { const v = next(); if (!/^\d+$/.test(v)) throw new Error(`${a} must be a whole number, got "${v}"`); o.heavyWriters = Number(v); break; }
      case '--from': o.from = next(); break;
      case '--to': o.to = next(); break;
      case '--port-base': o.portBase = int(); break;
      case '--dir': o.dir = next(); break;
      case '--no-manual': o.manual = false; break;
      case '--keep': o.keep = true; break;
      case '--no-write': o.write = false; break;
      case '--storm': o.storm = true; break;
      case '--lag-threshold': o.lagThreshold = int(); break;
      case '--pgbouncer': o.pgbouncer = true; break;
      case '--variant': o.variant = Object.fromEntries(next().split(',').map((kv) => {
        const m = /^(PGPILOT_[A-Z_]+)=(.*)$/.exec(kv);
        if (!m) throw new Error(`--variant takes PGPILOT_NAME=value[,…], got "${kv}"`);
        return [m[1], m[2]];
      })); break;
      default: throw new Error(`unknown option "${a}"`);
    }
  }
  return o;
}

const ms = (v: number | undefined) => (v === undefined ? '—' : `${Math.round(v)} ms`);
const LABEL: Record<BenchMethod, string> = { guarded: 'guarded switchover (runbook)', manual: 'manual, seed 001 psql steps', heavy: 'guarded switchover, heavier load', variant: 'guarded switchover, variant', pgbouncer: 'guarded switchover, clients through PgBouncer' };
const PGB_START = '<!-- bench:switchover-pgbouncer:start -->';
const PGB_END = '<!-- bench:switchover-pgbouncer:end -->';

const safe = (s: BenchMethodSummary) => s.lostCommits === 0 && s.duplicates === 0 && s.balanceBroken === 0 && s.overlapped === 0;

/** The timing targets apply to the guarded switchover under the standard load; every method must lose nothing. */
function verdict(s: BenchMethodSummary, all: BenchMethodSummary[] = []): string {
  if (!safe(s)) return 'LOST OR DUPLICATED WRITES, or both servers writable';
  if (s.method !== 'guarded') return 'nothing lost';
  const manual = all.find((m) => m.method === 'manual')?.writersWindowP50;
  const p50 = s.writersWindowP50 ?? Infinity;
  const misses = [
    p50 > TARGETS.p50 ? `p50 ${ms(p50)} > ${TARGETS.p50} ms` : '',
    (s.writersWindowMax ?? Infinity) > TARGETS.max ? `max ${ms(s.writersWindowMax)} > ${TARGETS.max} ms` : '',
    manual !== undefined && p50 > TARGETS.ratioToManual * manual ? `p50 is ${(p50 / manual).toFixed(2)} × the manual steps' (target ≤ ${TARGETS.ratioToManual})` : '',
  ].filter(Boolean);
  return misses.length ? `MISSES the targets (${misses.join('; ')})` : `meets the targets${manual !== undefined ? ` (${(p50 / manual).toFixed(2)} × the manual steps' p50)` : ''}`;
}

/** The window's phases, median per method (guarded methods only). */
function breakdownTable(r: BenchResult): string[] {
  const methods = r.summaries.filter((s) => s.method !== 'manual').map((s) => s.method);
  const med = new Map(methods.map((m) => [m, phaseMedians(r.iterations.filter((i) => i.method === m))]));
  const phases = [...new Set([...med.values()].flatMap((x) => x.map((p) => p.phase)))];
  if (!phases.length) return [];
  return [
    `| phase of the runbook's window (p50 / max) | ${methods.map((m) => LABEL[m]).join(' | ')} |`,
    `| --- | ${methods.map(() => '--:').join(' | ')} |`,
    ...phases.map((ph) => `| ${ph} | ${methods.map((m) => { const x = med.get(m)?.find((p) => p.phase === ph); return x ? `${Math.round(x.p50)} / ${Math.round(x.max)} ms${x.runs < (r.summaries.find((s) => s.method === m)?.runs ?? 0) ? ` (${x.runs} runs)` : ''}` : '—'; }).join(' | ')} |`),
  ];
}

function summaryTable(r: BenchResult): string[] {
  const rows = [
    '| method | switchovers | writers\' window p50 | max | worst single client p50 | max | procedure p50 | max | lost commits | duplicated | switchovers with lost updates | both writable |',
    '| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |',
  ];
  for (const s of r.summaries) {
    rows.push(`| ${LABEL[s.method]} | ${s.runs} | **${ms(s.writersWindowP50)}** | **${ms(s.writersWindowMax)}** | ${ms(s.worstClientP50)} | ${ms(s.worstClientMax)} | ${ms(s.procedureP50)} | ${ms(s.procedureMax)} | **${s.lostCommits}** | ${s.duplicates} | ${s.balanceBroken} | ${s.overlapped} |`);
  }
  return rows;
}

const loadAtStart = loadavg()[0];

function markdown(r: BenchResult, o: ReturnType<typeof args>): string {
  const cpu = cpus();
  const date = new Date().toISOString().replace('T', ' ').slice(0, 16);
  const lines = [
    START,
    '## Switchover: write-unavailable window under load (`npm run bench:switchover`)',
    '',
    `Run ${date} UTC on ${cpu.length} CPU(s) (${cpu[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory, Node ${process.version}; PostgreSQL ${r.servers.a} → ${r.servers.b} (lab npm builds, default settings), runbook defaults${o.lagThreshold ? ` except lagThresholdBytes = ${o.lagThreshold}` : ''}, pgbench scale ${o.scale}, ${o.writers} concurrent TPC-B-like writers through \`host=old,new target_session_attrs=read-write\` that retry on errors (${o.storm ? 'backoff 10 → 100 ms, each client reconnecting on its own' : 'backoff 5 → 20 ms; while no server accepts writes one of them probes the host list every 10 ms and the others wait, as a pool does'}). Load average (1 min) ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end (other work shares this machine).`,
    '',
    `Targets (issue 14, on an otherwise idle machine): the guarded switchover's writers' window p50 ≤ ${TARGETS.p50} ms and ≤ ${TARGETS.ratioToManual} × the manual steps' p50 in the same run, max ≤ ${TARGETS.max} ms; 0 lost commits for every method.`,
    '',
    ...summaryTable(r),
    '',
    ...r.summaries.map((s) => `- ${LABEL[s.method]}: ${verdict(s, r.summaries)}.`),
    '',
    ...breakdownTable(r),
    '',
    '- The window is mostly CPU time on the two servers and the clients: on a busy machine it grows. Compare the load averages before comparing runs.',
    '- The manual way has no guard against a transaction still under way on the source when "lag looks 0" (no session is terminated, no frozen WAL position): losing an update then is a race, so 0 lost in a few runs does not make it safe.',
    '',
    'How it is measured:',
    '- One pair of servers is prepared once by the logical-upgrade runbook (schema copy, publication, subscription, initial copy, data comparison), then switched back and forth. Between switchovers, outside any window, replication is turned around: the new server drops its subscription and the old one subscribes to the new one from a slot created just before the new one opened (copy_data = false). Every switchover starts from the same state: old server open, new one frozen (read-only) and caught up.',
    '- **Writers\' window**: the last commit the old server acknowledged to any writer → the first commit the new one acknowledged (no writer could commit in between). **Worst single client**: the longest one writer waited between two of its own commits across the switchover (includes its retry backoff and reconnects). **Procedure**: the runbook\'s own `writeUnavailableMs` (source freeze → target open), or for the manual way the first psql command started → the last one done.',
    '- **Lost commits**: transactions acknowledged to a writer whose pgbench_history row (tagged with a client-generated id) is missing on the new server afterwards; **duplicated**: tagged rows found twice. **Lost updates**: the TPC-B sums (accounts, tellers, branches, history deltas) move apart — a replicated UPDATE that arrived after the new server had opened overwrote a newer balance.',
    '- Guarded switchover = the runbook\'s `switchover` step, with the window\'s phases in the table above: before the freeze the target is frozen, the reverse slot created and advanced, the fence\'s triggers installed inert and the subscriber caught up; inside the window the source database is frozen (ALTER DATABASE … SET default_transaction_read_only) and the fence armed in ONE transaction, every client session terminated and gone, prepared transactions checked and the drain marker committed in one round trip, the drain until the slot\'s confirmed_flush_lsn reaches the frozen WAL position (the subscription\'s synchronous_commit turned on at the freeze), setval of every sequence and the replicated-set check alongside, the reverse slot advanced, the commit point journaled (fsync), the target opened.',
    ...(r.summaries.some((s) => s.method === 'heavy') ? [`- Heavier load = the same guarded switchover under ${o.heavyWriters} writers instead of ${o.writers}.`] : []),
    ...(o.variant ? [`- Variant = the same guarded switchover with ${Object.entries(o.variant).map(([k, v]) => `${k}=${v}`).join(', ')} (an A/B of a window tuning, interleaved with the default).`] : []),
    '- Manual = seed 001\'s steps as a DBA would type them, scripted with psql 15 as fast as psql starts (a human adds seconds): the target is already read-only, then',
    ...r.manualScript.map((l) => `  - \`${l}\``),
    '  The reverse-replication slot is not in the seed; it is there (and inside the window) for both methods so the pair can switch back.',
    '',
    '<details><summary>Every switchover</summary>',
    '',
    '| # | method | from → to | writers\' window | worst client | procedure | detail | txns | tps | lost | dup | lost updates |',
    '| --: | --- | --- | --: | --: | --: | --- | --: | --: | --: | --: | --- |',
    ...r.iterations.map((i, k) => `| ${k + 1} | ${i.method} | ${i.from} → ${i.to} | ${ms(i.writersWindowMs)}${i.overlapped ? ' (both writable!)' : ''} | ${ms(i.worstClientMs)} | ${ms(i.procedureMs)} | ${Object.entries(i.detail).map(([k2, v]) => `${k2} ${typeof v === 'number' ? Math.round(v) : v}`).join(', ')} | ${i.acked} | ${i.tps} | ${i.lostCommits} | ${i.duplicates} | ${i.balanceBroken ? 'yes' : 'no'} |`),
    '',
    '</details>',
    '',
    `Whole benchmark: ${Math.round(r.totalMs / 1000)} s (preparation ${Math.round(r.setupMs / 1000)} s).`,
    END,
  ];
  return lines.join('\n');
}

/** The PgBouncer mode's section: client errors and stalls through the pooler, side by side with multi-host clients. */
function pgbouncerMarkdown(r: BenchResult, o: ReturnType<typeof args>): string {
  const cpu = cpus();
  const date = new Date().toISOString().replace('T', ' ').slice(0, 16);
  const rows = r.summaries.map((s) => `| ${s.method === 'pgbouncer' ? 'PgBouncer 1.18, transaction pooling: PAUSE → repoint → RELOAD → RESUME' : 'libpq multi-host (`target_session_attrs=read-write`), retrying'} | ${s.runs} | **${s.clientErrors}** | ${ms(s.worstClientP50)} | **${ms(s.worstClientMax)}** | ${ms(s.writersWindowP50)} | ${ms(s.writersWindowMax)} | ${ms(s.procedureP50)} | ${ms(s.procedureMax)} | ${s.lostCommits} | ${s.balanceBroken} | ${s.overlapped} |`);
  const stalls = r.iterations.filter((i) => i.method === 'pgbouncer').map((i) => `${ms(Number(i.detail.stallMs))} (PAUSE ${ms(Number(i.detail.pauseMs))})`);
  return [
    PGB_START,
    '## Switchover through PgBouncer vs multi-host clients (`npm run bench:switchover -- --pgbouncer`)',
    '',
    `Run ${date} UTC on ${cpu.length} CPU(s) (${cpu[0]?.model ?? 'unknown CPU'}), Node ${process.version}; PostgreSQL ${r.servers.a} ⇄ ${r.servers.b} (lab npm builds), pgbench scale ${o.scale}, ${o.writers} TPC-B-like writers. Load average (1 min) ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end — **the machine was shared with other heavy work: compare the two rows with each other, not with quiet-machine figures.**`,
    '',
    '| clients reach the primary through | switchovers | client errors | longest stall per client p50 | max | no commit anywhere p50 | max | runbook window (freeze → open) p50 | max | lost commits | lost updates | both writable |',
    '| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |',
    ...rows,
    '',
    `- Through PgBouncer the writers never see an error: their queries wait in the pooler from PAUSE (before the freeze) to RESUME (after the repointed entry is RELOADed); the stall per switchover, PAUSE → RESUME as the pooler measured it: ${stalls.join(', ') || '—'}.`,
    '- Multi-host clients get errors while both servers are read-only and reconnect; their stall includes the retries.',
    ...(r.iterations.some((i) => i.detail.windowBreakdown) ? [`- The runbook's window per switchover (its windowBreakdown, ms): ${r.iterations.filter((i) => i.detail.windowBreakdown).map((i) => `${i.method} #${i.n}: ${String(i.detail.windowBreakdown)}`).join('; ')}.`] : []),
    '- "Longest stall per client": the longest time one writer waited between two of its own commits across the switchover. "No commit anywhere": the longest stretch in which no writer got a commit acknowledged.',
    PGB_END,
  ].join('\n');
}

function writeSection(start: string, end: string, section: string): string {
  const file = resolve('BENCHMARKS.md');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  writeFileSync(file, i >= 0 && j > i ? `${text.slice(0, i)}${section}${text.slice(j + end.length)}` : `${text.trimEnd()}\n\n${section}\n`);
  return file;
}

function writeBenchmarks(section: string): string {
  const file = resolve('BENCHMARKS.md');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\nFigures measured by the scripts in `scripts/` (each section says how to run it). Machine and date are given per section.\n';
  const i = text.indexOf(START);
  const j = text.indexOf(END);
  const next = i >= 0 && j > i ? `${text.slice(0, i)}${section}${text.slice(j + END.length)}` : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, next);
  return file;
}

async function main(): Promise<number> {
  let o: ReturnType<typeof args>;
  try {
    o = args(process.argv.slice(2));
  } catch (err) {
    console.error(`bench-switchover: ${(err as Error).message}`);
    return 2;
  }
  const t0 = Date.now();
  const log = (s: string) => console.log(`${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s  ${s}`);
  const result = await runSwitchoverBench({
    from: o.from, to: o.to, scale: o.scale, writers: o.writers, heavyWriters: o.heavyWriters, variantEnv: o.variant, switchovers: o.switchovers,
    methods: [...(o.pgbouncer ? ['pgbouncer' as const] : []), 'guarded', ...(o.variant ? ['variant' as const] : []), ...(o.manual ? ['manual' as const] : []), ...(o.heavyWriters && !o.pgbouncer ? ['heavy' as const] : [])], dir: resolve(o.dir), portBase: o.portBase, keep: o.keep,
    warmupMs: 2000, afterMs: 1000, coordinatedReconnect: !o.storm, lagThresholdBytes: o.lagThreshold, log,
  });
  console.log('');
  for (const s of result.summaries) {
    console.log(`${LABEL[s.method]}: writers' window p50 ${ms(s.writersWindowP50)}, max ${ms(s.writersWindowMax)}; worst client p50 ${ms(s.worstClientP50)}, max ${ms(s.worstClientMax)}; procedure p50 ${ms(s.procedureP50)}, max ${ms(s.procedureMax)}; ${s.clientErrors} client error(s); lost ${s.lostCommits}, duplicated ${s.duplicates}, lost updates in ${s.balanceBroken} switchover(s) — ${verdict(s, result.summaries)}`);
  }
  if (o.write && o.pgbouncer) console.log(`results written to ${writeSection(PGB_START, PGB_END, pgbouncerMarkdown(result, o))}`);
  else if (o.write) console.log(`results written to ${writeBenchmarks(markdown(result, o))}`);
  const guarded = result.summaries.find((s) => s.method === 'guarded');
  for (const line of breakdownTable(result)) console.log(line);
  return guarded && verdict(guarded, result.summaries).startsWith('meets') ? 0 : 1;
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  console.error(`bench-switchover: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exitCode = 1;
});
