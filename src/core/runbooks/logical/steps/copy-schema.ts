import { discoverClientTools, runPipeline, selectDumpTool, selectPsql, type ClientTool, type ToolInvocation } from '../../../tools';
import type { CheckResult, PlannedAction, StepContext, StepDefinition, StepOutcome } from '../../../runbook/types';
import type { LogicalUpgradeParams, TableName } from '../params';
import { display, existingTables, tableKey } from '../queries';
import { loadScope } from '../scope';
import { versionOf, majorOf } from '../session';
import { MASK } from '../statements';

type Ctx = StepContext<LogicalUpgradeParams>;

interface SchemaState {
  /** Tables of the source that hold rows in scope (a partition implies its parent) and which of them the target has. */
  wanted: TableName[];
  present: TableName[];
  missing: TableName[];
}

async function schemaState(ctx: Ctx): Promise<SchemaState> {
  const src = await ctx.db('source');
  const v = await versionOf(ctx, 'source');
  // The whole database schema is copied; what must be there afterwards is every table the run replicates.
  const { scope } = await loadScope(src, v, ctx.params);
  const wanted: TableName[] = [...scope.tables, ...scope.unlogged].map((t) => ({ schema: t.schema, name: t.name }));
  const have = await existingTables(await ctx.db('target'));
  const present = wanted.filter((t) => have.has(tableKey(t)));
  const missing = wanted.filter((t) => !have.has(tableKey(t)));
  return { wanted, present, missing };
}

interface Tools {
  dump: ClientTool;
  psql: ClientTool;
  /** pg_dump --no-owner: the target user is not a superuser (a managed admin) and cannot give objects to other roles. */
  noOwner: boolean;
}

async function chooseTools(ctx: Ctx): Promise<Tools> {
  const tools = await discoverClientTools(['pg_dump', 'psql'], { clientToolsPath: ctx.params.clientToolsPath });
  const dump = selectDumpTool(tools, 'pg_dump', await majorOf(ctx, 'source'), await majorOf(ctx, 'target'));
  const tgt = await ctx.db('target');
  const noOwner = (await tgt.query<{ s: boolean }>("SELECT current_setting('is_superuser') = 'on' AS s")).rows[0].s !== true;
  return { dump, psql: selectPsql(tools, dump.version.major), noOwner };
}

function invocations(ctx: Ctx, t: Tools, passwords: { source?: string; target?: string }): [ToolInvocation, ToolInvocation] {
  const env = (pw: string | undefined, extra: Record<string, string> = {}) => ({ PGAPPNAME: 'pg-upgrade-pilot', ...extra, ...(pw ? { PGPASSWORD: pw } : {}) });
  return [
    {
      path: t.dump.path,
      args: [
        '--schema-only', '--no-publications', '--no-subscriptions', ...(t.noOwner ? ['--no-owner'] : []), '--format=plain', '--no-password',
        `--dbname=${ctx.connection('source')}`,
      ],
      env: env(passwords.source),
    },
    {
      path: t.psql.path,
      args: ['--no-psqlrc', '--no-password', '--quiet', '--set=ON_ERROR_STOP=1', '--single-transaction', `--dbname=${ctx.connection('target')}`],
      // our restore session may write even if the target is already frozen (read-only by default)
      env: env(passwords.target, { PGOPTIONS: '-c default_transaction_read_only=off' }),
    },
  ];
}

function masked(inv: ToolInvocation): Record<string, string> | undefined {
  if (!inv.env) return undefined;
  return Object.fromEntries(Object.entries(inv.env).map(([k, v]) => [k, k === 'PGPASSWORD' ? MASK : v]));
}

export const copySchemaStep: StepDefinition<LogicalUpgradeParams> = {
  id: 'copy-schema',
  title: 'Copy the schema to the target (pg_dump --schema-only | psql)',
  why:
    'Logical replication carries rows, not DDL: every table must exist on the target, with the same columns, before the ' +
    'subscription copies data. The dump is loaded in one transaction with ON_ERROR_STOP, so it either all lands or nothing ' +
    'does; a target that already has the tables is only checked.',
  kind: 'host',
  clusters: ['source', 'target'],
  risk: 'reversible',
  async plan(ctx) {
    const state = await schemaState(ctx);
    if (state.missing.length === 0) {
      return [{ kind: 'wait', cluster: 'target', description: `all ${state.wanted.length} table(s) already exist on the target: nothing to copy` }];
    }
    if (!ctx.params.copySchema) {
      return [{ kind: 'manual', cluster: 'target', instructions: `create the schema on the target (copySchema is off); missing: ${state.missing.map(display).join(', ')}` }];
    }
    let tools: Tools;
    try {
      tools = await chooseTools(ctx);
    } catch (err) {
      return [{ kind: 'manual', cluster: 'target', instructions: (err as Error).message }];
    }
    const [dump, psql] = invocations(ctx, tools, { source: MASK, target: MASK });
    return [
      { kind: 'host', cluster: 'source', argv: [dump.path, ...dump.args], env: masked(dump) },
      { kind: 'host', cluster: 'target', argv: ['|', psql.path, ...psql.args], env: masked(psql) },
    ] satisfies PlannedAction[];
  },
  async isDone(ctx) {
    return (await schemaState(ctx)).missing.length === 0;
  },
  async precondition(ctx): Promise<CheckResult> {
    const state = await schemaState(ctx);
    if (state.present.length > 0) {
      return {
        ok: false,
        message: `the target already has ${state.present.length} of the ${state.wanted.length} tables (${state.present.slice(0, 10).map(display).join(', ')}${state.present.length > 10 ? ' …' : ''}) but not ${state.missing.map(display).slice(0, 10).join(', ')}${state.missing.length > 10 ? ' …' : ''}; restoring the whole schema over them would fail half-way. Drop those tables on the target, or create the missing ones yourself (this step then only checks).`,
      };
    }
    if (!ctx.params.copySchema) {
      return { ok: false, message: `copySchema is off and the target lacks ${state.missing.length} table(s) (${state.missing.slice(0, 10).map(display).join(', ')}); create the schema on the target first` };
    }
    try {
      await chooseTools(ctx);
    } catch (err) {
      return { ok: false, message: (err as Error).message };
    }
    return { ok: true };
  },
  async execute(ctx): Promise<StepOutcome> {
    const tools = await chooseTools(ctx);
    const passwords = { source: await ctx.password('source'), target: await ctx.password('target') };
    const [dump, psql] = invocations(ctx, tools, passwords);
    ctx.ui.progress(`pg_dump ${tools.dump.version.text} --schema-only | psql ${tools.psql.version.text}`);
    await runPipeline(dump, psql, { signal: ctx.signal, secrets: [passwords.source, passwords.target] });
    const state = await schemaState(ctx);
    return {
      status: 'succeeded',
      message: `schema loaded with pg_dump ${tools.dump.version.text} (${tools.dump.path})${tools.noOwner ? '; --no-owner: the target user owns every object (it is not a superuser)' : ''}`,
      outputs: { pgDump: tools.dump.path, pgDumpVersion: tools.dump.version.text, psql: tools.psql.path, tables: state.wanted.length, noOwner: tools.noOwner },
    };
  },
  async verify(ctx) {
    const state = await schemaState(ctx);
    return state.missing.length === 0 ? { ok: true } : { ok: false, message: `still missing on the target: ${state.missing.map(display).join(', ')}` };
  },
  rollbackHint: 'The restore ran in one transaction: if it failed, nothing was created. To undo a completed copy, drop the restored objects on the target (or recreate the target database).',
};
