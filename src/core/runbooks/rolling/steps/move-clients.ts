import { performance } from 'node:perf_hooks';
import { connect, formatEndpoint, parseConnString, resolveConn } from '../../../conn';
import { messageOf, sleep } from '../../../hosts/wait';
import type { StepDefinition, StepOutcome } from '../../../runbook/types';
import { STEP, type Ctx } from '../context';
import type { RollingSwitchoverParams } from '../params';

const LAND_TIMEOUT_MS = 30_000;

/** Where the clients' connection string lands now: host:port, and whether that server takes writes. */
async function landing(ctx: Ctx, connection: string): Promise<{ host: string; writable: boolean }> {
  const password = await ctx.password('standby');
  const { client, endpoint } = await connect(await resolveConn(parseConnString(connection)), {
    password: password !== undefined ? async () => password : undefined, signal: ctx.signal, applicationName: 'pg-upgrade-pilot-check',
  });
  try {
    const r = await client.query<{ ro: string; rec: boolean }>("SELECT current_setting('transaction_read_only') AS ro, pg_is_in_recovery() AS rec");
    return { host: formatEndpoint(endpoint), writable: r.rows[0].ro === 'off' && r.rows[0].rec === false };
  } finally {
    await client.end().catch(() => undefined);
  }
}

export const moveClientsStep: StepDefinition<RollingSwitchoverParams> = {
  id: STEP.moveClients,
  title: 'Move the clients to the new primary',
  why:
    'Applications must now reach the new primary. With libpq\'s multi-host connection string (host=old,new ' +
    'target_session_attrs=read-write, seed 001) they move by themselves: the old primary refuses read-write sessions. ' +
    'With a virtual IP or a DNS name, the operator moves it now (and restarts connection pools if needed). The step ' +
    'checks, with the clients\' connection string when it is given, that it really lands on the new primary.',
  kind: 'manual',
  clusters: ['primary', 'standby'],
  risk: 'reversible',
  async plan(ctx) {
    const p = ctx.params;
    const to = ctx.cluster('standby').hosts;
    const from = ctx.cluster('primary').hosts;
    if (p.clientConnection) {
      return [{ kind: 'wait', cluster: 'standby', description: `connect with the clients' connection string (${p.clientConnection}) until it lands on ${to}, writable (up to ${LAND_TIMEOUT_MS / 1000} s)` }];
    }
    return [{
      kind: 'manual', cluster: 'standby',
      instructions: `point the applications at the new primary ${to}: move the virtual IP or DNS name from ${from} to it (e.g. ip addr del VIP dev IF on the old host, ip addr add VIP dev IF on the new one) and restart the connection pools if they do not reconnect by themselves; confirm when done`,
    }];
  },
  async execute(ctx): Promise<StepOutcome> {
    const probe = (ctx.outputsOf(STEP.switchover)?.probe ?? null) as Record<string, unknown> | null;
    const outputs: Record<string, unknown> = { probeMovedTo: probe?.toHost ?? null };
    if (!ctx.params.clientConnection) {
      outputs.moved = 'by the operator';
      return { status: 'succeeded', outputs, message: 'the operator moved the clients (VIP / DNS / configuration)' };
    }
    const want = ctx.cluster('standby').hosts;
    const t0 = performance.now();
    let last = '';
    for (;;) {
      try {
        const l = await landing(ctx, ctx.params.clientConnection);
        last = `${l.host}${l.writable ? '' : ' (read-only)'}`;
        if (l.writable && l.host === want) {
          Object.assign(outputs, { moved: 'multi-host connection string', landedOn: l.host, checkMs: Math.round(performance.now() - t0) });
          return { status: 'succeeded', outputs, message: `the clients' connection string lands on the new primary ${l.host}` };
        }
      } catch (err) {
        last = messageOf(err);
      }
      if (performance.now() - t0 > LAND_TIMEOUT_MS || ctx.signal.aborted) {
        return { status: 'failed', outputs, message: `the clients' connection string does not reach the new primary ${want} (last: ${last}); fix the connection string (add the new primary, target_session_attrs=read-write)` };
      }
      await sleep(250, ctx.signal);
    }
  },
  rollbackHint: 'Point the clients back (VIP / DNS) — but only to a server that takes writes: the old primary is fenced and about to be rebuilt.',
};
