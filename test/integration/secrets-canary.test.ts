/**
 * Issue 13, done-when: a canary password given to the CLI appears in no file, output or message of a full logical
 * upgrade (14 → 17, --probe --record), nor in the servers' logs or catalogs once the run has ended. Two ways, one
 * real server pair each: inside the connection strings (a URI for the source, keyword/value for the target), and
 * PGPASSWORD. (The password file way is covered by runbook-engine-cli.test.ts.) The first way takes the default
 * password-file route (the subscriber writes a private file on its host: nothing in pg_subscription even while the
 * way back is open), the second --password-in-catalog. Failed and aborted runs: logical-secrets.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { quoteIdent, quoteLiteral } from '../../src/core/sql';
import { clientFor, startTestServers, type LabServer, type TestServers } from '../helpers/lab';

const MAIN = join(__dirname, '..', '..', 'src', 'cli', 'main.ts');
const ROLE = 'pilot_canary';

interface Ran { code: number | null; stdout: string; stderr: string }

function cli(args: string[], env: Record<string, string>): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      env: { ...process.env, PGPASSWORD: '', PGPASSFILE: '/nonexistent/pgpass', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
      cwd: join(__dirname, '..', '..'),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Every file under dir (recursively), as text. */
function filesUnder(dir: string): Array<[string, string]> {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [[p, readFileSync(p, 'latin1')] as [string, string]];
  });
}

/** The tool's password files on a server's host that still hold something. */
function passfilesWithContent(s: LabServer): string[] {
  const dir = join(s.dataDir, 'pg_stat_tmp');
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith('pgpilot_') && statSync(join(dir, n)).size > 0) : [];
}

async function q<R>(s: LabServer, text: string): Promise<R[]> {
  const c = await clientFor(s);
  try { return (await c.query(text)).rows as R[]; } finally { await c.end(); }
}

interface Way {
  name: string;
  canary: string;
  args(src: LabServer, dst: LabServer): string[];
  env: Record<string, string>;
  /** --password-in-catalog: the subscriptions carry the password in their connection while they must run. */
  inCatalog: boolean;
}

const WAYS: Way[] = [
  {
    name: 'inside the connection strings (URI source, keyword/value target)',
    canary: 'Cnry-Conn/7f@3e:x',
    args: (src, dst) => ['--source', `postgresql://${ROLE}:${encodeURIComponent('Cnry-Conn/7f@3e:x')}@127.0.0.1:${src.port}/postgres`,
      '--target', `host=127.0.0.1 port=${dst.port} dbname=postgres user=${ROLE} password='Cnry-Conn/7f@3e:x'`],
    env: {},
    inCatalog: false,
  },
  {
    name: 'PGPASSWORD',
    canary: 'Cnry-Env-91b2d',
    args: (src, dst) => ['--source', `host=127.0.0.1 port=${src.port} dbname=postgres user=${ROLE}`,
      '--target', `host=127.0.0.1 port=${dst.port} dbname=postgres user=${ROLE}`, '--password-in-catalog'],
    env: { PGPASSWORD: 'Cnry-Env-91b2d' },
    inCatalog: true,
  },
];

for (const way of WAYS) {
  describe(`canary password given ${way.name}: nowhere after a full run (real 14 → 17)`, () => {
    let lab: TestServers | undefined;
    const dir = mkdtempSync(join(tmpdir(), 'secrets-canary-it-'));
    let src: LabServer;
    let dst: LabServer;
    let ran: Ran;
    const variants = [way.canary, encodeURIComponent(way.canary), way.canary.replace(/'/g, "''")];
    const leaks = (text: string): boolean => variants.some((v) => text.includes(v));

    after(async () => {
      await lab?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('the full run succeeds with that password', async () => {
      lab = await startTestServers(['14', '17'], { portBase: Number(process.env.PGPILOT_TEST_PORT_BASE) || 25000 });
      [src, dst] = lab.servers;
      for (const s of [src, dst]) await q(s, `CREATE ROLE ${quoteIdent(ROLE)} SUPERUSER LOGIN PASSWORD ${quoteLiteral(way.canary)}`);
      await q(src, 'CREATE TABLE "accounts" (id bigserial PRIMARY KEY, balance int NOT NULL)');
      await q(src, 'INSERT INTO "accounts" (balance) SELECT g FROM generate_series(1, 2000) g');
      ran = await cli(['logical-upgrade', ...way.args(src, dst), '--journal', join(dir, 'journal'), '--yes', '--probe',
        '--record', join(dir, 'record.md'), '--json', '--switchover-timeout', '20'], way.env);
      assert.equal(ran.code, 0, `${ran.stdout}\n${ran.stderr}`);
      const [{ n }] = await q<{ n: number }>(dst, 'SELECT count(*)::int AS n FROM "accounts"');
      assert.ok(n >= 2000);
    });

    it('not in stdout, stderr, the journal or the record', () => {
      assert.ok(ran, 'the run did not happen');
      assert.ok(!leaks(ran.stdout), 'stdout holds the password');
      assert.ok(!leaks(ran.stderr), 'stderr holds the password');
      const files = filesUnder(dir);
      assert.ok(files.length >= 2, 'journal and record written');
      for (const [file, text] of files) assert.ok(!leaks(text), `${file} holds the password`);
    });

    it('not in the servers\' logs', () => {
      for (const s of [src, dst]) {
        const log = s.logFile && existsSync(s.logFile) ? readFileSync(s.logFile, 'latin1') : '';
        assert.ok(!leaks(log), `${s.logFile} holds the password`);
      }
    });

    it(`not in either server's catalogs ${way.inCatalog ? 'once the run is finished (the open way back keeps it until then)' : 'even with the way back open (a password file on each subscriber\'s host instead)'}; no password file left after the finish`, async () => {
      const forward = await q<{ c: string }>(dst, 'SELECT subconninfo AS c FROM pg_catalog.pg_subscription');
      assert.ok(!forward.some((r) => leaks(r.c)), `pg_subscription.subconninfo on ${dst.name} (the forward subscription) holds the password`);
      const reverse = await q<{ c: string }>(src, 'SELECT subconninfo AS c FROM pg_catalog.pg_subscription');
      assert.equal(reverse.length, 1, 'the way back is open');
      assert.equal(leaks(reverse[0].c), way.inCatalog, way.inCatalog ? 'the catalog route keeps the way back\'s password in its connection until the finish' : 'the way back reads its password from a file');
      assert.equal(passfilesWithContent(src).length, way.inCatalog ? 0 : 1, 'the old server holds the way back\'s password file exactly when that route is used');
      const runId = String((JSON.parse(ran!.stdout) as { runId: string }).runId);
      const fin = await cli(['logical-upgrade', ...way.args(src, dst), '--journal', join(dir, 'journal'), '--resume', runId, '--finish', '--yes', '--json'], way.env);
      assert.equal(fin.code, 0, `${fin.stdout}\n${fin.stderr}`);
      assert.ok(!leaks(fin.stdout) && !leaks(fin.stderr), 'the finish printed the password');
      for (const s of [src, dst]) {
        const rows = await q<{ c: string }>(s, 'SELECT subconninfo AS c FROM pg_catalog.pg_subscription');
        assert.ok(!rows.some((r) => leaks(r.c)), `pg_subscription.subconninfo on ${s.name} holds the password`);
        assert.deepEqual(passfilesWithContent(s), [], `finished: no password file with content on ${s.name}`);
      }
    });
  });
}
