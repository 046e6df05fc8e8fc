/**
 * The one-command demo end to end on real servers (14 → 16, small scale): the whole logical-upgrade runbook under
 * write load, 0 lost commits, the window printed, journal and record written, servers stopped afterwards.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { demoOptions, renderDemoSummary, runDemo } from '../../src/core/demo';
import { readLabState } from '../../src/core/lab';

const root = mkdtempSync(join(tmpdir(), 'pgpilot-demo-test-'));
chmodSync(root, 0o755); // the lab OS user must reach the server directories inside
after(() => rmSync(root, { recursive: true, force: true }));

it('upgrades 14 → 16 under load with 0 lost commits and prints the window', async () => {
  const opts = demoOptions({ from: '14', to: '16', scale: 2, writers: 3, dir: join(root, 'demo'), portBase: 22500 });
  let out = '';
  const result = await runDemo(opts, { write: (s) => { out += s; } });
  const summary = renderDemoSummary(result, opts);
  out += summary;

  assert.equal(result.runStatus, 'succeeded', `${result.message}\n${out}`);
  assert.equal(result.ok, true, out);
  // The window, as the runbook and as the clients measured it.
  const runbookWindow = Number(result.switchover?.writeUnavailableMs);
  assert.ok(runbookWindow > 0 && runbookWindow < 10_000, `runbook window ${runbookWindow}`);
  const gap = result.probe?.switchoverGap;
  assert.ok(gap && gap.fromHost !== gap.toHost, 'the probe moved from the old server to the new one');
  assert.ok(gap.durationMs >= runbookWindow * 0.5, 'the probe saw the window');
  assert.equal(result.writers?.window.hostSwitch?.overlapped, false, 'never writable on both servers at once');
  // Nothing lost, nothing doubled, balances agree.
  assert.equal(result.probeVerification?.lostCommits, 0);
  assert.equal(result.probeVerification?.duplicates, 0);
  assert.ok(result.probeVerification!.acked > 20);
  assert.equal(result.writersVerification?.lostCommits, 0);
  assert.equal(result.writersVerification?.duplicates, 0);
  assert.equal(result.writersVerification?.balances.balanced, true);
  assert.equal(result.rows?.accounts.target, 200_000);
  // The way back stays open (reverse replication, no cleanup in a default run): the old server receives the new
  // server's writes, so it never holds a write the new one lacks.
  assert.ok(result.rows!.history.target >= result.rows!.history.source, `history: old ${result.rows!.history.source}, new ${result.rows!.history.target}`);
  assert.ok((result.writersVerification?.acked ?? 0) > 0, 'the writers committed');
  // What the user reads.
  assert.match(out, /step +8\/11 Guarded switchover/);
  assert.match(out, new RegExp(`write-unavailable window\\s+${Math.round(runbookWindow).toLocaleString('en-US')} ms`));
  assert.match(out, /0 of [\d,]+ acknowledged probe commits lost, 0 duplicated/);
  assert.match(out, /Upgraded 14\.\d+ → 16\.\d+ under write load, nothing lost/);
  // The journal and the record, and no server left running.
  assert.ok(result.journalFile && existsSync(result.journalFile));
  assert.ok(result.recordFile && existsSync(result.recordFile));
  assert.match(readFileSync(result.recordFile, 'utf8'), /Lost commits:\*\* \*\*0 of/);
  assert.deepEqual((await readLabState(opts.dir)).servers, [], 'the demo servers are stopped and removed');
  assert.ok(!existsSync(join(opts.dir, 'pg14')) && !existsSync(join(opts.dir, 'pg16')));
});
