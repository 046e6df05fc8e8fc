/**
 * The runs of this VS Code installation, read from the journals in globalStorage (so a window reload finds them
 * again), plus which ones are executing in this window. The explorer lists them under each run's source cluster:
 *
 *   runs.runsForCluster(clusterId)  → RunView[] (newest first)
 *   runs.treeItem(run)              → the row to show (contextValue "pgUpgradePilotRun.<state>", opens the journal)
 *   runs.onDidChange(clusterId?)    → refresh that cluster's "Runs" node (undefined: every cluster)
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { JOURNAL_EXT } from '../../core/runbook/journal';
import { listRuns } from '../../core/runbook/summary';
import type { ClusterRole, RunSummary } from '../../core/runbook/types';
import { allRunbooks } from './runbooks';

const t = vscode.l10n.t;

/** Roles under which a run is listed in the explorer. */
export const SOURCE_ROLES: readonly ClusterRole[] = ['source', 'primary', 'server'];

/**
 * 'interrupted': the journal says running but no window runs it (crash): resumable like a paused run.
 * 'aborted': cancelled (Cancel, a window reload): resumable too. 'abandoned': given up with Abort Run: not offered.
 */
export type RunState = 'running' | 'interrupted' | 'paused' | 'succeeded' | 'failed' | 'aborted' | 'abandoned';

/** States from which Run Next Step / Run Step… go on. */
export const RESUMABLE_STATES: readonly RunState[] = ['paused', 'failed', 'interrupted', 'aborted'];

export interface RunView extends RunSummary {
  state: RunState;
  /** Title of the runbook (its id when it cannot be loaded). */
  title: string;
  nextStepTitle?: string;
  /** Executing in this window. */
  active: boolean;
  /** The question this run waits on (a confirmation, an acknowledgement): it is not working, it waits for you. */
  waitingFor?: string;
}

/** What the explorer passes back to the run commands (they accept any object with a runId). */
export interface RunNodeArg {
  runId: string;
  clusterId?: string;
}

export class RunStore implements vscode.Disposable {
  readonly journalDir: string;
  private readonly changed = new vscode.EventEmitter<string | undefined>();
  /** Fires with a cluster id (its runs changed) or undefined (reload everything). */
  readonly onDidChange = this.changed.event;
  private cache: Promise<RunView[]> | undefined;
  private readonly active = new Map<string, AbortController>();
  /** The open question of a run (PendingQuestions), set by the runbook feature. */
  waitingFor: (runId: string) => string | undefined = () => undefined;

  constructor(globalStorage: vscode.Uri) {
    this.journalDir = join(globalStorage.fsPath, 'runs');
  }

  dispose(): void {
    for (const a of this.active.values()) a.abort();
    this.changed.dispose();
  }

  /** Every run, newest first (journals read once, again after refresh()). */
  list(): Promise<RunView[]> {
    this.cache ??= this.load().catch((err) => {
      this.cache = undefined;
      throw err;
    });
    return this.cache;
  }

  async get(runId: string): Promise<RunView | undefined> {
    return (await this.list()).find((r) => r.runId === runId);
  }

  /** Runs whose source (or primary / server) was this cluster; dry runs included. */
  async runsForCluster(clusterId: string, roles: readonly ClusterRole[] = SOURCE_ROLES): Promise<RunView[]> {
    return (await this.list()).filter((r) => r.clusters.some((c) => c.id === clusterId && roles.includes(c.role)));
  }

  /** Runs that can go on (paused, failed, interrupted, cancelled) and are not executing here; never dry runs. */
  async resumable(): Promise<RunView[]> {
    return (await this.list()).filter((r) => !r.dryRun && !r.active && RESUMABLE_STATES.includes(r.state));
  }

  refresh(clusterId?: string): void {
    this.cache = undefined;
    this.changed.fire(clusterId);
  }

  // ---- runs executing in this window ----

  isActive(runId: string): boolean {
    return this.active.has(runId);
  }

  activeRunIds(): string[] {
    return [...this.active.keys()];
  }

  markActive(runId: string, abort: AbortController): void {
    this.active.set(runId, abort);
    this.refresh();
  }

  markDone(runId: string): void {
    this.active.delete(runId);
    this.refresh();
  }

  /** Asks a run executing here to stop (between steps; a step in a long wait stops too). */
  abortActive(runId: string): boolean {
    const a = this.active.get(runId);
    a?.abort();
    return !!a;
  }

  // ---- presentation ----

  treeItem(run: RunView): vscode.TreeItem {
    const item = new vscode.TreeItem(`${run.title}${run.dryRun ? t(' (dry run)') : ''}`, vscode.TreeItemCollapsibleState.None);
    item.id = `run/${run.runId}`;
    item.description = run.waitingFor
      ? t('waiting for your answer: {0}', run.waitingFor)
      : `${stateLabel(run.state)} · ${new Date(run.startedAt).toLocaleString()}`;
    item.tooltip = new vscode.MarkdownString([
      `**${run.title}** — ${stateLabel(run.state)}`,
      run.clusters.map((c) => `${c.role}: ${c.name} (${c.hosts})`).join('  \n'),
      run.nextStepTitle ? t('Next step: {0}', run.nextStepTitle) : '',
      run.message ?? '',
      t('Run {0}, started by {1}', run.runId, run.operator),
    ].filter(Boolean).join('\n\n'));
    item.iconPath = new vscode.ThemeIcon(run.waitingFor ? 'bell-dot' : stateIcon(run.state));
    item.contextValue = `pgUpgradePilotRun.${run.state}${run.dryRun ? '.dry' : ''}`;
    item.command = { command: 'pgUpgradePilot.openJournal', title: t('Open Journal'), arguments: [{ runId: run.runId } satisfies RunNodeArg] };
    return item;
  }

  private async load(): Promise<RunView[]> {
    // No journal yet (the common case): do not load the runbooks (and node-postgres with them).
    const names = await readdir(this.journalDir).catch(() => [] as string[]);
    if (!names.some((n) => n.endsWith(JOURNAL_EXT))) return [];
    const runbooks = await allRunbooks();
    const summaries = await listRuns(this.journalDir, runbooks);
    return summaries.map((s) => {
      const rb = runbooks.find((r) => r.id === s.runbook);
      const active = this.active.has(s.runId);
      const state: RunState = s.status === 'running' ? (active ? 'running' : 'interrupted') : s.abandoned ? 'abandoned' : s.status;
      const next = s.nextStepId ? rb?.steps.find((x) => x.id === s.nextStepId)?.title : undefined;
      return { ...s, state, active, waitingFor: active ? this.waitingFor(s.runId) : undefined, title: rb?.title ?? s.runbook, nextStepTitle: s.status === 'succeeded' ? undefined : next };
    });
  }
}

export function stateLabel(state: RunState): string {
  switch (state) {
    case 'running': return t('running');
    case 'interrupted': return t('interrupted');
    case 'paused': return t('paused');
    case 'succeeded': return t('succeeded');
    case 'failed': return t('failed');
    case 'aborted': return t('aborted');
    case 'abandoned': return t('abandoned');
  }
}

function stateIcon(state: RunState): string {
  switch (state) {
    case 'running': return 'sync~spin';
    case 'interrupted': return 'debug-disconnect';
    case 'paused': return 'debug-pause';
    case 'succeeded': return 'pass';
    case 'failed': return 'error';
    case 'aborted': return 'debug-stop';
    case 'abandoned': return 'circle-slash';
  }
}
