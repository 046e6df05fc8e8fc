import { demoCommand } from './demo';
import { labCommand } from './lab';
import { logicalUpgradeCommand } from './logical-upgrade';
import { minorUpgradeCommand } from './minor-upgrade';
import { probeCommand } from './probe';
import { rollingSwitchoverCommand } from './rolling-switchover';
import { schemaDriftCommand } from './schema-drift';

/** Registry of CLI commands: one file per command, listed here. */
export interface CliCommand {
  name: string;
  summary: string;
  help: string;
  run(args: string[]): Promise<number>;
}

export const commands: CliCommand[] = [labCommand, logicalUpgradeCommand, rollingSwitchoverCommand, minorUpgradeCommand, demoCommand, probeCommand, schemaDriftCommand];
