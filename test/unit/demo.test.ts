/** Pure parts of the demo: options, argument parsing, terminal formatting, the summary. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDemoArgs } from '../../src/cli/commands/demo';
import { demoOptions, renderDemoSummary, type DemoResult } from '../../src/core/demo';
import { clip, displayPath, timelineLine } from '../../src/core/demo/format';
import { manualSwitchoverScript } from '../../src/core/demo/manual';

describe('demo options', () => {
  it('defaults to 14 → 16, scale 10, .lab/demo', () => {
    const o = demoOptions();
    assert.equal(o.from, '14');
    assert.equal(o.to, '16');
    assert.equal(o.scale, 10);
    assert.match(o.dir, /\.lab\/demo$/);
  });

  it('refuses a downgrade, bad scales and unknown versions with clear messages', () => {
    assert.throws(() => demoOptions({ from: '16', to: '14' }), /must be an older major/);
    assert.throws(() => demoOptions({ scale: 0 }), /--scale must be an integer/);
    assert.throws(() => demoOptions({ from: '11' }), /11/);
  });

  it('parses the CLI flags', () => {
    assert.deepEqual(parseDemoArgs(['--from', '15', '--to=17', '--scale', '3', '--keep', '--json']), { options: { from: '15', to: '17', scale: 3, keep: true }, json: true });
    assert.throws(() => parseDemoArgs(['--scale', 'x']), /whole number/);
    assert.throws(() => parseDemoArgs(['--nope']), /unknown option/);
  });
});

describe('demo formatting', () => {
  it('timeline lines align continuation lines under the text', () => {
    assert.equal(timelineLine(12_345, 'probe', 'one\ntwo'), `  12.3s  probe      one\n${' '.repeat(20)}two`);
  });

  it('clip splits embedded newlines and says how many lines are left out', () => {
    assert.deepEqual(clip(['a\nb', 'c', 'd'], 2), ['a', 'b', '… 2 more line(s) in the journal']);
  });

  it('displayPath is relative below the working directory, absolute elsewhere', () => {
    assert.equal(displayPath('/w/x/.lab/demo', '/w/x'), '.lab/demo');
    assert.equal(displayPath('/tmp/d', '/w/x'), '/tmp/d');
  });

  it('the summary shows the window, lost commits and the verdict', () => {
    const r = {
      ok: true, durationMs: 40_000, servers: { source: '14.22 127.0.0.1:15614', target: '16.14 127.0.0.1:15616' },
      switchover: { writeUnavailableMs: 212.4, drainMs: 3 }, schemaCopiedBy: 'pg_dump', timings: { serversMs: 2000, dataMs: 4000, runbookMs: 30_000 },
      probeVerification: { acked: 500, present: 500, lostCommits: 0, lostIds: [], duplicates: 0, duplicateIds: [], unacknowledgedPresent: 0 },
    } as unknown as DemoResult;
    const text = renderDemoSummary(r, demoOptions());
    assert.match(text, /Upgraded 14\.22 → 16\.14 under write load, nothing lost\./);
    assert.match(text, /write-unavailable window\s+212 ms\s+runbook: source frozen → target opened \(drain 3 ms\)/);
    assert.match(text, /✓ 0 of 500 acknowledged probe commits lost, 0 duplicated/);
  });
});

describe('manual switchover script (seed 001)', () => {
  it('freezes the source, waits for lag 0, copies sequences and opens the target, identifiers quoted', () => {
    const s = { host: 'h', port: 1, user: 'u', database: 'd' };
    const script = manualSwitchoverScript({ source: s, target: s, subscription: "it's" });
    assert.deepEqual(script.map((x) => x.server), ['source', 'source', 'source', 'target']);
    assert.match(script[0].sql.join(';'), /ALTER SYSTEM SET default_transaction_read_only = on;SELECT pg_reload_conf\(\)/);
    assert.match(script[1].sql[0], /sent_lsn = replay_lsn.*application_name = 'it''s'/);
    assert.equal(script[1].repeat, true);
    assert.match(script[3].sql[0], /ALTER SYSTEM RESET default_transaction_read_only/);
  });
});
