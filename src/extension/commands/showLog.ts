import type { CommandContext } from './context';

/** PG Upgrade: Show Log. Reveals the "PG Upgrade Pilot" output channel. */
export function showLog(ctx: CommandContext): void {
  ctx.services.log.show(true);
}
