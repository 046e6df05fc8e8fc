/**
 * Engine behaviour that needs no database: runbooks of fake steps (no clusters), a recording RunnerUi.
 * The same behaviours against a real server are in test/integration/runbook-engine.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runRunbook } from '../../src/core/runbook/engine';
import { appendEvent, journalPath, readJournal } from '../../src/core/runbook/journal';
import type {
  ConfirmRequest, JournalEvent, RunbookDefinition, RunnerUi, StepDefinition, StepOutcome,
} from '../../src/core/runbook/types';

const dir = mkdtempSync(join(tmpdir(), 'runbook-engine-'));
after(() => rmSync(dir, { recursive: true, force: true }));

class RecordingUi implements RunnerUi {
  requests: ConfirmRequest[] = [];
  logs: string[] = [];
  constructor(private answer: (req: ConfirmRequest) => boolean = () => true) {}
  async confirm(req: ConfirmRequest) {
    this.requests.push(req);
    return { confirmed: this.answer(req), by: 'tester' };
  }
  progress(): void {}
  log(_level: string, message: string): void {
    this.logs.push(message);
  }
}

type Calls = string[];
function step(id: string, calls: Calls, over: Partial<StepDefinition> = {}): StepDefinition {
  return {
    id, title: `Step ${id}`, why: `because ${id}`, kind: 'sql', clusters: [], risk: 'reversible', rollbackHint: `undo ${id}`,
    plan: async () => [{ kind: 'sql', cluster: 'source', statements: [`SELECT '${id}'`] }],
    execute: async (): Promise<StepOutcome> => { calls.push(`execute:${id}`); return { status: 'succeeded', outputs: { id } }; },
    ...over,
  };
}
function book(steps: StepDefinition[]): RunbookDefinition {
  return { id: 'fake', title: 'Fake runbook', roles: [], steps };
}
const base = { clusters: {}, params: {}, journalDir: dir, operator: 'tester' };

describe('engine (no database)', () => {
  it('a dry run renders every plan, executes nothing, asks nothing and is journaled as a dry run', async () => {
    const calls: Calls = [];
    const forbidden = async (): Promise<never> => { calls.push('forbidden'); throw new Error('must not run'); };
    const steps = ['a', 'b', 'c'].map((id) => step(id, calls, {
      risk: id === 'c' ? 'destructive' : 'reversible', isDone: forbidden, precondition: forbidden, verify: forbidden,
    }));
    steps[1].plan = async () => { throw new Error('needs the subscription'); };
    const ui = new RecordingUi();
    const r = await runRunbook({ ...base, runbook: book(steps), ui, dryRun: true });

    assert.equal(r.status, 'succeeded');
    assert.equal(r.dryRun, true);
    assert.deepEqual(calls, []);
    assert.equal(ui.requests.length, 0);
    assert.deepEqual(r.steps.map((s) => s.status), ['skipped', 'skipped', 'skipped']);
    assert.deepEqual(r.steps[0].actions, [{ kind: 'sql', cluster: 'source', statements: ["SELECT 'a'"] }]);
    assert.match(r.steps[1].message ?? '', /needs the subscription/);
    const printed = ui.logs.join('\n');
    assert.match(printed, /SELECT 'a';/);
    assert.match(printed, /SELECT 'c';/);
    const events = await readJournal(r.journalFile);
    assert.equal(events[0].type === 'run-started' && events[0].dryRun, true);
    assert.ok(!events.some((e) => e.type === 'decision'));
  });

  it('asks according to risk: read-only nothing, reversible confirm, disruptive modal, destructive typed', async () => {
    const calls: Calls = [];
    const ui = new RecordingUi();
    const steps = (['read-only', 'reversible', 'disruptive', 'destructive'] as const).map((risk, i) => step(`s${i}`, calls, { risk }));
    const r = await runRunbook({ ...base, runbook: book(steps), ui });
    assert.equal(r.status, 'succeeded');
    assert.deepEqual(ui.requests.map((q) => [q.stepId, q.level, q.typedConfirmation]), [
      ['s1', 'confirm', undefined], ['s2', 'modal', undefined], ['s3', 'typed', 'destructive'],
    ]);
    assert.deepEqual(ui.requests[0].actions, [{ kind: 'sql', cluster: 'source', statements: ["SELECT 's1'"] }]);
    const decisions = (await readJournal(r.journalFile)).filter((e) => e.type === 'decision');
    assert.equal(decisions.length, 3);
  });

  it('a declined step pauses the run (journaled decision); a resume asks again and goes on from there', async () => {
    const calls: Calls = [];
    let decline = true;
    const ui = new RecordingUi((q) => !(q.stepId === 'b' && decline));
    const rb = book(['a', 'b', 'c'].map((id) => step(id, calls)));
    const first = await runRunbook({ ...base, runbook: rb, ui });
    assert.equal(first.status, 'paused');
    assert.deepEqual(calls, ['execute:a']);
    assert.deepEqual(first.steps.map((s) => s.status), ['succeeded', 'pending', 'pending']);
    const events = await readJournal(first.journalFile);
    assert.ok(events.some((e) => e.type === 'decision' && e.stepId === 'b' && !e.confirmed && e.by === 'tester'));
    assert.equal(events.at(-1)?.type, 'run-paused');

    decline = false;
    const second = await runRunbook({ ...base, runbook: rb, ui, runId: first.runId });
    assert.equal(second.status, 'succeeded');
    assert.equal(second.runId, first.runId);
    assert.deepEqual(calls, ['execute:a', 'execute:b', 'execute:c']);
    assert.ok((await readJournal(first.journalFile)).some((e) => e.type === 'run-resumed'));
  });

  it('resume: a step started but not finished re-runs, and isDone() skips work already in place', async () => {
    const calls: Calls = [];
    const runId = 'resume-unit-1';
    const file = journalPath(dir, runId);
    const pre: JournalEvent[] = [
      { type: 'run-started', ts: new Date().toISOString(), runId, runbook: 'fake', clusters: [], params: {}, operator: 'tester', dryRun: false },
      { type: 'step-started', ts: new Date().toISOString(), stepId: 'a', title: 'Step a', risk: 'reversible', actions: [] },
      { type: 'step-finished', ts: new Date().toISOString(), stepId: 'a', status: 'succeeded', durationMs: 3, outputs: { rows: 7 } },
      { type: 'step-started', ts: new Date().toISOString(), stepId: 'b', title: 'Step b', risk: 'reversible', actions: [] },
    ];
    for (const e of pre) await appendEvent(file, e);
    let seenOutputs: unknown;
    const rb = book([
      step('a', calls),
      step('b', calls, { isDone: async () => { calls.push('isDone:b'); return true; } }),
      step('c', calls, { isDone: async () => false, execute: async (ctx) => { seenOutputs = ctx.outputsOf('a'); calls.push('execute:c'); return { status: 'succeeded' }; } }),
    ]);
    const r = await runRunbook({ ...base, runbook: rb, ui: new RecordingUi(), runId });
    assert.equal(r.status, 'succeeded');
    assert.deepEqual(calls, ['isDone:b', 'execute:c']);
    assert.deepEqual(r.steps.map((s) => s.status), ['succeeded', 'skipped', 'succeeded']);
    assert.deepEqual(seenOutputs, { rows: 7 });
  });

  it('a failing step stops the run with its rollback hint; precondition and verify failures fail before/after', async () => {
    const calls: Calls = [];
    const failing = book([step('a', calls), step('b', calls, { execute: async () => { throw new Error('duplicate key'); } }), step('c', calls)]);
    const r = await runRunbook({ ...base, runbook: failing, ui: new RecordingUi() });
    assert.equal(r.status, 'failed');
    assert.match(r.message ?? '', /Step b.*duplicate key.*Rollback: undo b/);
    assert.deepEqual(calls, ['execute:a']);
    const fin = (await readJournal(r.journalFile)).find((e) => e.type === 'step-finished' && e.stepId === 'b');
    assert.equal(fin?.type === 'step-finished' && fin.rollbackHint, 'undo b');

    const calls2: Calls = [];
    const ui2 = new RecordingUi();
    const pre = await runRunbook({ ...base, ui: ui2, runbook: book([step('p', calls2, { precondition: async () => ({ ok: false, message: 'wal_level is replica', findings: [{ id: 'wal_level', severity: 'error', message: 'wal_level', fix: 'set it to logical' }] }) })]) });
    assert.equal(pre.status, 'failed');
    assert.match(pre.message ?? '', /precondition not met.*nothing was changed.*wal_level is replica/);
    assert.deepEqual(calls2, []);
    assert.equal(ui2.requests.length, 0, 'no confirmation is asked for a step whose precondition fails');

    const ver = await runRunbook({ ...base, ui: new RecordingUi(), runbook: book([step('v', calls2, { verify: async () => ({ ok: false, message: '3 tables not ready' }) })]) });
    assert.equal(ver.status, 'failed');
    assert.equal(ver.steps[0].status, 'failed');
    assert.match(ver.message ?? '', /verification failed: 3 tables not ready/);
  });

  it('an optional step that is declined is skipped and the run goes on', async () => {
    const calls: Calls = [];
    const ui = new RecordingUi((q) => q.stepId !== 'probe');
    const r = await runRunbook({ ...base, ui, runbook: book([step('a', calls), step('probe', calls, { optional: true }), step('c', calls)]) });
    assert.equal(r.status, 'succeeded');
    assert.deepEqual(calls, ['execute:a', 'execute:c']);
    assert.equal(r.steps[1].status, 'skipped');
  });

  it('cancellation: the signal reaches the step, the run stops between steps with status aborted', async () => {
    const calls: Calls = [];
    const ac = new AbortController();
    const rb = book([
      step('a', calls),
      step('wait', calls, {
        execute: (ctx) => new Promise<StepOutcome>((resolve) => {
          calls.push('execute:wait');
          ctx.signal.addEventListener('abort', () => resolve({ status: 'aborted', message: 'stopped waiting' }));
          setTimeout(() => ac.abort(), 20);
        }),
      }),
      step('c', calls),
    ]);
    const r = await runRunbook({ ...base, ui: new RecordingUi(), runbook: rb, signal: ac.signal });
    assert.equal(r.status, 'aborted');
    assert.deepEqual(calls, ['execute:a', 'execute:wait']);
    assert.deepEqual(r.steps.map((s) => s.status), ['succeeded', 'aborted', 'pending']);
  });

  it('until / only: Run Next Step and Run Step… run just that much, the run stays paused until all is done', async () => {
    const calls: Calls = [];
    const rb = book(['a', 'b', 'c', 'd'].map((id) => step(id, calls)));
    const ui = new RecordingUi();
    const r1 = await runRunbook({ ...base, ui, runbook: rb, until: 'b' });
    assert.equal(r1.status, 'paused');
    const r2 = await runRunbook({ ...base, ui, runbook: rb, runId: r1.runId, only: 'd' });
    assert.equal(r2.status, 'paused');
    const r3 = await runRunbook({ ...base, ui, runbook: rb, runId: r1.runId });
    assert.equal(r3.status, 'succeeded');
    assert.deepEqual(calls, ['execute:a', 'execute:b', 'execute:d', 'execute:c']);
    const again = await runRunbook({ ...base, ui, runbook: rb, runId: r1.runId });
    assert.equal(again.status, 'succeeded');
    assert.equal(calls.length, 4, 'a finished run is not run again');
  });

  it('never journals a secret: a canary password from the cluster, params and outputs are scrubbed', async () => {
    const CANARY = 'Canary-d41d8cd98f';
    const ui = new RecordingUi();
    const rb: RunbookDefinition = {
      id: 'fake', title: 'Fake', roles: ['source'],
      steps: [step('sub', [], {
        clusters: ['source'],
        plan: async (ctx) => [{ kind: 'sql', cluster: 'target', statements: [`CREATE SUBSCRIPTION "s" CONNECTION '${ctx.connection('source')} password=${await ctx.password('source')}' PUBLICATION "p"`] }],
      })],
    };
    const r = await runRunbook({
      ...base, ui, runbook: rb, dryRun: true, params: { note: `pw ${CANARY}`, password: 'params-secret' },
      clusters: { source: { name: 'src', connection: 'host=127.0.0.1 port=1 dbname=app user=app', password: async () => CANARY } },
    });
    assert.equal(r.status, 'succeeded');
    const journal = readFileSync(r.journalFile, 'utf8');
    for (const text of [journal, ui.logs.join('\n'), JSON.stringify(r)]) {
      assert.ok(!text.includes(CANARY) && !text.includes('params-secret'), text);
    }
    assert.match(journal, /password=\*{8}/);
  });

  it('an unexpected error (a dialog that throws) fails the run and is journaled', async () => {
    const calls: Calls = [];
    const ui = new RecordingUi();
    ui.confirm = async () => { throw new Error('the dialog went away'); };
    const r = await runRunbook({ ...base, ui, runbook: book([step('a', calls)]) });
    assert.equal(r.status, 'failed');
    assert.match(r.message ?? '', /the dialog went away/);
    assert.deepEqual(calls, []);
    const last = (await readJournal(r.journalFile)).at(-1);
    assert.equal(last?.type === 'run-finished' && last.status, 'failed');
  });

  it('an explicit step waits for finish: the run succeeds without it, a resume with finish runs it', async () => {
    const calls: Calls = [];
    const steps = [step('a', calls), step('finish-me', calls, { explicit: true })];
    const r = await runRunbook({ ...base, runbook: book(steps), ui: new RecordingUi() });
    assert.equal(r.status, 'succeeded', r.message);
    assert.match(r.message ?? '', /left until someone asks for it/);
    assert.deepEqual(calls, ['execute:a']);
    assert.equal(r.steps.find((s) => s.id === 'finish-me')?.status, 'pending');
    const again = await runRunbook({ ...base, runbook: book(steps), ui: new RecordingUi(), runId: r.runId });
    assert.match(again.message ?? '', /already succeeded/);
    assert.deepEqual(calls, ['execute:a'], 'a plain resume does not run it');
    const fin = await runRunbook({ ...base, runbook: book(steps), ui: new RecordingUi(), runId: r.runId, finish: true });
    assert.equal(fin.status, 'succeeded', fin.message);
    assert.deepEqual(calls, ['execute:a', 'execute:finish-me']);
  });

  it('checkpoints are journaled durably before the step goes on, and a later attempt reads them', async () => {
    const seen: string[][] = [];
    let fail = true;
    const steps = [step('s', [], {
      execute: async (ctx) => {
        seen.push(ctx.checkpointsOf('s').map((c) => `${c.name}:${String(c.data?.n)}`));
        await ctx.checkpoint('commit', { n: seen.length });
        const onDisk = readFileSync(journalPath(dir, ctx.runId), 'utf8');
        assert.match(onDisk, /"type":"checkpoint","ts":"[^"]+","stepId":"s","name":"commit"/, 'on disk when checkpoint() returns');
        if (fail) { fail = false; return { status: 'failed', message: 'first attempt' }; }
        return { status: 'succeeded' };
      },
    })];
    const r = await runRunbook({ ...base, runbook: book(steps), ui: new RecordingUi() });
    assert.equal(r.status, 'failed');
    const again = await runRunbook({ ...base, runbook: book(steps), ui: new RecordingUi(), runId: r.runId });
    assert.equal(again.status, 'succeeded', again.message);
    assert.deepEqual(seen, [[], ['commit:1']]);
  });

  it('a step whose plan is empty has nothing to confirm and is not asked about', async () => {
    const calls: Calls = [];
    const ui = new RecordingUi(() => false);
    const r = await runRunbook({ ...base, ui, runbook: book([step('noop', calls, { risk: 'destructive', plan: async () => [] })]) });
    assert.equal(r.status, 'succeeded');
    assert.equal(ui.requests.length, 0);
    assert.deepEqual(calls, ['execute:noop']);
  });

  it('aborted while a confirmation is open: the step never runs and the run is aborted, not paused', async () => {
    const calls: Calls = [];
    const ac = new AbortController();
    const ui = new RecordingUi();
    ui.confirm = async () => {
      setTimeout(() => ac.abort(), 10);
      await new Promise((r) => ac.signal.addEventListener('abort', r));
      return { confirmed: false, by: 'tester' };
    };
    const r = await runRunbook({ ...base, ui, signal: ac.signal, runbook: book([step('a', calls), step('b', calls)]) });
    assert.equal(r.status, 'aborted');
    assert.deepEqual(calls, []);
    assert.equal(r.steps[0].status, 'aborted');
  });
});
