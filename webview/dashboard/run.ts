/** The run's part of the dashboard: its steps with status and timings, "Run next step", the record, operator notes. */
import { formatDuration } from '../../src/core/catalog/format';
import type { RunView, WebviewMessage } from '../../src/core/protocol/dashboard';
import { h, replaceChildren, setText } from './dom';
import { L } from './i18n';
import { RunStatusView } from './runStatus';
import { SimpleTable } from './sections';

const STATUS_LABEL: Record<string, string> = {
  pending: L('pending'), running: L('running'), succeeded: L('succeeded'), failed: L('failed'), skipped: L('skipped'), aborted: L('aborted'),
};

function time(iso?: string): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString();
}

export class RunPanel {
  readonly el: HTMLElement;
  private readonly summary = h('div', { class: 'run-summary' });
  private readonly steps = new SimpleTable(['#', L('Step'), L('Status'), L('Started'), L('Finished'), L('Duration'), L('Confirmed by')], ['5%', '35%', '12%', '11%', '11%', '10%', '16%']);
  private readonly status: RunStatusView;
  private readonly nextButton = h('vscode-button', { class: 'run-next' }, L('Run next step'));
  private readonly nextHint = h('span', { class: 'run-next-hint' });
  private readonly exportButton = h('vscode-button', { secondary: true, class: 'export-record' }, L('Export upgrade record'));
  private readonly notes = h('ul', { class: 'notes' });
  private readonly noteInput = h('vscode-textarea', { rows: 2, placeholder: 'A note for the run journal and the upgrade record (never a password)', class: 'note-input' });
  private readonly noteButton = h('vscode-button', { secondary: true, class: 'add-note' }, L('Add note'));
  private run: RunView | undefined;

  constructor(private readonly post: (m: WebviewMessage) => void) {
    this.status = new RunStatusView(post);
    this.nextButton.addEventListener('click', () => {
      if (!this.run || this.nextButton.hasAttribute('disabled')) return;
      this.nextButton.setAttribute('disabled', '');
      setText(this.nextHint, 'confirm in the dialog…');
      this.post({ type: 'runNextStep', runId: this.run.runId });
    });
    this.exportButton.addEventListener('click', () => this.run && this.post({ type: 'exportRecord', runId: this.run.runId }));
    this.noteButton.addEventListener('click', () => {
      const input = this.noteInput as HTMLElement & { value: string };
      const text = input.value.trim();
      if (!this.run || !text) return;
      this.post({ type: 'addNote', runId: this.run.runId, text });
      input.value = '';
    });
    this.el = h('div', { class: 'run-panel' },
      this.summary,
      this.status.el,
      h('div', { class: 'run-actions' }, this.nextButton, this.nextHint, this.exportButton),
      this.steps.el,
      h('h3', {}, L('Operator notes')),
      this.notes,
      h('div', { class: 'note-form' }, this.noteInput, this.noteButton));
  }

  update(run: RunView): void {
    this.run = run;
    setText(this.summary, `${run.title} · run ${run.runId} · ${run.status}${run.dryRun ? ' (dry run)' : ''} · started ${new Date(run.startedAt).toLocaleString()} by ${run.operator}${run.message ? ` · ${run.message}` : ''}`);
    this.summary.dataset.status = run.status;
    const next = run.steps.find((s) => s.id === run.nextStepId);
    const finished = run.status === 'succeeded' || run.status === 'aborted';
    this.status.update(run);
    const can = !run.busy && !run.waitingFor && !run.dryRun && !finished && !!next && run.status !== 'running';
    if (can) this.nextButton.removeAttribute('disabled');
    else this.nextButton.setAttribute('disabled', '');
    setText(this.nextButton, next ? `${L('Run next step')}: ${next.title}` : L('Run next step'));
    // never "running" while the run only waits for the operator (the banner above has the button for that)
    setText(this.nextHint, run.waitingFor ? '' : run.busy ? L('a step is running…') : run.status === 'running' ? L('a step is running…') : finished ? `run ${run.status}` : !next ? L('every step is done') : '');
    this.steps.setRows(run.steps.map((s, i) => [
      String(i + 1), s.title, STATUS_LABEL[s.status] ?? s.status, time(s.startedAt), time(s.finishedAt),
      s.durationMs === undefined ? '' : formatDuration(s.durationMs / 1000), s.confirmedBy ?? '',
    ]), run.steps.map((s) => `step-${s.status}${s.id === run.nextStepId ? ' step-next' : ''}`));
    replaceChildren(this.notes, run.notes.length
      ? run.notes.map((nt) => h('li', {}, h('span', { class: 'note-meta' }, `${new Date(nt.ts).toLocaleString()}${nt.by ? ` · ${nt.by}` : ''}`), ' ', nt.text))
      : [h('li', { class: 'muted' }, L('No note yet.'))]);
  }
}
