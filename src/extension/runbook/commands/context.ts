import type { Logger } from '../../log';
import type { ExtensionServices } from '../../services';
import type { RunController } from '../controller';
import type { RunStore } from '../runStore';

/** What every runbook command works with. */
export interface RunbookCommandContext {
  services: ExtensionServices;
  store: RunStore;
  controller: RunController;
  /** `[runbook]` logger. */
  log: Logger;
}

export type RunbookCommandHandler = (ctx: RunbookCommandContext, ...args: unknown[]) => unknown;
