/**
 * Issue 13 item 4 first (sharing the server pair): a dry run with quotes in the user, the database name, the
 * application_name and the options shows the exact commands — a shell reads back the conninfo that will run.
 * Then item 7: Ctrl-C exits 130 every time (SIGTERM 143), sent to a real `pg-upgrade-pilot logical-upgrade`
 * process (14 → 17) during a wait (the initial copy and catch-up) and at the start of the switchover; after each the
 * source is writable (never frozen by an interrupted run) and the run can be resumed.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConnString } from '../../src/core/conn';
import { quoteIdent, quoteLiteral } from '../../src/core/sql';
import { clientFor, startTestServers, type LabServer, type TestServers } from '../helpers/lab';

const MAIN = join(__dirname, '..', '..', 'src', 'cli', 'main.ts');

interface Ran { code: number | null; signal: string | null; stdout: string; stderr: string }

/** Runs the CLI; `watch` sees stderr as it grows and may send a signal (once). */
function cli(args: string[], env: Record<string, string>, watch: (stderr: string, send: (sig: NodeJS.Signals) => void) => void): Promise<Ran & { sent: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      env: { ...process.env, ...env, PGPASSWORD: '' }, stdio: ['ignore', 'pipe', 'pipe'], cwd: join(__dirname, '..', '..'),
    });
    let stdout = '';
    let stderr = '';
    let sent = false;
    const send = (sig: NodeJS.Signals): void => {
      if (sent) return;
      sent = true;
      child.kill(sig);
    };
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => {
      stderr += d;
      watch(stderr, send);
    });
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr, sent }));
  });
}

/** Sends `sig` once stderr matches `when`. */
const on = (when: RegExp, sig: NodeJS.Signals) => (stderr: string, send: (s: NodeJS.Signals) => void): void => {
  if (when.test(stderr)) send(sig);
};

describe('CLI interruption: 130 for Ctrl-C, 143 for SIGTERM, source writable afterwards (real servers)', () => {
  let lab: TestServers;
  let src: LabServer;
  let dst: LabServer;
  const dir = mkdtempSync(join(tmpdir(), 'cli-interrupt-it-'));
  const journal = join(dir, 'journal');
  let env: Record<string, string>;
  const conn = (s: LabServer) => `host=127.0.0.1 port=${s.port} user=${s.user} dbname=postgres`;

  async function q<R>(s: LabServer, text: string): Promise<R[]> {
    const c = await clientFor(s);
    try { return (await c.query(text)).rows as R[]; } finally { await c.end(); }
  }
  async function sourceWritable(): Promise<void> {
    const [{ ro }] = await q<{ ro: string }>(src, "SELECT current_setting('default_transaction_read_only') AS ro");
    assert.equal(ro, 'off', 'the source must be writable after an interrupted run');
    await q(src, 'INSERT INTO "accounts" (balance) VALUES (1)');
  }

  before(async () => {
    lab = await startTestServers(['14', '17'], { portBase: Number(process.env.PGPILOT_TEST_PORT_BASE) || 25000 });
    [src, dst] = lab.servers;
    const pgpass = join(dir, 'pgpass');
    writeFileSync(pgpass, lab.servers.map((s) => `127.0.0.1:${s.port}:*:*:${s.password}\n`).join(''), { mode: 0o600 });
    env = { PGPASSFILE: pgpass };
    await q(src, 'CREATE TABLE "accounts" (id bigserial PRIMARY KEY, balance int NOT NULL)');
    await q(src, 'INSERT INTO "accounts" (balance) SELECT g FROM generate_series(1, 200000) g');
  });
  after(async () => {
    await lab?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a dry run with quotes in every part shows the exact pg_dump and psql commands, no password (exit 0)', async () => {
    const user = `o'brien "u"`;
    const db = `o'x "db"`;
    for (const s of [src, dst]) {
      const c = await clientFor(s);
      try {
        await c.query(`CREATE ROLE ${quoteIdent(user)} SUPERUSER LOGIN PASSWORD ${quoteLiteral(s.password)}`);
        await c.query(`CREATE DATABASE ${quoteIdent(db)}`);
      } finally {
        await c.end();
      }
    }
    const c = await clientFor(src, db);
    try { await c.query('CREATE TABLE "t" (id int PRIMARY KEY)'); } finally { await c.end(); }
    const hostile = (s: LabServer) => ({ host: '127.0.0.1', port: String(s.port), dbname: db, user, application_name: `app's "x"`, options: '-c search_path=public' });
    const kv = (s: LabServer) => `host=127.0.0.1 port=${s.port} dbname='o\\'x "db"' user='o\\'brien "u"' application_name='app\\'s "x"' options='-c search_path=public'`;
    const r = await cli(['logical-upgrade', '--source', kv(src), '--target', kv(dst), '--dry-run', '--journal', join(dir, 'dry')], env, () => undefined);
    assert.equal(r.code, 0, r.stderr);
    const shown = `${r.stdout}\n${r.stderr}`;
    for (const [tool, s] of [['pg_dump', src], ['psql', dst]] as const) {
      const line = shown.split('\n').find((l) => l.includes(`/bin/${tool} `) && l.includes('--dbname='));
      assert.ok(line, `no ${tool} command in the plan:\n${shown}`);
      const words = execFileSync('sh', ['-c', `printf '%s\\0' ${line.slice(line.indexOf(`/bin/${tool} `) - '/usr/lib/postgresql/15'.length)}`], { encoding: 'utf8' }).split('\0');
      const dbnameArg = words.find((w) => w.startsWith('--dbname='))!;
      assert.ok(words.includes('--no-password'), line);
      assert.deepEqual(parseConnString(dbnameArg.slice('--dbname='.length)), hostile(s), line);
    }
    assert.ok(![src.password, dst.password].some((p) => shown.includes(p)), 'a password in the dry run');
  });

  let runId: string | undefined;

  /**
   * Interrupted at the start of the switchover, the run ends aborted — or failed with the switchover's "did not start"
   * when the signal lands inside its gate (the engine's status then; the exit status is the signal's either way).
   */
  function assertHandedBack(stdout: string): void {
    const result = JSON.parse(stdout) as { status: string; message?: string };
    if (result.status === 'aborted') return;
    assert.equal(result.status, 'failed', stdout);
    assert.match(result.message ?? '', /did not start|handed the source back|nothing was frozen/, stdout);
  }

  it('Ctrl-C during the wait for the initial copy exits 130, run aborted, source writable', async () => {
    // The step's wait loop reports its progress ("initial copy: …", "catching up"): Ctrl-C on its first report.
    const r = await cli(['logical-upgrade', '--source', conn(src), '--target', conn(dst), '--journal', journal,
      '--yes', '--json', '--switchover-timeout', '20'], env, on(/^….*(initial copy:|catching up)/m, 'SIGINT'));
    assert.ok(r.sent, `the wait never started:\n${r.stderr}`);
    assert.equal(r.code, 130, `${r.stdout}\n${r.stderr}`);
    const result = JSON.parse(r.stdout) as { status: string; runId: string };
    assert.equal(result.status, 'aborted', `the wait stops on Ctrl-C: the run is aborted, not failed\n${r.stdout}\n${r.stderr.slice(-3000)}`);
    runId = result.runId;
    await sourceWritable();
  });

  it('Ctrl-C at the start of the switchover exits 130 (resumed run), source writable', async () => {
    assert.ok(runId);
    const r = await cli(['logical-upgrade', '--source', conn(src), '--target', conn(dst), '--journal', journal, '--resume', runId, '--yes', '--json',
      '--switchover-timeout', '20'], env, on(/Guarded switchover[\s\S]*confirmed by --yes/, 'SIGINT'));
    assert.ok(r.sent, `the switchover never started:\n${r.stderr}`);
    assert.equal(r.code, 130, `${r.stdout}\n${r.stderr}`);
    assertHandedBack(r.stdout);
    await sourceWritable();
  });

  it('SIGTERM at the start of the switchover exits 143, source writable', async () => {
    assert.ok(runId);
    const r = await cli(['logical-upgrade', '--source', conn(src), '--target', conn(dst), '--journal', journal, '--resume', runId, '--yes', '--json',
      '--switchover-timeout', '20'], env, on(/Guarded switchover[\s\S]*confirmed by --yes/, 'SIGTERM'));
    assert.ok(r.sent, `the switchover never started:\n${r.stderr}`);
    assert.equal(r.code, 143, `${r.stdout}\n${r.stderr}`);
    assertHandedBack(r.stdout);
    await sourceWritable();
  });
});
