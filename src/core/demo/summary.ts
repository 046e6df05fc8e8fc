/** The demo's closing block: the measured window, lost commits, data checks, where the journal and record are. */
import { count, displayPath as rel, ms, PLAIN, seconds, table, type Style } from './format';
import type { DemoOptions } from './options';
import type { DemoResult } from './run';


export function renderDemoSummary(r: DemoResult, opts: DemoOptions, st: Style = PLAIN): string {
  const rows: [string, string][] = [];
  const sw = r.switchover as Record<string, number | undefined> | undefined;
  const window: string[] = [];
  if (sw?.writeUnavailableMs !== undefined) window.push(`${st.bold(ms(sw.writeUnavailableMs))}  runbook: source frozen → target opened (drain ${ms(sw.drainMs)})`);
  const gap = r.probe?.switchoverGap;
  if (gap) window.push(`${st.bold(ms(gap.durationMs))}  probe: last commit on ${gap.fromHost ?? '?'} → first on ${gap.toHost ?? '?'} (every ${r.probe!.intervalMs} ms)`);
  const w = r.writers?.window;
  if (w?.hostSwitch) {
    window.push(`${st.bold(ms(w.hostSwitch.durationMs))}  ${r.writers!.clients} TPC-B writers: no commit anywhere; worst client waited ${ms(w.worstClientGapMs)}, median ${ms(w.p50ClientGapMs)}`);
  }
  if (window.length) rows.push(['write-unavailable window', window.join('\n')]);
  if (r.pgbouncer) {
    const after = r.pgbouncer.routing?.afterOpen?.pgbouncer?.poolers ?? [];
    const stalls = after.map((p) => `${String(p.pooler)}: clients stalled ${ms(Number(p.stallMs))} (PAUSE → RESUME), repointed to ${String(p.repointedTo ?? '?')}`);
    rows.push(['PgBouncer', [`${r.pgbouncer.clientErrors === 0 ? st.green('✓') : st.red('✗')} ${r.pgbouncer.clientErrors} client error(s) through the pooler`, ...stalls].join('\n')]);
  }

  const lost: string[] = [];
  const pv = r.probeVerification;
  const wv = r.writersVerification;
  const mark = (good: boolean) => (good ? st.green('✓') : st.red('✗'));
  if (pv) lost.push(`${mark(pv.lostCommits === 0 && pv.duplicates === 0)} ${pv.lostCommits} of ${count(pv.acked)} acknowledged probe commits lost, ${pv.duplicates} duplicated`);
  if (wv) lost.push(`${mark(wv.lostCommits === 0 && wv.duplicates === 0)} ${wv.lostCommits} of ${count(wv.acked)} acknowledged TPC-B transactions lost, ${wv.duplicates} duplicated`);
  if (lost.length) rows.push(['lost commits', lost.join('\n')]);

  if (r.rows) {
    const b = wv?.balances;
    const data = [
      `${mark(r.rows.accounts.source === r.rows.accounts.target)} pgbench_accounts: ${count(r.rows.accounts.source)} rows on the source = ${count(r.rows.accounts.target)} on the target`,
      `  pgbench_history: ${count(r.rows.history.target)} rows on the target, ${count(r.rows.history.source)} on the old server (it followed the new one by reverse replication until the clean-up step)`,
    ];
    const sb = r.rows.sourceBalances;
    data.push(`${mark(sb.balanced)} sums on the old server: ${sb.balanced ? `accounts = tellers = branches = history = ${sb.history}` : `accounts ${sb.accounts}, tellers ${sb.tellers}, branches ${sb.branches}, history ${sb.history} — DIFFERENT`}`);
    if (b) data.push(`${mark(b.balanced)} sums on the target: accounts ${b.accounts}, tellers ${b.tellers}, branches ${b.branches}, history ${b.history}${b.balanced ? ' (equal: no update lost)' : ' — DIFFERENT'}`);
    rows.push(['data', data.join('\n')]);
  }
  if (r.probe) {
    const hosts = Object.entries(r.probe.perHost).map(([h, n]) => `${count(n)} on ${h}`).join(', ');
    rows.push(['probe', `${count(r.probe.acked)} commits (${hosts}); commit latency p50 ${ms(r.probe.commitLatencyMs.p50)}, p99 ${ms(r.probe.commitLatencyMs.p99)}`]);
  }
  if (r.writers) rows.push(['writers', `${count(r.writers.acked)} transactions, ${count(r.writers.tps)}/s on average`]);
  if (r.journalFile) rows.push(['journal', rel(r.journalFile)]);
  if (r.recordFile) rows.push(['upgrade record', rel(r.recordFile)]);
  rows.push(['servers', opts.keep ? `still running (--keep): ${r.servers.source} and ${r.servers.target}; stop them with: pg-upgrade-pilot lab down --dir ${rel(opts.dir)}` : 'stopped and their data directories removed (--keep leaves them running)']);
  rows.push(['took', `${seconds(r.durationMs)} (servers ${seconds(r.timings.serversMs ?? 0)}, data ${seconds(r.timings.dataMs ?? 0)}, runbook ${seconds(r.timings.runbookMs ?? 0)})`]);

  const head = r.ok
    ? st.green(st.bold(`Upgraded ${r.servers.source.split(' ')[0]} → ${r.servers.target.split(' ')[0]} under write load, nothing lost.`))
    : st.red(st.bold(`Demo did not succeed${r.message ? `: ${r.message}` : ''}`));
  return `\n${head}\n${table(rows, st)}\n`;
}
