/**
 * The "Schema drift" section (issue 9): what differs between the source's and the target's catalogs, each difference
 * with the DDL to run on the target (copyable), "apply stopped by DDL" when the apply worker stopped on it. The host
 * compares (on demand, when the apply stops, at a bounded interval); this only shows.
 */
import type { DriftView, WebviewMessage } from '../../src/core/protocol/dashboard';
import { h, replaceChildren, setText } from './dom';
import { L } from './i18n';

const HEADLINE: Record<DriftView['status'], string> = {
  none: 'Source and target schemas agree.',
  differs: 'The schemas differ; the replication is not affected.',
  breaks: 'The schemas differ in ways that stop the apply once a change reaches them: run the DDL below on the target.',
  'apply-stopped': 'Apply stopped by DDL: the source changed its schema and the target lacks it. Run the DDL below on the target; the apply goes on by itself.',
};

export class DriftSection {
  readonly el = h('div', { class: 'drift' });
  private readonly headline = h('div', { class: 'drift-headline', role: 'status' }, L('Not compared yet.'));
  private readonly when = h('span', { class: 'muted drift-when' });
  private readonly checkButton = h('vscode-button', { secondary: true, class: 'drift-check' }, L('Compare now'));
  private readonly copyAll = h('vscode-button', { secondary: true, class: 'drift-copy-all' }, L('Copy all DDL'));
  private readonly list = h('ol', { class: 'drift-items' });

  constructor(private readonly post: (m: WebviewMessage) => void) {
    this.checkButton.addEventListener('click', () => this.post({ type: 'checkDrift' }));
    this.copyAll.addEventListener('click', () => this.post({ type: 'copyDrift' }));
    this.copyAll.hidden = true;
    this.el.append(this.headline, h('div', { class: 'drift-actions' }, this.checkButton, this.copyAll, this.when), this.list);
  }

  update(d: DriftView): void {
    this.el.dataset.status = d.error ? 'error' : d.status;
    setText(this.headline, d.error ? `${L('The schemas could not be compared:')} ${d.error}` : L(HEADLINE[d.status]));
    setText(this.when, `${L('compared')} ${new Date(d.checkedAt).toLocaleTimeString()} · ${d.tookMs} ms`);
    this.copyAll.hidden = !d.script;
    replaceChildren(this.list, d.items.map((item, i) => {
      const copy = item.ddl.length ? h('vscode-button', { secondary: true, class: 'drift-copy', 'data-index': i }, L('Copy')) : null;
      copy?.addEventListener('click', () => this.post({ type: 'copyDrift', index: i }));
      return h('li', { class: `drift-item${item.breaksReplication ? ' breaks' : ''}` },
        h('div', { class: 'drift-message' }, item.breaksReplication ? `${L('stops the apply')}: ` : '', item.message),
        item.ddl.length
          ? h('div', { class: 'drift-ddl-row' }, h('pre', { class: 'drift-ddl' }, item.ddl.join('\n')), copy)
          : h('div', { class: 'muted' }, L('No DDL: decide by hand.')));
    }));
  }
}
