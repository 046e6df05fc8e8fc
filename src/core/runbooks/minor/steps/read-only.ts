import { performance } from 'node:perf_hooks';
import { sleep } from '../../../hosts/wait';
import type { StepDefinition, StepOutcome } from '../../../runbook/types';
import { frozenBySystem } from '../../logical/queries';
import { FREEZE, UNFREEZE } from '../../logical/statements';
import { STEP, type Ctx } from '../context';
import type { MinorUpgradeParams } from '../params';

/** A new session sees default_transaction_read_only = on (the reload has reached the postmaster). */
export async function waitReadOnlySeen(ctx: Ctx, want: 'on' | 'off', timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const s = await ctx.connect('server');
    try {
      const r = await s.query<{ v: string }>("SELECT current_setting('default_transaction_read_only') AS v");
      if (r.rows[0].v === want) return;
    } finally {
      await s.end().catch(() => undefined);
    }
    if (performance.now() > deadline) throw new Error(`new sessions still see default_transaction_read_only = ${want === 'on' ? 'off' : 'on'} after ${timeoutMs} ms`);
    await sleep(50, ctx.signal);
  }
}

/** Whether this run made the server read-only (so that it, and only it, reopens it). */
export function setByRun(ctx: Ctx): boolean {
  return ctx.outputsOf(STEP.readOnly)?.setByRun === true;
}

export const readOnlyStep: StepDefinition<MinorUpgradeParams> = {
  id: STEP.readOnly,
  title: 'Read-only mode (optional)',
  why:
    'With the server read-only before the restart, applications fail fast on writes ("cannot execute … in a read-only ' +
    'transaction") instead of losing work to the shutdown, and the last writes are safely in before the backup and the ' +
    'stop. It is a default every session gets (ALTER SYSTEM + reload); a client can still SET it off, so the drain follows.',
  kind: 'sql',
  clusters: ['server'],
  risk: 'disruptive',
  optional: true,
  async plan() {
    return [{ kind: 'sql', cluster: 'server', statements: [...FREEZE, "SELECT current_setting('default_transaction_read_only')  -- in a new session: on"] }];
  },
  async isDone(ctx) {
    if (!ctx.params.readOnly) return true;
    return frozenBySystem(await ctx.db('server'));
  },
  async execute(ctx): Promise<StepOutcome> {
    const db = await ctx.db('server');
    for (const st of FREEZE) await db.query(st);
    await waitReadOnlySeen(ctx, 'on');
    return { status: 'succeeded', message: 'the server is read-only for every new transaction', outputs: { readOnly: true, setByRun: true, since: new Date().toISOString() } };
  },
  rollbackHint: `${UNFREEZE.join('; ')};`,
};

export const reopenWritesStep: StepDefinition<MinorUpgradeParams> = {
  id: STEP.reopen,
  title: 'Reopen writes (end the read-only mode)',
  why: 'The upgrade is done and checked: the server takes writes again. Only a read-only mode this run set is reset.',
  kind: 'sql',
  clusters: ['server'],
  risk: 'reversible',
  async plan() {
    return [{ kind: 'sql', cluster: 'server', statements: [...UNFREEZE] }];
  },
  async isDone(ctx) {
    return !setByRun(ctx) || !(await frozenBySystem(await ctx.db('server')));
  },
  async execute(ctx): Promise<StepOutcome> {
    const db = await ctx.db('server');
    for (const st of UNFREEZE) await db.query(st);
    await waitReadOnlySeen(ctx, 'off');
    return { status: 'succeeded', message: 'the server takes writes again', outputs: { readOnly: false, reopenedAt: new Date().toISOString() } };
  },
  rollbackHint: `Read-only again: ${FREEZE.join('; ')};`,
};
