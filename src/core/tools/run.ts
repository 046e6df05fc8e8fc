import { spawn, type ChildProcess } from 'node:child_process';
import { ClientToolError, type ToolInvocation } from './types';

export interface RunToolOptions {
  signal?: AbortSignal;
  /** Kill the program(s) after this long; default: no limit. */
  timeoutMs?: number;
  /** Text written to the program's stdin (runTool only). */
  input?: string;
  /** Secrets to blank out of any error text, in case a program echoes one. */
  secrets?: (string | undefined)[];
}

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const KEEP = 64 * 1024; // bytes of stdout/stderr kept for messages

function envFor(inv: ToolInvocation): NodeJS.ProcessEnv {
  return { ...process.env, ...(inv.env ?? {}) };
}

function scrub(text: string, secrets: (string | undefined)[] = []): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('********');
  return out.replace(/(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)/gi, '$1********');
}

function tail(buf: string, chunk: Buffer | string): string {
  const next = buf + chunk.toString();
  return next.length > KEEP ? next.slice(next.length - KEEP) : next;
}

function start(inv: ToolInvocation, stdin: 'pipe' | 'ignore'): ChildProcess {
  return spawn(inv.path, inv.args, { env: envFor(inv), stdio: [stdin, 'pipe', 'pipe'], windowsHide: true });
}

function guard(children: ChildProcess[], opts: RunToolOptions, onKill: (why: string) => void): () => void {
  const kill = (why: string) => {
    onKill(why);
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  };
  const onAbort = () => kill('cancelled');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = opts.timeoutMs ? setTimeout(() => kill(`timed out after ${opts.timeoutMs} ms`), opts.timeoutMs) : undefined;
  return () => {
    opts.signal?.removeEventListener('abort', onAbort);
    if (timer) clearTimeout(timer);
  };
}

function exited(c: ChildProcess, name: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    c.once('error', (e) => reject(new ClientToolError(`could not start ${name}: ${e.message}`)));
    c.once('close', (code) => resolve(code));
  });
}

const label = (inv: ToolInvocation) => inv.path.split(/[\\/]/).pop() ?? inv.path;

/** Run one program with an argument array; resolves with its exit code and (tail of) output. Never throws on exit code. */
export async function runTool(inv: ToolInvocation, opts: RunToolOptions = {}): Promise<ToolResult> {
  if (opts.signal?.aborted) throw new ClientToolError(`${label(inv)} was not started: cancelled`);
  const child = start(inv, opts.input !== undefined ? 'pipe' : 'ignore');
  let stdout = '';
  let stderr = '';
  let killed: string | undefined;
  child.stdout!.on('data', (d) => (stdout = tail(stdout, d)));
  child.stderr!.on('data', (d) => (stderr = tail(stderr, d)));
  const done = exited(child, label(inv));
  if (opts.input !== undefined) {
    child.stdin!.on('error', () => undefined); // EPIPE when the program exits early: its exit code tells
    child.stdin!.end(opts.input);
  }
  const release = guard([child], opts, (why) => (killed = why));
  try {
    const code = await done;
    if (killed) throw new ClientToolError(`${label(inv)} ${killed}`, code, scrub(stderr, opts.secrets));
    return { code, stdout: scrub(stdout, opts.secrets), stderr: scrub(stderr, opts.secrets) };
  } finally {
    release();
  }
}

export interface PipelineResult {
  producer: ToolResult;
  consumer: ToolResult;
}

/**
 * producer | consumer (e.g. pg_dump | psql) without a shell and without a temporary file: the data never
 * touches disk or a log. Throws ClientToolError when either exits non-zero, with both programs' stderr.
 */
export async function runPipeline(producer: ToolInvocation, consumer: ToolInvocation, opts: RunToolOptions = {}): Promise<PipelineResult> {
  if (opts.signal?.aborted) throw new ClientToolError(`${label(producer)} | ${label(consumer)} was not started: cancelled`);
  const p = start(producer, 'ignore');
  const c = start(consumer, 'pipe');
  let pErr = '';
  let cOut = '';
  let cErr = '';
  let killed: string | undefined;
  p.stderr!.on('data', (d) => (pErr = tail(pErr, d)));
  c.stdout!.on('data', (d) => (cOut = tail(cOut, d)));
  c.stderr!.on('data', (d) => (cErr = tail(cErr, d)));
  c.stdin!.on('error', () => undefined);
  p.stdout!.pipe(c.stdin!);
  const release = guard([p, c], opts, (why) => (killed = why));
  try {
    const [pc, cc] = await Promise.all([exited(p, label(producer)), exited(c, label(consumer))]);
    const result: PipelineResult = {
      producer: { code: pc, stdout: '', stderr: scrub(pErr, opts.secrets) },
      consumer: { code: cc, stdout: scrub(cOut, opts.secrets), stderr: scrub(cErr, opts.secrets) },
    };
    if (killed) throw new ClientToolError(`${label(producer)} | ${label(consumer)} ${killed}`, null, result.producer.stderr + result.consumer.stderr);
    if (pc !== 0 || cc !== 0) {
      const parts = [
        pc !== 0 ? `${label(producer)} exited with ${pc}: ${result.producer.stderr.trim() || '(no message)'}` : '',
        cc !== 0 ? `${label(consumer)} exited with ${cc}: ${result.consumer.stderr.trim() || '(no message)'}` : '',
      ].filter(Boolean);
      throw new ClientToolError(parts.join('\n'), pc !== 0 ? pc : cc, result.producer.stderr + result.consumer.stderr);
    }
    return result;
  } finally {
    release();
  }
}
