/**
 * Reading and rewriting a pooler's pgbouncer.ini through the host executors: argument arrays, never a shell.
 * Local (this machine): `cat` to read; to write, a copy beside it keeping owner and mode (`cp -p`), the new text
 * into the copy (`dd`, from standard input), then an atomic rename over the original (`mv -T`). The original
 * is kept as <path>.pgpilot-<runId> first, once. Manual: the operator edits the line shown and confirms.
 */
import { asOsUser, type HostTarget } from '../hosts/commands';
import { isRootProcess } from '../hosts/context';
import { LocalExecutor, runArgv } from '../hosts/local';
import { ManualExecutor } from '../hosts/manual';
import type { HostAction, HostBatch, HostRunContext } from '../hosts/types';
import type { PgBouncerConfigFile } from './types';

const OS_USER = /^[a-z_][a-z0-9_.-]{0,31}$/i;

export function validateConfigFile(c: PgBouncerConfigFile | undefined, what: string): PgBouncerConfigFile {
  if (!c || typeof c.path !== 'string' || !c.path.startsWith('/')) throw new Error(`${what}: the configuration file must be an absolute path (--pgbouncer-config /etc/pgbouncer/pgbouncer.ini)`);
  if (/[\0\r\n]/.test(c.path)) throw new Error(`${what}: the configuration file path must not contain a line break`);
  if (c.executor !== 'local' && c.executor !== 'manual') throw new Error(`${what}: the configuration file's executor must be "local" or "manual"`);
  if (c.osUser !== undefined && !OS_USER.test(c.osUser)) throw new Error(`${what}: "${c.osUser}" is not a valid OS user name`);
  return c;
}

/** The pseudo-host the commands run on (the pooler's machine), for asOsUser. */
function target(c: PgBouncerConfigFile): HostTarget {
  return { role: 'server', executor: c.executor, dataDir: '/', binDir: '/', osUser: c.osUser, root: c.executor === 'local' ? isRootProcess() : undefined };
}

function act(c: PgBouncerConfigFile, argv: string[]): HostAction {
  return { kind: 'host', cluster: 'server', argv: asOsUser(target(c), argv) };
}

export function backupPath(c: PgBouncerConfigFile, runId: string): string {
  return `${c.path}.pgpilot-${runId.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}

/** The commands that write `text` over the file (the text goes to dd's standard input, never into an argument). */
export function writeConfigActions(c: PgBouncerConfigFile, runId: string): HostAction[] {
  const tmp = `${c.path}.pgpilot-new`;
  return [
    act(c, ['cp', '-p', '-n', '--', c.path, backupPath(c, runId)]),
    act(c, ['cp', '-p', '--', c.path, tmp]),
    act(c, ['dd', `of=${tmp}`, 'status=none']),
    act(c, ['mv', '-f', '-T', '--', tmp, c.path]),
  ];
}

/** The file's text (local executor only: a manual host's file cannot be read from here). */
export async function readConfigFile(c: PgBouncerConfigFile, signal?: AbortSignal): Promise<string> {
  if (c.executor !== 'local') throw new Error(`the pooler configuration ${c.path} is on a manual host: it cannot be read from here`);
  const r = await runArgv(asOsUser(target(c), ['cat', '--', c.path]), { timeoutMs: 10_000, signal });
  if (r.exitCode !== 0) throw new Error(`cannot read the pooler configuration ${c.path}: ${(r.stderr || r.stdout).trim() || `exit ${r.exitCode}`}`);
  return r.stdout;
}

const MAX_CONFIG = 1024 * 1024;

/** Writes the new text with the configured executor. Manual: the operator is shown `instructions` and confirms. */
export async function writeConfigFile(
  c: PgBouncerConfigFile, text: string, batch: { runId: string; stepId: string; title: string; why: string; instructions: string }, ctx: HostRunContext,
): Promise<void> {
  if (text.length > MAX_CONFIG) throw new Error(`the new ${c.path} is larger than 1 MiB; refusing to write it`);
  const actions = writeConfigActions(c, batch.runId);
  const full: HostBatch = {
    runId: batch.runId, stepId: batch.stepId, title: batch.title, why: batch.why, role: 'server', risk: 'disruptive',
    actions: c.executor === 'local' ? actions : [],
    notes: [{ kind: 'manual', cluster: 'server', instructions: batch.instructions }],
    inputs: c.executor === 'local' ? { 2: text } : undefined,
    timeoutMs: 10_000,
  };
  if (c.executor === 'local') await new LocalExecutor().run(full, ctx);
  else await new ManualExecutor().run(full, ctx);
}
