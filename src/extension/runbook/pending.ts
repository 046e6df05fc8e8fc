/**
 * The question a run is waiting on (a confirmation, an acknowledgement), so it is never invisible: while it is open a
 * status-bar item says so (warning colour, click = show it again), the run's progress says "waiting for your answer"
 * instead of the step, the dashboard pins a banner, and Run Next Step brings it back instead of "no run to continue".
 */
import * as vscode from 'vscode';

const t = vscode.l10n.t;

export interface PendingQuestion {
  runId: string;
  stepId: string;
  /** "Create the publication" / "Acknowledge 2 warning(s) of …" */
  title: string;
  since: number;
  /** Shows the question again (focuses the input box, re-raises the notification). */
  reshow(): void;
}

export const SHOW_PENDING_COMMAND = 'pgUpgradePilot.showPendingQuestion';

export class PendingQuestions implements vscode.Disposable {
  private readonly open = new Map<string, PendingQuestion>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly item: vscode.StatusBarItem;

  constructor() {
    this.item = vscode.window.createStatusBarItem('pgUpgradePilot.pendingQuestion', vscode.StatusBarAlignment.Left, 1000);
    this.item.name = t('PG Upgrade: question waiting for your answer');
    this.item.command = SHOW_PENDING_COMMAND;
    this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
  }

  /** Registers an open question; the returned function closes it (call it once answered). */
  add(q: Omit<PendingQuestion, 'since'>): () => void {
    const entry: PendingQuestion = { ...q, since: Date.now() };
    this.open.set(q.runId, entry);
    this.update();
    return () => {
      if (this.open.get(q.runId) === entry) this.open.delete(q.runId);
      this.update();
    };
  }

  get(runId?: string): PendingQuestion | undefined {
    if (runId) return this.open.get(runId);
    return [...this.open.values()].at(-1);
  }

  list(): PendingQuestion[] {
    return [...this.open.values()];
  }

  /** Shows the pending question of that run (or the latest); false when none is open. */
  reshow(runId?: string): boolean {
    const q = this.get(runId);
    q?.reshow();
    return !!q;
  }

  dispose(): void {
    this.item.dispose();
    this.changed.dispose();
  }

  private update(): void {
    const q = this.get();
    if (q) {
      this.item.text = `$(bell-dot) ${t('PG Upgrade: waiting for your answer — {0}', q.title)}`;
      this.item.tooltip = t('Run {0} is waiting for your answer and does nothing until you give it. Click to show the question.', q.runId);
      this.item.show();
    } else {
      this.item.hide();
    }
    this.changed.fire();
  }
}
