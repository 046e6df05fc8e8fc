/**
 * The VS Code face of RunnerUi. Every question stays until it is answered (issue 15):
 *   confirm  (reversible)  a modal with the effects, one click (Run)
 *   modal    (disruptive)  a modal warning with the effects and the expected write outage
 *   typed    (destructive, or disruptive on production)  an InputBox that accepts only the cluster's name; hiding it
 *            (Esc, the palette) does not answer it: it stays pending until Run or "Pause the Run"
 *   acknowledge (warnings of a step)  one modal per warning (object, consequence, fix): Acknowledge, or the run pauses
 * While a question is open: PendingQuestions (status bar, dashboard banner, Run Next Step) and the progress
 * notification say "waiting for your answer". "Show Statements" fills the run's one virtual document; the question
 * then waits until the operator asks for it again (status bar, dashboard, Run Next Step).
 */
import * as vscode from 'vscode';
import { renderFindingsMarkdown } from '../../core/runbook/acknowledge';
import { typedAnswerMatches } from '../../core/runbook/confirm';
import { renderActionsWithPlace } from '../../core/runbook/statements-doc';
import type { AcknowledgeRequest, ConfirmRequest, RunnerUi } from '../../core/runbook/types';
import type { Logger } from '../log';
import { confirmManualHost, isManualHostRequest } from './hostSteps';
import type { PendingQuestions } from './pending';
import type { StatementsDocuments } from './statementsView';

const t = vscode.l10n.t;
const MAX_DETAIL_LINES = 6;
const MAX_LINE_CHARS = 110;
const MAX_WHY_CHARS = 200;
const MAX_UNDO_CHARS = 220;

export interface ProgressSink {
  report(value: { message?: string; increment?: number }): void;
}

type Answer = 'run' | 'show' | 'no';

export class VsCodeRunnerUi implements RunnerUi {
  private lastFraction = 0;
  private sink: ProgressSink | undefined;
  private signal: AbortSignal | undefined;
  private lastMessage = '';

  constructor(
    private readonly logger: Logger, private readonly operator: string,
    private readonly pending: PendingQuestions, private readonly statements: StatementsDocuments,
  ) {}

  /** The withProgress reporter of the run in flight, and its abort signal (an open question then gives up). */
  attach(sink: ProgressSink | undefined, signal?: AbortSignal): void {
    this.sink = sink;
    this.signal = signal;
    this.lastFraction = 0;
  }

  async confirm(req: ConfirmRequest): Promise<{ confirmed: boolean; by?: string }> {
    this.logger.info(`confirmation asked (${req.level ?? req.risk}): ${req.title}`);
    const confirmed = await this.whilePending(req.runId, req.stepId, req.title, (reshown) => this.askConfirm(req, reshown));
    const how = this.signal?.aborted ? 'not answered (the run was aborted)' : confirmed ? `confirmed by ${this.operator}` : `declined by ${this.operator}`;
    this.logger.info(`${req.title}: ${how}`);
    return { confirmed, by: this.operator };
  }

  async acknowledge(req: AcknowledgeRequest): Promise<{ acknowledged: boolean; by?: string }> {
    const title = t('Acknowledge {0} warning(s) of "{1}"', req.findings.length, req.stepTitle);
    this.logger.info(`acknowledgement asked: ${title}`);
    const acknowledged = await this.whilePending(req.runId, req.stepId, title, (reshown) => this.askAcknowledge(req, reshown));
    this.logger.info(`${title}: ${acknowledged ? `acknowledged by ${this.operator}` : `not acknowledged (the run pauses)`}`);
    return { acknowledged, by: this.operator };
  }

  progress(message: string, fraction?: number): void {
    this.lastMessage = message;
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

  /**
   * Registers the open question (status bar, dashboard, Run Next Step), says "waiting for your answer" in the
   * progress, and gives up when the run is aborted. `ask` receives a promise-maker resolving on the next reshow.
   */
  private async whilePending(runId: string, stepId: string, title: string, ask: (reshown: () => Promise<void>) => Promise<boolean>): Promise<boolean> {
    let wake: (() => void) | undefined;
    const listeners = new Set<() => void>();
    const reshown = () => new Promise<void>((resolve) => { wake = resolve; });
    const close = this.pending.add({
      runId, stepId, title,
      reshow: () => {
        const w = wake;
        wake = undefined;
        w?.();
        for (const l of listeners) l();
      },
    });
    this.onReshow = (l) => { listeners.add(l); return () => listeners.delete(l); };
    this.sink?.report({ message: t('waiting for your answer: {0}', title) });
    try {
      return await Promise.race([ask(reshown), this.aborted()]);
    } finally {
      close();
      this.onReshow = undefined;
      this.sink?.report({ message: this.lastMessage });
    }
  }

  /** Set while a question is open: the typed box and the manual host prompt listen for "show it again". */
  private onReshow: ((listener: () => void) => () => void) | undefined;

  /** Resolves false when the run is aborted (a notification cannot be withdrawn; its answer is then ignored). */
  private aborted(): Promise<boolean> {
    const signal = this.signal;
    if (!signal) return new Promise<boolean>(() => undefined);
    if (signal.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => signal.addEventListener('abort', () => resolve(false), { once: true }));
  }

  private async askConfirm(req: ConfirmRequest, reshown: () => Promise<void>): Promise<boolean> {
    if (isManualHostRequest(req)) {
      if (req.typedConfirmation !== undefined && !(await this.typed(req, req.typedConfirmation))) return false;
      return confirmManualHost(req, this.onReshow);
    }
    if (req.typedConfirmation !== undefined) return this.typed(req, req.typedConfirmation);
    for (;;) {
      const answer = req.level === 'modal' || req.risk === 'disruptive' ? await this.modal(req) : await this.simple(req);
      if (answer !== 'show') return answer === 'run';
      await this.statements.show(req);
      await reshown();
    }
  }

  /** Reversible: one click, the effects listed in the dialog itself. */
  private async simple(req: ConfirmRequest): Promise<Answer> {
    const run = t('Run');
    const show = t('Show Statements');
    const answer = await askModal('info', t('Run "{0}"? (reversible)', req.title), detailOf(req), run, show);
    return answer === run ? 'run' : answer === show ? 'show' : 'no';
  }

  /** Disruptive: a modal warning with the effects and the expected write outage. */
  private async modal(req: ConfirmRequest): Promise<Answer> {
    const run = t('Run');
    const show = t('Show Statements');
    const answer = await askModal('warning', t('Disruptive step: {0}', req.title), detailOf(req), run, show);
    return answer === run ? 'run' : answer === show ? 'show' : 'no';
  }

  /** Destructive or production: type the name. Hiding the box does not answer; "Pause the Run" declines. */
  private typed(req: ConfirmRequest, expected: string): Promise<boolean> {
    const production = req.clusters.some((c) => c.production && c.name === expected);
    return new Promise<boolean>((resolve) => {
      const box = vscode.window.createInputBox();
      box.title = production ? t('Production cluster: {0} ({1})', req.title, req.risk) : t('Destructive step: {0}', req.title);
      box.prompt = [
        t('Type the cluster name "{0}" to run this step.', expected),
        ...(req.effects ?? []).map((e) => t('Changes: {0}', e)),
        req.writeOutage ? t('Write outage: {0}', req.writeOutage) : '',
        req.undo ? t('Undo: {0}', req.undo) : '',
      ].filter(Boolean).join(' · ');
      box.placeholder = expected;
      box.ignoreFocusOut = true;
      const showButton: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('list-unordered'), tooltip: t('Show Statements') };
      const pauseButton: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('debug-pause'), tooltip: t('Pause the Run (decline this step)') };
      box.buttons = [showButton, pauseButton];
      let settled = false;
      const stopListening = this.onReshow?.(() => { if (!settled) box.show(); });
      const finish = (value: boolean) => {
        if (settled) return;
        settled = true;
        stopListening?.();
        resolve(value);
        box.dispose();
      };
      box.onDidChangeValue((v) => {
        box.validationMessage = v && !typedAnswerMatches(expected, v) ? t('Type "{0}" exactly', expected) : undefined;
      });
      box.onDidTriggerButton((b) => {
        if (b === pauseButton) finish(false);
        else void this.statements.show(req);
      });
      box.onDidAccept(() => {
        if (typedAnswerMatches(expected, box.value)) finish(true);
        else box.validationMessage = t('Type "{0}" exactly', expected);
      });
      // Esc or another quick input hid it: still pending (status bar, dashboard, Run Next Step show it again)
      box.onDidHide(() => undefined);
      this.signal?.addEventListener('abort', () => finish(false), { once: true });
      box.show();
    });
  }

  /** One modal per warning: what, on which server, the consequence and the fix. Anything but Acknowledge pauses. */
  private async askAcknowledge(req: AcknowledgeRequest, reshown: () => Promise<void>): Promise<boolean> {
    const ack = t('Acknowledge');
    const all = t('Show All Findings');
    for (let i = 0; i < req.findings.length;) {
      const f = req.findings[i];
      const where = f.cluster ? req.clusters.find((c) => c.role === f.cluster) : undefined;
      const answer = await askModal('warning',
        t('Warning {0} of {1} from "{2}": acknowledge it to go on', i + 1, req.findings.length, req.stepTitle),
        [
          f.message,
          f.fix ? t('Fix: {0}', f.fix) : '',
          where ? t('On the {0} {1} ({2})', where.role, where.name, where.hosts) : '',
          t('Not acknowledging pauses the run before anything else changes.'),
        ].filter(Boolean).join('\n\n'),
        ack, all,
      );
      if (answer === ack) {
        i++;
        continue;
      }
      if (answer !== all) return false;
      await this.statements.showMarkdown(req.runId, renderFindingsMarkdown(req.stepTitle, req.findings));
      await reshown();
    }
    return true;
  }
}

/**
 * A modal dialog; where the workbench refuses modal dialogs (an extension-test host: "refused to show dialog in
 * tests") the same question as a notification, which PendingQuestions keeps visible in the status bar.
 */
async function askModal(kind: 'info' | 'warning', message: string, detail: string, ...buttons: string[]): Promise<string | undefined> {
  const show = kind === 'info' ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
  try {
    return await show(message, { modal: true, detail }, ...buttons);
  } catch (err) {
    if (!/refused to show dialog/i.test(err instanceof Error ? err.message : String(err))) throw err;
    return show(`${message} — ${detail.split('\n')[0]}`, ...buttons);
  }
}

/**
 * A modal's detail must fit on a 900-pixel-high screen with its buttons (the web workbench does not scroll it): the
 * reason and the undo shortened, the effects, the outage, then a short preview of the statements (lines cut);
 * everything else is one click away in Show Statements.
 */
export function detailOf(req: ConfirmRequest): string {
  const lines = renderActionsWithPlace(req.actions, req.clusters).flatMap((l) => l.split('\n')).map((l) => shorten(l, MAX_LINE_CHARS));
  const max = req.writeOutage ? MAX_DETAIL_LINES / 2 : MAX_DETAIL_LINES; // the outage and undo take room
  const shown = lines.length > max
    ? [...lines.slice(0, max), t('… {0} more lines: choose Show Statements to see them all', lines.length - max)]
    : lines;
  const effects = req.effects?.length ? [t('Changes:'), ...req.effects.map((e) => `• ${e}`)].join('\n') : '';
  return [
    shorten(req.why, MAX_WHY_CHARS), effects,
    req.writeOutage ? t('Expected write outage: {0}', req.writeOutage) : '',
    req.undo ? t('How to undo: {0}', shorten(req.undo, MAX_UNDO_CHARS)) : '',
    shown.join('\n'),
  ].filter(Boolean).join('\n\n');
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max).replace(/\s+\S*$/, '')} …` : text;
}
