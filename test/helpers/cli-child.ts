/**
 * The CLI as a child process, as an operator runs it (tsx over src/cli/main.ts): its exit code or signal and its
 * output. PGPASSWORD and PGPILOT_FAULT are cleared unless `env` sets them.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const CLI_MAIN = join(__dirname, '..', '..', 'src', 'cli', 'main.ts');

export interface CliRun { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/**
 * `watch` (optional) sees stderr as it grows and may send the child a signal, once (an operator's Ctrl-C at a moment
 * the output shows).
 */
export function runCliChild(args: string[], env: Record<string, string>, watch?: (stderr: string, send: (sig: NodeJS.Signals) => void) => void): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, ...args], {
      env: { ...process.env, PGPASSWORD: '', PGPILOT_FAULT: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'], cwd: join(__dirname, '..', '..'),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    let sent = false;
    const send = (sig: NodeJS.Signals): void => {
      if (sent) return;
      sent = true;
      child.kill(sig);
    };
    child.stderr.on('data', (d) => {
      stderr += d;
      watch?.(stderr, send);
    });
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
