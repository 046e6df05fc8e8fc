/**
 * The VS Code face of RunnerUi. Confirmation scaled to the engine's level:
 *   confirm  (reversible)   non-modal message with "Show Statements" / "Run" / "Pause"
 *   modal    (disruptive)   modal warning listing the statements
 *   typed    (destructive or production)  an InputBox that accepts only the cluster's name, with a Show Statements button
 * Progress goes to the run's withProgress notification, log lines to the output channel.
 */
import * as vscode from 'vscode';
import { typedAnswerMatches } from '../../core/runbook/confirm';
import { renderActions } from '../../core/runbook/render';
import type { ConfirmRequest, RunnerUi } from '../../core/runbook/types';
import type { Logger } from '../log';
import { confirmManualHost, isManualHostRequest } from './hostSteps';

const t = vscode.l10n.t;
const MAX_DETAIL_LINES = 10;
const MAX_WHY_CHARS = 280;

export interface ProgressSink {
  report(value: { message?: string; increment?: number }): void;
}

export class VsCodeRunnerUi implements RunnerUi {
  private lastFraction = 0;
  private sink: ProgressSink | undefined;
  private signal: AbortSignal | undefined;

  constructor(private readonly logger: Logger, private readonly operator: string) {}

  /** The withProgress reporter of the run in flight, and its abort signal (an open question then gives up). */
  attach(sink: ProgressSink | undefined, signal?: AbortSignal): void {
    this.sink = sink;
    this.signal = signal;
    this.lastFraction = 0;
  }

  async confirm(req: ConfirmRequest): Promise<{ confirmed: boolean; by?: string }> {
    this.logger.info(`confirmation asked (${req.level ?? req.risk}): ${req.title}`);
    const asked = isManualHostRequest(req)
      // commands the operator runs on a host: the name first when required, then Done once they ran
      ? (req.typedConfirmation === undefined ? Promise.resolve(true) : this.typed(req, req.typedConfirmation))
        .then((ok) => ok && confirmManualHost(req))
      : req.typedConfirmation !== undefined
        ? this.typed(req, req.typedConfirmation)
        : req.level === 'modal' || req.risk === 'disruptive'
          ? this.modal(req)
          : this.simple(req);
    const confirmed = await Promise.race([asked, this.aborted()]);
    const how = this.signal?.aborted ? 'not answered (the run was aborted)' : confirmed ? `confirmed by ${this.operator}` : `declined by ${this.operator}`;
    this.logger.info(`${req.title}: ${how}`);
    return { confirmed, by: this.operator };
  }

  progress(message: string, fraction?: number): void {
    if (!this.sink) return;
    let increment: number | undefined;
    if (fraction !== undefined) {
      const pct = Math.max(0, Math.min(100, fraction * 100));
      increment = pct > this.lastFraction ? pct - this.lastFraction : undefined;
      this.lastFraction = Math.max(this.lastFraction, pct);
    }
    this.sink.report({ message, increment });
  }

  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    this.logger[level](message);
  }

  /** Resolves false when the run is aborted (a notification cannot be withdrawn; its answer is then ignored). */
  private aborted(): Promise<boolean> {
    const signal = this.signal;
    if (!signal) return new Promise<boolean>(() => undefined);
    if (signal.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => signal.addEventListener('abort', () => resolve(false), { once: true }));
  }

  private async simple(req: ConfirmRequest): Promise<boolean> {
    const run = t('Run');
    const show = t('Show Statements');
    const pause = t('Pause');
    for (;;) {
      const answer = await vscode.window.showInformationMessage(
        t('PG Upgrade: run "{0}" on {1}? ({2} statement(s), reversible)', req.title, clusterNames(req), statementCount(req)),
        run, show, pause,
      );
      if (answer === show) {
        await showStatements(req);
        continue;
      }
      return answer === run;
    }
  }

  private async modal(req: ConfirmRequest): Promise<boolean> {
    const run = t('Run');
    const show = t('Show Statements');
    for (;;) {
      const answer = await vscode.window.showWarningMessage(
        t('Disruptive step: {0}', req.title),
        { modal: true, detail: detailOf(req) },
        run, show,
      );
      if (answer === show) {
        await showStatements(req);
        continue;
      }
      return answer === run;
    }
  }

  private typed(req: ConfirmRequest, expected: string): Promise<boolean> {
    const production = req.clusters.some((c) => c.production && c.name === expected);
    return new Promise<boolean>((resolve) => {
      const box = vscode.window.createInputBox();
      box.title = production ? t('Production cluster: {0}', req.title) : t('Destructive step: {0}', req.title);
      box.prompt = t('Type the cluster name "{0}" to run this step ({1}). Esc pauses the run.', expected, req.risk);
      box.placeholder = expected;
      box.ignoreFocusOut = true;
      const showButton: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('list-unordered'), tooltip: t('Show Statements') };
      box.buttons = [showButton];
      let settled = false;
      const finish = (value: boolean) => {
        if (settled) return;
        settled = true;
        resolve(value);
        box.dispose();
      };
      box.onDidChangeValue((v) => {
        box.validationMessage = v && !typedAnswerMatches(expected, v) ? t('Type "{0}" exactly', expected) : undefined;
      });
      box.onDidTriggerButton(() => void showStatements(req));
      box.onDidAccept(() => {
        if (typedAnswerMatches(expected, box.value)) finish(true);
        else box.validationMessage = t('Type "{0}" exactly', expected);
      });
      box.onDidHide(() => finish(false));
      this.signal?.addEventListener('abort', () => box.hide(), { once: true });
      box.show();
    });
  }
}

function clusterNames(req: ConfirmRequest): string {
  return req.clusters.map((c) => c.name).join(', ') || '-';
}

function statementCount(req: ConfirmRequest): number {
  return req.actions.reduce((n, a) => n + (a.kind === 'sql' ? a.statements.length : 1), 0);
}

/** A modal's detail must fit on a small screen (the web workbench does not scroll it): a preview, then Show Statements. */
function detailOf(req: ConfirmRequest): string {
  const lines = renderActions(req.actions).flatMap((l) => l.split('\n'));
  const shown = lines.length > MAX_DETAIL_LINES
    ? [...lines.slice(0, MAX_DETAIL_LINES), t('… {0} more lines: choose Show Statements to see them all', lines.length - MAX_DETAIL_LINES)]
    : lines;
  const why = req.why.length > MAX_WHY_CHARS ? `${req.why.slice(0, MAX_WHY_CHARS).replace(/\s+\S*$/, '')} …` : req.why;
  const where = req.clusters.map((c) => `${c.role}: ${c.name} (${c.hosts})${c.production ? ' [production]' : ''}`).join('\n');
  return [why, where, shown.join('\n')].filter(Boolean).join('\n\n');
}

/** The statements in an untitled SQL document beside the editor (nothing runs from it). */
async function showStatements(req: ConfirmRequest): Promise<void> {
  const header = [`${req.title} [${req.risk}]`, req.why, ...req.clusters.map((c) => `${c.role}: ${c.name} (${c.hosts})${c.production ? ' [production]' : ''}`)];
  const content = [...header.map((l) => `-- ${l}`), '', ...renderActions(req.actions), ''].join('\n');
  const doc = await vscode.workspace.openTextDocument({ language: 'sql', content });
  await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside, preserveFocus: true });
}
