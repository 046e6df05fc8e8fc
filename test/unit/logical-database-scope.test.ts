import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { databaseScopedName, databaseScopedNames } from '../../src/core/runbooks/logical/database-names';
import { evaluateDatabaseScope, type DatabaseScopeFacts } from '../../src/core/runbooks/logical/databases';
import { databaseNamedBy, defaultLogicalUpgradeParams, slotNameOf } from '../../src/core/runbooks/logical';

describe('database-scoped default names', () => {
  it('derive the slot names from the database, so two databases of one cluster never share a slot', () => {
    const a = defaultLogicalUpgradeParams({}, 'app1');
    const b = defaultLogicalUpgradeParams({}, 'app2');
    assert.equal(slotNameOf(a), 'pgpilot_upgrade_app1');
    assert.equal(a.reverseSubscription, 'pgpilot_reverse_app1');
    assert.notEqual(slotNameOf(a), slotNameOf(b));
    assert.notEqual(a.reverseSubscription, b.reverseSubscription);
  });

  it('sanitise to [a-z0-9_] within 63 bytes, with a hash whenever sanitising changed the name', () => {
    const names = ['App-1', 'app_1', 'app 1', 'äpp1', 'x'.repeat(63), 'x'.repeat(62) + 'y', 'a"b;drop'];
    const slots = names.map((n) => databaseScopedName('pgpilot_upgrade', n));
    for (const s of slots) {
      assert.match(s, /^[a-z0-9_]+$/);
      assert.ok(Buffer.byteLength(s) <= 63, s);
    }
    assert.equal(new Set(slots).size, names.length, slots.join(' '));
    assert.equal(databaseScopedName('pgpilot_upgrade', 'app_1'), 'pgpilot_upgrade_app_1');
  });

  it('read the database a connection string names (VS Code clusters), or none', () => {
    assert.equal(databaseNamedBy('host=a,b dbname=app1 user=u'), 'app1');
    assert.equal(databaseNamedBy('postgresql://u@h:5432/app2?sslmode=require'), 'app2');
    assert.equal(databaseNamedBy('host=a user=u'), undefined);
    assert.equal(databaseNamedBy("host='unterminated"), undefined);
    assert.equal(databaseNamedBy(undefined), undefined);
  });

  it('explicit names win over the derived ones (and a resumed run keeps its journaled names)', () => {
    const p = defaultLogicalUpgradeParams({ subscription: 'mine', publication: 'pub' }, 'app1');
    assert.equal(p.subscription, 'mine');
    assert.equal(p.publication, 'pub');
    assert.equal(p.reversePublication, databaseScopedNames('app1').reversePublication);
  });
});

describe('database scope findings', () => {
  const facts = (over: Partial<DatabaseScopeFacts> = {}): DatabaseScopeFacts => ({
    current: 'app1', targetCurrent: 'app1',
    databases: [
      { name: 'app1', allowsConnections: true, frozen: false, slots: [] },
      { name: 'app2', allowsConnections: true, frozen: false, slots: ['pgpilot_upgrade_app2'] },
      { name: 'app3', allowsConnections: true, frozen: false, slots: [] },
      { name: 'old', allowsConnections: true, frozen: true, slots: [] },
    ],
    ...over,
  });

  it('lists every database with its fate and warns about the ones left behind', () => {
    const f = evaluateDatabaseScope(facts(), defaultLogicalUpgradeParams({}, 'app1'));
    const infos = f.filter((x) => x.id === 'database-scope').map((x) => x.message);
    assert.equal(infos.length, 4);
    assert.match(infos[0], /"app1": moved now/);
    assert.match(infos[1], /"app2": untouched by this run; stays writable on the source; replicated by slot\(s\) pgpilot_upgrade_app2/);
    assert.match(infos[2], /"app3": untouched; stays writable on the source; not replicated/);
    assert.match(infos[3], /"old": untouched; already read-only/);
    const left = f.find((x) => x.id === 'databases-left-behind');
    assert.equal(left?.severity, 'warning');
    assert.match(left!.message, /"app3" is not replicated/);
    assert.doesNotMatch(left!.message, /app2|"old"/);
    assert.ok(!f.some((x) => x.severity === 'error'));
  });

  it('refuses a slot name another database already uses, naming it, on either server', () => {
    const p = defaultLogicalUpgradeParams({ subscription: 'shared', reverseSubscription: 'shared_rev' }, 'app1');
    const f = evaluateDatabaseScope(facts({ sourceSlot: { slot: 'shared', database: 'app2' }, targetReverseSlot: { slot: 'shared_rev', database: 'app2' } }), p);
    const errors = f.filter((x) => x.id === 'slot-name-collision');
    assert.deepEqual(errors.map((e) => e.cluster), ['source', 'target']);
    assert.match(errors[0].message, /"shared".*database "app2"/);
    assert.match(errors[0].fix!, /pg_drop_replication_slot\('shared'\)/);
    // the same database's slot is left to the slot-exists rule (a leftover, or this run's own on resume)
    assert.equal(evaluateDatabaseScope(facts({ sourceSlot: { slot: 'shared', database: 'app1' } }), p).filter((x) => x.severity === 'error').length, 0);
  });

  it('warns that a system freeze stops writes to the other databases', () => {
    const f = evaluateDatabaseScope(facts(), defaultLogicalUpgradeParams({ freezeMethod: 'system' }, 'app1'));
    assert.match(f.find((x) => x.id === 'cluster-wide-freeze')!.message, /"app2", "app3"/);
  });
});
