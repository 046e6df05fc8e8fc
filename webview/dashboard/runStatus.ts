/**
 * What a run is doing, on top of its steps: the phase strip (preparing → … → finished), a pinned banner while the run
 * waits for the operator's answer (with a button that shows the question again), the switchover's result (measured
 * window, lost commits), and the findings (errors, warnings with who acknowledged them).
 */
import { formatDuration } from '../../src/core/catalog/format';
import type { RunPhase, RunView, WebviewMessage } from '../../src/core/protocol/dashboard';
import { h, replaceChildren, setText } from './dom';
import { L } from './i18n';

const PHASES: [RunPhase, string][] = [
  ['preparing', 'preparing'], ['copying', 'copying'], ['catching-up', 'catching up'], ['ready', 'ready'],
  ['switched-over', 'switched over'], ['finished', 'finished'],
];

export class RunStatusView {
  readonly el: HTMLElement;
  private readonly phases = h('ol', { class: 'phases', 'aria-label': 'phase' });
  private readonly waiting = h('div', { class: 'waiting-banner', role: 'alert', hidden: true });
  private readonly waitingText = h('span', { class: 'waiting-text' });
  private readonly waitingButton = h('vscode-button', { class: 'show-question' }, L('Show the question'));
  private readonly result = h('div', { class: 'result-banner', hidden: true });
  private readonly findings = h('div', { class: 'findings', hidden: true });
  private runId = '';

  constructor(post: (m: WebviewMessage) => void) {
    this.waitingButton.addEventListener('click', () => this.runId && post({ type: 'showQuestion', runId: this.runId }));
    this.waiting.append(h('strong', {}, `${L('Waiting for your answer')}: `), this.waitingText, ' ', this.waitingButton,
      h('span', { class: 'muted' }, ` ${L('The run does nothing until you answer.')}`));
    for (const [id, label] of PHASES) this.phases.append(h('li', { 'data-phase': id }, L(label)));
    this.el = h('div', { class: 'run-status' }, this.phases, this.waiting, this.result, this.findings);
  }

  update(run: RunView): void {
    this.runId = run.runId;
    const current = PHASES.findIndex(([id]) => id === run.phase);
    this.phases.querySelectorAll('li').forEach((li, i) => {
      li.className = i < current ? 'done' : i === current ? 'current' : '';
      if (i === current) li.setAttribute('aria-current', 'step');
      else li.removeAttribute('aria-current');
    });
    document.body.dataset.phase = run.phase ?? '';

    this.waiting.hidden = !run.waitingFor;
    setText(this.waitingText, run.waitingFor ?? '');

    this.result.hidden = !run.result;
    if (run.result) {
      const r = run.result;
      replaceChildren(this.result, [
        h('strong', {}, L('Switchover result')), ' · ',
        `${L('Writes unavailable for')} `, h('span', { class: 'window' }, r.writeUnavailableMs === undefined ? L('not measured') : formatDuration(r.writeUnavailableMs / 1000)), ' · ',
        `${L('Lost commits')}: `, h('span', { class: 'lost' }, r.lostCommits === undefined ? L('not verified (no write probe ran)') : `${r.lostCommits} / ${r.ackedCommits ?? '?'}`),
      ]);
      this.result.dataset.lost = String(r.lostCommits ?? '');
    }

    const list = run.findings ?? [];
    this.findings.hidden = list.length === 0;
    replaceChildren(this.findings, list.length ? [
      h('h3', {}, `${L('Findings')} (${list.length})`),
      h('ul', {}, ...list.map((f) => h('li', { class: `finding finding-${f.severity}`, 'data-id': f.id },
        h('span', { class: 'finding-severity' }, L(f.severity)), ' ',
        f.message,
        f.fix ? h('div', { class: 'finding-fix' }, `${L('Fix:')} ${f.fix}`) : null,
        f.severity === 'warning'
          ? h('div', { class: 'finding-ack' }, f.acknowledgedBy ? `${L('acknowledged by')} ${f.acknowledgedBy} · ${new Date(f.acknowledgedAt ?? '').toLocaleString()}` : L('not acknowledged yet'))
          : null))),
    ] : []);
  }
}
