import assert from 'node:assert/strict';
import { test } from 'node:test';
import { versionFromNum } from '../../src/core/db';
import {
  catalogMajor, listCopyProgressSql, listDatabasesSql, listPublicationsSql, listReplicationSlotsSql, listSequencesSql, listStandbysSql,
  listSubscriptionsSql, listTablesForReplicationSql,
} from '../../src/core/catalog';

// The real check of every query is test/integration/catalog.test.ts on servers 12–18; these pin the
// version switches so a column never leaks into a major that lacks it.
const v = (major: number) => versionFromNum(major * 10000 + 1);

/** Column → first major that has it. */
const SLOT_COLUMNS: Record<string, number> = {
  's.wal_status': 13, 's.safe_wal_size': 13, 's.two_phase': 14, 's.conflicting': 16,
  's.invalidation_reason': 17, 's.inactive_since': 17, 's.failover': 17, 's.synced': 17,
};
const SUBSCRIPTION_COLUMNS: Record<string, number> = {
  's.substream': 14, 's.subdisableonerr': 15, 'pg_stat_subscription_stats': 15, 'st.leader_pid': 16, 'ss.confl_insert_exists': 18,
};

for (const [name, columns, sqlFor] of [
  ['slots', SLOT_COLUMNS, listReplicationSlotsSql],
  ['subscriptions', SUBSCRIPTION_COLUMNS, listSubscriptionsSql],
] as const) {
  test(`${name}: each version-specific column appears exactly from its major on`, () => {
    for (let major = 12; major <= 18; major++) {
      const sql = sqlFor(v(major));
      for (const [column, since] of Object.entries(columns)) {
        assert.equal(sql.includes(column), major >= since, `${column} in ${major}`);
      }
    }
  });
}

test('pubviaroot only from 13; substream read as boolean in 14–15 and as "char" from 16', () => {
  assert.doesNotMatch(listPublicationsSql(v(12)), /pubviaroot/);
  assert.match(listPublicationsSql(v(13)), /p\.pubviaroot/);
  assert.match(listSubscriptionsSql(v(15)), /WHEN s\.substream THEN/);
  assert.match(listSubscriptionsSql(v(16)), /CASE s\.substream WHEN 'f'/);
});

test('subconninfo is never selected as such; conninfo: false leaves it out entirely', () => {
  const sql = listSubscriptionsSql(v(16));
  assert.doesNotMatch(sql, /s\.subconninfo AS/);
  assert.doesNotMatch(listSubscriptionsSql(v(16), { conninfo: false }), /subconninfo/);
});

test('majors below 12 are refused with an actionable message; newer ones use the newest SQL', () => {
  assert.throws(() => listDatabasesSql(versionFromNum(110022)), /PostgreSQL 11\.22 is not supported.*12–18/);
  for (const f of [listPublicationsSql, listReplicationSlotsSql, listStandbysSql, listTablesForReplicationSql, listSequencesSql, listSubscriptionsSql]) {
    assert.throws(() => f(versionFromNum(90624)), /not supported/);
    assert.equal(f(versionFromNum(190001)), f(versionFromNum(180004)));
  }
  assert.equal(catalogMajor(versionFromNum(190000)), 18);
});

test('pg_stat_progress_copy is not asked before 14; tuples_skipped only from 17', () => {
  assert.equal(listCopyProgressSql(v(12)), null);
  assert.equal(listCopyProgressSql(v(13)), null);
  assert.doesNotMatch(listCopyProgressSql(v(16))!, /p\.tuples_skipped/);
  assert.match(listCopyProgressSql(v(17))!, /p\.tuples_skipped/);
});
