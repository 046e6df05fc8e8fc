/**
 * `logical-upgrade --fixes` and `--apply-fix ID|all` (issue 15): the fixes the tool can apply, re-derived from both
 * servers now, each shown with its statements (quoted), where it runs, its risk, effect and undo; applied one by one
 * after a confirmation (a typed "yes" in a terminal, or --yes). No run is started; the preflight of the next run
 * re-checks everything.
 */
import { createInterface } from 'node:readline';
import type { Queryable } from '../core/db';
import type { RunCluster } from '../core/runbook';
import { applyFix, describeFix, offeredFixes, type FixStep } from '../core/runbooks/logical/fix-steps';
import type { LogicalUpgradeParams } from '../core/runbooks/logical';
import { messageOf } from './args';
import { connectCluster } from './connections';

async function ask(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return await new Promise((resolve) => {
      rl.on('close', () => resolve(false));
      rl.question(question, (a) => resolve(a.trim().toLowerCase() === 'yes'));
    });
  } finally {
    rl.close();
  }
}

/** Lists (`apply` empty) or applies the fixes; the exit status: 0 done, 1 a fix failed or was declined, 2 unknown id. */
export async function runFixes(clusters: { source: RunCluster; target: RunCluster }, p: LogicalUpgradeParams, apply: string[], yes: boolean): Promise<number> {
  const sessions = new Map<'source' | 'target', Queryable & { end(): Promise<void> }>();
  const db = async (role: 'source' | 'target') => {
    let s = sessions.get(role);
    if (!s) {
      s = await connectCluster(clusters[role], 'pg-upgrade-pilot fixes');
      sessions.set(role, s);
    }
    return s;
  };
  try {
    const target = await db('target').catch(() => null);
    const fixes = await offeredFixes(await db('source'), target, p);
    if (!apply.length) {
      process.stdout.write(fixes.length ? `${fixes.length} fix(es) the tool can apply (--apply-fix ID, or all):\n\n${fixes.map(describeFix).join('\n\n')}\n` : 'No fix to apply: nothing the tool can fix was found.\n');
      return 0;
    }
    const chosen: FixStep[] = apply.includes('all') ? fixes : [];
    for (const id of apply.filter((x) => x !== 'all')) {
      const f = fixes.find((x) => x.id === id);
      if (!f) {
        process.stderr.write(`pg-upgrade-pilot logical-upgrade: no fix "${id}" applies now (${fixes.length ? `offered: ${fixes.map((x) => x.id).join(', ')}` : 'none is offered'}); nothing was changed\n`);
        return 2;
      }
      chosen.push(f);
    }
    for (const f of chosen) {
      process.stderr.write(`\n${describeFix(f)}\n`);
      if (!yes && !(await ask(`Apply it on the ${f.cluster}? Type yes: `))) {
        process.stderr.write(`declined: ${f.id} (nothing was changed by it)\n`);
        return 1;
      }
      try {
        await applyFix(f, db);
      } catch (err) {
        process.stderr.write(`failed: ${f.id}: ${messageOf(err)}\n`);
        return 1;
      }
      process.stderr.write(`applied: ${f.id}\n`);
    }
    return 0;
  } finally {
    for (const s of sessions.values()) await s.end().catch(() => undefined);
  }
}
