/** The runbook feature's command registry: one file per command, each registration pushed to the subscriptions. */
import * as vscode from 'vscode';
import { errorMessage } from '../../log';
import { abortRun } from './abortRun';
import { addNote } from './addNote';
import { applyFixCommand } from './applyFix';
import type { RunbookCommandContext, RunbookCommandHandler } from './context';
import { dryRun } from './dryRun';
import { finishUpgrade } from './finishUpgrade';
import { openJournal } from './openJournal';
import { runNextStep } from './runNextStep';
import { runPgbench } from './runPgbench';
import { runStep } from './runStep';
import { startLogicalUpgrade } from './startLogicalUpgrade';
import { startMinorUpgrade } from './startMinorUpgrade';
import { startProbe } from './startProbe';
import { startRollingSwitchover } from './startRollingSwitchover';

export const RUNBOOK_COMMANDS: Readonly<Record<string, RunbookCommandHandler>> = {
  'pgUpgradePilot.startLogicalUpgrade': startLogicalUpgrade,
  'pgUpgradePilot.startRollingSwitchover': startRollingSwitchover,
  'pgUpgradePilot.startMinorUpgrade': startMinorUpgrade,
  'pgUpgradePilot.runPgbench': runPgbench,
  'pgUpgradePilot.startProbe': startProbe,
  'pgUpgradePilot.runNextStep': runNextStep,
  'pgUpgradePilot.runStep': runStep,
  'pgUpgradePilot.dryRun': dryRun,
  'pgUpgradePilot.abortRun': abortRun,
  'pgUpgradePilot.finishUpgrade': finishUpgrade,
  'pgUpgradePilot.addNote': addNote,
  'pgUpgradePilot.openJournal': openJournal,
  'pgUpgradePilot.applyFix': applyFixCommand,
};

export function registerRunbookCommands(ctx: RunbookCommandContext): void {
  for (const [id, handler] of Object.entries(RUNBOOK_COMMANDS)) {
    ctx.services.context.subscriptions.push(vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      ctx.log.debug(id);
      try {
        return await handler(ctx, ...args);
      } catch (err) {
        ctx.log.error(`${id} failed: ${errorMessage(err)}`);
        throw err;
      }
    }));
  }
}
