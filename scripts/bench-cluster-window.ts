// Cluster-scope window benchmark (issue 10): node --import tsx scripts/bench-cluster-window.ts [options].
// PG14 → 16 on one pair of real servers. Each round creates three fresh databases with a table and a writer each
// (all three writing throughout), then moves ONE of them (the connection's database, the one-database path) or ALL
// THREE in one switchover (databases list), alternating, and reads the runbook's measured window (writeUnavailableMs,
// freeze → target opened). Prints p50 / max per mode and writes them into BENCHMARKS.md (its own section) with the
// machine, the date and the load average.
//
// Options: --rounds N (per mode, default 3)  --port-base N (23280)  --no-write (do not touch BENCHMARKS.md)
import { readFileSync, writeFileSync, existsSync, mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { runRunbook } from '../src/core/runbook';
import { defaultLogicalUpgradeParams, logicalUpgradeRunbook } from '../src/core/runbooks/logical';
import { AckedWriter } from '../test/helpers/acked-writer';
import { clientFor, type LabServer } from '../test/helpers/lab';
import { autoUi, startPair } from '../test/integration/logical-kit';

const START = '<!-- bench:cluster-window:start -->';
const END = '<!-- bench:cluster-window:end -->';

function args(argv: string[]) {
  const o = { rounds: 3, portBase: 23280, write: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const int = () => {
      const v = argv[++i];
      if (!/^\d+$/.test(v ?? '') || Number(v) < 1) throw new Error(`${a} must be a positive whole number, got "${v}"`);
      return Number(v);
    };
    switch (a) {
      case '--rounds': o.rounds = int(); break;
      case '--port-base': o.portBase = int(); break;
      case '--no-write': o.write = false; break;
      default: throw new Error(`unknown option "${a}"`);
    }
  }
  return o;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length - 1) * p))];

async function main(): Promise<void> {
  const o = args(process.argv.slice(2));
  const load = loadavg().map((x) => x.toFixed(1)).join(' / ');
  const pair = await startPair('14', '16', o.portBase);
  const journal = mkdtempSync(join(tmpdir(), 'pgpilot-bench-cluster-'));
  const windows: Record<'one' | 'three', number[]> = { one: [], three: [] };
  const lost: Record<'one' | 'three', number> = { one: 0, three: 0 };
  const on = async (s: LabServer, db: string, sql: string) => { const c = await clientFor(s, db); try { await c.query(sql); } finally { await c.end(); } };
  try {
    for (let r = 1; r <= o.rounds; r++) {
      for (const mode of ['one', 'three'] as const) {
        const dbs = [1, 2, 3].map((i) => `b${r}_${mode}_${i}`);
        for (const db of dbs) {
          await pair.src.query(`CREATE DATABASE ${db}`);
          await pair.tgt.query(`CREATE DATABASE ${db}`);
          await on(pair.source, db, 'CREATE TABLE w (id bigserial PRIMARY KEY, v int NOT NULL); INSERT INTO w (v) SELECT -g FROM generate_series(1, 1000) g');
        }
        const writers = await Promise.all(dbs.map((db) => AckedWriter.start(pair.source, db)));
        const cluster = (s: LabServer, name: string) => ({ name, connection: `host=127.0.0.1 port=${s.port} user=${s.user} dbname=${dbs[0]}`, password: async () => s.password });
        const result = await runRunbook({
          runbook: logicalUpgradeRunbook, clusters: { source: cluster(pair.source, 'old'), target: cluster(pair.target, 'new') },
          params: defaultLogicalUpgradeParams({ ...(mode === 'three' ? { databases: dbs } : {}), analyzeTarget: false }, dbs[0]),
          ui: autoUi().ui, journalDir: journal, until: 'switchover', operator: 'bench',
        });
        for (const w of writers) await w.stop();
        const sw = result.steps.find((s) => s.id === 'switchover');
        const ms = sw?.outputs?.writeUnavailableMs;
        if (sw?.status !== 'succeeded' || typeof ms !== 'number') throw new Error(`round ${r} (${mode}): ${result.message}`);
        windows[mode].push(ms);
        // every acknowledged write of each moved database on the target
        for (const [i, db] of (mode === 'three' ? dbs : dbs.slice(0, 1)).entries()) {
          const c = await clientFor(pair.target, db);
          try {
            const vs = writers[i].values();
            const found = Number((await c.query('SELECT count(DISTINCT v) AS n FROM w WHERE v = ANY($1::int[])', [vs])).rows[0].n);
            lost[mode] += new Set(vs).size - found;
          } finally {
            await c.end();
          }
        }
        await pair.reconnect();
        console.log(`round ${r}, ${mode === 'one' ? '1 database' : '3 databases'}: window ${Math.round(ms)} ms`);
      }
    }
  } finally {
    await pair.stop();
  }
  const row = (mode: 'one' | 'three', label: string) => `| ${label} | ${windows[mode].length} | ${Math.round(pct(windows[mode], 0.5))} ms | ${Math.round(Math.max(...windows[mode]))} ms | ${lost[mode]} |`;
  const section = [
    START,
    '## Cluster scope: the window with 3 databases vs 1 (issue 10)',
    '',
    `\`node --import tsx scripts/bench-cluster-window.ts --rounds ${o.rounds}\` — PG 14 → 16, three databases with a writer each`,
    '(an insert every 5 ms, all three writing throughout); the runbook\'s measured window (freeze → target opened).',
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB; ${new Date().toISOString().slice(0, 16)} UTC;`,
    `load average at the start ${load} (a shared machine: absolute figures are pessimistic, the ratio is the point).`,
    '',
    '| Moved in one switchover | Runs | p50 window | max window | Acknowledged writes lost |',
    '| --- | --- | --- | --- | --- |',
    row('one', '1 database (the other two keep writing on the source)'),
    row('three', '3 databases (one window for all)'),
    END,
  ].join('\n');
  console.log(section);
  if (!o.write) return;
  const file = resolve(__dirname, '..', 'BENCHMARKS.md');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  writeFileSync(file, a >= 0 && b > a ? text.slice(0, a) + section + text.slice(b + END.length) : `${text.trimEnd()}\n\n${section}\n`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
