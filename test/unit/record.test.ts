/**
 * The upgrade record renderer: golden files (English and Spanish) from a fixture journal of a logical upgrade that
 * had a failure, a note, a resume, a verification mismatch and a probe; plus the facts a reader looks for, checked
 * one by one, and the canary password planted in the fixture's connection texts, which must never come out.
 * Regenerate the golden files after an intended change: UPDATE_GOLDEN=1 node --import tsx --test test/unit/record.test.ts
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { recordFileName, renderUpgradeRecord, slugify, type RunbookInfo } from '../../src/core/record';
import { parseJournal } from '../../src/core/runbook/journal';
import type { JournalEvent } from '../../src/core/runbook/types';

const DIR = join(__dirname, 'record-fixtures');
const CANARY = 'Zebra-Canary-7731';
const events = parseJournal(readFileSync(join(DIR, 'journal.jsonl'), 'utf8'));
const generatedAt = new Date('2026-03-15T08:00:00Z');

const runbook: RunbookInfo = {
  title: 'Major upgrade by logical replication',
  steps: [
    { id: 'preflight', title: 'Preflight checks on both servers', rollbackHint: 'Nothing to roll back.' },
    { id: 'copy-roles', title: 'Copy roles to the target', rollbackHint: 'DROP ROLE the created roles on the target.' },
    { id: 'copy-schema', title: 'Copy the schema to the target', rollbackHint: 'Drop the copied objects on the target.' },
    { id: 'create-publication', title: 'Create the publication on the source', rollbackHint: 'DROP PUBLICATION "pgpilot_upgrade" on the source.' },
    { id: 'create-subscription', title: 'Create the subscription on the target', rollbackHint: 'DROP SUBSCRIPTION "pgpilot_upgrade" on the target.' },
    { id: 'wait-initial-sync', title: 'Wait for the initial copy and catch-up', rollbackHint: 'Nothing to undo.' },
    { id: 'verify-data', title: 'Verify row counts and checksums', rollbackHint: 'Nothing to undo.' },
    { id: 'switchover', title: 'Switch over: freeze, drain, copy sequences, open the target', rollbackHint: 'Reset default_transaction_read_only on the source and point clients back.' },
    { id: 'reverse-replication', title: 'Set up replication back to the old server', rollbackHint: 'DROP SUBSCRIPTION "pgpilot_reverse" on the old server.' },
    { id: 'analyze-target', title: 'ANALYZE the target', rollbackHint: 'Nothing to undo.' },
    { id: 'cleanup', title: 'Clean up replication objects', rollbackHint: 'Recreate the reverse replication.' },
  ],
};

function golden(name: string, actual: string): void {
  const file = join(DIR, name);
  if (process.env.UPDATE_GOLDEN) writeFileSync(file, actual);
  assert.equal(actual, readFileSync(file, 'utf8'), `${name} differs (UPDATE_GOLDEN=1 to accept an intended change)`);
}

describe('upgrade record', () => {
  const en = renderUpgradeRecord(events, { lang: 'en', runbook, generatedAt });
  const es = renderUpgradeRecord(events, { lang: 'es', runbook, generatedAt });

  it('matches the English golden file', () => golden('golden.en.md', en));
  it('matches the Spanish golden file', () => golden('golden.es.md', es));

  it('never shows the canary password planted in the journal (conninfo, SQL, env, note, error message)', () => {
    assert.ok(readFileSync(join(DIR, 'journal.jsonl'), 'utf8').includes(CANARY), 'the fixture does carry the canary');
    for (const text of [en, es, renderUpgradeRecord(events, { lang: 'en' })]) {
      assert.ok(!text.includes(CANARY), 'canary leaked');
      assert.ok(!text.includes('Zebra'), 'part of the canary leaked');
    }
  });

  it('header: versions before → after, operator, times, the measured window and the lost-commit count', () => {
    assert.match(en, /^# Upgrade record: Major upgrade by logical replication$/m);
    assert.match(en, /- \*\*PostgreSQL version:\*\* 14\.22 → 17\.10/);
    assert.match(en, /- \*\*Operator:\*\* alice \(VS Code\)/);
    assert.match(en, /- \*\*Started:\*\* 2026-03-14 21:00:00 UTC/);
    assert.match(en, /- \*\*Finished:\*\* 2026-03-14 22:03:10 UTC/);
    assert.match(en, /- \*\*Duration:\*\* 1 h 3 min/);
    assert.match(en, /Write-unavailable window \(measured\):\*\* \*\*910 ms, measured by a write probe every 250 ms \(355 commits acknowledged\)/);
    assert.match(en, /Lost commits:\*\* \*\*0 of 355 acknowledged commits/);
    assert.match(en, /- \*\*source:\*\* pg14-prod — db14\.internal:5432 — PostgreSQL 14\.22/);
    assert.match(es, /Ventana sin escrituras \(medida\):\*\* \*\*910 ms, medida por una sonda/);
    assert.match(es, /Commits perdidos:\*\* \*\*0 de 355 commits confirmados/);
  });

  it('timeline: every attempt with start, waiting for confirmation apart from working time, end, outcome and who confirmed', () => {
    const timeline = en.slice(en.indexOf('## Timeline'), en.indexOf('## Switchover'));
    const rows = timeline.split('\n').filter((l) => /^\| \d+ \|/.test(l));
    assert.equal(rows.length, 11, 'eleven attempts (initial sync twice)');
    assert.match(timeline, /\| # \| Step \| Start \| Waiting for confirmation \| Working \| End \| Outcome \| Confirmed by \|/);
    assert.match(rows[5], /Wait for the initial copy and catch-up \| 21:05:00 \| — \| 30 min \| 21:35:00 \| failed: timed out/);
    assert.match(rows[6], /21:40:01 \| — \| 11 min 59 s \| 21:52:00 \| succeeded/);
    assert.match(rows[8], /Switch over.* \| 22:00:00 \| 500 ms \| 1\.1 s \| 22:00:01 \| succeeded \| bob \(typed pg14-prod\) \|/);
    assert.match(rows[0], /not needed \(read-only\)/);
    assert.match(timeline, /Not run: Clean up replication objects\./);
  });

  it('change-board ready (issue 15 item 9): a plain outcome without the run id, labelled parameters with units, acknowledgements', () => {
    const outcome = en.split('\n').find((l) => l.startsWith('- **Outcome:**'))!;
    assert.match(outcome, /Paused: some steps have not been run yet\.\*\* PostgreSQL 14\.22 → 17\.10\. Writes were unavailable for 910 ms\. No acknowledged write was lost\./);
    assert.ok(!outcome.includes('20260314-210000-a1b2c3'), 'the run id is not repeated in the outcome');
    const params = en.slice(en.indexOf('## Parameters'), en.indexOf('## Checklist'));
    assert.ok(!/\| [a-z]+[A-Z]\w* \|/.test(params), 'no camelCase key');
    assert.match(params, /\| Switchover timeout \| 10 s \|/);
    assert.match(es, /\| Tiempo máximo del cambio \| 10 s \|/);
    assert.match(en, /\| Severity \| Check \| Cluster \| Finding \| Fix \| Acknowledged by \|/);
    assert.match(en, /\| warning \|[^\n]*\| [^|\n]+ \(confirmed the next step, 2026-03-14 [0-9:]+ UTC\) \|/);
  });

  it('renders the switchover\'s windowBreakdown when the outputs have one', () => {
    const withBreakdown = events.map((e) => (e.type === 'step-finished' && e.stepId === 'switchover'
      ? { ...e, outputs: { ...e.outputs, windowBreakdown: [{ phase: 'freeze the source', ms: 120 }, { phase: 'drain', ms: 600 }, { phase: 'open the target', ms: 122 }] } }
      : e));
    const md = renderUpgradeRecord(withBreakdown, { lang: 'en', runbook, generatedAt });
    assert.match(md, /### Where the window went\n\n\| Phase \| Time \|\n\| --- \| --- \|\n\| freeze the source \| 120 ms \|\n\| drain \| 600 ms \|\n\| open the target \| 122 ms \|/);
  });

  it('statements: SQL and commands that ran, passwords masked, env values never shown', () => {
    assert.match(en, /CREATE PUBLICATION "pgpilot_upgrade" FOR ALL TABLES;/);
    assert.match(en, /CREATE SUBSCRIPTION "pgpilot_upgrade" CONNECTION 'host=db14\.internal user=replicator password=\*\*\*\*\*\*\*\*'/);
    assert.match(en, /pg_dump --schema-only --no-owner 'host=db14\.internal dbname=app'/);
    assert.match(en, /Environment: PGPASSWORD \(values not recorded\)/);
    assert.match(en, /CREATE ROLE "app" LOGIN PASSWORD '\*\*\*\*\*\*\*\*'/, 'role password hashes are masked too');
  });

  it('verification table from the verify step, with the mismatch called out (and a pipe in a name escaped)', () => {
    assert.match(en, /2 of 3 tables match\./);
    assert.match(en, /\| public\.orders \| checksum \| 120,000 \| 120,000 \| 9f2c1e \| 9f2c1e \| match \|/);
    assert.match(en, /\| public\.audit\\\|log \| count \| 10 \| 9 \| — \| — \| \*\*MISMATCH\*\* \|/);
    assert.match(es, /\| public\.orders \| checksum \| 120\.000 \| 120\.000 \|/);
  });

  it('switchover figures, issues with their resolution, notes, rollback path, backup and follow-ups', () => {
    assert.match(en, /Freeze → open, measured by the runbook: 842 ms/);
    assert.match(en, /Drain to the frozen position: 120 ms/);
    assert.match(en, /Frozen WAL position: `0\/3A000F28`/);
    assert.match(en, /\*\*Wait for the initial copy and catch-up\*\* failed at 2026-03-14 21:35:00 UTC: timed out/);
    assert.match(en, /Resolved: the step was run again and succeeded at 2026-03-14 21:52:00 UTC\./);
    assert.match(en, /alice \(VS Code\) \(step Wait for the initial copy and catch-up\): Raised max\\_sync\\_workers\\_per\\_subscription to 4/);
    assert.match(en, /Replication runs back from the new server to the old one \(step "Set up replication back to the old server" succeeded\)/);
    assert.match(en, /Backup location: `s3:\/\/backups\/pg14-prod\/2026-03-14`/);
    assert.match(en, /- \[x\] ANALYZE on the new server: done/);
    assert.match(en, /- \[ \] Take a new base backup of the new server/);
    assert.match(en, /- \[ \] Cleanup pending/);
    assert.match(en, /- \[ \] Investigate the tables whose verification did not match/);
    assert.match(es, /- \[ \] Limpieza pendiente/);
    assert.match(es, /## Incidencias y resoluciones/);
  });

  it('findings of the preflight, most severe first', () => {
    const checks = en.slice(en.indexOf('## Checklist'), en.indexOf('## Timeline'));
    assert.ok(checks.indexOf('unlogged-tables') < checks.indexOf('subscriber-reachable'));
    assert.match(checks, /\| warning \| unlogged-tables \| source \(pg14-prod\) \| 1 unlogged table \\\| is not replicated: public\.cache \|/);
    assert.match(checks, /- databaseSizeBytes: 700 MiB/);
  });

  it('without a probe the window is the runbook\'s own measure, and no lost-commit line is claimed', () => {
    const noProbe = events.filter((e) => !(e.type === 'snapshot' && e.data.kind === 'probe'));
    const text = renderUpgradeRecord(noProbe, { lang: 'en', generatedAt });
    assert.match(text, /Write-unavailable window \(measured\):\*\* \*\*842 ms from the source freeze to the target opening \(measured by the runbook; no write probe ran\)/);
    assert.doesNotMatch(text, /Lost commits/);
    const withOpt = renderUpgradeRecord(noProbe, { lang: 'en', generatedAt, probe: { acked: 10, gaps: 1, maxGapMs: 1500, lostCommits: 2, intervalMs: 100 } });
    assert.match(withOpt, /Lost commits:\*\* \*\*2 of 10/);
    assert.match(withOpt, /- \[ \] Acknowledged commits are missing on the new server/);
  });

  it('a dry run says so and lists what would run, with no follow-ups', () => {
    const dry: JournalEvent[] = [
      { type: 'run-started', ts: '2026-03-14T20:00:00.000Z', runId: 'dry-1', runbook: 'logical-major-upgrade', clusters: [], params: {}, operator: 'carol', dryRun: true },
      { type: 'step-started', ts: '2026-03-14T20:00:01.000Z', stepId: 'publication', title: 'Create the publication', risk: 'reversible', actions: [{ kind: 'sql', cluster: 'source', statements: ['CREATE PUBLICATION p FOR ALL TABLES'] }] },
      { type: 'step-finished', ts: '2026-03-14T20:00:01.000Z', stepId: 'publication', status: 'skipped', durationMs: 0, message: 'dry run: not executed' },
      { type: 'run-finished', ts: '2026-03-14T20:00:02.000Z', status: 'succeeded' },
    ];
    const text = renderUpgradeRecord(dry, { lang: 'en', generatedAt });
    assert.match(text, /This was a DRY RUN/);
    assert.match(text, /## Statements a real run would execute/);
    assert.match(text, /CREATE PUBLICATION p FOR ALL TABLES;/);
    assert.doesNotMatch(text, /## Follow-ups/);
  });

  it('a verify step with totals only (no per-table list) still gets its figures and the follow-up', () => {
    const totalsOnly = events.map((e) => (e.type === 'step-finished' && e.stepId === 'verify-data'
      ? { ...e, outputs: { tablesCompared: 40, tablesChecksummed: 38, rowsSource: 1000, rowsTarget: 1000, mismatches: 0 } } : e));
    const text = renderUpgradeRecord(totalsOnly, { lang: 'en', generatedAt });
    assert.match(text, /## Verification\n\n40 table\(s\) compared \(38 by checksum\); rows: 1,000 on the source, 1,000 on the target; 0 mismatch\(es\)\./);
    assert.doesNotMatch(text, /Investigate the tables/);
  });

  it('refuses something that is not a run journal', () => {
    assert.throws(() => renderUpgradeRecord([], { lang: 'en' }), /no run-started event/);
  });
});

describe('recordFileName', () => {
  it('upgrade-records/YYYY-MM-DD-<source>-to-<target>.md, slugified, dated by the local day', () => {
    assert.equal(recordFileName(new Date(2026, 2, 14, 23, 59), 'pg14-prod', 'pg17 new'), 'upgrade-records/2026-03-14-pg14-prod-to-pg17-new.md');
    assert.equal(recordFileName(new Date(2026, 0, 5), 'Producción/Main "A"', '../../etc'), 'upgrade-records/2026-01-05-produccion-main-a-to-etc.md');
  });
  it('slugify never yields an empty or path-like name', () => {
    assert.equal(slugify('✓✓✓'), 'cluster');
    assert.equal(slugify('a'.repeat(100)).length, 48);
    assert.doesNotMatch(slugify('x/../y\\z'), /[/\\.]/);
  });
});

describe('upgrade record: explicit acknowledgements', () => {
  it('shows who acknowledged a warning (the finding-acknowledged journal event), not the next confirmer', () => {
    const pre = events.find((e): e is Extract<JournalEvent, { type: 'step-finished' }> => e.type === 'step-finished' && e.stepId === 'preflight');
    const warning = pre?.findings?.find((f) => f.severity === 'warning');
    assert.ok(warning, 'the fixture has a preflight warning');
    const copy = parseJournal(readFileSync(join(DIR, 'journal.jsonl'), 'utf8'));
    const at = copy.findIndex((e) => e.type === 'step-finished' && e.stepId === 'preflight');
    copy.splice(at + 1, 0, { type: 'finding-acknowledged', ts: '2026-03-14T21:00:04.000Z', at: '2026-03-14T21:00:04.000Z', stepId: 'preflight', findingId: warning.id, message: warning.message, by: 'dba-on-call' });
    const text = renderUpgradeRecord(copy, { lang: 'en', runbook, generatedAt });
    const row = text.split('\n').find((l) => l.includes(`| ${warning.id} |`));
    assert.ok(row?.includes('dba-on-call'), `the warning's row names who acknowledged it: ${row}`);
  });
});

describe('upgrade record: the commit point', () => {
  it('states when the commit point was journaled, what a resume found, and how to finish or go back', () => {
    const copy = parseJournal(readFileSync(join(DIR, 'journal.jsonl'), 'utf8'));
    const sw = [...copy].reverse().find((e): e is Extract<JournalEvent, { type: 'step-finished' }> => e.type === 'step-finished' && e.stepId === 'switchover' && e.status === 'succeeded');
    assert.ok(sw?.outputs, 'the fixture has a succeeded switchover');
    Object.assign(sw.outputs, { commitPointAt: '2026-03-14T21:59:59.900Z', resumedFrom: 'committed' });
    for (const lang of ['en', 'es'] as const) {
      const text = renderUpgradeRecord(copy, { lang, runbook, generatedAt });
      assert.match(text, /2026-03-14 21:59:59 UTC/);
      assert.match(text, /"committed"/);
      assert.match(text, /--resume RUNID --finish/);
      assert.match(text, /docs\/switchover\.md/);
    }
  });
});
