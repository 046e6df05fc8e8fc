/** The plan adapted to what the users may do (capabilities.ts) and its findings: pure, no server. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adaptPlan, type Capabilities, type PlanInputs } from '../../src/core/runbooks/logical/capabilities';
import { privilegeFindings } from '../../src/core/runbooks/logical/rules-privileges';

function caps(o: Partial<Capabilities> = {}): Capabilities {
  return {
    user: 'postgres', database: 'app', major: 16, superuser: true, replication: true, createRole: true, createDb: true, memberOf: [],
    ownsDatabase: true, createOnDatabase: true, readable: { pg_authid: true, subconninfo: true, pg_file_settings: true },
    functions: { terminateBackend: true, reloadConf: true, createSlot: true }, alterSystemReadOnly: true, ...o,
  };
}

/** Built like a managed admin: CREATEDB CREATEROLE REPLICATION, owner, pg_signal_backend … not superuser. */
function managed(o: Partial<Capabilities> = {}): Capabilities {
  return caps({
    user: 'ad"min', superuser: false, memberOf: ['pg_signal_backend', 'pg_monitor', 'pg_read_all_data', 'pg_create_subscription'],
    readable: { pg_authid: false, subconninfo: false, pg_file_settings: false }, functions: { terminateBackend: true, reloadConf: false, createSlot: true },
    alterSystemReadOnly: false, ...o,
  });
}

const inputs = (o: Partial<PlanInputs> = {}): PlanInputs => ({
  copyRoles: true, copyRolePasswords: true, reverseReplication: false, tablesNotOwned: [], sequencesUnreadable: [], subscriberWithPassword: true, ...o,
});

const byId = (plan: ReturnType<typeof adaptPlan>, id: string) => plan.items.find((i) => i.id === id)!;

test('superusers: FOR ALL TABLES, hashes, owners kept, ALTER SYSTEM freeze; nothing impossible', () => {
  const plan = adaptPlan(caps(), caps(), inputs({ reverseReplication: true }));
  assert.equal(plan.publication, 'all-tables');
  assert.equal(plan.rolePasswords, true);
  assert.equal(plan.schemaNoOwner, false);
  assert.deepEqual(plan.freeze, { system: true, database: true });
  assert.deepEqual(plan.items.filter((i) => !i.possible), []);
});

test('a managed admin on 16: table list, roles without hashes, --no-owner, per-database freeze, pg_create_subscription', () => {
  const plan = adaptPlan(managed({ major: 14 }), managed(), inputs());
  assert.equal(plan.publication, 'table-list');
  assert.equal(plan.rolePasswords, false);
  assert.equal(plan.schemaNoOwner, true);
  assert.deepEqual(plan.freeze, { system: false, database: true });
  assert.deepEqual(plan.items.filter((i) => !i.possible).map((i) => i.id), []);
  assert.match(byId(plan, 'plan-subscription').how, /pg_create_subscription/);
  assert.match(byId(plan, 'plan-roles').how, /WITHOUT password hashes/);
  const f = privilegeFindings(plan, { source: managed({ major: 14 }), target: managed() }, { source: [], target: ['whether it is frozen by ALTER SYSTEM (pg_file_settings)'] });
  assert.equal(f.filter((x) => x.severity === 'error').length, 0, JSON.stringify(f, null, 1));
  assert.match(f.find((x) => x.id === 'target-unchecked')!.message, /pg_file_settings/, 'what could not be read is said, not failed on');
  assert.equal(f.find((x) => x.id === 'plan-roles')!.severity, 'warning', 'roles without hashes is a degraded way');
});

test('each missing privilege is an error with its exact, quoted GRANT', () => {
  const src = managed({ major: 14, replication: false, ownsDatabase: false, functions: { terminateBackend: false, reloadConf: false, createSlot: true } });
  const tgt = managed({ memberOf: ['pg_signal_backend'], createOnDatabase: false, createRole: false });
  const plan = adaptPlan(src, tgt, inputs({ tablesNotOwned: ['"public"."orders"'], sequencesUnreadable: ['"public"."s"'], reverseReplication: true }));
  const fixOf = (id: string) => { const i = byId(plan, id); assert.equal(i.possible, false, id); return i.fix ?? ''; };
  assert.match(fixOf('plan-publication'), /ALTER TABLE "public"\."orders" OWNER TO "ad""min";/);
  assert.match(fixOf('plan-slot'), /ALTER ROLE "ad""min" REPLICATION;.*GRANT rds_replication TO "ad""min";/);
  assert.match(fixOf('plan-freeze'), /ALTER DATABASE "app" OWNER TO "ad""min"; GRANT pg_signal_backend TO "ad""min";/);
  assert.match(fixOf('plan-sequences-source'), /GRANT pg_read_all_data TO "ad""min";/);
  assert.match(fixOf('plan-roles'), /ALTER ROLE "ad""min" CREATEROLE;/);
  assert.match(fixOf('plan-subscription'), /GRANT pg_create_subscription TO "ad""min"; GRANT CREATE ON DATABASE "app" TO "ad""min";/);
  assert.match(fixOf('plan-reverse'), /superuser/, 'a 14 server lets only a superuser subscribe (the way back)');
  const errors = privilegeFindings(plan, { source: src, target: tgt }, { source: [], target: [] }).filter((x) => x.severity === 'error');
  assert.deepEqual(errors.map((e) => e.id).sort(), ['plan-freeze', 'plan-publication', 'plan-reverse', 'plan-roles', 'plan-sequences-source', 'plan-slot', 'plan-subscription']);
});

test('a non-superuser subscription needs a password: passfile= or trust is refused up front', () => {
  const plan = adaptPlan(managed(), managed(), inputs({ subscriberWithPassword: false }));
  assert.equal(byId(plan, 'plan-subscription').possible, false);
  assert.match(byId(plan, 'plan-subscription').how, /password_required/);
});

test('the target kept read-only and the publication: each missing piece named with only its own fix', () => {
  const tgt = managed({ ownsDatabase: false });
  const src = managed({ major: 16, createOnDatabase: false });
  const plan = adaptPlan(src, tgt, inputs());
  assert.equal(byId(plan, 'plan-freeze-target').possible, false);
  assert.equal(byId(plan, 'plan-freeze-target').cluster, 'target');
  assert.equal(byId(plan, 'plan-freeze-target').fix, 'ALTER DATABASE "app" OWNER TO "ad""min";', 'pg_signal_backend is there: not asked for');
  assert.equal(byId(plan, 'plan-publication').fix, 'GRANT CREATE ON DATABASE "app" TO "ad""min";');
  const seq = adaptPlan(managed(), managed(), inputs({ sequencesUnreadable: ['"public"."counter"'] }));
  assert.match(byId(seq, 'plan-sequences-source').fix ?? '', /GRANT SELECT ON SEQUENCE "public"\."counter" TO "ad""min";/, 'each sequence named, no placeholder');
  const superuser = adaptPlan(caps(), caps(), inputs());
  assert.equal(byId(superuser, 'plan-freeze-target').possible, true);
});
