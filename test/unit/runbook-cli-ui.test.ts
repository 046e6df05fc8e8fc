import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PassThrough } from 'node:stream';
import { TerminalUi } from '../../src/cli/ui';
import type { ConfirmRequest } from '../../src/core/runbook/types';

const req = (over: Partial<ConfirmRequest> = {}): ConfirmRequest => ({
  runId: 'r', stepId: 's', title: 'Create publication', why: 'the source publishes its tables', risk: 'reversible', level: 'confirm',
  actions: [{ kind: 'sql', cluster: 'source', statements: ['CREATE PUBLICATION "pgpilot_upgrade" FOR ALL TABLES'] }],
  clusters: [{ role: 'source', name: 'orders-14', hosts: 'db1:5432', production: false }],
  ...over,
});

function terminal(answer: string | undefined, o: Partial<ConstructorParameters<typeof TerminalUi>[0]> = {}) {
  const input = new PassThrough();
  const err = new PassThrough();
  const out = new PassThrough();
  let errText = '';
  err.on('data', (d) => { errText += d; });
  const ui = new TerminalUi({ yes: false, interactive: true, json: false, operator: 'alice', input, err, out, ...o });
  if (answer !== undefined) setTimeout(() => input.write(`${answer}\n`), 20);
  return { ui, text: () => errText };
}

describe('terminal confirmations (CLI)', () => {
  it('shows the statements and runs the step only on y/yes', async () => {
    const yes = terminal('y');
    assert.deepEqual(await yes.ui.confirm(req()), { confirmed: true, by: 'alice' });
    assert.match(yes.text(), /CREATE PUBLICATION "pgpilot_upgrade" FOR ALL TABLES;/);
    assert.match(yes.text(), /Run this step\? \[y\/N\]/);
    assert.equal((await terminal('').ui.confirm(req())).confirmed, false);
    assert.equal((await terminal('n').ui.confirm(req())).confirmed, false);
  });

  it('asks for the cluster name for a destructive or production step and accepts only that', async () => {
    const typed = req({ risk: 'disruptive', level: 'typed', typedConfirmation: 'orders-14' });
    const wrong = terminal('y');
    assert.equal((await wrong.ui.confirm(typed)).confirmed, false);
    assert.match(wrong.text(), /Type the cluster name "orders-14"/);
    assert.equal((await terminal('orders-14').ui.confirm(typed)).confirmed, true);
  });

  it('without a terminal it refuses (the run pauses); with --yes it confirms everything', async () => {
    const none = terminal(undefined, { interactive: false });
    assert.equal((await none.ui.confirm(req())).confirmed, false);
    assert.match(none.text(), /pass --yes/);
    const auto = terminal(undefined, { yes: true, interactive: false });
    assert.deepEqual(await auto.ui.confirm(req({ typedConfirmation: 'orders-14', level: 'typed' })), { confirmed: true, by: 'alice (--yes)' });
  });
});
