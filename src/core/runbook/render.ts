/** Plain-text rendering of planned actions and confirmation requests, shared by the CLI and VS Code faces. */
import type { ConfirmRequest, PlannedAction, RunResult } from './types';

export function renderAction(a: PlannedAction): string[] {
  switch (a.kind) {
    case 'sql':
      return [`-- on ${a.cluster}`, ...a.statements.map((s) => (/;\s*$/.test(s) ? s : `${s};`))];
    case 'host': {
      const env = a.env ? Object.keys(a.env).map((k) => `${k}=…`).join(' ') + ' ' : '';
      return [`# on the ${a.cluster} host`, `${env}${a.argv.map(shellWord).join(' ')}`];
    }
    case 'manual':
      return [`# manual, on ${a.cluster}: ${a.instructions}`];
    case 'wait':
      return [`# wait, on ${a.cluster}: ${a.description}`];
  }
}

export function renderActions(actions: PlannedAction[]): string[] {
  if (!actions.length) return ['(nothing to execute)'];
  return actions.flatMap(renderAction);
}

/** A multi-line text of a confirmation request: what, why, where, and the statements. */
export function renderConfirmRequest(req: ConfirmRequest): string {
  const where = req.clusters.map((c) => `${c.role}: ${c.name} (${c.hosts})${c.production ? ' [PRODUCTION]' : ''}`);
  return [`${req.title} [${req.risk}]`, req.why, ...where, '', ...renderActions(req.actions)].join('\n');
}

function shellWord(w: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

/** A dry run's plan as markdown: every step with its risk, reason and statements. */
export function renderPlanMarkdown(title: string, result: RunResult, steps: { id: string; why: string; clusters: string[] }[]): string {
  const out = [`# ${title}`, '', `Dry run ${result.runId}: nothing was executed. ${result.message ?? ''}`.trim(), ''];
  result.steps.forEach((s, i) => {
    const def = steps.find((d) => d.id === s.id);
    out.push(`## ${i + 1}. ${s.title} — ${s.risk ?? ''}${def?.clusters.length ? ` (${def.clusters.join(', ')})` : ''}`, '');
    if (def?.why) out.push(def.why, '');
    if (s.actions?.length) out.push('```sql', ...renderActions(s.actions), '```', '');
    else if (s.message) out.push(`_${s.message}_`, '');
  });
  return out.join('\n');
}
