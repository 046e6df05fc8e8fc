/**
 * The local executor: runs host commands on this machine (lab clusters: tests and demos). Each argv is spawned
 * without a shell, with the caller's PG* environment removed (PGPORT, PGDATA … would change what pg_ctl does),
 * a per-command timeout, and the run's abort signal. Commands that switch user already carry `runuser -u USER --`
 * in their argv (see asOsUser), so the plan shows exactly what runs.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { renderAction } from '../runbook/render';
import { HostCommandError, type HostAction, type HostBatch, type HostExecutor, type HostResult, type HostRunContext } from './types';

const KEEP = 32 * 1024;
const DEFAULT_TIMEOUT_MS = 120_000;

export function scrubSecrets(text: string, secrets: (string | undefined)[] = []): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('********');
  return out;
}

function childEnv(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG')) env[k] = v;
  return { ...env, ...(extra ?? {}) };
}

function tail(buf: string, chunk: Buffer): string {
  const next = buf + chunk.toString('utf8');
  return next.length > KEEP ? next.slice(next.length - KEEP) : next;
}

/** Spawn one command; resolves with its result whatever the exit code; rejects only if it cannot start. */
export function runArgv(
  argv: string[],
  opts: { env?: Record<string, string>; input?: string; timeoutMs?: number; signal?: AbortSignal; cwd?: string } = {},
): Promise<HostResult> {
  if (!argv.length) return Promise.reject(new Error('empty command'));
  if (opts.signal?.aborted) return Promise.reject(new HostCommandError(`${argv[0]} was not started: aborted by the operator`, argv));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      env: childEnv(opts.env), cwd: opts.cwd ?? '/', stdio: [opts.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'], windowsHide: true,
    });
    let stdout = '';
    let stderr = '';
    let killedFor: string | undefined;
    child.stdout!.on('data', (d: Buffer) => (stdout = tail(stdout, d)));
    child.stderr!.on('data', (d: Buffer) => (stderr = tail(stderr, d)));
    const kill = (why: string) => {
      killedFor = why;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    };
    const timer = setTimeout(() => kill(`timed out after ${Math.round((opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)} s`), opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const onAbort = () => kill('aborted by the operator');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    child.once('error', (e) => {
      done();
      reject(new HostCommandError(`cannot run ${argv[0]}: ${e.message}`, argv));
    });
    child.once('close', (code, signal) => {
      done();
      const exitCode = killedFor ? 124 : code ?? (signal ? 128 : 1);
      resolve({ argv, exitCode, stdout, stderr: killedFor ? `${stderr}\n${argv[0]} ${killedFor}`.trim() : stderr, durationMs: Math.round(performance.now() - started) });
    });
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => undefined); // EPIPE when it exits early: the exit code tells
      child.stdin!.end(opts.input);
    }
  });
}

/** One line per command, for messages: the argv as the plan shows it. */
export function describeAction(a: HostAction): string {
  return renderAction(a).slice(1).join(' ');
}

export class LocalExecutor implements HostExecutor {
  readonly kind = 'local' as const;

  async run(batch: HostBatch, ctx: HostRunContext): Promise<HostResult[]> {
    const results: HostResult[] = [];
    for (const [i, a] of batch.actions.entries()) {
      ctx.ui.log('info', `[${batch.role} host] ${describeAction(a)}`);
      const r = await runArgv(a.argv, { env: a.env, input: batch.inputs?.[i], timeoutMs: batch.timeoutMs, signal: ctx.signal });
      const clean: HostResult = { ...r, stdout: scrubSecrets(r.stdout, ctx.secrets), stderr: scrubSecrets(r.stderr, ctx.secrets) };
      results.push(clean);
      if (clean.exitCode !== 0) {
        const detail = (clean.stderr || clean.stdout).trim().split('\n').slice(-10).join('\n');
        throw new HostCommandError(
          `on the ${batch.role} host, "${describeAction(a)}" failed (exit ${clean.exitCode})${detail ? `: ${detail}` : ''}`,
          a.argv, clean.exitCode, clean.stderr, results,
        );
      }
    }
    return results;
  }
}
