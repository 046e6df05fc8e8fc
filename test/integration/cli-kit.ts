/** Runs the CLI (src/cli/main.ts through tsx) with a temporary .pgpass for lab servers; never PGPASSWORD. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabServer } from '../helpers/lab';

const MAIN = join(__dirname, '..', '..', 'src', 'cli', 'main.ts');

export interface CliRun { code: number | null; stdout: string; stderr: string }

export function runCli(args: string[], servers: LabServer[]): Promise<CliRun> {
  const dir = mkdtempSync(join(tmpdir(), 'pgpilot-cli-'));
  const pgpass = join(dir, 'pgpass');
  writeFileSync(pgpass, servers.map((s) => `127.0.0.1:${s.port}:*:${s.user}:${s.password}\n`).join(''), { mode: 0o600 });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      env: { ...process.env, PGPASSFILE: pgpass, PGPASSWORD: '' }, stdio: ['ignore', 'pipe', 'pipe'], cwd: join(__dirname, '..', '..'),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('exit', (code) => {
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    });
  });
}

/** keyword/value connection string to a lab server's database, without password. */
export const labConn = (s: LabServer, dbname = 'postgres') => `host=127.0.0.1 port=${s.port} user=${s.user} dbname=${dbname}`;
