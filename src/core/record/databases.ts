/**
 * The record of a run that moved several databases (issue 10): a section per database (initial sync, verification,
 * sequences, its slot at the frozen position), read from the per-database outputs (`databases`) of the steps. The
 * switchover section stays the run's ONE window. Pure.
 */
import { formatCount } from './i18n';
import { executed, lastSuccess, type StepAttempt } from './facts';
import { inline } from './markdown';
import { ms, STEP, verificationSection, type Ctx } from './sections';

type Obj = Record<string, unknown>;
/** A name or LSN as code (a backtick inside cannot end it early). */
const code = (v: string) => `\`${inline(v).replace(/`/g, "'")}\``;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The per-database outputs of a step's attempt, or undefined for a one-database run. */
export function perDatabaseOutputs(a: StepAttempt | undefined): Record<string, Obj> | undefined {
  const d = a?.outputs?.databases;
  return isObj(d) && Object.values(d).every(isObj) ? (d as Record<string, Obj>) : undefined;
}

function latest(ctx: Ctx, match: (id: string) => boolean): StepAttempt | undefined {
  return lastSuccess(ctx.f, match) ?? [...ctx.f.attempts].reverse().find((a) => match(a.stepId) && executed(a, ctx.f.dryRun) && a.outputs);
}

export function databasesSection(ctx: Ctx, verify: StepAttempt | undefined): string {
  const { t, lang } = ctx;
  const sync = perDatabaseOutputs(latest(ctx, (id) => id === 'wait-initial-sync'));
  const verified = perDatabaseOutputs(verify);
  const switched = perDatabaseOutputs(latest(ctx, STEP.switchover));
  const names = [...new Set([...Object.keys(sync ?? {}), ...Object.keys(verified ?? {}), ...Object.keys(switched ?? {})])].sort();
  if (!names.length) return '';
  const parts = [`## ${t('databases')}`, t('databasesIntro', names.length)];
  for (const db of names) {
    const lines: string[] = [];
    const s = sync?.[db];
    if (s && typeof s.tables === 'number') lines.push(`- ${t('initialSync', formatCount(s.tables, lang), typeof s.syncMs === 'number' ? ms(s.syncMs) : '—')}`);
    const w = switched?.[db];
    if (w && typeof w.sequencesCopied === 'number') lines.push(`- ${t('sequencesCopied')}: ${formatCount(w.sequencesCopied, lang)}`);
    if (w && typeof w.confirmedFlushLsn === 'string') lines.push(`- ${t('slotConfirmed', code(w.confirmedFlushLsn))}`);
    parts.push(`### ${t('databaseHeading', code(db))}`);
    if (lines.length) parts.push(lines.join('\n'));
    const v = verified?.[db];
    // the verification of that database, one heading level down
    if (v && verify) parts.push(verificationSection(ctx, { ...verify, outputs: v }).replace(/^## /m, '#### '));
  }
  return parts.join('\n\n');
}
