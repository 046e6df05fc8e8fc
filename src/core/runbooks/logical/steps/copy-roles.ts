import type { StepContext, StepDefinition, StepOutcome } from '../../../runbook/types';
import type { LogicalUpgradeParams } from '../params';
import { currentDatabase } from '../queries';
import { planRoles, readSourceRoles, readTargetRoles, roleStatements, type RolePlan } from '../roles';
import { majorOf, withSession } from '../session';

type Ctx = StepContext<LogicalUpgradeParams>;

async function rolePlan(ctx: Ctx): Promise<{ plan: RolePlan; passwordsReadable: boolean; database: string; targetMajor: number }> {
  const src = await ctx.db('source');
  const tgt = await ctx.db('target');
  const source = await readSourceRoles(src, await majorOf(ctx, 'source'));
  const target = await readTargetRoles(tgt);
  return { plan: planRoles(source, target), passwordsReadable: source.passwordsReadable, database: await currentDatabase(tgt), targetMajor: await majorOf(ctx, 'target') };
}

function statementsOf(r: Awaited<ReturnType<typeof rolePlan>>, ctx: Ctx, mask: boolean): string[] {
  return roleStatements(r.plan, { withPasswords: ctx.params.copyRolePasswords, mask, database: r.database, targetMajor: r.targetMajor });
}

export const copyRolesStep: StepDefinition<LogicalUpgradeParams> = {
  id: 'copy-roles',
  title: 'Create the source\'s roles on the target',
  why:
    'Roles are cluster-wide and not part of a database dump: without them the schema cannot be restored with its owners and ' +
    'grants, and the applications could not log in on the new server after the switchover. Roles that already exist on the ' +
    'target are left as they are; password hashes are copied as hashes and never shown.',
  kind: 'sql',
  clusters: ['target'],
  risk: 'reversible',
  optional: true,
  async plan(ctx) {
    if (!ctx.params.copyRoles) return [];
    const r = await rolePlan(ctx);
    const statements = statementsOf(r, ctx, true);
    return statements.length ? [{ kind: 'sql', cluster: 'target', statements: ['BEGIN', ...statements, 'COMMIT'] }] : [];
  },
  async isDone(ctx) {
    if (!ctx.params.copyRoles) return false;
    const r = await rolePlan(ctx);
    return r.plan.create.length === 0 && r.plan.grants.length === 0;
  },
  async execute(ctx): Promise<StepOutcome> {
    if (!ctx.params.copyRoles) return { status: 'skipped', message: 'copyRoles is off' };
    const r = await rolePlan(ctx);
    const statements = statementsOf(r, ctx, false);
    await withSession(ctx, 'target', async (s) => {
      await s.query('BEGIN');
      try {
        for (const st of statements) await s.query(st);
        await s.query('COMMIT');
      } catch (err) {
        await s.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
    const findings = [];
    if (ctx.params.copyRolePasswords && !r.passwordsReadable && r.plan.create.some((x) => x.login)) {
      findings.push({
        id: 'role-passwords', severity: 'warning' as const, cluster: 'target' as const,
        message: 'The source user is not a superuser, so password hashes could not be read: the new login roles have no password on the target.',
        fix: 'Set their passwords on the target (ALTER ROLE … PASSWORD …) before the switchover.',
      });
    }
    return {
      status: 'succeeded',
      message: `${r.plan.create.length} role(s) created, ${r.plan.grants.length} membership(s) granted, ${r.plan.existing.length} existing role(s) left as they are`,
      outputs: { rolesCreated: r.plan.create.map((x) => x.name), membershipsGranted: r.plan.grants.length, rolesExisting: r.plan.existing.length },
      findings,
    };
  },
  async verify(ctx) {
    const r = await rolePlan(ctx);
    return r.plan.create.length === 0 ? { ok: true } : { ok: false, message: `role(s) still missing on the target: ${r.plan.create.map((x) => x.name).join(', ')}` };
  },
  rollbackHint: 'DROP ROLE each created role on the target (listed in this step\'s outputs) once nothing depends on it.',
};
