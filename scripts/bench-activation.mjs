// Benchmark: the extension's activation in a REAL VS Code (code-server 4.100.3 = VS Code 1.100.3's Node extension
// host), and whether activation opens any database connection.
// Each run loads a fresh workbench page (a fresh extension host) whose test payload times
// `vscode.extensions.getExtension(id).activate()` (module loading + activate()), then waits 3 s for any lazy work.
// A real PostgreSQL 16 lab server is registered in the user settings (`pgUpgradePilot.clusters`) with its password
// in a .pgpass file (PGPASSFILE), so a connection attempt during activation would succeed; the server runs with
// log_connections = on and every "connection received" line of its log during the run is counted, plus the live
// sessions in pg_stat_activity afterwards. The expected figure is 0.
// Usage: node scripts/bench-activation.mjs [--runs=5] [--no-build]     (prints figures for BENCHMARKS.md)
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { runExtensionTests } from '../test/e2e/lib/browser.mjs';
import { codeServerVersion, killAllCodeServersSync, ROOT, startCodeServerInRange } from '../test/e2e/lib/code-server.mjs';
import { build, installCodeServer, startLab } from '../test/e2e/lib/project.mjs';
import { sleep } from '../test/e2e/lib/timing.mjs';

const EXTENSION_ID = 'pg-upgrade-pilot.pg-upgrade-pilot';
const MARKER = 'PGUP_BENCH_ACTIVATION';
const PORTS = [21680, 21699]; // test/e2e/run.mjs uses 21600-21679
const LAB_PORT_BASE = 21750;
const SETTLE_MS = 3000;

const runs = Number((process.argv.find((a) => a.startsWith('--runs=')) ?? '--runs=5').split('=')[1]);
const watchdog = setTimeout(() => {
  console.error('bench-activation: hard timeout (10 min); stopping');
  killAllCodeServersSync();
  process.exit(1);
}, 10 * 60_000);

// Runs inside the extension host: plain CommonJS, no build needed.
const PAYLOAD = `
const vscode = require('vscode');
exports.run = async () => {
  const ext = vscode.extensions.getExtension(${JSON.stringify(EXTENSION_ID)});
  if (!ext) throw new Error('extension ${EXTENSION_ID} not found');
  const wasActive = ext.isActive;
  const t0 = performance.now();
  await ext.activate();
  const activateMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, ${SETTLE_MS}));
  console.log(${JSON.stringify(MARKER)} + ' ' + JSON.stringify({ activateMs, wasActive }));
};
`;

// Control: the same detector must see the connection the extension opens when asked to (else the 0 means nothing).
const CONTROL_PAYLOAD = `
const vscode = require('vscode');
exports.run = async () => {
  const api = await vscode.extensions.getExtension(${JSON.stringify(EXTENSION_ID)}).activate();
  const { version } = await api.services.connections.get('bench-pg16', { interactive: false });
  console.log(${JSON.stringify(MARKER)} + ' ' + JSON.stringify({ control: version.text }));
  await api.services.connections.dispose();
};
`;

/** "activated in X ms" lines the extension itself logged (its activate() body), one per extension host. */
function loggedActivationMs(userDataDir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.includes(EXTENSION_ID)) for (const m of readFileSync(p, 'utf8').matchAll(/activated in ([\d.]+) ms/g)) out.push(Number(m[1]));
    }
  };
  walk(join(userDataDir, 'logs'));
  return out;
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { median, min: s[0], max: s[s.length - 1] };
}

async function connectionCounters(server, client) {
  const { rows } = await client.query(
    "SELECT count(*)::int AS live FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()");
  const log = readFileSync(server.logFile, 'utf8');
  return { live: rows[0].live, received: (log.match(/connection received:/g) ?? []).length };
}

async function main() {
  await installCodeServer();
  if (!process.argv.includes('--no-build')) await build();
  const bundle = join(ROOT, 'dist/extension.js');
  const lab = await startLab(['16'], LAB_PORT_BASE, { log_connections: 'on' });
  const work = mkdtempSync(join(tmpdir(), 'pgup-bench-activation-'));
  let codeServer;
  let client;
  try {
    const server = lab.servers[0];
    client = await lab.clientFor(server);
    const pgpass = join(work, 'pgpass');
    writeFileSync(pgpass, `${server.host}:${server.port}:*:${server.user}:${server.password}\n`, { mode: 0o600 });
    const payload = join(work, 'activation-payload.js');
    writeFileSync(payload, PAYLOAD);

    codeServer = await startCodeServerInRange(PORTS, {
      name: 'bench-activation', artifacts: join(ROOT, 'test-artifacts', 'bench'),
      env: { PGPASSFILE: pgpass },
      userSettings: { 'pgUpgradePilot.clusters': [{ id: 'bench-pg16', name: 'bench PG16', connection: server.connection }] },
    });
    const before = await connectionCounters(server, client);
    const samples = [];
    for (let i = 0; i < runs; i++) {
      let sample;
      const { code } = await runExtensionTests({
        server: codeServer, name: 'bench-activation', artifacts: join(ROOT, 'test-artifacts', 'bench'), timeoutMs: 120_000,
        extensionPath: ROOT, testsPath: payload,
        onLog: (line) => { if (line.startsWith(MARKER)) sample = JSON.parse(line.slice(MARKER.length)); },
      });
      if (code !== 0 || !sample) throw new Error(`run ${i + 1}: the payload failed (exit code ${code})`);
      samples.push(sample);
      console.log(`run ${i + 1}: activate() ${sample.activateMs.toFixed(1)} ms${sample.wasActive ? ' (ALREADY ACTIVE before the call: eager activation event?)' : ''}`);
    }
    await sleep(300);
    const after = await connectionCounters(server, client);
    const ownLog = loggedActivationMs(codeServer.dirs.userData);

    const control = join(work, 'control-payload.js');
    writeFileSync(control, CONTROL_PAYLOAD);
    let controlResult;
    const { code: controlCode } = await runExtensionTests({
      server: codeServer, name: 'bench-activation-control', artifacts: join(ROOT, 'test-artifacts', 'bench'), timeoutMs: 120_000,
      extensionPath: ROOT, testsPath: control,
      onLog: (line) => { if (line.startsWith(MARKER)) controlResult = JSON.parse(line.slice(MARKER.length)); },
    });
    await sleep(300);
    const afterControl = await connectionCounters(server, client);
    const ms = stats(samples.map((s) => s.activateMs));
    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    console.log('\n=== activation benchmark ===');
    console.log(`date: ${new Date().toISOString()}`);
    console.log(`machine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}`);
    console.log(`VS Code: code-server ${codeServerVersion()} (VS Code 1.100.3, Node extension host, web workbench in chromium)`);
    console.log(`bundle: dist/extension.js ${(statSync(bundle).size / 1024).toFixed(0)} KiB`);
    console.log(`activation (getExtension().activate(), fresh extension host each run, ${runs} runs): ` +
      `median ${ms.median.toFixed(1)} ms, min ${ms.min.toFixed(1)} ms, max ${ms.max.toFixed(1)} ms; first run ${samples[0].activateMs.toFixed(1)} ms`);
    if (ownLog.length) {
      const own = stats(ownLog);
      console.log(`activate() body as the extension logs it ("activated in X ms"): median ${own.median.toFixed(1)} ms, min ${own.min.toFixed(1)} ms, max ${own.max.toFixed(1)} ms (the rest is loading the bundle and VS Code's own work)`);
    }
    console.log(`already active before activate(): ${samples.filter((s) => s.wasActive).length} of ${runs} runs`);
    const opened = after.received - before.received;
    console.log(`database connections opened during activation (+${SETTLE_MS / 1000} s), registered PG ${server.version} cluster: ` +
      `${opened} connection attempts in the server log over ${runs} runs; ${after.live} sessions open at the end`);
    const controlOpened = afterControl.received - after.received;
    console.log(`control (the same detector when the extension is asked to connect): ${controlOpened} connection attempt(s)` +
      `${controlResult ? `, connected to PostgreSQL ${controlResult.control}` : ` (control payload failed, exit ${controlCode})`}`);
    if (opened > 0 || after.live > 0 || controlOpened < 1) process.exitCode = 1;
  } finally {
    await client?.end().catch(() => {});
    await codeServer?.stop();
    await lab.stop();
    rmSync(work, { recursive: true, force: true });
    clearTimeout(watchdog);
  }
}

try {
  await main();
} catch (e) {
  console.error(`bench-activation failed: ${e.stack ?? e.message}`);
  process.exitCode = 1;
}
process.exit(process.exitCode ?? 0);
