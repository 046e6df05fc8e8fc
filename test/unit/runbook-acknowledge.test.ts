/**
 * Findings as a decision (issue 15): a step that succeeded with warnings stops the run until each warning is
 * acknowledged; the acknowledgement is journaled with who and when; a refusal pauses before anything else runs, and a
 * resume asks again. Fake steps, no database (the engine's behaviour, not PostgreSQL's).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { unacknowledgedWarnings } from '../../src/core/runbook/acknowledge';
import { runRunbook } from '../../src/core/runbook/engine';
import { readJournal } from '../../src/core/runbook/journal';
import { summarizeRun } from '../../src/core/runbook/summary';
import type { AcknowledgeRequest, ConfirmRequest, Finding, RunbookDefinition, RunnerUi, StepDefinition } from '../../src/core/runbook/types';

const dir = mkdtempSync(join(tmpdir(), 'runbook-ack-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const identity: Finding = { id: 'replica-identity-insert-only', severity: 'warning', cluster: 'source', message: 'public.log has no replica identity', fix: 'ALTER TABLE "public"."log" REPLICA IDENTITY FULL' };
const unlogged: Finding = { id: 'unlogged-tables', severity: 'warning', cluster: 'source', message: '1 unlogged table' };
const info: Finding = { id: 'schema-present', severity: 'info', message: 'schema there' };

function book(calls: string[]): RunbookDefinition {
  const preflight: StepDefinition = {
    id: 'preflight', title: 'Preflight', why: 'w', kind: 'check', clusters: [], risk: 'read-only', rollbackHint: '',
    plan: async () => [], execute: async () => ({ status: 'succeeded', findings: [identity, unlogged, info] }),
  };
  const publish: StepDefinition = {
    id: 'publish', title: 'Publish', why: 'w', kind: 'sql', clusters: [], risk: 'reversible', rollbackHint: 'DROP PUBLICATION',
    plan: async () => [{ kind: 'sql', cluster: 'source', statements: ['CREATE PUBLICATION "p" FOR ALL TABLES'] }],
    execute: async () => { calls.push('publish'); return { status: 'succeeded' }; },
  };
  return { id: 'ack-fake', title: 'Fake', roles: [], steps: [preflight, publish] };
}

class AckUi implements RunnerUi {
  asked: AcknowledgeRequest[] = [];
  confirms: ConfirmRequest[] = [];
  constructor(private readonly yes: boolean) {}
  async acknowledge(req: AcknowledgeRequest) { this.asked.push(req); return { acknowledged: this.yes, by: 'alice' }; }
  async confirm(req: ConfirmRequest) { this.confirms.push(req); return { confirmed: true, by: 'alice' }; }
  progress(): void {}
  log(): void {}
}

describe('warnings need an acknowledgement before the run goes on', () => {
  it('a refused acknowledgement pauses before the next step runs; a resume asks again; yes is journaled per warning', async () => {
    const calls: string[] = [];
    const no = new AckUi(false);
    const first = await runRunbook({ runbook: book(calls), clusters: {}, params: {}, journalDir: dir, operator: 'alice', ui: no });
    assert.equal(first.status, 'paused');
    assert.deepEqual(calls, [], 'nothing ran after the unacknowledged warnings');
    assert.deepEqual(no.asked.map((r) => r.findings.map((f) => f.id)), [['replica-identity-insert-only', 'unlogged-tables']], 'warnings only, every one of them');
    assert.match(first.message ?? '', /not acknowledged.*paused before "Publish"/);
    assert.deepEqual(first.steps[0].findings?.map((f) => f.id), ['replica-identity-insert-only', 'unlogged-tables', 'schema-present']);

    const yes = new AckUi(true);
    const second = await runRunbook({ runbook: book(calls), clusters: {}, params: {}, journalDir: dir, operator: 'alice', ui: yes, runId: first.runId });
    assert.equal(second.status, 'succeeded', second.message);
    assert.equal(yes.asked.length, 1, 'asked again on resume');
    assert.deepEqual(calls, ['publish']);
    const events = await readJournal(second.journalFile);
    const acks = events.filter((e) => e.type === 'finding-acknowledged');
    assert.deepEqual(acks.map((e) => e.type === 'finding-acknowledged' && [e.stepId, e.findingId, e.by]), [
      ['preflight', 'replica-identity-insert-only', 'alice'], ['preflight', 'unlogged-tables', 'alice'],
    ]);
    assert.ok(acks.every((e) => e.type === 'finding-acknowledged' && !Number.isNaN(Date.parse(e.at))));
    assert.deepEqual(unacknowledgedWarnings(events), []);
    assert.equal(summarizeRun(events).acknowledgements?.length, 2);
    assert.equal(yes.confirms[0]?.undo, 'DROP PUBLICATION', 'the prompt says how to undo');
    assert.deepEqual(yes.confirms[0]?.effects, ['source: 1 SQL statement(s)']);
  });

  it('a UI without acknowledge() is asked through confirm(), listing each warning with its fix', async () => {
    const calls: string[] = [];
    const confirms: ConfirmRequest[] = [];
    const ui: RunnerUi = { async confirm(req) { confirms.push(req); return { confirmed: true, by: 'bob (--yes)' }; }, progress() {}, log() {} };
    const r = await runRunbook({ runbook: book(calls), clusters: {}, params: {}, journalDir: dir, operator: 'bob', ui });
    assert.equal(r.status, 'succeeded', r.message);
    assert.match(confirms[0].title, /Acknowledge 2 warning/);
    assert.ok(confirms[0].actions.some((a) => a.kind === 'manual' && a.instructions.includes('REPLICA IDENTITY FULL')));
    const acks = (await readJournal(r.journalFile)).filter((e) => e.type === 'finding-acknowledged');
    assert.ok(acks.every((e) => e.type === 'finding-acknowledged' && e.by === 'bob (--yes)'));
  });
});
