import { promises as fs } from 'node:fs';
import { resolveConn, parseConnString } from '../../../conn';
import { privateFileCommands } from '../../../hosts/commands';
import { runHostBatch } from '../../../hosts/context';
import { pgpassLine } from '../../../lab/conf';
import { quoteLiteral } from '../../../sql';
import type { PlannedAction, StepDefinition, StepOutcome } from '../../../runbook/types';
import { pairHost, rejoinFor, STEP, type Ctx, type RejoinConninfo } from '../context';
import type { RollingSwitchoverParams } from '../params';

export function setPrimaryConninfoSql(conninfo: string): string {
  return `ALTER SYSTEM SET primary_conninfo = ${quoteLiteral(conninfo)}`;
}

async function state(ctx: Ctx) {
  const host = await pairHost(ctx, 'primary');
  const rejoin = await rejoinFor(ctx, host);
  return { host, rejoin };
}

/** Our password for the new primary serves the rejoin only when the rejoin connects as our user. */
async function rejoinPassword(ctx: Ctx, rejoin: RejoinConninfo): Promise<string | undefined> {
  const ours = await resolveConn(parseConnString(ctx.connection('standby')));
  return ours.user === rejoin.user ? ctx.password('standby') : undefined;
}

function passfileNote(rejoin: RejoinConninfo): PlannedAction {
  return {
    kind: 'manual', cluster: 'primary',
    instructions: `make sure the password file of the OS user running the primary (${rejoin.passfile ?? '~/.pgpass, e.g. /var/lib/postgresql/.pgpass'}, mode 0600) has the line ` +
      `${rejoin.host}:${rejoin.port}:*:${rejoin.user}:<password> — the primary will reach the new primary with it after the switchover (no password is written into postgresql.auto.conf)`,
  };
}

export const prepareRejoinStep: StepDefinition<RollingSwitchoverParams> = {
  id: STEP.prepareRejoin,
  title: 'Prepare the primary\'s way back as a standby (primary_conninfo, password file)',
  why:
    'After the switchover the old primary becomes a standby of the new one. Its primary_conninfo is set now, while it is ' +
    'up and a plain ALTER SYSTEM does it (a primary ignores the setting), so that the rebuild only restores files and ' +
    'starts it. The password stays in a 0600 password file (passfile=), never in postgresql.auto.conf.',
  kind: 'sql',
  clusters: ['primary'],
  risk: 'reversible',
  async plan(ctx) {
    const { host, rejoin } = await state(ctx);
    const actions: PlannedAction[] = [];
    if (host.executor === 'local' && rejoin.passfile) actions.push(...privateFileCommands(host, rejoin.passfile), { kind: 'wait', cluster: 'primary', description: `standard input of dd: ${rejoin.host}:${rejoin.port}:*:${rejoin.user}:******** (the password is never an argument)` });
    else actions.push(passfileNote(rejoin));
    actions.push({ kind: 'sql', cluster: 'primary', statements: [setPrimaryConninfoSql(rejoin.primaryConninfo), 'SELECT pg_reload_conf()'] });
    return actions;
  },
  async isDone(ctx) {
    const { host, rejoin } = await state(ctx);
    const r = await (await ctx.db('primary')).query<{ v: string }>("SELECT current_setting('primary_conninfo') AS v");
    if (r.rows[0].v !== rejoin.primaryConninfo) return false;
    if (host.executor !== 'local' || !rejoin.passfile) return true;
    return fs.stat(rejoin.passfile).then((st) => st.size > 0, () => false);
  },
  async execute(ctx): Promise<StepOutcome> {
    const { host, rejoin } = await state(ctx);
    const outputs: Record<string, unknown> = { primaryConninfo: rejoin.primaryConninfo, passfile: rejoin.passfile ?? null };
    if (host.executor === 'local' && rejoin.passfile) {
      const password = await rejoinPassword(ctx, rejoin);
      if (password === undefined) {
        return { status: 'failed', outputs, message: `no password is known for ${rejoin.user} on the new primary: write ${rejoin.passfile} yourself (mode 0600, owner of the data directory) with the line ${rejoin.host}:${rejoin.port}:*:${rejoin.user}:<password>` };
      }
      await runHostBatch(ctx, {
        stepId: STEP.prepareRejoin, role: 'primary', risk: 'reversible', title: `write the password file ${rejoin.passfile}`,
        why: 'The rejoined standby reads its password from this file.', actions: privateFileCommands(host, rejoin.passfile),
        inputs: { 1: pgpassLine(rejoin.host, rejoin.port, rejoin.user, password) },
      }, [password]);
      outputs.passfileWritten = true;
    } else {
      // manual host: the operator sees the note in the step's confirmation; nothing to run here
      outputs.passfileWritten = false;
    }
    const db = await ctx.db('primary');
    await db.query(setPrimaryConninfoSql(rejoin.primaryConninfo));
    await db.query('SELECT pg_reload_conf()');
    return { status: 'succeeded', outputs, message: `primary_conninfo set on the primary (used once it rejoins as a standby): ${rejoin.primaryConninfo}` };
  },
  rollbackHint: 'ALTER SYSTEM RESET primary_conninfo; SELECT pg_reload_conf(); on the primary (a primary ignores it anyway), and remove the password file if this run wrote it.',
};
