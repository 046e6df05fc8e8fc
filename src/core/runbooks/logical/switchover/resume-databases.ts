/**
 * Resume for a run that moves several databases (issue 10): the state of EACH database is decided from what fresh
 * sessions on that database see (live.ts), with the run's one commit point; the run's state is their combination.
 * A one-database run decides and resumes exactly as resume.ts does.
 */
import type { StepContext } from '../../../runbook/types';
import { quoteIdent } from '../../../sql';
import { isClusterScope, openDatabaseUnits } from '../cluster';
import type { LogicalUpgradeParams } from '../params';
import { decideResume, describeDecision, resumeSwitchover, type ResumeDecision } from './resume';
import type { SwitchoverOutcome } from './outcomes';

type Ctx = StepContext<LogicalUpgradeParams>;

export interface RunDecision extends ResumeDecision {
  /** Per database, in a cluster run. */
  databases?: Array<{ database: string; decision: ResumeDecision }>;
}

/** The run's state from every database's state (they share the commit point). */
export function combine(states: ResumeDecision['state'][], committed: boolean): ResumeDecision['state'] {
  const all = (s: ResumeDecision['state']) => states.every((x) => x === s);
  if (states.includes('both-writable')) return 'both-writable';
  if (all('replicating')) return 'replicating';
  if (all('open')) return 'open';
  if (committed) return states.every((s) => s === 'committed' || s === 'open') ? 'committed' : 'mixed';
  return states.every((s) => s === 'frozen' || s === 'replicating') ? 'frozen' : 'mixed';
}

export async function decideRun(ctx: Ctx): Promise<RunDecision> {
  if (!isClusterScope(ctx.params)) return decideResume(ctx);
  const { units, close } = await openDatabaseUnits(ctx);
  try {
    const databases: RunDecision['databases'] = [];
    for (const u of units) databases.push({ database: u.database, decision: await decideResume(u.ctx) });
    const first = databases[0].decision;
    const state = combine(databases.map((x) => x.decision.state), !!first.commit);
    return { ...first, state, databases };
  } finally {
    await close();
  }
}

export function describeRun(d: RunDecision): string {
  const base = describeDecision(d);
  if (!d.databases) return base;
  return `${base} [${d.databases.map((x) => `${quoteIdent(x.database)}: ${x.decision.state}`).join(', ')}]`;
}

/** Finishes the protocol for every database from a run state other than 'replicating', each decided afresh. */
export async function resumeRun(ctx: Ctx, d: RunDecision): Promise<SwitchoverOutcome> {
  if (!d.databases) return resumeSwitchover(ctx, d);
  if (d.state === 'both-writable' || d.state === 'mixed') {
    return { status: 'failed', outputs: { resumedFrom: d.state }, message: `${describeRun(d)}. Nothing was changed.` };
  }
  const { units, close } = await openDatabaseUnits(ctx);
  try {
    const databases: Record<string, Record<string, unknown>> = {};
    const results: Array<{ database: string; r: SwitchoverOutcome }> = [];
    for (const u of units) {
      const mine = await decideResume(u.ctx); // live facts of THIS database now, not the journal alone
      if (mine.state === 'replicating') {
        // before the commit point a database already handed back has nothing left to do
        if (d.state === 'frozen') { databases[u.database] = { resumedFrom: 'replicating' }; continue; }
        results.push({ database: u.database, r: { status: 'failed', outputs: {}, message: `${quoteIdent(u.database)} takes writes on the source although the run passed its commit point; make it read-only there, then resume` } });
        continue;
      }
      const r = await resumeSwitchover(u.ctx, mine);
      databases[u.database] = { ...r.outputs, status: r.status };
      results.push({ database: u.database, r });
    }
    const bad = results.filter((x) => x.r.status === 'failed');
    const outputs: Record<string, unknown> = { resumedFrom: d.state, freezeMethod: ctx.params.freezeMethod, databases };
    const firstOut = results[0]?.r.outputs ?? {};
    for (const k of ['freezeStartedAt', 'commitPointAt', 'targetOpenedAt', 'writeUnavailableMs']) if (firstOut[k] !== undefined) outputs[k] = firstOut[k];
    const message = results.map((x) => `${quoteIdent(x.database)}: ${x.r.message}`).join(' | ');
    if (bad.length) return { status: 'failed', outputs, message };
    return { status: d.state === 'frozen' ? 'aborted' : 'succeeded', outputs, message };
  } finally {
    await close();
  }
}
