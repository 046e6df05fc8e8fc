import { performance } from 'node:perf_hooks';
import { sleep } from '../../../hosts/wait';
import { APPLICATION_NAME } from '../../../runbook/connections';
import type { StepDefinition, StepOutcome } from '../../../runbook/types';
import { STEP, type Ctx } from '../context';
import type { MinorUpgradeParams } from '../params';
import { ACTIVE_CLIENTS_SQL, TERMINATE_ALL_CLIENTS_SQL } from '../queries';

const POLL_MS = 500;

async function counts(ctx: Ctx): Promise<{ active: number; total: number }> {
  const r = await (await ctx.db('server')).query<{ active: number; total: number }>(ACTIVE_CLIENTS_SQL, [APPLICATION_NAME]);
  return { active: Number(r.rows[0].active), total: Number(r.rows[0].total) };
}

export const drainStep: StepDefinition<MinorUpgradeParams> = {
  id: STEP.drain,
  title: 'Drain client connections',
  why:
    'Stop the applications (or let the connection pool drain) and watch pg_stat_activity until the sessions still working ' +
    'are under the threshold: a fast shutdown rolls back whatever is in flight. What remains after the timeout is ' +
    'terminated (or the step stops, if that option is off), so the stop itself is quick and nothing is half-done.',
  kind: 'wait',
  clusters: ['server'],
  risk: 'disruptive',
  async plan(ctx) {
    const p = ctx.params;
    return [
      { kind: 'wait', cluster: 'server', description: `every ${POLL_MS} ms, up to ${p.drainTimeoutMs / 1000} s, until at most ${p.drainMaxActive} client session(s) are active (state ≠ idle): ${ACTIVE_CLIENTS_SQL.replace('$1', `'${APPLICATION_NAME}'`)}` },
      p.terminateAfterDrain
        ? { kind: 'sql', cluster: 'server', statements: ['-- then, for the client sessions left:', TERMINATE_ALL_CLIENTS_SQL.replace('$1', `'${APPLICATION_NAME}'`)] }
        : { kind: 'wait', cluster: 'server', description: 'then stop with an error if sessions are still active (terminateAfterDrain is off)' },
    ];
  },
  async execute(ctx): Promise<StepOutcome> {
    const p = ctx.params;
    const t0 = performance.now();
    const start = await counts(ctx);
    let now = start;
    while (now.active > p.drainMaxActive && performance.now() - t0 < p.drainTimeoutMs && !ctx.signal.aborted) {
      ctx.ui.progress(`draining: ${now.active} active of ${now.total} client session(s)`);
      await sleep(POLL_MS, ctx.signal);
      now = await counts(ctx);
    }
    if (ctx.signal.aborted) return { status: 'aborted', message: 'aborted by the operator while draining (nothing was terminated)' };
    const outputs: Record<string, unknown> = { activeAtStart: start.active, sessionsAtStart: start.total, activeAtEnd: now.active, sessionsAtEnd: now.total, waitedMs: Math.round(performance.now() - t0), terminated: 0 };
    if (now.active <= p.drainMaxActive) {
      return { status: 'succeeded', outputs, message: `drained: ${now.active} active session(s) (threshold ${p.drainMaxActive}), ${now.total} connected` };
    }
    if (!p.terminateAfterDrain) {
      return { status: 'failed', outputs, message: `${now.active} client session(s) still active after ${p.drainTimeoutMs / 1000} s (threshold ${p.drainMaxActive}); stop the applications and run the step again, or allow terminating` };
    }
    const r = await (await ctx.db('server')).query<{ pid: number; terminated: boolean }>(TERMINATE_ALL_CLIENTS_SQL, [APPLICATION_NAME]);
    outputs.terminated = r.rows.filter((x) => x.terminated).length;
    const after = await counts(ctx);
    outputs.activeAtEnd = after.active;
    outputs.sessionsAtEnd = after.total;
    return { status: 'succeeded', outputs, message: `${now.active} session(s) were still active after ${p.drainTimeoutMs / 1000} s: ${outputs.terminated} client session(s) terminated` };
  },
  rollbackHint: 'Terminated sessions cannot be brought back: their transactions rolled back; the applications reconnect.',
};
