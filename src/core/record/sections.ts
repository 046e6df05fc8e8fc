/** The sections of the upgrade record, each a markdown string ('' when it has nothing to say). Pure. */
import { formatBytes, formatDuration } from '../catalog/format';
import type { Finding, PlannedAction } from '../runbook/types';
import { executed, lastSuccess, type RunFacts, type StepAttempt } from './facts';
import { formatCount, type RecordKey, type RecordLang, type RecordText } from './i18n';
import { paramLabel, paramValueText } from './labels';
import { codeBlock, inline, shellQuote, table, utc, utcTime } from './markdown';
import type { ProbeRecord } from './probe';
import { verificationRows, verificationTotals } from './verification';

export interface RunbookInfo {
  title?: string;
  steps: { id: string; title: string; rollbackHint?: string; optional?: boolean }[];
}

export interface Ctx {
  f: RunFacts;
  t: RecordText;
  lang: RecordLang;
  runbook?: RunbookInfo;
}

/** Step ids by purpose (the runbooks' ids; tolerant to their exact spelling). */
export const STEP = {
  checks: (id: string) => /preflight|check/i.test(id),
  switchover: (id: string) => /switchover/i.test(id),
  verify: (id: string) => /verif/i.test(id),
  reverse: (id: string) => /reverse/i.test(id),
  analyze: (id: string) => /analy[sz]e/i.test(id),
  cleanup: (id: string) => /clean/i.test(id),
};

export const ms = (v: number) => formatDuration(v / 1000);

export function statusLabel(t: RecordText, status: string): string {
  return t(`st_${status}` as RecordKey);
}

/** "source" / "origen". */
export function roleName(t: RecordText, role: string): string {
  return t(`role_${role}` as RecordKey);
}

/** "source (pg14-prod)" / "origen (pg14-prod)". */
function roleLabel(ctx: Ctx, role: string): string {
  const c = ctx.f.clusters.find((x) => x.role === role);
  return c ? `${roleName(ctx.t, role)} (${c.name})` : roleName(ctx.t, role);
}

export function clustersSection(ctx: Ctx): string {
  const { t, f } = ctx;
  if (!f.clusters.length) return '';
  return `## ${t('clusters')}\n\n${table([t('role'), t('name'), t('hosts'), t('version'), t('production')],
    f.clusters.map((c) => [roleName(t, c.role), c.name, c.hosts, c.version?.text, c.production ? t('yes') : t('no')]))}`;
}

export function parametersSection(ctx: Ctx): string {
  const rows = Object.entries(ctx.f.params)
    .map(([k, v]) => [paramLabel(k, ctx.lang), paramValueText(k, v, ctx.t, ctx.lang)])
    .filter((r) => r[1] !== undefined && r[1] !== '');
  if (!rows.length) return '';
  return `## ${ctx.t('parameters')}\n\n${table([ctx.t('parameter'), ctx.t('value')], rows)}`;
}

function figure(key: string, v: unknown, lang: RecordLang): string | undefined {
  if (typeof v === 'number') return /bytes$/i.test(key) ? formatBytes(v) : /ms$/i.test(key) ? ms(v) : formatCount(v, lang);
  if (typeof v === 'string' || typeof v === 'boolean') return String(v);
  return undefined;
}

const SEVERITY_ORDER: Record<string, number> = { error: 0, warning: 1, info: 2 };

export function checksSection(ctx: Ctx): string {
  const { t, f, lang } = ctx;
  const withFindings = latestPerStep(f.attempts.filter((a) => a.findings?.length || STEP.checks(a.stepId)));
  if (!withFindings.length) return '';
  const parts = [`## ${t('checks')}`];
  for (const a of withFindings) {
    parts.push(`### ${inline(a.title)} — ${statusLabel(t, a.status)}`);
    const figures = Object.entries(a.outputs ?? {}).map(([k, v]) => [k, figure(k, v, lang)]).filter((x) => x[1] !== undefined);
    if (figures.length && STEP.checks(a.stepId)) parts.push(`${t('checkFigures')}:\n\n${figures.map(([k, v]) => `- ${k}: ${inline(v!)}`).join('\n')}`);
    const findings = [...(a.findings ?? [])].sort((x, y) => (SEVERITY_ORDER[x.severity] ?? 3) - (SEVERITY_ORDER[y.severity] ?? 3));
    parts.push(findings.length ? findingsTable(ctx, findings, acknowledgement(ctx, a)) : t('noFindings'));
  }
  return parts.join('\n\n');
}

/**
 * Who acknowledged a step's warnings: an acknowledgement journaled with the finding (acknowledgedBy / acknowledged
 * {by, at}), else the operator who confirmed the next step after seeing them.
 */
function acknowledgement(ctx: Ctx, a: StepAttempt): (x: Finding) => string {
  const later = ctx.f.attempts.slice(ctx.f.attempts.indexOf(a) + 1).find((b) => b.decision?.confirmed);
  const fallback = later?.decision ? ctx.t('ackByNext', later.decision.by ?? '?', utc(later.decision.ts)) : '';
  return (x) => {
    if (x.severity !== 'warning') return '';
    const own = x as Finding & { acknowledgedBy?: string; acknowledged?: { by?: string; at?: string } };
    if (own.acknowledgedBy) return own.acknowledgedBy;
    if (own.acknowledged?.by) return `${own.acknowledged.by}${own.acknowledged.at ? ` (${utc(own.acknowledged.at)})` : ''}`;
    return fallback;
  };
}

function findingsTable(ctx: Ctx, findings: Finding[], ack: (x: Finding) => string): string {
  const { t } = ctx;
  return table([t('severity'), t('check'), t('cluster'), t('finding'), t('fix'), t('acknowledgedBy')],
    findings.map((x) => [t(`sev_${x.severity}` as RecordKey), x.id, x.cluster ? roleLabel(ctx, x.cluster) : '', x.message, x.fix, ack(x)]));
}

/** The last attempt of each step, in order of first appearance. */
function latestPerStep(attempts: StepAttempt[]): StepAttempt[] {
  const order: string[] = [];
  const last = new Map<string, StepAttempt>();
  for (const a of attempts) {
    if (!last.has(a.stepId)) order.push(a.stepId);
    last.set(a.stepId, a);
  }
  return order.map((id) => last.get(id)!);
}

function whoConfirmed(t: RecordText, a: StepAttempt): string {
  if (a.decision) return a.decision.confirmed ? a.decision.by ?? '' : t('declinedBy', a.decision.by ?? '?');
  return a.risk === 'read-only' ? t('notNeeded') : '';
}

export function timelineSection(ctx: Ctx): string {
  const { t, f } = ctx;
  const parts = [`## ${t('timeline')}`];
  if (!f.attempts.length) parts.push(t('noSteps'));
  else {
    const day = f.startedAt.slice(0, 10);
    const when = (iso?: string) => (iso && iso.slice(0, 10) === day ? utcTime(iso) : utc(iso));
    const waited = (a: StepAttempt) => (a.decision ? Math.max(0, Date.parse(a.decision.ts) - Date.parse(a.startedAt)) : undefined);
    parts.push(table(['#', t('step'), t('start'), t('waiting'), t('working'), t('end'), t('result'), t('confirmedBy')],
      f.attempts.map((a, i) => [
        i + 1, a.title, when(a.startedAt), waited(a) !== undefined ? ms(waited(a)!) : '', a.durationMs !== undefined ? ms(a.durationMs) : '', when(a.finishedAt),
        statusLabel(t, a.status) + (a.message && a.status !== 'succeeded' ? `: ${a.message}` : ''), whoConfirmed(t, a),
      ])));
    parts.push(`*${t('timelineNote')}*`);
  }
  const pending = pendingSteps(ctx);
  if (pending.length) parts.push(t('pendingSteps', pending.map((s) => s.title).join(', ')));
  return parts.join('\n\n');
}

/** Runbook steps with no successful (or skipped) attempt: what is left. */
export function pendingSteps(ctx: Ctx): { id: string; title: string }[] {
  if (!ctx.runbook || ctx.f.dryRun) return [];
  const settled = new Set(ctx.f.attempts.filter((a) => a.status === 'succeeded' || a.status === 'skipped').map((a) => a.stepId));
  return ctx.runbook.steps.filter((s) => !settled.has(s.id) && !(s.optional && ctx.f.attempts.some((a) => a.stepId === s.id && a.status === 'failed')));
}

function actionText(ctx: Ctx, a: PlannedAction): string {
  const { t } = ctx;
  const on = t('onCluster', roleLabel(ctx, a.cluster));
  switch (a.kind) {
    case 'sql':
      return `*${on}:*\n\n${codeBlock(a.statements.map((s) => (/;\s*$/.test(s) || /^\s*--/.test(s) ? s : `${s};`)).join('\n'), 'sql')}`;
    case 'host': {
      const env = a.env && Object.keys(a.env).length ? `\n\n${t('envNames', Object.keys(a.env).join(', '))}` : '';
      return `*${on}:*\n\n${codeBlock(shellQuote(a.argv), 'sh')}${env}`;
    }
    case 'manual':
      return `> **${t('manual')}** (${on}): ${inline(a.instructions)}`;
    case 'wait':
      return `*${t('wait')}* (${on}): ${inline(a.description)}`;
    default:
      return '';
  }
}

export function statementsSection(ctx: Ctx): string {
  const { t, f } = ctx;
  const shown = f.attempts.filter((a) => a.actions.length && (f.dryRun || executed(a, false)));
  const parts = [`## ${f.dryRun ? t('wouldRun') : t('statements')}`];
  if (!shown.length) return `${parts[0]}\n\n${t('noStatements')}`;
  shown.forEach((a) => {
    parts.push(`### ${f.attempts.indexOf(a) + 1}. ${inline(a.title)}`);
    for (const action of a.actions) parts.push(actionText(ctx, action));
  });
  return parts.join('\n\n');
}

export function switchoverSection(ctx: Ctx, probe: ProbeRecord | undefined): string {
  const { t, f, lang } = ctx;
  const sw = lastSuccess(f, STEP.switchover) ?? [...f.attempts].reverse().find((a) => STEP.switchover(a.stepId));
  const lines: string[] = [];
  const o = sw?.outputs ?? {};
  const num = (k: string) => (typeof o[k] === 'number' ? (o[k] as number) : undefined);
  if (num('writeUnavailableMs') !== undefined) lines.push(`- ${t('windowRunbookToo')}: ${ms(num('writeUnavailableMs')!)}`);
  if (num('drainMs') !== undefined) lines.push(`- ${t('drain')}: ${ms(num('drainMs')!)}`);
  if (typeof o.frozenLsn === 'string') lines.push(`- ${t('frozenLsn')}: \`${o.frozenLsn}\``);
  if (num('sequencesCopied') !== undefined) lines.push(`- ${t('sequencesCopied')}: ${formatCount(num('sequencesCopied')!, lang)}`);
  if (typeof o.commitPointAt === 'string') lines.push(`- ${t('commitPointAt')}: ${utc(o.commitPointAt)}`);
  if (typeof o.targetOpenedAt === 'string') lines.push(`- ${t('targetOpenedAt')}: ${utc(o.targetOpenedAt)}`);
  if (typeof o.resumedFrom === 'string') lines.push(`- ${t('resumedFrom', inline(o.resumedFrom))}`);
  const parts: string[] = [];
  if (sw && lines.length) parts.push(`## ${t('switchover')}`, lines.join('\n'));
  if (sw && typeof o.commitPointAt === 'string') parts.push(t('commitPointNote'));
  const breakdown = Array.isArray(o.windowBreakdown)
    ? (o.windowBreakdown as unknown[]).filter((x): x is { phase: string; ms: number } => typeof x === 'object' && x !== null && typeof (x as { phase?: unknown }).phase === 'string' && typeof (x as { ms?: unknown }).ms === 'number')
    : [];
  if (sw && breakdown.length) {
    if (!parts.length) parts.push(`## ${t('switchover')}`);
    parts.push(`### ${t('windowBreakdown')}`, table([t('phase'), t('phaseTime')], breakdown.map((b) => [b.phase, ms(b.ms)])));
  }
  if (probe) {
    const p = probe;
    const probeLines = [
      t('probeLine', formatCount(p.attempts ?? p.acked + (p.failedAttempts ?? 0), lang), formatCount(p.acked, lang), formatCount(p.failedAttempts ?? 0, lang), p.gaps, ms(p.maxGapMs)),
    ];
    const l = p.commitLatencyMs;
    if (l && (l.p50 !== undefined || l.p99 !== undefined)) probeLines.push(t('probeLatency', l.p50 !== undefined ? ms(l.p50) : '—', l.p99 !== undefined ? ms(l.p99) : '—', l.max !== undefined ? ms(l.max) : '—'));
    if (p.perHost && Object.keys(p.perHost).length) probeLines.push(t('probePerHost', Object.entries(p.perHost).map(([h, n]) => `${h}: ${formatCount(n, lang)}`).join(', ')));
    if (!parts.length) parts.push(`## ${t('switchover')}`);
    parts.push(`### ${t('probe')}`, probeLines.join('\n'));
  }
  return parts.join('\n\n');
}

/** How old verify-data's comparison was when the switchover froze the source (issue 9: a comparison has an age). */
function verificationAgeAtSwitchover(ctx: Ctx, verify: StepAttempt): number | undefined {
  const sw = [...ctx.f.attempts].reverse().find((a) => STEP.switchover(a.stepId) && typeof a.outputs?.freezeStartedAt === 'string');
  const frozen = Date.parse(String(sw?.outputs?.freezeStartedAt));
  const compared = Date.parse(String(verify.outputs?.comparedAt));
  return Number.isFinite(frozen) && Number.isFinite(compared) ? Math.max(0, frozen - compared) : undefined;
}

export function verificationSection(ctx: Ctx, verify: StepAttempt | undefined): string {
  const { t, lang } = ctx;
  if (!verify) return '';
  const rows = verificationRows(verify.outputs);
  const totals = verificationTotals(verify.outputs);
  const n = (v?: number) => (v === undefined ? '?' : formatCount(v, lang));
  const parts = [`## ${t('verification')}`];
  if (totals) parts.push(t('verificationTotals', n(totals.tables), n(totals.checksummed), n(totals.rowsSource), n(totals.rowsTarget), n(totals.mismatches)));
  const age = verificationAgeAtSwitchover(ctx, verify);
  if (age !== undefined) parts.push(t('verificationAge', ms(age)));
  if (rows.length) {
    const cellNum = (v?: number) => (v === undefined ? '' : formatCount(v, lang));
    parts.push(t('verificationSummary', rows.filter((r) => r.match).length, rows.length));
    parts.push(table([t('table'), t('method'), t('sourceRows'), t('targetRows'), t('sourceChecksum'), t('targetChecksum'), t('result')],
      rows.map((r) => [r.table, r.method, cellNum(r.sourceRows), cellNum(r.targetRows), r.sourceChecksum, r.targetChecksum, r.match ? t('match') : `**${t('mismatch')}**`])));
  }
  if (!totals && !rows.length) {
    const figures = Object.entries(verify.outputs ?? {}).map(([k, v]) => [paramLabel(k, lang), typeof v === 'object' ? undefined : paramValueText(k, v, t, lang)]).filter((x) => x[1] !== undefined);
    parts.push(figures.length ? `${t('verifyFigures')}:\n\n${figures.map(([k, v]) => `- ${k}: ${inline(v!)}`).join('\n')}` : t('noVerification'));
  }
  return parts.join('\n\n');
}

export function issuesSection(ctx: Ctx): string {
  const { t, f } = ctx;
  const items: string[] = [];
  f.attempts.forEach((a, i) => {
    if (a.status === 'failed' || a.status === 'aborted') {
      const later = f.attempts.slice(i + 1).find((b) => b.stepId === a.stepId && (b.status === 'succeeded' || b.status === 'skipped'));
      const lines = [`- ${t('issueFailed', inline(a.title), utc(a.finishedAt), inline(a.message ?? statusLabel(t, a.status)))}`];
      if (a.rollbackHint) lines.push(`  ${t('rollbackHintLabel', inline(a.rollbackHint))}`);
      lines.push(`  ${later ? t('resolvedBy', utc(later.finishedAt)) : t('unresolved')}`);
      items.push(lines.join('\n'));
    } else if (a.status === 'declined') {
      const later = f.attempts.slice(i + 1).find((b) => b.stepId === a.stepId && (b.status === 'succeeded' || b.status === 'skipped'));
      items.push(`- ${t('issueDeclined', inline(a.title), a.decision?.by ?? '?', utc(a.decision?.ts))}\n  ${later ? t('resolvedBy', utc(later.finishedAt)) : t('unresolved')}`);
    }
  });
  if (f.finished && f.finished.status !== 'succeeded') {
    items.push(`- ${t('issueRunEnded', statusLabel(t, f.finished.status), utc(f.finished.ts), inline(f.finished.message ?? ''))}`);
  }
  const parts = [`## ${t('issues')}`, items.length ? items.join('\n') : t('noIssues')];
  const notes = f.notes.filter((n) => n.text.trim());
  if (notes.length) {
    const title = (id?: string) => f.attempts.find((a) => a.stepId === id)?.title ?? id;
    parts.push(`### ${t('notes')}`, notes.map((n) => `- ${t('noteLine', utc(n.ts), n.by ? inline(n.by) : '?', n.stepId ? t('aboutStep', inline(title(n.stepId) ?? '')) : '', inline(n.text))}`).join('\n'));
  }
  return parts.join('\n\n');
}

export function snapshotsSection(ctx: Ctx, snapshots: RunFacts['snapshots']): string {
  const { t } = ctx;
  const shown = snapshots.filter((s) => s.data?.kind !== 'probe');
  if (!shown.length) return '';
  const lines = shown.map((s) => {
    const figures = Object.entries(s.data ?? {})
      .filter(([, v]) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
      .slice(0, 12)
      .map(([k, v]) => `${k}: ${figure(k, v, ctx.lang)}`);
    const version = s.version ? `PostgreSQL ${s.version.text}` : '';
    return `- ${utc(s.ts)} — ${roleLabel(ctx, s.role)}: ${inline([version, ...figures].filter(Boolean).join('; '))}`;
  });
  return `## ${t('snapshots')}\n\n${lines.join('\n')}`;
}
