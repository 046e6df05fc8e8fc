/**
 * The CLI face of the engine, `pg-upgrade-pilot logical-upgrade`, run as a real process against real servers
 * (14 → 17; pg_dump 15 copies the schema): refusal without a terminal, a dry run that changes nothing, a full run
 * with --yes --probe --record --json, and --resume of a finished run. Passwords come from a password file only.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clientFor, startTestServers, type LabServer, type TestServers } from '../helpers/lab';

const MAIN = join(__dirname, '..', '..', 'src', 'cli', 'main.ts');

interface Ran { code: number | null; stdout: string; stderr: string }

function cli(args: string[], env: Record<string, string>): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      env: { ...process.env, ...env, PGPASSWORD: '' }, stdio: ['ignore', 'pipe', 'pipe'], cwd: join(__dirname, '..', '..'),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('pg-upgrade-pilot logical-upgrade (CLI) on real servers', () => {
  let lab: TestServers;
  let src: LabServer;
  let dst: LabServer;
  const dir = mkdtempSync(join(tmpdir(), 'runbook-cli-it-'));
  const journal = join(dir, 'journal');
  let env: Record<string, string>;
  let conn: (s: LabServer) => string;

  async function q<R>(s: LabServer, text: string): Promise<R[]> {
    const c = await clientFor(s);
    try { return (await c.query(text)).rows as R[]; } finally { await c.end(); }
  }
  const secretsIn = (text: string) => [src.password, dst.password].filter((p) => text.includes(p));

  before(async () => {
    lab = await startTestServers(['14', '17'], { portBase: 21820 });
    [src, dst] = lab.servers;
    const pgpass = join(dir, 'pgpass');
    writeFileSync(pgpass, lab.servers.map((s) => `127.0.0.1:${s.port}:*:${s.user}:${s.password}\n`).join(''), { mode: 0o600 });
    env = { PGPASSFILE: pgpass };
    conn = (s) => `host=127.0.0.1 port=${s.port} user=${s.user} dbname=postgres`;
    await q(src, 'CREATE TABLE "accounts" (id bigserial PRIMARY KEY, balance int NOT NULL)');
    await q(src, 'INSERT INTO "accounts" (balance) SELECT g FROM generate_series(1, 2000) g');
  });
  after(async () => {
    await lab?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--help documents every option and exits 0', async () => {
    const r = await cli(['logical-upgrade', '--help'], env);
    assert.equal(r.code, 0);
    for (const flag of ['--source', '--target', '--subscriber-source', '--yes', '--dry-run', '--record', '--journal', '--switchover-timeout', '--resume', '--json', '--publication', '--subscription', '--lag-threshold', '--no-reverse', '--probe']) {
      assert.ok(r.stdout.includes(flag), flag);
    }
  });

  it('without a terminal and without --yes it refuses before touching anything (exit 2)', async () => {
    const r = await cli(['logical-upgrade', '--source', conn(src), '--target', conn(dst), '--journal', journal], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /stdin is not a terminal.*--yes/);
    assert.equal(existsSync(journal), false);
  });

  it('--dry-run prints every step\'s statements, executes nothing, never prints a password (exit 0)', async () => {
    const r = await cli(['logical-upgrade', '--source', conn(src), '--target', conn(dst), '--journal', journal, '--dry-run'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /CREATE PUBLICATION "pgpilot_upgrade_postgres" FOR ALL TABLES( WITH \(publish_via_partition_root = true\))?;/);
    // a superuser target: the password goes to a private file the target writes on its host (passfile.ts)
    assert.match(r.stdout, /CREATE SUBSCRIPTION "pgpilot_upgrade_postgres" CONNECTION '[^']*passfile=[^' ]+\.pgpass/);
    assert.deepEqual(secretsIn(r.stdout + r.stderr), []);
    assert.deepEqual(await q(src, 'SELECT pubname FROM pg_publication'), []);
    assert.deepEqual(await q(dst, 'SELECT subname FROM pg_subscription'), []);
    assert.deepEqual(await q(dst, `SELECT relname FROM pg_class WHERE relname = 'accounts'`), []);
    assert.equal(readdirSync(journal).length, 1);
  });

  it('a full run with --yes --probe --record --json moves the data, measures the window, writes the record (exit 0)', async () => {
    const record = join(dir, 'record.md');
    const r = await cli(['logical-upgrade', '--source', conn(src), '--target', conn(dst), '--journal', journal,
      '--yes', '--probe', '--record', record, '--json', '--switchover-timeout', '20'], env);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const result = JSON.parse(r.stdout) as { status: string; runId: string; journalFile: string; steps: { id: string; status: string }[]; probe?: { acked: number; lostCommits?: number; switchoverGapMs?: number } };
    assert.equal(result.status, 'succeeded');
    // everything but the cleanup, which drops the way back and runs only with --finish
    assert.ok(result.steps.every((s) => s.status === 'succeeded' || s.status === 'skipped' || (s.id === 'cleanup' && s.status === 'pending')), JSON.stringify(result.steps.map((s) => [s.id, s.status])));
    assert.ok(result.probe && result.probe.acked > 0);
    assert.equal(result.probe.lostCommits, 0);
    assert.ok((result.probe.switchoverGapMs ?? -1) >= 0);
    const [{ n }] = await q<{ n: number }>(dst, 'SELECT count(*)::int AS n FROM "accounts"');
    assert.equal(n, 2000);
    const text = readFileSync(record, 'utf8');
    assert.match(text, /Write-unavailable window/);
    assert.deepEqual(secretsIn(r.stdout + r.stderr + text + readFileSync(result.journalFile, 'utf8')), []);

    const again = await cli(['logical-upgrade', '--source', conn(src), '--target', conn(dst), '--journal', journal, '--resume', result.runId, '--yes'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /already succeeded/);

    const finish = await cli(['logical-upgrade', '--source', conn(src), '--target', conn(dst), '--journal', journal, '--resume', result.runId, '--yes', '--finish'], env);
    assert.equal(finish.code, 0, `${finish.stdout}\n${finish.stderr}`);
    assert.match(finish.stderr, /way back \(reverse replication\) has been open for/, 'the finish shows the rollback window\'s age');
    assert.deepEqual(await q(dst, 'SELECT slot_name FROM pg_replication_slots'), [], 'the reverse slot is dropped by the finish');
    assert.deepEqual(await q(src, 'SELECT subname FROM pg_subscription'), [], 'the reverse subscription is dropped by the finish');
  });
});
