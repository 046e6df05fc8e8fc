/**
 * Host-command hooks: the user's commands run at before-freeze / after-open / after-abort (a virtual IP move as in
 * seed 003, a DNS update, an HAProxy or Consul change). Each is an argument array run without a shell by a host
 * executor (local: here; manual: the operator), with a timeout; its exit code and output tails go in the outputs
 * (journal and record), scrubbed of the run's secrets.
 */
import { asOsUser } from '../hosts/commands';
import { isRootProcess } from '../hosts/context';
import { describeAction, LocalExecutor } from '../hosts/local';
import { ManualExecutor } from '../hosts/manual';
import { HostCommandError, type HostAction, type HostRunContext } from '../hosts/types';
import type { PlannedAction } from '../runbook/types';
import { HOOK_POINTS, type HookPoint, type HostHookParams } from './types';

export const DEFAULT_HOOK_TIMEOUT_MS = 30_000;
const OUTPUT_KEEP = 2000;
const OS_USER = /^[a-z_][a-z0-9_.-]{0,31}$/i;

export function validateHooks(hooks: HostHookParams[] | undefined): HostHookParams[] {
  if (hooks === undefined) return [];
  if (!Array.isArray(hooks)) throw new Error('clientRouting.hooks must be a list');
  return hooks.map((h, i) => {
    const what = `hook ${i + 1}`;
    if (!h || !HOOK_POINTS.includes(h.at)) throw new Error(`${what}: "at" must be one of ${HOOK_POINTS.join(', ')}`);
    if (!Array.isArray(h.argv) || h.argv.length === 0 || h.argv.some((a) => typeof a !== 'string')) throw new Error(`${what} (${h.at}): the command must be a non-empty list of arguments`);
    if (h.argv.some((a) => a.includes('\0'))) throw new Error(`${what} (${h.at}): an argument contains a NUL byte`);
    if (h.executor !== undefined && h.executor !== 'local' && h.executor !== 'manual') throw new Error(`${what} (${h.at}): executor must be "local" or "manual"`);
    if (h.timeoutMs !== undefined && (!Number.isFinite(h.timeoutMs) || h.timeoutMs < 100 || h.timeoutMs > 3600_000)) throw new Error(`${what} (${h.at}): timeoutMs must be between 100 and 3600000`);
    if (h.osUser !== undefined && !OS_USER.test(h.osUser)) throw new Error(`${what} (${h.at}): "${h.osUser}" is not a valid OS user name`);
    return h;
  });
}

function hookAction(h: HostHookParams): HostAction {
  const executor = h.executor ?? 'local';
  const argv = asOsUser({ role: 'server', executor, dataDir: '/', binDir: '/', osUser: h.osUser, root: executor === 'local' ? isRootProcess() : undefined }, h.argv);
  // asOsUser makes a manual command `sudo -u postgres …` by default: a hook without osUser runs as the operator.
  return { kind: 'host', cluster: 'server', argv: executor === 'manual' && !h.osUser ? h.argv : argv };
}

export function planHooks(hooks: HostHookParams[]): PlannedAction[] {
  return hooks.map((h) => {
    const a = hookAction(h);
    return { kind: 'wait', cluster: 'server', description: `${h.at} hook (${h.executor ?? 'local'}, timeout ${Math.round((h.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS) / 1000)} s): ${describeAction(a)}` };
  });
}

export interface HookResult {
  at: HookPoint;
  argv: string[];
  executor: 'local' | 'manual';
  ok: boolean;
  exitCode: number | null;
  durationMs: number;
  stdout?: string;
  stderr?: string;
  error?: string;
}

const tail = (s: string) => (s.length > OUTPUT_KEEP ? `…${s.slice(s.length - OUTPUT_KEEP)}` : s);

/**
 * Runs the hooks of one point, in order. With stopOnFailure (before-freeze) the first failure throws (its result
 * attached as `results`); otherwise every hook runs and failures are reported in the results.
 */
export async function runHooks(
  hooks: HostHookParams[], at: HookPoint, ctx: HostRunContext & { runId: string; stepId: string }, stopOnFailure: boolean,
): Promise<HookResult[]> {
  const results: HookResult[] = [];
  for (const h of hooks.filter((x) => x.at === at)) {
    const action = hookAction(h);
    const executor = h.executor ?? 'local';
    const started = Date.now();
    try {
      const exec = executor === 'local' ? new LocalExecutor() : new ManualExecutor();
      const [r] = await exec.run({
        runId: ctx.runId, stepId: ctx.stepId, title: `${at} hook: ${describeAction(action)}`, role: 'server',
        why: `Client routing: the ${at} command given for this run (clients find the primary through it).`,
        risk: 'disruptive', actions: [action], timeoutMs: h.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS,
      }, ctx);
      results.push({ at, argv: action.argv, executor, ok: true, exitCode: r.exitCode, durationMs: r.durationMs, stdout: tail(r.stdout), stderr: tail(r.stderr) });
    } catch (err) {
      const e = err as HostCommandError;
      const r = e.results?.[e.results.length - 1];
      const result: HookResult = {
        at, argv: action.argv, executor, ok: false, exitCode: e.exitCode ?? null, durationMs: r?.durationMs ?? Date.now() - started,
        stdout: r ? tail(r.stdout) : undefined, stderr: r ? tail(r.stderr) : undefined, error: e.message,
      };
      results.push(result);
      if (stopOnFailure) throw Object.assign(new Error(`the ${at} hook failed: ${e.message}`), { results });
    }
  }
  return results;
}
