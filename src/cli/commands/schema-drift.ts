/**
 * `pg-upgrade-pilot schema-drift`: compare the source's and the target's schema (tables, columns and types, enum labels,
 * domains, constraints, partitions, sequences) and the replicated set (every table in scope published, subscribed and
 * ready), printing each difference with the statements to run; `--apply` runs them.
 */
import { compareSchemas, type SchemaDrift } from '../../core/runbooks/logical/drift';
import { defaultLogicalUpgradeParams } from '../../core/runbooks/logical';
import { describeProblems, inspectReplicatedSet, replicatedSetFix, type ReplicatedSetState } from '../../core/runbooks/logical/replicated-set';
import { WRITABLE_SESSION_FIX } from '../../core/runbooks/logical/fixes';
import { asUsage, cannotStart, messageOf, readArgs, unknown, UsageError } from '../args';
import { clusterFromFlag, connectCluster } from '../connections';
import type { CliCommand } from './index';

const help = `Usage: pg-upgrade-pilot schema-drift --source CONN --target CONN [options]

Compares the source's and the target's catalogs during a logical upgrade and prints every difference that stops or
will stop the replication (a table, partition, column, enum label or domain missing on the target; a column type
changed) or that the application would notice (a constraint missing), each with the DDL to run on the TARGET. Then
checks the replicated set: every table in scope on the source must be in the publication, in the subscription and
ready; a table created during replication is named with the statements that add it.

Options:
  --source CONN, --target CONN   libpq connection strings (no password inside: PGPASSWORD or the password file).
  --publication NAME             The run's publication (default pgpilot_upgrade).
  --subscription NAME            The run's subscription (default pgpilot_upgrade).
  --schema NAME                  The run replicates only this schema (repeatable).
  --table SCHEMA.NAME            The run replicates only this table (repeatable).
  --apply                        Run the statements: the DDL on the target, ALTER PUBLICATION … ADD TABLE on the
                                 source, ALTER SUBSCRIPTION … REFRESH PUBLICATION on the target. Needs --yes.
  --yes                          Confirm --apply.
  --json                         Print the differences as JSON on stdout.
  -h, --help                     Show this help.

Exit status: 0 no difference, 1 differences found (or, with --apply, left) or a failure, 2 bad usage.
`;

interface Flags {
  source?: string;
  target?: string;
  publication?: string;
  subscription?: string;
  schemas: string[];
  tables: { schema: string; name: string }[];
  apply: boolean;
  yes: boolean;
  json: boolean;
}

function parse(args: string[]): Flags {
  const f: Flags = { schemas: [], tables: [], apply: false, yes: false, json: false };
  for (const { flag, value } of readArgs(args)) {
    switch (flag) {
      case '--source': f.source = value(); break;
      case '--target': f.target = value(); break;
      case '--publication': f.publication = value(); break;
      case '--subscription': f.subscription = value(); break;
      case '--schema': f.schemas.push(value()); break;
      case '--table': {
        const v = value();
        const dot = v.indexOf('.');
        if (dot <= 0 || dot === v.length - 1) throw new UsageError(`--table wants SCHEMA.NAME, got ${JSON.stringify(v)}`);
        f.tables.push({ schema: v.slice(0, dot), name: v.slice(dot + 1) });
        break;
      }
      case '--apply': f.apply = true; break;
      case '--yes': f.yes = true; break;
      case '--json': f.json = true; break;
      default: unknown(flag);
    }
  }
  if (!f.source) throw new UsageError('--source is required');
  if (!f.target) throw new UsageError('--target is required');
  if (f.apply && !f.yes) throw new UsageError('--apply changes both servers: add --yes to confirm');
  return f;
}

function report(drift: SchemaDrift, set: ReplicatedSetState, p: ReturnType<typeof defaultLogicalUpgradeParams>): string {
  const lines: string[] = [];
  lines.push(drift.items.length ? `Schema drift: ${drift.items.length} difference(s)` : 'Schema drift: none');
  for (const i of drift.items) {
    lines.push(`  - ${i.message}${i.breaksReplication ? ' [stops the replication]' : ''}`);
    for (const d of i.ddl) lines.push(`      on the target: ${d}`);
  }
  lines.push(set.problems.length ? `Replicated set: ${describeProblems(set.problems, p)}` : `Replicated set: all ${set.tablesInScope} table(s) in scope are published, subscribed and ready`);
  return `${lines.join('\n')}\n`;
}

async function run(args: string[]): Promise<number> {
  let f: Flags;
  let p: ReturnType<typeof defaultLogicalUpgradeParams>;
  try {
    f = parse(args);
    p = asUsage(() => defaultLogicalUpgradeParams({ publication: f.publication, subscription: f.subscription, schemas: f.schemas, tables: f.tables }));
  } catch (err) {
    return cannotStart('schema-drift', err);
  }
  let src;
  let tgt;
  try {
    src = await connectCluster(await clusterFromFlag('--source', f.source!, undefined, false), 'pg-upgrade-pilot schema-drift');
    tgt = await connectCluster(await clusterFromFlag('--target', f.target!, undefined, false), 'pg-upgrade-pilot schema-drift');
    let set = await inspectReplicatedSet(src, tgt, p);
    let drift = await compareSchemas(src, tgt, set.tables);
    if (f.apply && (drift.ddl.length || set.problems.length)) {
      if (drift.ddl.length) {
        // the target is frozen until the switchover: this session may write (set before BEGIN, or the transaction stays read-only)
        await tgt.query(WRITABLE_SESSION_FIX);
        await tgt.query('BEGIN');
        try {
          for (const d of drift.ddl) {
            if (/^ALTER TYPE .* ADD VALUE/.test(d)) continue; // cannot be used in the same transaction: run below
            await tgt.query(d);
          }
          await tgt.query('COMMIT');
        } catch (err) {
          await tgt.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
        for (const d of drift.ddl.filter((x) => /^ALTER TYPE .* ADD VALUE/.test(x))) await tgt.query(d);
        process.stderr.write(`applied ${drift.ddl.length} DDL statement(s) on the target\n`);
      }
      set = await inspectReplicatedSet(src, tgt, p);
      const fix = replicatedSetFix(set.problems, p);
      for (const st of fix.source) await src.query(st);
      for (const st of fix.target) await tgt.query(st);
      if (fix.source.length + fix.target.length) process.stderr.write(`ran ${[...fix.source, ...fix.target].join(' ')}\n`);
      set = await inspectReplicatedSet(src, tgt, p);
      drift = await compareSchemas(src, tgt, set.tables);
    }
    if (f.json) process.stdout.write(`${JSON.stringify({ drift: drift.items, replicatedSet: { tablesInScope: set.tablesInScope, problems: set.problems } }, null, 2)}\n`);
    else process.stdout.write(report(drift, set, p));
    // tables being copied after a REFRESH are not a difference to fix: they need time
    const left = drift.items.length + set.problems.filter((x) => !(f.apply && x.kind === 'not-ready')).length;
    return left ? 1 : 0;
  } catch (err) {
    process.stderr.write(`pg-upgrade-pilot schema-drift: ${messageOf(err)}\n`);
    return 1;
  } finally {
    await src?.end().catch(() => undefined);
    await tgt?.end().catch(() => undefined);
  }
}

export const schemaDriftCommand: CliCommand = {
  name: 'schema-drift',
  summary: 'Compare source and target schemas and the replicated set during a logical upgrade; print (or --apply) the fixes',
  help,
  run,
};
