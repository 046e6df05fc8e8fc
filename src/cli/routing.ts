/**
 * The client-routing flags shared by logical-upgrade and rolling-switchover (issue 12): PgBouncer poolers and
 * host-command hooks. Parsed into the run's `clientRouting` parameter (JSON-safe, no password).
 */
import { clientRoutingFromOptions, validateClientRouting, type ClientRoutingParams, type RoutingOptions } from '../core/routing';
import { asUsage, type Arg } from './args';

export const ROUTING_HELP = `Client routing (how applications find the new primary; default: they use libpq multi-host):
  --pgbouncer CONN            A PgBouncer pooler in front of the old server: its admin console, e.g.
                              "host=pool1 port=6432 dbname=pgbouncer user=pgbouncer" (password from the password
                              file, never in CONN). Before the freeze its databases are PAUSEd; after the new
                              primary opens their [databases] entries are repointed, RELOAD, RESUME; after an
                              abort RESUME (clients continue on the old server). Repeatable, one per pooler.
  --pgbouncer-config [manual:]PATH
                              That pooler's pgbouncer.ini (absolute path), one per --pgbouncer, same order. Edited
                              here (the line of each moved database only; comments and order kept; the original
                              kept as PATH.pgpilot-RUNID); "manual:" when it is on another host (you edit it when
                              asked, clients stay paused until you confirm).
  --pgbouncer-database NAME   The pooler databases to move (repeatable; default: every entry pointing at the old
                              server).
  --pgbouncer-os-user USER    Edit the configuration as this OS user (when running as root).
  --pause-timeout SECONDS     Bound for PAUSE (it waits for running transactions); on timeout the switchover does
                              not start and the poolers are RESUMEd (default 5).
  --hook POINT[:manual]=COMMAND
                              Run COMMAND at POINT: before-freeze (a failure stops the switchover before anything
                              is frozen), after-open, after-abort. COMMAND runs WITHOUT a shell: words split at
                              spaces, '…' or "…" group, \\ escapes; no $VARS, globs, pipes or redirections (put
                              those in a script). A JSON array ["/usr/local/bin/move-vip","--to","10.0.0.2"] is
                              taken as is. ":manual": you run it when asked and confirm. Repeatable.
  --hook-timeout SECONDS      Timeout of each hook (default 30).
`;

/** Reads one routing flag into `o`; false when the flag is not a routing flag. */
export function readRoutingFlag(a: Arg, o: RoutingOptions): boolean {
  switch (a.flag) {
    case '--pgbouncer': (o.pgbouncer ??= []).push(a.value()); return true;
    case '--pgbouncer-config': (o.pgbouncerConfig ??= []).push(a.value()); return true;
    case '--pgbouncer-database': (o.pgbouncerDatabase ??= []).push(a.value()); return true;
    case '--pgbouncer-os-user': o.pgbouncerOsUser = a.value(); return true;
    case '--pause-timeout': o.pauseTimeoutMs = Math.round(a.number(0.1) * 1000); return true;
    case '--hook': (o.hook ??= []).push(a.value()); return true;
    case '--hook-timeout': o.hookTimeoutMs = Math.round(a.number(0.1) * 1000); return true;
    default: return false;
  }
}

/** The run's clientRouting from the flags (undefined when none was given); a usage error before anything runs. */
export function routingParamsFrom(o: RoutingOptions): ClientRoutingParams | undefined {
  return asUsage(() => {
    const p = clientRoutingFromOptions(o);
    return p ? validateClientRouting(p) : undefined;
  });
}
