/**
 * Client routing from command-line options (pure):
 *   --pgbouncer "host=… port=6432 dbname=pgbouncer user=…"  (repeatable, one per pooler)
 *   --pgbouncer-config [manual:]/etc/pgbouncer/pgbouncer.ini (repeatable, paired with --pgbouncer in order)
 *   --hook POINT[:manual]=COMMAND  (POINT: before-freeze | after-open | after-abort)
 * COMMAND is split into arguments like a simple command line — spaces separate, '…' and "…" group, \ escapes the
 * next character — and run WITHOUT a shell: no variables, globs, pipes or redirections. A JSON array
 * (["/usr/local/bin/move-vip","--to","10.0.0.2"]) is taken as the argument list as is.
 */
import { HOOK_POINTS, type ClientRoutingParams, type HookPoint, type HostHookParams, type PgBouncerPoolerParams } from './types';

const SHELL_ONLY = /[|&;<>`$*?(){}]/;

/** A command line split into arguments without a shell; throws on unbalanced quotes or shell syntax outside quotes. */
export function parseCommandLine(text: string): string[] {
  const t = text.trim();
  if (t.startsWith('[')) {
    let arr: unknown;
    try {
      arr = JSON.parse(t);
    } catch (err) {
      throw new Error(`the command looks like a JSON array but is not one: ${(err as Error).message}`);
    }
    if (!Array.isArray(arr) || !arr.length || arr.some((a) => typeof a !== 'string')) throw new Error('a JSON command must be a non-empty array of strings');
    return arr as string[];
  }
  const out: string[] = [];
  let cur = '';
  let has = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < t.length; i++) {
    const ch = t[i];
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < t.length) cur += t[++i];
      else cur += ch;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      has = true;
    } else if (ch === '\\') {
      if (i + 1 >= t.length) throw new Error('the command ends with a lone backslash');
      cur += t[++i];
      has = true;
    } else if (/\s/.test(ch)) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      if (SHELL_ONLY.test(ch)) {
        throw new Error(`"${ch}" in a hook command needs a shell, and hooks run without one: quote it if it is meant literally, or put the logic in a script and give its path`);
      }
      cur += ch;
      has = true;
    }
  }
  if (quote) throw new Error(`unbalanced ${quote} in the command`);
  if (has) out.push(cur);
  if (!out.length) throw new Error('the command is empty');
  return out;
}

/** "after-open=/usr/local/bin/move-vip --to 10.0.0.2", "after-open:manual=…" → a hook. */
export function parseHookOption(value: string, timeoutMs?: number): HostHookParams {
  const eq = value.indexOf('=');
  if (eq < 0) throw new Error(`--hook ${JSON.stringify(value)}: write POINT=COMMAND, POINT one of ${HOOK_POINTS.join(', ')}`);
  const [point, executor] = value.slice(0, eq).trim().split(':');
  if (!HOOK_POINTS.includes(point as HookPoint)) throw new Error(`--hook: "${point}" is not a hook point; use ${HOOK_POINTS.join(', ')}`);
  if (executor !== undefined && executor !== 'manual' && executor !== 'local') throw new Error(`--hook ${point}:${executor}: the executor is "local" (default) or "manual"`);
  const argv = parseCommandLine(value.slice(eq + 1));
  return { at: point as HookPoint, argv, ...(executor ? { executor: executor as 'local' | 'manual' } : {}), ...(timeoutMs ? { timeoutMs } : {}) };
}

/** "[manual:]PATH" → the config file of a pooler. */
export function parsePgBouncerConfigOption(value: string, osUser?: string): PgBouncerPoolerParams['config'] {
  const manual = value.startsWith('manual:');
  const path = manual ? value.slice('manual:'.length) : value.startsWith('local:') ? value.slice('local:'.length) : value;
  if (!path.startsWith('/')) throw new Error(`--pgbouncer-config ${JSON.stringify(value)}: give the absolute path of pgbouncer.ini (prefix manual: when it is on another host)`);
  return { path, executor: manual ? 'manual' : 'local', ...(osUser ? { osUser } : {}) };
}

export interface RoutingOptions {
  pgbouncer?: string[];
  pgbouncerConfig?: string[];
  pgbouncerDatabase?: string[];
  pgbouncerOsUser?: string;
  pauseTimeoutMs?: number;
  hook?: string[];
  hookTimeoutMs?: number;
}

/** The run's clientRouting from CLI options; undefined when none was given. Throws before anything runs. */
export function clientRoutingFromOptions(o: RoutingOptions): ClientRoutingParams | undefined {
  const admins = o.pgbouncer ?? [];
  const configs = o.pgbouncerConfig ?? [];
  const hooks = (o.hook ?? []).map((h) => parseHookOption(h, o.hookTimeoutMs));
  if (!admins.length && configs.length) throw new Error('--pgbouncer-config needs --pgbouncer (the admin console of that pooler)');
  if (admins.length) {
    if (configs.length !== admins.length) {
      throw new Error(`give one --pgbouncer-config per --pgbouncer (got ${admins.length} pooler(s) and ${configs.length} configuration file(s)), in the same order`);
    }
    const poolers: PgBouncerPoolerParams[] = admins.map((admin, i) => ({
      admin, config: parsePgBouncerConfigOption(configs[i], o.pgbouncerOsUser),
      ...(o.pgbouncerDatabase?.length ? { databases: o.pgbouncerDatabase } : {}),
      ...(o.pauseTimeoutMs ? { pauseTimeoutMs: o.pauseTimeoutMs } : {}),
    }));
    return { kind: 'pgbouncer', poolers, ...(hooks.length ? { hooks } : {}) };
  }
  return hooks.length ? { kind: 'hooks', hooks } : undefined;
}
