import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  appendEvent, assertRunId, journalPath, newRunId, parseJournal, readJournal, terminateTornLine,
} from '../../src/core/runbook/journal';
import { abortRun, appendNote, listRuns, summarizeRun, type RunbookShape } from '../../src/core/runbook/summary';
import type { JournalEvent } from '../../src/core/runbook/types';

const dir = mkdtempSync(join(tmpdir(), 'runbook-journal-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const runbook: RunbookShape = {
  id: 'demo',
  steps: [
    { id: 'check', title: 'Check', risk: 'read-only' },
    { id: 'create', title: 'Create', risk: 'reversible' },
    { id: 'load', title: 'Load', risk: 'reversible' },
    { id: 'flip', title: 'Flip', risk: 'disruptive' },
  ],
};

const ts = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
function started(runId: string): JournalEvent {
  return { type: 'run-started', ts: ts(0), runId, runbook: 'demo', clusters: [{ role: 'source', name: 'src', hosts: 'h:1', production: false }], params: { a: 1 }, operator: 'op', dryRun: false };
}

async function writeRun(runId: string, events: JournalEvent[]): Promise<string> {
  const file = journalPath(dir, runId);
  for (const e of events) await appendEvent(file, e);
  return file;
}

describe('journal', () => {
  it('appends one JSON line per event and reads them back in order; the file is private', async () => {
    const id = newRunId();
    const file = await writeRun(id, [started(id), { type: 'note', ts: ts(1), text: 'hello' }]);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 2);
    assert.deepEqual((await readJournal(file)).map((e) => e.type), ['run-started', 'note']);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  it('drops a torn last line (crash mid-write) and terminates it before the next append', async () => {
    const id = newRunId();
    const file = await writeRun(id, [started(id)]);
    appendFileSync(file, '{"type":"step-started","ts":"2026-01-0');
    assert.deepEqual((await readJournal(file)).map((e) => e.type), ['run-started']);
    await terminateTornLine(file);
    await appendEvent(file, { type: 'note', ts: ts(2), text: 'after the crash' });
    assert.deepEqual((await readJournal(file)).map((e) => e.type), ['run-started', 'note']);
  });

  it('refuses a damaged line in the middle, and run ids that are not file-name safe', () => {
    assert.throws(() => parseJournal('{"type":"note","ts":"x","text":"a"}\n{"bad": }\n{"type":"note","ts":"x","text":"b"}\n'), /line 2/);
    assert.throws(() => assertRunId('../etc/passwd'), /not a run id/);
    assert.throws(() => journalPath(dir, 'a/b'), /not a run id/);
    assert.match(newRunId(new Date(Date.UTC(2026, 10, 21, 23, 59, 1))), /^20261121-235901-[0-9a-f]{6}$/);
  });
});

describe('run state from the journal (resume logic)', () => {
  it('the next step is the first one not finished; a started-but-unfinished step is "running" and comes next', () => {
    const events: JournalEvent[] = [
      started('r1'),
      { type: 'step-started', ts: ts(1), stepId: 'check', title: 'Check', risk: 'read-only', actions: [] },
      { type: 'step-finished', ts: ts(2), stepId: 'check', status: 'succeeded', durationMs: 5, outputs: { n: 1 } },
      { type: 'step-started', ts: ts(3), stepId: 'create', title: 'Create', risk: 'reversible', actions: [{ kind: 'sql', cluster: 'source', statements: ['CREATE TABLE "t" ()'] }] },
      { type: 'decision', ts: ts(4), stepId: 'create', confirmed: true, by: 'op', risk: 'reversible' },
      { type: 'step-finished', ts: ts(5), stepId: 'create', status: 'skipped', durationMs: 1, message: 'already in place' },
      { type: 'step-started', ts: ts(6), stepId: 'load', title: 'Load', risk: 'reversible', actions: [] },
    ];
    const s = summarizeRun(events, { runbook });
    assert.equal(s.status, 'running');
    assert.deepEqual(s.steps.map((x) => [x.id, x.status]), [['check', 'succeeded'], ['create', 'skipped'], ['load', 'running'], ['flip', 'pending']]);
    assert.equal(s.nextStepId, 'load');
    assert.deepEqual(s.steps[0].outputs, { n: 1 });
    assert.equal(s.steps[1].actions?.[0].kind, 'sql');
  });

  it('a failed step comes next again; a declined one pauses the run; a resume makes it running again', () => {
    const base: JournalEvent[] = [
      started('r2'),
      { type: 'step-started', ts: ts(1), stepId: 'check', title: 'Check', risk: 'read-only', actions: [] },
      { type: 'step-finished', ts: ts(2), stepId: 'check', status: 'failed', durationMs: 5, message: 'wal_level', rollbackHint: 'nothing to undo' },
      { type: 'run-finished', ts: ts(3), status: 'failed', message: 'Check failed' },
    ];
    const failed = summarizeRun(base, { runbook });
    assert.equal(failed.status, 'failed');
    assert.equal(failed.nextStepId, 'check');
    assert.equal(failed.steps[0].rollbackHint, 'nothing to undo');

    const paused = summarizeRun([...base,
      { type: 'run-resumed', ts: ts(4), runId: 'r2', operator: 'op', clusters: [] },
      { type: 'step-started', ts: ts(5), stepId: 'check', title: 'Check', risk: 'read-only', actions: [] },
      { type: 'step-finished', ts: ts(6), stepId: 'check', status: 'succeeded', durationMs: 5 },
      { type: 'step-started', ts: ts(7), stepId: 'create', title: 'Create', risk: 'reversible', actions: [] },
      { type: 'decision', ts: ts(8), stepId: 'create', confirmed: false, by: 'op', risk: 'reversible' },
      { type: 'run-paused', ts: ts(9), reason: 'declined', stepId: 'create', message: 'declined' },
    ], { runbook });
    assert.equal(paused.status, 'paused');
    assert.equal(paused.nextStepId, 'create');
    assert.equal(paused.steps[0].status, 'succeeded');
    assert.equal(paused.steps[0].rollbackHint, undefined);
  });
});

describe('runs in a directory, notes, abort', () => {
  it('lists runs newest first with their state, adds scrubbed notes, aborts a paused run once', async () => {
    const d = mkdtempSync(join(dir, 'list-'));
    const a = 'run-a';
    const b = 'run-b';
    for (const e of [started(a), { type: 'run-paused', ts: ts(3), reason: 'declined', stepId: 'create' } as JournalEvent]) await appendEvent(journalPath(d, a), e);
    for (const e of [{ ...started(b), ts: ts(10) }, { type: 'run-finished', ts: ts(11), status: 'succeeded' } as JournalEvent]) await appendEvent(journalPath(d, b), e);
    appendFileSync(join(d, 'junk.jsonl'), 'not json at all\n');

    const runs = await listRuns(d, [runbook]);
    assert.deepEqual(runs.map((r) => [r.runId, r.status]), [[b, 'succeeded'], [a, 'paused']]);
    assert.equal(runs[1].nextStepId, 'check');
    assert.equal(runs[1].journalFile, journalPath(d, a));

    await appendNote(d, a, 'called the app team; password=hunter22 was rotated', 'alice', 'create');
    const noted = summarizeRun(await readJournal(journalPath(d, a)));
    assert.equal(noted.notes.length, 1);
    assert.equal(noted.notes[0].by, 'alice');
    assert.ok(!noted.notes[0].text.includes('hunter22'));
    await assert.rejects(appendNote(d, 'no-such-run', 'x'), /no journal/);

    const aborted = await abortRun(d, a, { by: 'alice' });
    assert.equal(aborted.status, 'aborted');
    await assert.rejects(abortRun(d, a), /already aborted/);
    await assert.rejects(abortRun(d, b), /already succeeded/);
    assert.deepEqual(await listRuns(join(d, 'missing')), []);
  });
});
