/**
 * Many clients of one application reconnecting after the same outage: one of them probes the host list while the
 * others wait, then all reconnect at once — as a connection pool re-validates — instead of every client hammering
 * every server with connection attempts (each one a fork and a SCRAM exchange): on a small machine such a storm
 * slows down the switchover it is waiting for. The probing connection that gets through is handed to the first
 * waiting client, so the first commit after the outage does not wait for another connect.
 */
import type { Connected, Connector } from './loop';
import { sleep } from './timing';

const GIFT_TTL_MS = 1000;

export function sharedReconnect(connect: Connector, opts: { pauseMs: number; signal: AbortSignal }): Connector {
  let outage: Promise<void> | undefined;
  let gift: Connected | undefined;
  const drop = (c: Connected) => {
    if (gift !== c) return;
    gift = undefined;
    void c.client.end().catch(() => undefined);
  };
  opts.signal.addEventListener('abort', () => { if (gift) drop(gift); }, { once: true });
  const probeUntilUp = async (): Promise<void> => {
    while (!opts.signal.aborted) {
      await sleep(opts.pauseMs, opts.signal);
      if (opts.signal.aborted) return;
      try {
        const c = await connect();
        if (opts.signal.aborted) {
          await c.client.end().catch(() => undefined);
          return;
        }
        gift = c;
        setTimeout(() => drop(c), GIFT_TTL_MS).unref(); // nobody came for it
        return;
      } catch {
        // still down: keep probing
      }
    }
  };
  return async () => {
    if (outage) {
      await outage;
      if (gift) {
        const c = gift;
        gift = undefined;
        return c;
      }
    }
    try {
      return await connect();
    } catch (e) {
      outage ??= probeUntilUp().finally(() => { outage = undefined; });
      throw e;
    }
  };
}
