// Benchmark: what the dashboard's replication monitor costs the source it watches.
// A lab pair (PostgreSQL 16 source → 17 target) replicates pgbench's tables by a real subscription, as during an
// upgrade. ONE pgbench run (TPC-B-like, Debian's pgbench 15, progress every second) on the source, while the
// dashboard's monitor (ReplicationMonitor, what the extension polls with: one statement per cluster per tick) is
// switched on and off every few seconds, polling both servers at 1 Hz when on. Each second of pgbench progress is
// assigned to the mode it ran in (seconds straddling a switch are dropped); each on-window is paired with the
// off-windows around it, so the machine's background load falls on both sides. The figure judged is the ratio of the
// mean TPS of the on-seconds to the off-seconds; the paired ratios give its 95 % interval (how much the machine's noise
// allows to tell). Target: TPS with the monitor ≥ 99 % of TPS without.
// Prints the figures and writes the "Dashboard" section of BENCHMARKS.md (between its markers; other sections untouched).
// Usage: node scripts/bench-dashboard.mjs [--seconds=240] [--phase-seconds=6] [--scale=10] [--clients=4]
//        [--interval-ms=1000] [--extra-tables=0] [--port-base=22760] [--no-write]
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PGBENCH = '/usr/lib/postgresql/15/bin/pgbench';
const START = '<!-- bench:dashboard:start -->';
const END = '<!-- bench:dashboard:end -->';

const opt = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')).map(([k, v]) => [k, v ?? true]));
const SECONDS = Number(opt.seconds ?? 240);
const PHASE_S = Number(opt['phase-seconds'] ?? 6);
const SCALE = Number(opt.scale ?? 10);
const CLIENTS = Number(opt.clients ?? 4);
const INTERVAL_MS = Number(opt['interval-ms'] ?? 1000);
const EXTRA_TABLES = Number(opt['extra-tables'] ?? 0);
const PORT_BASE = Number(opt['port-base'] ?? 22760);
const TARGET_RATIO = 0.99;

const log = (s) => console.log(`${new Date().toISOString().slice(11, 19)}  ${s}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs a program with an argument array (no shell); resolves its stdout, rejects with its stderr on failure. */
function run(cmd, args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`))));
  });
}

function pgArgs(s) {
  return ['-h', s.host, '-p', String(s.port), '-U', s.user];
}

async function pgbench(s, seconds) {
  const out = await run(PGBENCH, [...pgArgs(s), '-n', '-T', String(seconds), '-c', String(CLIENTS), '-j', String(Math.min(CLIENTS, 2)), 'postgres'], { PGPASSWORD: s.password });
  const m = /tps = ([\d.]+) \(without initial connection time\)/.exec(out) ?? /tps = ([\d.]+)/.exec(out);
  if (!m) throw new Error(`no tps in pgbench output: ${out}`);
  return Number(m[1]);
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

async function main() {
  if (!existsSync(PGBENCH)) throw new Error(`${PGBENCH} not found: install Debian's postgresql-15 package`);
  const lab = await tsImport(join(ROOT, 'test/helpers/lab.ts'), import.meta.url);
  const { ReplicationMonitor, sourceTickSql, targetTickSql } = await tsImport(join(ROOT, 'src/core/monitor/index.ts'), import.meta.url);
  const { versionFromNum } = await tsImport(join(ROOT, 'src/core/db.ts'), import.meta.url);
  log(`lab: PostgreSQL 16 → 17 from port ${PORT_BASE}`);
  const group = await lab.startTestServers(['16', '17'], { portBase: PORT_BASE });
  const [src, tgt] = group.servers;
  const clients = [];
  try {
    log(`pgbench -i -s ${SCALE} on the source; schema on the target; publication + subscription`);
    await run(PGBENCH, [...pgArgs(src), '-i', '-q', '-s', String(SCALE), 'postgres'], { PGPASSWORD: src.password });
    await run(PGBENCH, [...pgArgs(tgt), '-i', '-q', '-I', 'dtp', 'postgres'], { PGPASSWORD: tgt.password }); // tables + keys, no rows
    const sc = await lab.clientFor(src);
    const tc = await lab.clientFor(tgt);
    clients.push(sc, tc);
    for (let i = 0; i < EXTRA_TABLES; i++) {
      for (const c of [sc, tc]) await c.query(`CREATE TABLE bench_extra_${i} (id int PRIMARY KEY)`);
    }
    await sc.query('CREATE PUBLICATION bench_pub FOR ALL TABLES');
    const conninfo = `host=${src.host} port=${src.port} user=${src.user} password=${src.password} dbname=postgres`;
    await tc.query(`CREATE SUBSCRIPTION bench_sub CONNECTION '${conninfo.replace(/'/g, "''")}' PUBLICATION bench_pub`);

    // The monitor as the extension runs it: its own (pooled) connection per cluster, one statement each per tick.
    const ms = await lab.clientFor(src);
    const mt = await lab.clientFor(tgt);
    clients.push(ms, mt);
    const version = async (c) => versionFromNum(Number((await c.query('SHOW server_version_num')).rows[0].server_version_num));
    const pair = { source: { name: 'pg16', client: ms, version: await version(ms) }, target: { name: 'pg17', client: mt, version: await version(mt) } };
    const monitor = new ReplicationMonitor({ subscription: 'bench_sub' });
    for (let i = 0; ; i++) {
      const s = await monitor.poll(pair);
      if (s.tables.total > 0 && s.tables.counts.r === s.tables.total) break;
      if (i > 600) throw new Error('the subscription did not get ready in 10 minutes');
      await sleep(1000);
    }
    log(`subscription ready (${4 + EXTRA_TABLES} tables); warm-up 10 s`);
    await pgbench(src, 10);

    // One pgbench run with a progress line every second; the monitor switches on and off every PHASE_S seconds.
    const tickMs = [];
    const windows = []; // { mode, from, to } in seconds since pgbench started
    const samples = []; // { t, tps } — pgbench's progress: t = end of the second
    let mode = 'off';
    let polling;
    const t0 = Date.now();
    const bench = spawn(PGBENCH, [...pgArgs(src), '-n', '-T', String(SECONDS), '-P', '1', '-c', String(CLIENTS), '-j', String(Math.min(CLIENTS, 2)), 'postgres'],
      { env: { ...process.env, PGPASSWORD: src.password }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    bench.stderr.on('data', (d) => {
      stderr += d;
      for (const m of String(d).matchAll(/progress: ([\d.]+) s, ([\d.]+) tps/g)) samples.push({ t: Number(m[1]), tps: Number(m[2]) });
    });
    const exited = new Promise((resolve, reject) => bench.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`pgbench exited ${code}: ${stderr.slice(-300)}`)))));
    let done = false;
    exited.finally(() => { done = true; }).catch(() => {});
    const toggles = (async () => {
      while (!done) {
        const from = (Date.now() - t0) / 1000;
        let stop = false;
        polling = mode === 'on' ? (async () => {
          while (!stop) {
            const s0 = performance.now();
            await monitor.poll(pair);
            const took = performance.now() - s0;
            tickMs.push(took);
            if (INTERVAL_MS - took > 0 && !stop) await sleep(INTERVAL_MS - took);
          }
        })() : Promise.resolve();
        await Promise.race([sleep(PHASE_S * 1000), exited.catch(() => {})]);
        stop = true;
        await polling;
        windows.push({ mode, from, to: (Date.now() - t0) / 1000 });
        mode = mode === 'on' ? 'off' : 'on';
      }
    })();
    await exited;
    await toggles;
    log(`pgbench: ${samples.length} one-second samples, ${windows.length} windows of ${PHASE_S} s`);

    // A second belongs to a window when it lies wholly inside it (1 s margin at each edge for the switch itself).
    const inWindow = (w) => samples.filter((x) => x.t - 1 >= w.from + 1 && x.t <= w.to - 0.5).map((x) => x.tps);
    const perWindow = windows.map((w) => ({ ...w, tps: inWindow(w) })).filter((w) => w.tps.length);
    const on = perWindow.filter((w) => w.mode === 'on').flatMap((w) => w.tps);
    const off = perWindow.filter((w) => w.mode === 'off').flatMap((w) => w.tps);
    // Each on-window against the mean of the off-windows just before and after it.
    const paired = [];
    perWindow.forEach((w, i) => {
      if (w.mode !== 'on') return;
      const around = [perWindow[i - 1], perWindow[i + 1]].filter((x) => x && x.mode === 'off').flatMap((x) => x.tps);
      if (around.length) paired.push(mean(w.tps) / mean(around));
    });
    // The monitor's statements as the servers see them (planning + execution), a figure the machine's noise barely
    // touches: what one tick costs the source (and the target) in backend time.
    const serverMs = async (c, sql) => {
      const xs = [];
      for (let i = 0; i < 20; i++) {
        const lines = (await c.query(`EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) ${sql}`)).rows.map((r) => r['QUERY PLAN']).join('\n');
        xs.push(Number(/Planning Time: ([\d.]+)/.exec(lines)[1]) + Number(/Execution Time: ([\d.]+)/.exec(lines)[1]));
      }
      return median(xs);
    };
    const sourceServerMs = await serverMs(ms, sourceTickSql(pair.source.version, { longTransactionSeconds: 60 }));
    const targetServerMs = await serverMs(mt, targetTickSql(pair.target.version, { conninfo: true }));
    const meanRatio = mean(on) / mean(off);
    const ratio = meanRatio;
    const pm = mean(paired);
    const sd = Math.sqrt(paired.reduce((a, x) => a + (x - pm) ** 2, 0) / Math.max(1, paired.length - 1));
    const ci = [pm - 1.96 * sd / Math.sqrt(paired.length), pm + 1.96 * sd / Math.sqrt(paired.length)];
    const result = {
      ratio, meanRatio, paired, pairedMean: pm, ci, offMean: mean(off), onMean: mean(on), onSeconds: on.length, offSeconds: off.length, windows: perWindow, tickMean: mean(tickMs), tickP95: pct(tickMs, 0.95), tickMax: Math.max(...tickMs),
      ok: ratio >= TARGET_RATIO, source: src.version, target: tgt.version, sourceServerMs, targetServerMs,
    };
    console.log('');
    console.log(`TPS without the monitor: ${result.offMean.toFixed(1)} (${off.length} s)`);
    console.log(`TPS with the monitor at ${(1000 / INTERVAL_MS).toFixed(1)} Hz: ${result.onMean.toFixed(1)} (${on.length} s, ${tickMs.length} polls)`);
    console.log(`paired ratios (each on-window / the off-windows around it): ${paired.map((x) => `${(x * 100).toFixed(0)}`).join(' ')} %`);
    console.log(`ratio of the means: ${(ratio * 100).toFixed(1)} % (target ≥ ${TARGET_RATIO * 100} %): ${result.ok ? 'MET' : 'MISSED'}; `
      + `mean of the paired ratios ${(pm * 100).toFixed(1)} %, 95 % interval ${(ci[0] * 100).toFixed(1)}–${(ci[1] * 100).toFixed(1)} %`);
    console.log(`server time per tick (planning + execution, median of 20): source ${sourceServerMs.toFixed(2)} ms (${(sourceServerMs / INTERVAL_MS * 100).toFixed(2)} % of one CPU), target ${targetServerMs.toFixed(2)} ms`);
    console.log(`monitor tick (both clusters, in parallel): mean ${result.tickMean.toFixed(1)} ms, p95 ${result.tickP95.toFixed(1)} ms, max ${result.tickMax.toFixed(1)} ms`);
    if (!opt['no-write']) log(`written to ${writeSection(section(result))}`);
    return result.ok ? 0 : 1;
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
    await group.stop();
  }
}

function webviewFigures() {
  const f = join(ROOT, 'test-artifacts/dashboard-webview-timings.json');
  if (!existsSync(f)) return [];
  const t = JSON.parse(readFileSync(f, 'utf8'));
  return [
    '',
    `Webview update with ${t.tables.toLocaleString('en-US')} tables in the subscription (${t.listed.toLocaleString('en-US')} not ready), from the last run of`,
    '`node test/e2e/ui/dashboard-webview.mjs` (chromium, the bundle under its CSP, a structured clone of each message included; the',
    'list of not-ready tables travels as a delta: all rows once, then only the rows that changed):',
    '',
    '| update | handler + layout median | p95 | max | to the next frame median | max |',
    '| --- | --: | --: | --: | --: | --: |',
    `| all rows (panel opened) | ${t.fullList.sync.toFixed(1)} ms | | | ${t.fullList.frame.toFixed(1)} ms | |`,
    `| per tick (${t.updates} ticks: 50 tables ready + copying ones advancing) | **${t.sync.median.toFixed(1)} ms** | ${t.sync.p95.toFixed(1)} ms | ${t.sync.max.toFixed(1)} ms | ${t.frame.median.toFixed(1)} ms | ${t.frame.max.toFixed(1)} ms |`,
    '',
    'Target: an update ≤ 50 ms.',
  ];
}

function section(r) {
  const cpu = cpus();
  const rows = r.windows.map((w, i) => `| ${i + 1} | ${w.mode} | ${w.from.toFixed(1)}–${w.to.toFixed(1)} s | ${mean(w.tps).toFixed(1)} | ${w.tps.length} |`);
  return [
    START,
    '## Dashboard: the replication monitor\'s cost on the source (`node scripts/bench-dashboard.mjs`)',
    '',
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpu.length} CPU(s) (${cpu[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory, `
      + `Node ${process.version}, load average at the end ${loadavg().map((x) => x.toFixed(1)).join(' / ')} (the machine was shared with other work). `
      + `PostgreSQL ${r.source} → ${r.target} (lab npm builds), pgbench 15 scale ${SCALE}, ${CLIENTS} clients on the source, `
      + `one ${SECONDS} s run with a progress line per second, the monitor switched on (polling both servers every ${INTERVAL_MS} ms) and off `
      + `every ${PHASE_S} s (the subscription replicating pgbench's tables${EXTRA_TABLES ? ` and ${EXTRA_TABLES} more` : ''} all along); `
      + 'seconds straddling a switch are left out.',
    '',
    `Target: TPS with the monitor ≥ ${TARGET_RATIO * 100} % of TPS without.`,
    '',
    '| | TPS (mean of the seconds) |',
    '| --- | --: |',
    `| without the monitor (${r.offSeconds} s) | ${r.offMean.toFixed(1)} |`,
    `| with the monitor at ${(1000 / INTERVAL_MS).toFixed(1)} Hz (${r.onSeconds} s) | ${r.onMean.toFixed(1)} |`,
    `| **ratio (with / without)** | **${(r.ratio * 100).toFixed(1)} %** (${r.ok ? 'target met' : 'target MISSED'}) |`,
    `| mean of the ${r.paired.length} paired window ratios, 95 % interval | ${(r.pairedMean * 100).toFixed(1)} %, ${(r.ci[0] * 100).toFixed(1)}–${(r.ci[1] * 100).toFixed(1)} % |`,
    '',
    `The paired ratios (each on-window / the off-windows beside it) spread from `
      + `${(Math.min(...r.paired) * 100).toFixed(0)} % to ${(Math.max(...r.paired) * 100).toFixed(0)} % (interquartile ${(pct(r.paired, 0.25) * 100).toFixed(0)}–${(pct(r.paired, 0.75) * 100).toFixed(0)} %): `
      + 'the TPS of this shared machine moves with the other work, so a difference smaller than the interval above cannot be told from noise. '
      + 'The server-side cost below is the sharper figure.',
    '',
    `Server time of one tick (EXPLAIN ANALYZE planning + execution, median of 20): **source ${r.sourceServerMs.toFixed(2)} ms** `
      + `(≈ ${(r.sourceServerMs / INTERVAL_MS * 100).toFixed(2)} % of one CPU at ${(1000 / INTERVAL_MS).toFixed(1)} Hz), target ${r.targetServerMs.toFixed(2)} ms.`,
    '',
    `Monitor tick (one statement per server, both in parallel): mean ${r.tickMean.toFixed(1)} ms, p95 ${r.tickP95.toFixed(1)} ms, max ${r.tickMax.toFixed(1)} ms.`,
    '',
    '<details><summary>Every window</summary>',
    '',
    '| # | monitor | time | TPS (mean) | seconds |',
    '| --: | --- | --- | --: | --: |',
    ...rows,
    '',
    '</details>',
    ...webviewFigures(),
    END,
  ].join('\n');
}

function writeSection(text) {
  const file = join(ROOT, 'BENCHMARKS.md');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const i = current.indexOf(START);
  const j = current.indexOf(END);
  const next = i >= 0 && j > i ? `${current.slice(0, i)}${text}${current.slice(j + END.length)}` : `${current.trimEnd()}\n\n${text}\n`;
  writeFileSync(file, next);
  return file;
}

main().then((code) => process.exit(code), (err) => {
  console.error(`bench-dashboard: ${err.stack ?? err.message}`);
  process.exit(2);
});
