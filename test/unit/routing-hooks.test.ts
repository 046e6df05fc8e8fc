/**
 * Host-command hooks, run for real (local executor, real processes): argv without a shell, exit codes, timeouts,
 * output kept; a failing before-freeze hook stops the switchover and the after-abort hooks undo it.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { clientRoutingFor } from '../../src/core/routing';
import { runHooks } from '../../src/core/routing/hooks';
import type { ClientRoutingParams } from '../../src/core/routing/types';
import type { StepContext } from '../../src/core/runbook/types';

const dir = mkdtempSync(join(tmpdir(), 'pgpilot-hooks-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const lines: string[] = [];
const ui = { confirm: async () => ({ confirmed: true }), progress: () => undefined, log: (_l: string, m: string) => { lines.push(m); } };
const hctx = { ui, signal: new AbortController().signal, runId: 'r1', stepId: 'switchover', cluster: { role: 'server' as const, name: 'x', hosts: 'here', production: false } };

function ctxWith(clientRouting: ClientRoutingParams): StepContext<{ clientRouting: ClientRoutingParams }> {
  return { runId: 'r1', params: { clientRouting }, ui, signal: new AbortController().signal, dryRun: false } as unknown as StepContext<{ clientRouting: ClientRoutingParams }>;
}

describe('host-command hooks', () => {
  test('argv runs without a shell: a "$HOME" argument stays literal; output and exit code are kept', async () => {
    const [r] = await runHooks([{ at: 'after-open', argv: ['/bin/echo', '$HOME', 'a b'] }], 'after-open', hctx, true);
    assert.equal(r.ok, true);
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout?.trim(), '$HOME a b');
  });

  test('a failing after-open hook is reported, the next one still runs', async () => {
    const rs = await runHooks([
      { at: 'after-open', argv: ['/bin/false'] },
      { at: 'after-open', argv: ['/usr/bin/touch', join(dir, 'second')] },
    ], 'after-open', hctx, false);
    assert.deepEqual(rs.map((r) => r.ok), [false, true]);
    assert.equal(rs[0].exitCode, 1);
    assert.ok(existsSync(join(dir, 'second')));
  });

  test('a hook that outlives its timeout is stopped and reported as timed out', async () => {
    const t0 = Date.now();
    await assert.rejects(runHooks([{ at: 'before-freeze', argv: ['/bin/sleep', '30'], timeoutMs: 300 }], 'before-freeze', hctx, true), /before-freeze hook failed[\s\S]*timed out/);
    assert.ok(Date.now() - t0 < 10_000, 'bounded');
  });

  test('a failing before-freeze hook stops the switchover; the after-abort hooks undo what the before-freeze ones did', async () => {
    const routing = clientRoutingFor(ctxWith({
      kind: 'hooks', hooks: [
        { at: 'before-freeze', argv: ['/usr/bin/touch', join(dir, 'drained')] },
        { at: 'before-freeze', argv: ['/bin/false'] },
        { at: 'after-abort', argv: ['/bin/rm', '-f', join(dir, 'drained')] },
      ],
    }));
    await assert.rejects(routing.beforeFreeze(), /before-freeze hook failed/);
    assert.ok(!existsSync(join(dir, 'drained')), 'the after-abort hook ran');
    assert.ok(routing.plan().length === 3);
  });

  test('bad routing params are refused when the routing is built, before anything runs', () => {
    assert.throws(() => clientRoutingFor(ctxWith({ kind: 'hooks', hooks: [{ at: 'after-open', argv: ['/bin/true'], timeoutMs: 5 }] })), /timeoutMs/);
  });
});
