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

/** Before the PAUSE: the original kept once, and the new text in a copy beside it (same owner and mode). */
export function prepareConfigActions(c: PgBouncerConfigFile, runId: string): HostAction[] {
  return [
    act(c, ['cp', '-p', '-n', '--', c.path, backupPath(c, runId)]),
    act(c, ['cp', '-p', '--', c.path, newPath(c)]),
    act(c, ['dd', `of=${newPath(c)}`, 'status=none']),
  ];
}

/** In the window: one atomic rename puts the prepared file in place. */
export function installConfigAction(c: PgBouncerConfigFile): HostAction {
  return act(c, ['mv', '-f', '-T', '--', newPath(c), c.path]);
}

/** After an abort: the prepared copy goes away (the original was never touched). */
export function discardConfigAction(c: PgBouncerConfigFile): HostAction {
  return act(c, ['rm', '-f', '--', newPath(c)]);
}

export function newPath(c: PgBouncerConfigFile): string {
  return `${c.path}.pgpilot-new`;
}

/** The file's text (local executor only: a manual host's file cannot be read from here). */
export async function readConfigFile(c: PgBouncerConfigFile, signal?: AbortSignal): Promise<string> {
  if (c.executor !== 'local') throw new Error(`the pooler configuration ${c.path} is on a manual host: it cannot be read from here`);
  const r = await runArgv(asOsUser(target(c), ['cat', '--', c.path]), { timeoutMs: 10_000, signal });
  if (r.exitCode !== 0) throw new Error(`cannot read the pooler configuration ${c.path}: ${(r.stderr || r.stdout).trim() || `exit ${r.exitCode}`}`);
  return r.stdout;
}

const MAX_CONFIG = 1024 * 1024;

interface BatchInfo {
  runId: string;
  stepId: string;
  title: string;
  why: string;
}

/** Local: writes the new text into the prepared copy (the file itself is untouched until installConfig). */
export async function prepareConfigFile(c: PgBouncerConfigFile, text: string, info: BatchInfo, ctx: HostRunContext): Promise<void> {
  if (text.length > MAX_CONFIG) throw new Error(`the new ${c.path} is larger than 1 MiB; refusing to write it`);
  await new LocalExecutor().run({ ...info, role: 'server', risk: 'reversible', actions: prepareConfigActions(c, info.runId), inputs: { 2: text }, timeoutMs: 10_000 }, ctx);
}

/** Local: the prepared copy replaces the file. Manual: the operator edits the file as `instructions` say and confirms. */
export async function installConfigFile(c: PgBouncerConfigFile, info: BatchInfo & { instructions: string }, ctx: HostRunContext): Promise<void> {
  const batch: HostBatch = {
    runId: info.runId, stepId: info.stepId, title: info.title, why: info.why, role: 'server', risk: 'disruptive',
    actions: c.executor === 'local' ? [installConfigAction(c)] : [],
    notes: c.executor === 'local' ? undefined : [{ kind: 'manual', cluster: 'server', instructions: info.instructions }],
    timeoutMs: 10_000,
  };
  if (c.executor === 'local') await new LocalExecutor().run(batch, ctx);
  else await new ManualExecutor().run(batch, ctx);
}

export async function discardConfigFile(c: PgBouncerConfigFile, info: BatchInfo, ctx: HostRunContext): Promise<void> {
  if (c.executor !== 'local') return;
  await new LocalExecutor().run({ ...info, role: 'server', risk: 'read-only', actions: [discardConfigAction(c)], timeoutMs: 10_000 }, ctx);
}
