/**
 * Preflight findings about privileges: the adapted plan (capabilities.ts) as findings — each impossible part an
 * error naming the missing privilege and its GRANT, each degraded way a warning, the rest info — and what the
 * preflight could not check because a catalog was not readable (never a failure by itself). Pure.
 */
import type { Finding } from '../../runbook/types';
import type { AdaptedPlan, Capabilities } from './capabilities';

export function privilegeFindings(plan: AdaptedPlan, caps: { source: Capabilities; target: Capabilities }, unreadable: { source: string[]; target: string[] }): Finding[] {
  const f: Finding[] = [];
  for (const role of ['source', 'target'] as const) {
    const c = caps[role];
    const what = c.superuser ? 'superuser' : [
      c.replication ? 'REPLICATION' : '', c.createRole ? 'CREATEROLE' : '', c.createDb ? 'CREATEDB' : '',
      c.ownsDatabase ? `owner of "${c.database}"` : '', ...c.memberOf,
    ].filter(Boolean).join(', ') || 'no special privilege';
    f.push({ id: `${role}-capabilities`, severity: 'info', cluster: role, message: `On the ${role}, "${c.user}" is ${c.superuser ? 'a superuser' : `not a superuser (${what})`}: the plan below is adapted to it.` });
  }
  for (const item of plan.items) {
    const severity = item.possible ? (item.blocking || !item.fix ? 'info' : 'warning') : item.blocking ? 'error' : 'warning';
    f.push({ id: item.id, severity, cluster: item.cluster, message: item.how, ...(item.fix ? { fix: item.fix } : {}) });
  }
  for (const role of ['source', 'target'] as const) {
    if (unreadable[role].length) {
      f.push({
        id: `${role}-unchecked`, severity: 'warning', cluster: role,
        message: `Not checked on the ${role}, "${caps[role].user}" may not read it: ${unreadable[role].join('; ')}.`,
        fix: 'Check these by hand, or run the preflight as a superuser once to see them.',
      });
    }
  }
  return f;
}
