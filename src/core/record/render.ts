/**
 * The upgrade record: a markdown document a team keeps after an upgrade (seed 004's "documentation requirements":
 * date and time, versions before and after, downtime, issues and resolutions, performance impact, backup location),
 * rendered from the run's journal. English or Spanish. Pure: same events + options → same text.
 * Secrets: the journal is scrubbed already; every event and option is scrubbed again here, and so is the output.
 */
import { Redactor, scrubText } from '../runbook/redact';
import type { JournalEvent } from '../runbook/types';
import { databasesSection, perDatabaseOutputs } from './databases';
import { lastSuccess, outputNumber, outputString, runFacts, runStatus, type RunFacts } from './facts';
import { formatCount, recordText, type RecordKey, type RecordLang } from './i18n';
import { inline, utc } from './markdown';
import { probeFromJournal, type ProbeRecord } from './probe';
import {
  checksSection, clustersSection, issuesSection, ms, parametersSection, pendingSteps, roleName, snapshotsSection, statementsSection,
  STEP, switchoverSection, timelineSection, verificationSection, type Ctx, type RunbookInfo,
} from './sections';
import { verificationRows, verificationTotals } from './verification';

type SnapshotEvent = Extract<JournalEvent, { type: 'snapshot' }>;

export interface RecordOptions {
  lang: RecordLang;
  /** Snapshots taken outside the journal (e.g. by the dashboard), shown with the journal's own. */
  snapshots?: SnapshotEvent[];
  /** The probe result; default: the last one journaled (see probe.ts for the convention). */
  probe?: ProbeRecord;
  /** The runbook definition (title, step order, rollback hints); without it the journal alone is used. */
  runbook?: RunbookInfo;
  /** The generation time printed at the end (default now). */
  generatedAt?: Date;
}

type PairKind = 'logical' | 'streaming' | 'server';

function pairKind(f: RunFacts): PairKind {
  const roles = new Set(f.clusters.map((c) => c.role));
  if (roles.has('source') && roles.has('target')) return 'logical';
  if (roles.has('primary') || roles.has('standby')) return 'streaming';
  return 'server';
}

/** "14.22 → 17.10", or "16.12 → 16.14" from the snapshots/outputs of an in-place upgrade. */
function versions(f: RunFacts, kind: PairKind): string {
  const of = (role: string) => f.clusters.find((c) => c.role === role)?.version?.text;
  if (kind === 'logical') {
    const before = of('source') ?? outputString(f, STEP.checks, ['sourceVersion']);
    const after = of('target') ?? outputString(f, STEP.checks, ['targetVersion']);
    return before || after ? `${before ?? '?'} → ${after ?? '?'}` : '';
  }
  const role = kind === 'streaming' ? 'primary' : 'server';
  const before = of(role) ?? of('standby');
  const snap = [...f.snapshots].reverse().find((s) => s.role === role && s.version);
  const after = outputString(f, () => true, ['versionAfter', 'newVersion', 'toVersion']) ?? snap?.version?.text ?? before;
  return before || after ? `${before ?? '?'} → ${after ?? '?'}` : '';
}

function header(ctx: Ctx, probe: ProbeRecord | undefined, kind: PairKind): string {
  const { t, f, lang } = ctx;
  const status = runStatus(f);
  const end = f.finished?.ts ?? (status === 'paused' ? f.paused?.ts : undefined);
  const lines: [string, string][] = [
    [t('run'), `\`${f.runId}\``],
    [t('runbook'), ctx.runbook?.title ? `${inline(ctx.runbook.title)} (\`${f.runbook}\`)` : `\`${f.runbook}\``],
    [t('outcome'), outcomeSentence(ctx, kind, probe)],
  ];
  for (const c of f.clusters) lines.push([roleName(t, c.role), `${inline(c.name)} — ${inline(c.hosts)}${c.version ? ` — PostgreSQL ${c.version.text}` : ''}`]);
  const v = versions(f, kind);
  if (v) lines.push([t('versions'), v]);
  lines.push([t('operator'), inline(f.operator)], [t('started'), utc(f.startedAt)]);
  lines.push([t('finished'), end ? utc(end) : t('notFinished', utc(f.lastEventAt))]);
  const durationEnd = end ?? f.lastEventAt;
  lines.push([t('duration'), ms(Math.max(0, Date.parse(durationEnd) - Date.parse(f.startedAt)))]);
  const sw = lastSuccess(f, STEP.switchover);
  const runbookWindow = typeof sw?.outputs?.writeUnavailableMs === 'number' ? sw.outputs.writeUnavailableMs : undefined;
  if (probe) {
    const measured = probe.switchoverGapMs ?? probe.maxGapMs;
    lines.push([t('window'), `**${t('windowByProbe', ms(measured), probe.intervalMs ? ms(probe.intervalMs) : '?', formatCount(probe.acked, lang))}**`]);
    lines.push([t('lostCommits'), probe.lostCommits === undefined ? t('notVerified') : `**${t('lostCommitsValue', formatCount(probe.lostCommits, lang), formatCount(probe.acked, lang))}**`]);
  } else if (runbookWindow !== undefined) {
    lines.push([t('window'), `**${t('windowByRunbook', ms(runbookWindow))}**`]);
  } else if (kind !== 'server') {
    lines.push([t('window'), t('noWindow')]);
  }
  const down = downtimeMs(f);
  if (down !== undefined) lines.push([t('downtime'), `**${ms(down)}**`]);
  const title = `# ${t('title', inline(ctx.runbook?.title ?? f.runbook))}`;
  const warn = f.dryRun ? `\n\n> **${t('dryRunWarning')}**` : '';
  return `${title}${warn}\n\n## ${t('summary')}\n\n${lines.map(([k, val]) => `- **${k}:** ${val}`).join('\n')}`;
}

function downtimeMs(f: RunFacts): number | undefined {
  return outputNumber(f, () => true, ['downtimeMs']);
}

/** The outcome in plain words, for a change board: what happened, the versions, the window or downtime, the loss. */
function outcomeSentence(ctx: Ctx, kind: PairKind, probe: ProbeRecord | undefined): string {
  const { t, f } = ctx;
  const status = runStatus(f);
  const parts = [f.dryRun ? t('oc_dry') : `**${t(`oc_${status}` as RecordKey)}**`];
  if (f.dryRun) return parts[0];
  const v = versions(f, kind);
  if (v) parts.push(t('oc_versions', v));
  const sw = lastSuccess(f, STEP.switchover);
  const window = probe ? probe.switchoverGapMs ?? probe.maxGapMs : typeof sw?.outputs?.writeUnavailableMs === 'number' ? sw.outputs.writeUnavailableMs : undefined;
  if (window !== undefined && sw) parts.push(t('oc_window', ms(window)));
  const down = downtimeMs(f);
  if (down !== undefined) parts.push(t('oc_downtime', ms(down)));
  const lost = probe?.lostCommits ?? (typeof (sw?.outputs?.probe as Record<string, unknown> | undefined)?.lostCommits === 'number' ? (sw!.outputs!.probe as { lostCommits: number }).lostCommits : undefined);
  if (lost !== undefined && sw) parts.push(lost === 0 ? t('oc_noLoss') : t('oc_loss', formatCount(lost, ctx.lang)));
  return parts.join(' ');
}

function backupLocation(f: RunFacts): string | undefined {
  for (const [k, v] of Object.entries(f.params)) if (/backup/i.test(k) && typeof v === 'string' && v) return v;
  return outputString(f, () => true, ['backupLocation', 'backupDir', 'backupPath', 'backup']);
}

function rollbackSection(ctx: Ctx, kind: PairKind): string {
  const { t, f } = ctx;
  const lines: string[] = [];
  if (kind === 'logical' && !f.dryRun) {
    const switched = lastSuccess(f, STEP.switchover);
    const reverse = lastSuccess(f, STEP.reverse);
    lines.push(!switched ? t('rollbackBeforeSwitchover') : reverse ? t('rollbackReverse', inline(reverse.title)) : t('rollbackNoReverse'));
  }
  const hints = new Map<string, string>();
  for (const a of [...f.attempts].reverse()) {
    if (a.risk === 'read-only' && !a.rollbackHint) continue;
    const hint = a.rollbackHint ?? (a.status === 'succeeded' ? ctx.runbook?.steps.find((s) => s.id === a.stepId)?.rollbackHint : undefined);
    if (hint && !hints.has(a.title)) hints.set(a.title, hint);
  }
  if (hints.size) lines.push(`${t('rollbackSteps')}\n\n${[...hints].map(([title, hint]) => `- **${inline(title)}:** ${inline(hint)}`).join('\n')}`);
  const backup = backupLocation(f);
  lines.push(backup ? t('backupLocation', `\`${backup}\``) : t('noBackupLocation'));
  return `## ${t('rollback')}\n\n${lines.join('\n\n')}`;
}

function followUpsSection(ctx: Ctx, kind: PairKind, mismatched: boolean, probe: ProbeRecord | undefined): string {
  const { t, f } = ctx;
  if (f.dryRun) return '';
  const items: [boolean, string][] = [];
  if (kind === 'logical') {
    const analyze = lastSuccess(f, STEP.analyze);
    items.push(analyze ? [true, t('fuAnalyzeDone', inline(analyze.title))] : [false, t('fuAnalyzePending')]);
  }
  items.push([false, kind === 'logical' ? t('fuBaseBackup') : t('fuBaseBackupMinor')]);
  if (kind === 'logical') {
    const cleanup = lastSuccess(f, STEP.cleanup);
    items.push(cleanup ? [true, t('fuCleanupDone', inline(cleanup.title))] : [false, t('fuCleanupPending')]);
  }
  const pending = pendingSteps(ctx);
  if (pending.length) items.push([false, t('fuResume', pending.map((s) => s.title).join(', '))]);
  if (mismatched) items.push([false, t('fuMismatch')]);
  if (probe?.lostCommits) items.push([false, t('fuLost')]);
  return `## ${t('followUps')}\n\n${items.map(([done, text]) => `- [${done ? 'x' : ' '}] ${text}`).join('\n')}`;
}

export function renderUpgradeRecord(events: JournalEvent[], opts: RecordOptions): string {
  const redactor = new Redactor();
  const clean = redactor.value(events);
  const f = runFacts(clean);
  f.snapshots.push(...redactor.value(opts.snapshots ?? []));
  const probe = opts.probe ? redactor.value(opts.probe) : probeFromJournal(clean);
  const runbook = opts.runbook ? redactor.value({ title: opts.runbook.title, steps: opts.runbook.steps.map((s) => ({ id: s.id, title: s.title, rollbackHint: s.rollbackHint, optional: s.optional })) }) : undefined;
  const ctx: Ctx = { f, t: recordText(opts.lang), lang: opts.lang, runbook };
  const kind = pairKind(f);
  const verify = lastSuccess(f, STEP.verify) ?? [...f.attempts].reverse().find((a) => STEP.verify(a.stepId) && a.outputs);
  // a run that moved several databases verifies each of them (databasesSection); one-database runs as before
  const perDatabase = perDatabaseOutputs(verify);
  const verifiedSets = perDatabase ? Object.values(perDatabase) : [verify?.outputs];
  const mismatched = verifiedSets.some((o) => verificationRows(o).some((r) => !r.match) || (verificationTotals(o)?.mismatches ?? 0) > 0);
  const sections = [
    header(ctx, probe, kind),
    clustersSection(ctx),
    parametersSection(ctx),
    checksSection(ctx),
    timelineSection(ctx),
    switchoverSection(ctx, probe),
    databasesSection(ctx, verify),
    perDatabase ? '' : verificationSection(ctx, verify),
    statementsSection(ctx),
    issuesSection(ctx),
    rollbackSection(ctx, kind),
    followUpsSection(ctx, kind, mismatched, probe),
    snapshotsSection(ctx, f.snapshots),
    `---\n\n*${ctx.t('generated', utc((opts.generatedAt ?? new Date()).toISOString()))}*`,
  ];
  return `${scrubText(sections.filter(Boolean).join('\n\n'))}\n`;
}
