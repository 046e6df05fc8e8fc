import { execFile } from 'node:child_process';

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Run a program with an argument array (never a shell). Resolves with the exit code; rejects only if it cannot start. */
export function run(file: string, args: string[], opts: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ExecResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(file, args, { cwd: opts.cwd, timeout: opts.timeoutMs ?? 120_000, env: opts.env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string') {
        reject(new Error(`cannot run ${file}: ${err.message}`));
        return;
      }
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolvePromise({ stdout: String(stdout), stderr: String(stderr), code });
    });
  });
}

/** Like run() but throws with the program's stderr when it exits non-zero. */
export async function runChecked(file: string, args: string[], opts: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; what?: string } = {}): Promise<ExecResult> {
  const r = await run(file, args, opts);
  if (r.code !== 0) {
    const detail = (r.stderr || r.stdout).trim().split('\n').slice(-8).join('\n');
    throw new Error(`${opts.what ?? file} failed (exit ${r.code})${detail ? `: ${detail}` : ''}`);
  }
  return r;
}
