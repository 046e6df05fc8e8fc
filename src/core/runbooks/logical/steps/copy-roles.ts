import type { StepContext, StepDefinition, StepOutcome } from '../../../runbook/types';
import type { LogicalUpgradeParams } from '../params';
import { currentDatabase } from '../queries';
import { quoteIdent } from '../../../sql';
import { adaptRolePlan, administeredRoles, planRoles, readSourceRoles, readTargetRoles, roleStatements, type AdaptedRolePlan } from '../roles';
import { majorOf, withSession } from '../session';

type Ctx = StepContext<LogicalUpgradeParams>;

/**
 * What to create, adapted to the target user: a non-superuser (managed admin) creates roles without the
 * superuser-only attributes and grants only memberships it may; without pg_authid on the source, no hashes.
 */
async function rolePlan(ctx: Ctx): Promise<{ plan: AdaptedRolePlan; passwordsReadable: boolean; database: string; targetMajor: number }> {
  const src = await ctx.db('source');
  const tgt = await ctx.db('target');
  const source = await readSourceRoles(src, await majorOf(ctx, 'source'));
  const target = await readTargetRoles(tgt);
  const targetMajor = await majorOf(ctx, 'target');
  const sup = (await tgt.query<{ s: boolean }>("SELECT current_setting('is_superuser') = 'on' AS s")).rows[0].s === true;
  const plan = adaptRolePlan(planRoles(source, target), sup, sup ? new Set() : await administeredRoles(tgt), targetMajor);
  return { plan, passwordsReadable: source.passwordsReadable, database: await currentDatabase(tgt), targetMajor };
}

/** Login roles created on the target without a password (hashes unreadable or not copied): set them by hand. */
function withoutPassword(r: Awaited<ReturnType<typeof rolePlan>>, ctx: Ctx): string[] {
  return r.plan.create.filter((x) => x.login && !(ctx.params.copyRolePasswords && x.passwordHash)).map((x) => x.name);
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
    const noPassword = withoutPassword(r, ctx);
    if (noPassword.length) {
      findings.push({
        id: 'role-passwords', severity: 'warning' as const, cluster: 'target' as const,
        message: `${noPassword.length} login role(s) were created on the target WITHOUT a password (${r.passwordsReadable ? 'copyRolePasswords is off' : 'the source user may not read pg_authid'}): ${noPassword.map(quoteIdent).join(', ')}. Their applications cannot log in on the new server until it is set.`,
        fix: `Before the switchover, on the target: ${noPassword.slice(0, 3).map((n) => `ALTER ROLE ${quoteIdent(n)} PASSWORD '…';`).join(' ')}${noPassword.length > 3 ? ' …' : ''} (or \\password in psql, which sends only a hash)`,
      });
    }
    if (r.plan.reducedAttributes.length) {
      findings.push({
        id: 'role-attributes', severity: 'warning' as const, cluster: 'target' as const,
        message: `The target user is not a superuser: these roles were created without attributes only a superuser may give: ${r.plan.reducedAttributes.join('; ')}.`,
        fix: 'Have the provider (or a superuser) give them if the applications need them.',
      });
    }
    if (r.plan.grantsLeft.length) {
      findings.push({
        id: 'role-memberships', severity: 'warning' as const, cluster: 'target' as const,
        message: `${r.plan.grantsLeft.length} membership(s) could not be granted by the target user (it does not administer those roles).`,
        fix: `As a role with ADMIN on them: ${r.plan.grantsLeft.join('; ')};`,
      });
    }
    return {
      status: 'succeeded',
      message: `${r.plan.create.length} role(s) created, ${r.plan.grants.length} membership(s) granted, ${r.plan.existing.length} existing role(s) left as they are${noPassword.length ? `; ${noPassword.length} login role(s) need a password` : ''}`,
      outputs: {
        rolesCreated: r.plan.create.map((x) => x.name), membershipsGranted: r.plan.grants.length, rolesExisting: r.plan.existing.length,
        // the record lists these: the roles whose passwords must be set on the new server
        rolesWithoutPassword: noPassword, rolesWithReducedAttributes: r.plan.reducedAttributes, membershipsLeft: r.plan.grantsLeft,
      },
      findings,
    };
  },
  async verify(ctx) {
    const r = await rolePlan(ctx);
    return r.plan.create.length === 0 ? { ok: true } : { ok: false, message: `role(s) still missing on the target: ${r.plan.create.map((x) => x.name).join(', ')}` };
  },
  rollbackHint: 'DROP ROLE each created role on the target (listed in this step\'s outputs) once nothing depends on it.',
};
