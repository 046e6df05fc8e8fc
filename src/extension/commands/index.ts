/**
 * The explorer feature's command registry: one file per command, mapped to its id here; every registration is pushed
 * to the extension's subscriptions. Handlers accept optional arguments (a tree node, or a plain object for programmatic
 * use, see each file) and return the created/affected ids, so tests and other features can drive them without dialogs.
 */
import * as vscode from 'vscode';
import { errorMessage } from '../log';
import { addCluster } from './addCluster';
import { addPooler } from './addPooler';
import type { CommandContext, CommandHandler } from './context';
import { copyConnectionString } from './copyConnectionString';
import { copyName } from './copyName';
import { editCluster } from './editCluster';
import { forgetPassword } from './forgetPassword';
import { importLabClusters } from './importLabClusters';
import { markProduction } from './markProduction';
import { createDatabase } from './createDatabase';
import { openPsql } from './openPsql';
import { reenterPassword } from './reenterPassword';
import { refresh } from './refresh';
import { removeCluster } from './removeCluster';
import { removePooler } from './removePooler';
import { renameCluster } from './renameCluster';
import { retryConnection } from './retryConnection';
import { setPassword } from './setPassword';
import { showLog } from './showLog';
import { startLocalLab } from './startLocalLab';
import { testConnection } from './testConnection';
import { unmarkProduction } from './unmarkProduction';

export const COMMANDS: Readonly<Record<string, CommandHandler>> = {
  'pgUpgradePilot.addCluster': addCluster,
  'pgUpgradePilot.editCluster': editCluster,
  'pgUpgradePilot.renameCluster': renameCluster,
  'pgUpgradePilot.removeCluster': removeCluster,
  'pgUpgradePilot.testConnection': testConnection,
  'pgUpgradePilot.createDatabase': createDatabase,
  'pgUpgradePilot.copyConnectionString': copyConnectionString,
  'pgUpgradePilot.openPsql': openPsql,
  'pgUpgradePilot.refresh': refresh,
  'pgUpgradePilot.retryConnection': retryConnection,
  'pgUpgradePilot.setPassword': setPassword,
  'pgUpgradePilot.reenterPassword': reenterPassword,
  'pgUpgradePilot.forgetPassword': forgetPassword,
  'pgUpgradePilot.importLabClusters': importLabClusters,
  'pgUpgradePilot.markProduction': markProduction,
  'pgUpgradePilot.unmarkProduction': unmarkProduction,
  'pgUpgradePilot.startLocalLab': startLocalLab,
  'pgUpgradePilot.showLog': showLog,
  'pgUpgradePilot.copyName': copyName,
  'pgUpgradePilot.addPooler': addPooler,
  'pgUpgradePilot.removePooler': removePooler,
};

export function registerCommands(context: vscode.ExtensionContext, ctx: CommandContext): void {
  for (const [id, handler] of Object.entries(COMMANDS)) {
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        ctx.log.debug(id);
        try {
          return await handler(ctx, ...args);
        } catch (err) {
          ctx.log.error(`${id} failed: ${errorMessage(err)}`);
          throw err;
        }
      }),
    );
  }
}
