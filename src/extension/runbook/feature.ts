import type { ExtensionServices } from '../services';

/** Runbook commands (Start Logical Upgrade…, Run Next Step, Dry Run, Abort, Add Note) and runs in the explorer. */
export function registerRunbookFeature(_services: ExtensionServices): void {
  // filled in by the runbook feature
}
