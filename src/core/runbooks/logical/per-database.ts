/**
 * A step of the logical upgrade run once per database of the run (cluster scope, issue 10): the same step code, each
 * time with that database's context (cluster.ts). Without a database list the step runs as it always did, once with
 * the run's own context. Outputs of a cluster run are kept per database under `databases`.
 */
import type { Queryable } from '../../db';
import type { CheckResult, Finding, PlannedAction, StepContext, StepDefinition, StepOutcome } from '../../runbook/types';
import { quoteIdent } from '../../sql';
import { DatabaseListError, forEachDatabase, isClusterScope } from './cluster';
import { explainMissingTargetDatabase } from './missing-database';
import type { LogicalUpgradeParams } from './params';
import { messageOf } from './session';

type Ctx = StepContext<LogicalUpgradeParams>;
type Step = StepDefinition<LogicalUpgradeParams>;

/** Findings of several databases: one said identically by every database is kept once, the others name theirs. */
export function mergeFindings(perDatabase: Array<{ database: string; findings: Finding[] }>): Finding[] {
  const key = (f: Finding) => `${f.id}\u0000${f.severity}\u0000${f.cluster ?? ''}\u0000${f.message}`;
  const count = new Map<string, number>();
  for (const d of perDatabase) for (const k of new Set(d.findings.map(key))) count.set(k, (count.get(k) ?? 0) + 1);
  const out: Finding[] = [];
  const shared = new Set<string>();
  for (const d of perDatabase) {
    for (const f of d.findings) {
      const k = key(f);
      if (count.get(k) === perDatabase.length) {
        if (!shared.has(k)) out.push(f);
        shared.add(k);
      } else {
        out.push({ ...f, message: `Database ${quoteIdent(d.database)}: ${f.message}` });
      }
    }
  }
  return out;
}

/** A database of the list that cannot be reached (e.g. missing on the target) reads as a clear sentence. */
async function explain(ctx: Ctx, database: string, err: unknown): Promise<string> {
  const db = async (role: 'source' | 'target' | 'primary' | 'standby' | 'server'): Promise<Queryable> => ctx.db(role);
  const hint = await explainMissingTargetDatabase('target', err, db).catch(() => undefined);
  return `database ${quoteIdent(database)}: ${messageOf(err)}${hint ? `. ${hint}` : ''}`;
}

function labelled(database: string, a: PlannedAction): PlannedAction {
  const head = `database ${quoteIdent(database)}`;
  switch (a.kind) {
    case 'sql': return { ...a, statements: [`-- ${head}`, ...a.statements] };
    case 'manual': return { ...a, instructions: `${head}: ${a.instructions}` };
    case 'wait': return { ...a, description: `${head}: ${a.description}` };
    case 'host': return a;
  }
}

export function perDatabase(step: Step): Step {
  return {
    ...step,
    async plan(ctx) {
      if (!isClusterScope(ctx.params)) return step.plan(ctx);
      const all = await forEachDatabase(ctx, async (u) => (await step.plan(u.ctx)).map((a) => labelled(u.database, a)));
      return all.flatMap((x) => x.value);
    },
    precondition: step.precondition && (async (ctx): Promise<CheckResult> => {
      if (!isClusterScope(ctx.params)) return step.precondition!(ctx);
      try {
        const all = await forEachDatabase(ctx, async (u) => {
          try {
            return await step.precondition!(u.ctx);
          } catch (err) {
            return { ok: false, message: await explain(ctx, u.database, err) } satisfies CheckResult;
          }
        });
        const findings = mergeFindings(all.map((x) => ({ database: x.database, findings: x.value.findings ?? [] })));
        return {
          ok: all.every((x) => x.value.ok),
          message: all.map((x) => `${quoteIdent(x.database)}: ${x.value.message ?? (x.value.ok ? 'ok' : 'not ready')}`).join('; '),
          ...(findings.length ? { findings } : {}),
        };
      } catch (err) {
        if (err instanceof DatabaseListError) return { ok: false, message: `${err.message}. Nothing has been changed.` };
        throw err;
      }
    }),
    isDone: step.isDone && (async (ctx) => {
      if (!isClusterScope(ctx.params)) return step.isDone!(ctx);
      const all = await forEachDatabase(ctx, (u) => step.isDone!(u.ctx));
      return all.every((x) => x.value);
    }),
    async execute(ctx): Promise<StepOutcome> {
      if (!isClusterScope(ctx.params)) return step.execute(ctx);
      const databases: Record<string, Record<string, unknown>> = {};
      const perFindings: Array<{ database: string; findings: Finding[] }> = [];
      const messages: string[] = [];
      let stopped: StepOutcome | undefined;
      try {
        await forEachDatabase(ctx, async (u) => {
          if (stopped) return;
          let o: StepOutcome;
          try {
            // a database already done (a resumed run) is not done again
            o = step.isDone && (await step.isDone(u.ctx)) ? { status: 'skipped', message: 'already done' } : await step.execute(u.ctx);
          } catch (err) {
            o = { status: 'failed', message: await explain(ctx, u.database, err) };
          }
          databases[u.database] = { status: o.status, ...(o.outputs ?? {}) };
          perFindings.push({ database: u.database, findings: o.findings ?? [] });
          messages.push(`${quoteIdent(u.database)}: ${o.message ?? o.status}`);
          if (o.status === 'failed' || o.status === 'aborted') stopped = o;
        });
      } catch (err) {
        if (err instanceof DatabaseListError) return { status: 'failed', message: `${err.message}. Nothing has been changed.` };
        throw err;
      }
      const findings = mergeFindings(perFindings);
      const outputs = { databases };
      if (stopped) return { status: stopped.status, message: messages.join('; '), outputs, findings };
      const allSkipped = Object.values(databases).every((d) => d.status === 'skipped');
      return { status: allSkipped ? 'skipped' : 'succeeded', message: messages.join('; '), outputs, findings };
    },
    verify: step.verify && (async (ctx): Promise<CheckResult> => {
      if (!isClusterScope(ctx.params)) return step.verify!(ctx);
      const all = await forEachDatabase(ctx, (u) => step.verify!(u.ctx));
      const findings = mergeFindings(all.map((x) => ({ database: x.database, findings: x.value.findings ?? [] })));
      return {
        ok: all.every((x) => x.value.ok),
        message: all.map((x) => `${quoteIdent(x.database)}: ${x.value.message ?? (x.value.ok ? 'ok' : 'failed')}`).join('; '),
        ...(findings.length ? { findings } : {}),
      };
    }),
  };
}
