import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRoleSql, grantMembershipSql, planRoles, roleSettingSql, roleStatements, splitGucList, type SourceRole } from '../../src/core/runbooks/logical/roles';

const app: SourceRole = {
  name: 'app "x"', superuser: false, inherit: true, createRole: false, createDb: false, login: true, replication: false,
  bypassRls: false, connLimit: -1, validUntil: null, passwordHash: 'SCRAM-SHA-256$4096:abc$def:ghi',
};

test('CREATE ROLE carries every attribute and the hash, masked in plans', () => {
  assert.equal(createRoleSql(app, { withPassword: true, mask: false }),
    `CREATE ROLE "app ""x""" WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS CONNECTION LIMIT -1 PASSWORD 'SCRAM-SHA-256$4096:abc$def:ghi'`);
  const shown = createRoleSql({ ...app, validUntil: '2030-01-01 00:00:00.000000+00' }, { withPassword: true, mask: true });
  assert.match(shown, /VALID UNTIL '2030-01-01 00:00:00\.000000\+00' PASSWORD '\*{8}'$/);
  assert.doesNotMatch(createRoleSql(app, { withPassword: false, mask: false }), /PASSWORD/);
});

test('list settings are split into literals like pg_dumpall does', () => {
  assert.deepEqual(splitGucList('"$user", public'), ['$user', 'public']);
  assert.deepEqual(splitGucList('"we""ird", b'), ['we"ird', 'b']);
  assert.equal(roleSettingSql({ role: 'app', inDatabase: false, name: 'search_path', value: '"$user", public' }, 'db'), `ALTER ROLE "app" SET "search_path" TO '$user', 'public'`);
  assert.equal(roleSettingSql({ role: 'app', inDatabase: true, name: 'work_mem', value: '64MB' }, 'my db'), `ALTER ROLE "app" IN DATABASE "my db" SET "work_mem" TO '64MB'`);
  assert.equal(roleSettingSql({ role: 'a', inDatabase: false, name: 'myapp.flag', value: "it's" }, 'd'), `ALTER ROLE "a" SET "myapp"."flag" TO 'it''s'`);
});

test('membership options follow the target version', () => {
  const m = { role: 'readers', member: 'app', admin: true, inherit: false, set: null };
  assert.equal(grantMembershipSql(m, 15), 'GRANT "readers" TO "app" WITH ADMIN OPTION');
  assert.equal(grantMembershipSql(m, 16), 'GRANT "readers" TO "app" WITH ADMIN TRUE, INHERIT FALSE');
});

test('only missing roles are created; existing ones are left alone; memberships the target lacks are granted', () => {
  const plan = planRoles(
    {
      roles: [app, { ...app, name: 'postgres', superuser: true }, { ...app, name: 'readers', login: false, passwordHash: null }],
      memberships: [{ role: 'readers', member: 'app "x"', admin: false, inherit: null, set: null }, { role: 'pg_read_all_data', member: 'readers', admin: false, inherit: null, set: null }],
      settings: [{ role: 'postgres', inDatabase: false, name: 'work_mem', value: '1GB' }, { role: 'app "x"', inDatabase: false, name: 'work_mem', value: '8MB' }],
      passwordsReadable: true,
    },
    { roles: new Set(['postgres', 'pg_read_all_data']), memberships: new Set() },
  );
  assert.deepEqual(plan.create.map((r) => r.name), ['app "x"', 'readers']);
  assert.deepEqual(plan.existing, ['postgres']);
  assert.equal(plan.grants.length, 2);
  assert.deepEqual(plan.settings.map((s) => s.role), ['app "x"'], 'settings of existing roles are not touched');
  const sql = roleStatements(plan, { withPasswords: true, mask: true, database: 'db', targetMajor: 17 });
  assert.ok(sql.every((s) => !s.includes('SCRAM')), 'masked');
});
