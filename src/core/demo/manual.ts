/**
 * Seed 001's switchover done by hand, scripted: the psql commands a DBA would type, run as fast as psql starts
 * (no human think time), for comparison with the guarded switchover. What the manual way does NOT do, and the
 * guarded one does: terminate the source's sessions (a transaction already under way keeps its read-write
 * mode), check prepared transactions, and drain to a frozen WAL position — "lag looks 0" in pg_stat_replication
 * (sent_lsn = replay_lsn) says nothing about WAL the walsender has not sent yet.
 */
import { runTool } from '../tools';
import { quoteLiteral } from '../sql';

export interface PsqlServer {
  host: string;
  port: number;
  user: string;
  database: string;
  password?: string;
}

export interface ManualSwitchoverOptions {
  psql: string;
  source: PsqlServer;
  target: PsqlServer;
  /** The subscription's name = its application_name in the source's pg_stat_replication. */
  subscription: string;
  /**
   * Plumbing for a benchmark that switches back and forth, not part of the seed: a logical slot created on the
   * target just before it opens, so replication back to the old server can start exactly there. The guarded
   * switchover creates the same slot inside its window (reverse replication), so both windows include it.
   */
  reverseSlot?: string;
  /** Give up waiting for "lag 0" after this long (default 30 s). */
  timeoutMs?: number;
}

export interface ManualSwitchoverResult {
  /** First command started (source made read-only) → last command done (target open). */
  windowMs: number;
  startedAt: string;
  openedAt: string;
  /** How long "lag looks 0" took to appear after the source turned read-only, and how many polls. */
  lagZeroMs: number;
  polls: number;
  sequences: number;
  /** Every command, as typed. */
  commands: string[];
}

function conninfo(s: PsqlServer): string {
  return `host=${s.host} port=${s.port} user=${s.user} dbname=${s.database}`;
}

/** The seed's commands for one switchover (what the DBA types; the lag query is repeated until it says t). */
export function manualSwitchoverScript(o: Pick<ManualSwitchoverOptions, 'source' | 'target' | 'subscription' | 'reverseSlot'>): { server: 'source' | 'target'; sql: string[]; repeat?: boolean }[] {
  return [
    { server: 'source', sql: ['ALTER SYSTEM SET default_transaction_read_only = on', 'SELECT pg_reload_conf()'] },
    { server: 'source', sql: [`SELECT coalesce(bool_and(sent_lsn = replay_lsn), false) FROM pg_stat_replication WHERE application_name = ${quoteLiteral(o.subscription)}`], repeat: true },
    { server: 'source', sql: ["SELECT string_agg(format('SELECT setval(%L, %s, %s);', format('%I.%I', schemaname, sequencename), coalesce(last_value, start_value), last_value IS NOT NULL), ' ') FROM pg_sequences"] },
    // (the setval statements printed by the previous command are run on the target, if there are any)
    ...(o.reverseSlot ? [{ server: 'target' as const, sql: [`SELECT pg_create_logical_replication_slot(${quoteLiteral(o.reverseSlot)}, 'pgoutput')`] }] : []),
    { server: 'target', sql: ['ALTER SYSTEM RESET default_transaction_read_only', 'SELECT pg_reload_conf()'] },
  ];
}

export async function manualSwitchover(o: ManualSwitchoverOptions): Promise<ManualSwitchoverResult> {
  const commands: string[] = [];
  const psql = async (server: PsqlServer, sql: string[], writable = false): Promise<string> => {
    const args = ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-d', conninfo(server), ...sql.flatMap((s) => ['-c', s])];
    commands.push(`psql -d "${conninfo(server)}" ${sql.map((s) => `-c "${s}"`).join(' ')}`);
    const env: Record<string, string> = { PGAPPNAME: 'psql (manual switchover)' };
    if (server.password) env.PGPASSWORD = server.password;
    // setval() and the slot need a writable session on the still read-only target, as a DBA would SET it.
    if (writable) env.PGOPTIONS = '-c default_transaction_read_only=off';
    const r = await runTool({ path: o.psql, args, env }, { timeoutMs: 30_000, secrets: [server.password] });
    if (r.code !== 0) throw new Error(`psql failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
    return r.stdout.trim();
  };
  const script = manualSwitchoverScript(o);
  const serverOf = (s: 'source' | 'target') => (s === 'source' ? o.source : o.target);
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  await psql(o.source, script[0].sql);
  let polls = 0;
  const deadline = t0 + (o.timeoutMs ?? 30_000);
  for (;;) {
    polls++;
    if ((await psql(o.source, script[1].sql)) === 't') break;
    if (performance.now() > deadline) throw new Error(`"lag 0" did not appear within ${o.timeoutMs ?? 30_000} ms`);
  }
  const lagZeroMs = performance.now() - t0;
  const setvals = await psql(o.source, script[2].sql);
  if (setvals) await psql(o.target, [setvals], true);
  for (const step of script.slice(3)) await psql(serverOf(step.server), step.sql, true);
  const windowMs = performance.now() - t0;
  return {
    windowMs, startedAt, openedAt: new Date().toISOString(), lagZeroMs, polls,
    sequences: setvals ? setvals.split('setval(').length - 1 : 0, commands,
  };
}
