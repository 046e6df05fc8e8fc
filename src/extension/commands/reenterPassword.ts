import type { CommandContext } from './context';
import { retryConnection } from './retryConnection';
import { setPassword } from './setPassword';

/**
 * Re-enter Password (inline action and row of a cluster whose authentication failed; hidden from the palette): asks
 * for the password, stores it, reconnects. Returns the cluster id and the new status.
 */
export async function reenterPassword(ctx: CommandContext, arg?: unknown): Promise<Awaited<ReturnType<typeof retryConnection>>> {
  const id = await setPassword(ctx, arg);
  if (!id) return undefined;
  return retryConnection(ctx, { clusterId: id });
}

