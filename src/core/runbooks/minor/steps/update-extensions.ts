import type { StepDefinition, StepOutcome } from '../../../runbook/types';
import { messageOf } from '../../../hosts/wait';
import { WRITABLE_SESSION } from '../../logical/statements';
import { databasesOf, STEP, type Ctx } from '../context';
import { forEachDatabase } from '../databases';
import type { MinorUpgradeParams } from '../params';
import { alterExtensionUpdateSql, outdated, readExtensions, type ExtensionState } from '../queries';

async function behind(ctx: Ctx): Promise<ExtensionState[]> {
  const dbs = await databasesOf(ctx);
  return (await forEachDatabase(ctx, 'server', dbs, (db, q) => readExtensions(q, db))).flat().filter(outdated);
}

export const updateExtensionsStep: StepDefinition<MinorUpgradeParams> = {
  id: STEP.extensions,
  title: 'Update extensions to the versions the new binaries bring',
  why:
    'A new release can ship a newer version of an extension (its SQL objects); the shared library is already the new one, ' +
    'so the SQL side should follow: ALTER EXTENSION … UPDATE, in every database where it is installed. Downgrade scripts ' +
    'rarely exist, so this is the point after which going back to the old binaries needs care.',
  kind: 'sql',
  clusters: ['server'],
  risk: 'disruptive',
  async plan(ctx) {
    if (!ctx.params.updateExtensions) return [{ kind: 'wait', cluster: 'server', description: 'nothing: updateExtensions is off' }];
    const list = await behind(ctx);
    if (!list.length) return [{ kind: 'wait', cluster: 'server', description: 'nothing: every extension is at the default version the binaries offer' }];
    const byDb = new Map<string, string[]>();
    for (const e of list) byDb.set(e.database, [...(byDb.get(e.database) ?? []), `${alterExtensionUpdateSql(e.name)}  -- ${e.installed} → ${e.available}`]);
    return [...byDb].map(([db, statements]) => ({ kind: 'sql' as const, cluster: 'server' as const, statements: [`-- in database ${db}`, ...statements] }));
  },
  async isDone(ctx) {
    return !ctx.params.updateExtensions || (await behind(ctx)).length === 0;
  },
  async execute(ctx): Promise<StepOutcome> {
    const list = await behind(ctx);
    const updated: string[] = [];
    const failed: string[] = [];
    const dbs = [...new Set(list.map((e) => e.database))];
    await forEachDatabase(ctx, 'server', dbs, async (db, q) => {
      await q.query(WRITABLE_SESSION); // the server may be in read-only mode
      for (const e of list.filter((x) => x.database === db)) {
        try {
          await q.query(alterExtensionUpdateSql(e.name));
          const v = (await q.query<{ v: string }>('SELECT extversion AS v FROM pg_extension WHERE extname = $1', [e.name])).rows[0]?.v;
          updated.push(`${db}.${e.name} ${e.installed} → ${v}`);
        } catch (err) {
          failed.push(`${db}.${e.name}: ${messageOf(err)}`);
        }
      }
    });
    const outputs = { updated, failed };
    if (failed.length) return { status: 'failed', outputs, message: `${failed.length} extension update(s) failed: ${failed.join(' | ')}` };
    return { status: 'succeeded', outputs, message: `${updated.length} extension(s) updated: ${updated.join(', ')}` };
  },
  async verify(ctx) {
    const left = await behind(ctx);
    return left.length ? { ok: false, message: `still behind: ${left.map((e) => `${e.database}.${e.name} ${e.installed}`).join(', ')}` } : { ok: true };
  },
  rollbackHint: 'ALTER EXTENSION … UPDATE TO \'<old version>\' works only where the extension ships a downgrade script; otherwise restore the database from the backup.',
};
