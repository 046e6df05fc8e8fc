/**
 * `pg-upgrade-pilot demo`: the whole story in one command — two fresh lab servers, pgbench data, write load through
 * seed 001's multi-host connection string, the logical-upgrade runbook end to end, and the measured window.
 */
import { DEMO_DEFAULTS, demoOptions, renderDemoSummary, runDemo, styleFor, type DemoOptions } from '../../core/demo';
import { asUsage, cannotStart, readArgs, unknown } from '../args';
import type { CliCommand } from './index';

const help = `Usage: pg-upgrade-pilot demo [options]

Runs a complete major upgrade by logical replication on this machine, under write load, and measures it:
  1. starts two fresh lab servers (the old and the new major) in --dir (anything of an earlier demo there is removed),
  2. loads pgbench data (scale ${DEMO_DEFAULTS.scale} = ${(DEMO_DEFAULTS.scale * 100_000).toLocaleString('en-US')} accounts) into the old one, generated in SQL (no client tools needed),
  3. starts write load through "host=old,new target_session_attrs=read-write" (seed 001): a heartbeat probe
     every ${DEMO_DEFAULTS.probeIntervalMs} ms and TPC-B-like writers, all retrying on errors as an application would,
  4. runs the whole logical-upgrade runbook, every step confirmed automatically, printing each step's statements,
  5. prints the write-unavailable window (runbook, probe, writers), lost and duplicated commits (must be 0), row
     and balance checks, and where the journal and the upgrade record are; then stops the servers and removes
     their data directories (the journal and the record stay in --dir).
The schema is copied with pg_dump | psql when a pg_dump at least as new as the source is installed; otherwise the
demo creates the (known) tables on the target itself.

Options:
  --from VERSION      Old server: a major, an exact minor or a lab alias (default ${DEMO_DEFAULTS.from}).
  --to VERSION        New server, a newer major (default ${DEMO_DEFAULTS.to}).
  --scale N           pgbench scale (default ${DEMO_DEFAULTS.scale}).
  --writers N         TPC-B-like writers next to the probe (default ${DEMO_DEFAULTS.writers}; 0 = probe only).
  --dir DIR           Demo lab directory: servers, journal, upgrade record (default ${DEMO_DEFAULTS.dir}).
  --port-base N       Ports are N + major (default ${DEMO_DEFAULTS.portBase}: 14 → ${DEMO_DEFAULTS.portBase + 14}, 16 → ${DEMO_DEFAULTS.portBase + 16}).
  --pgbouncer         The clients go through a real PgBouncer (transaction pooling, port-base + 32) instead of
                      the multi-host string; the switchover PAUSEs it before the freeze, repoints it, RELOADs and
                      RESUMEs it after the target opened: the clients see no error, only a stall (measured).
  --keep              Leave both servers running at the end (stop them with "pg-upgrade-pilot lab down --dir DIR").
  --json              Print the result as JSON on stdout (the timeline goes to stderr).
  -h, --help          Show this help.

Exit status: 0 upgraded with nothing lost, 1 the demo failed or a check failed, 2 bad usage, 130 interrupted
(Ctrl-C), 143 terminated (SIGTERM).
`;

export function parseDemoArgs(args: string[]): { options: Partial<DemoOptions>; json: boolean } {
  const o: Partial<DemoOptions> = {};
  let json = false;
  for (const { flag, value, wholeNumber } of readArgs(args)) {
    switch (flag) {
      case '--from': o.from = value(); break;
      case '--to': o.to = value(); break;
      case '--scale': o.scale = wholeNumber(); break;
      case '--writers': o.writers = wholeNumber(); break;
      case '--dir': o.dir = value(); break;
      case '--port-base': o.portBase = wholeNumber(); break;
      case '--keep': o.keep = true; break;
      case '--pgbouncer': o.pgbouncer = true; break;
      case '--json': json = true; break;
      default: unknown(flag);
    }
  }
  return { options: o, json };
}

async function run(args: string[]): Promise<number> {
  let options: DemoOptions;
  let json: boolean;
  try {
    const parsed = parseDemoArgs(args);
    json = parsed.json;
    options = asUsage(() => demoOptions(parsed.options));
  } catch (err) {
    return cannotStart('demo', err);
  }
  const out = json ? process.stderr : process.stdout;
  const style = styleFor(out);
  out.write(`\n${style.bold('PostgreSQL Upgrade Pilot — demo')}: major upgrade ${options.from} → ${options.to} by logical replication, under write load\n\n`);
  const result = await runDemo(options, { write: (s) => out.write(s), style });
  out.write(renderDemoSummary(result, options, style));
  if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return result.ok ? 0 : 1;
}

export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'Upgrade 14 → 16 under write load on local lab servers and measure the window',
  help,
  run,
};
