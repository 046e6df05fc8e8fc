/**
 * The manual executor's face in VS Code: a host step asks the operator to run commands on the server's host and to
 * confirm once they ran (ConfirmRequest whose title starts with MANUAL_HOST_TITLE_PREFIX). Offered: copy the
 * commands, paste them into a terminal (not executed: the operator connects to the host first, e.g. ssh), Done, Pause.
 * VsCodeRunnerUi.confirm can hand such requests to confirmManualHost (typed confirmation stays with the caller).
 */
import * as vscode from 'vscode';
import { MANUAL_HOST_TITLE_PREFIX } from '../../core/hosts/manual';
import { renderActions } from '../../core/runbook/render';
import type { ConfirmRequest } from '../../core/runbook/types';

const t = vscode.l10n.t;

export function isManualHostRequest(req: ConfirmRequest): boolean {
  return req.title.startsWith(MANUAL_HOST_TITLE_PREFIX);
}

/** The commands as shell lines (quoted words), instructions as comments: what the operator pastes. */
export function manualHostScript(req: ConfirmRequest): string {
  const where = req.clusters.map((c) => `${c.role}: ${c.name} (${c.hosts})`).join(', ');
  return [`# ${req.title}`, `# ${where}`, ...renderActions(req.actions).filter((l) => !l.startsWith('# on the '))].join('\n') + '\n';
}

/** Paste into a terminal named after the host, without pressing Enter. */
export function pasteIntoTerminal(req: ConfirmRequest): void {
  const name = t('PG Upgrade: {0} host', req.clusters[0]?.name ?? 'server');
  const term = vscode.window.terminals.find((x) => x.name === name) ?? vscode.window.createTerminal({ name });
  term.show(false);
  term.sendText(manualHostScript(req), false);
}

/** Done / Copy Commands / Paste into Terminal / Pause; true once the operator says the commands ran. */
export async function confirmManualHost(req: ConfirmRequest, onReshow?: (listener: () => void) => () => void): Promise<boolean> {
  const done = t('Done');
  const copy = t('Copy Commands');
  const paste = t('Paste into Terminal');
  const pause = t('Pause');
  for (;;) {
    // not modal: the operator needs the terminal while this waits
    const count = req.actions.filter((a) => a.kind === 'host').length;
    // the notification may slide into the notification centre: "show it again" (status bar, Run Next Step) raises a new one
    let stop: (() => void) | undefined;
    const again = new Promise<'again'>((resolve) => { stop = onReshow?.(() => resolve('again')); });
    const answer = await Promise.race([vscode.window.showWarningMessage(
      t('{0} ({1} command(s): Copy Commands or Paste into Terminal, run them on the host, then Done)', req.title, count),
      done, copy, paste, pause,
    ), again]);
    stop?.();
    if (answer === 'again') continue;
    if (answer === copy) {
      await vscode.env.clipboard.writeText(manualHostScript(req));
      continue;
    }
    if (answer === paste) {
      pasteIntoTerminal(req);
      continue;
    }
    return answer === done;
  }
}
