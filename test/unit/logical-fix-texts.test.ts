/**
 * Issue 13 item 3: every SQL text shown to a user (fixes, hints) is safe to paste with hostile names: each builder
 * yields exactly one statement, and the hostile text appears only inside a quoted identifier or literal.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServerOverview, TableInfo } from '../../src/core/catalog';
import { versionFromNum } from '../../src/core/db';
import { quoteIdent, quoteLiteral } from '../../src/core/sql';
import { defaultLogicalUpgradeParams } from '../../src/core/runbooks/logical';
import type { SourceFacts, TargetFacts } from '../../src/core/runbooks/logical/facts';
import * as fixes from '../../src/core/runbooks/logical/fixes';
import { diffCatalogs } from '../../src/core/runbooks/logical/drift';
import type { DriftCatalog, DriftTable } from '../../src/core/runbooks/logical/drift-catalog';
import { evaluateSafety } from '../../src/core/runbooks/logical/preflight-safety';
import { describeProblems, problemsOf, replicatedSetFix } from '../../src/core/runbooks/logical/replicated-set';
import { leftInPlace } from '../../src/core/runbooks/logical/replication-watch';
import { evaluatePreflight } from '../../src/core/runbooks/logical/rules';
import { resolveScope } from '../../src/core/runbooks/logical/scope';
import { tableKey } from '../../src/core/runbooks/logical/queries';

const PAYLOAD = 'DROP TABLE t';
export const HOSTILE = [
  `x"; ${PAYLOAD}; --`,
  `it's'; ${PAYLOAD}; --`,
  `back\\slash\\'; ${PAYLOAD}; --`,
  `new\nline; ${PAYLOAD};\n--`,
  `ünï "cödé" ☃ ${PAYLOAD}`,
  `${'é'.repeat(20)}; ${PAYLOAD}`, // 55 bytes: multi-byte near the limit
];
const LONG = 'a'.repeat(63);

/** Splits SQL text into statements the way the server's scanner would (quotes, E'' strings, comments). */
export function statementsOf(sql: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (c === '"' || c === "'") {
      const e = c === "'" && /[eE]$/.test(cur) && !/[A-Za-z0-9_]$/.test(cur.slice(0, -1));
      let j = i + 1;
      for (; j < sql.length; j++) {
        if (e && sql[j] === '\\') { j++; continue; }
        if (sql[j] === c) {
          if (sql[j + 1] === c) { j++; continue; }
          break;
        }
      }
      assert.ok(j < sql.length, `unterminated quote in ${JSON.stringify(sql)}`);
      cur += sql.slice(i, j + 1);
      i = j;
    } else if (c === '-' && sql[i + 1] === '-') {
      assert.fail(`a comment outside quotes in ${JSON.stringify(sql)}`);
    } else if (c === '/' && sql[i + 1] === '*') {
      assert.fail(`a comment outside quotes in ${JSON.stringify(sql)}`);
    } else if (c === ';') {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

function assertOneStatement(sql: string): void {
  assert.equal(statementsOf(sql).length, 1, `exactly one statement: ${JSON.stringify(sql)}`);
}

/** The payload may appear only inside the quoted forms of the hostile names. */
function assertPayloadQuoted(text: string, names: string[]): void {
  let rest = text;
  for (const n of names) {
    for (const quoted of [quoteIdent(n), quoteLiteral(n)]) rest = rest.split(quoted).join('<q>');
  }
  assert.ok(!rest.includes(PAYLOAD), `unquoted payload in ${JSON.stringify(text)}`);
}

const tbl = (n: string) => ({ schema: n, name: n });

test('every fix builder yields one statement with hostile names', () => {
  for (const n of [...HOSTILE, LONG]) {
    const texts = [
      fixes.dropPublicationFix(n), fixes.dropSubscriptionFix(n), fixes.dropSlotFix(n), fixes.grantReplicationFix(n),
      fixes.replicaIdentityFullFix(tbl(n)), fixes.replicaIdentityIndexFix(tbl(n), n), fixes.grantSelectFix(n, [tbl(n), tbl(n)]),
      fixes.grantUsageFix(n, [n, n]), fixes.truncateFix([tbl(n)]), fixes.refreshPublicationFix(n), fixes.addTablesFix(n, [tbl(n)]),
      fixes.createDatabaseFix(n, { encoding: 'UTF8', collate: n, ctype: n, provider: 'i', locale: n }, 16),
    ];
    for (const t of texts) {
      assertOneStatement(t);
      assertPayloadQuoted(t, [n]);
    }
  }
});

test('quoteIdent refuses what the server would truncate, so no fix names a different object', () => {
  assert.throws(() => fixes.dropPublicationFix('a'.repeat(64)), /63/);
  assert.throws(() => fixes.dropPublicationFix('é'.repeat(32)), /63/);
});

function overview(num: number): ServerOverview {
  return {
    version: versionFromNum(num), serverVersion: String(num), inRecovery: false, role: 'primary', walLevel: 'logical',
    maxReplicationSlots: 10, maxWalSenders: 10, maxLogicalReplicationWorkers: 4, maxWorkerProcesses: 8,
    maxSyncWorkersPerSubscription: 2, maxActiveReplicationOrigins: null, uptimeSeconds: 1, postmasterStartTime: '',
    totalDatabaseSizeBytes: 1, currentDatabase: 'app', currentUser: 'postgres', isSuperuser: true,
  };
}

test('preflight findings: every fix with hostile publication, subscription, user and table names keeps the payload quoted', () => {
  for (const n of HOSTILE) {
    const p = defaultLogicalUpgradeParams({ publication: n, subscription: n, slotName: 'pgpilot_x', reverseReplication: true, reversePublication: n });
    const t: TableInfo = { schema: n, name: n, hasPrimaryKey: false, replicaIdentity: 'd', isUnlogged: false, isPartition: false, isPartitioned: false, estimatedRows: 0, sizeBytes: 1 };
    const src = {
      overview: overview(140010), slotsInUse: 0, walSendersInUse: 0, maxSlotWalKeepSize: '-1', frozen: false, tables: [t],
      scope: resolveScope(p, [t], 14), scopeError: null, sequenceCount: 0, largeObjectCount: 0, materializedViews: [], generatedColumns: [],
      extensions: [], roles: [], databaseSizeBytes: 1, encoding: 'UTF8', preparedXacts: 0, subscriptionCount: 0,
      publication: { name: n, allTables: true, comment: null, tables: [] }, slot: { name: 'pgpilot_x', type: 'logical', plugin: 'pgoutput', database: 'app', active: false, confirmedFlushLsn: null },
      subscriberUser: { name: n, superuser: false, replication: false }, tablespaces: [], updatesAndDeletes: new Map([[tableKey(t), 1]]),
    } as SourceFacts;
    const tgt = {
      overview: overview(160001), availableExtensions: new Map(), roles: new Set<string>(), originsInUse: 0, existingTables: new Set<string>(), frozen: false, encoding: 'LATIN1',
      subscription: { oid: 1, name: n, enabled: true, slotName: n, publications: [n], synchronousCommit: 'off', comment: null, workerPid: null },
      reversePublication: { name: n, allTables: true, comment: null, tables: [] },
    } as TargetFacts;
    const findings = [
      ...evaluatePreflight(src, tgt, p, { runId: 'R', subscriberConnection: 'host=x' }),
      ...evaluateSafety({ targetTablesWithRows: [tbl(n)], replicationRole: n, noSelect: [tbl(n)], noUsage: [n] }, p),
    ];
    const withFix = findings.filter((f) => f.fix);
    for (const id of ['publication-exists', 'subscription-exists', 'slot-exists', 'subscriber-user', 'replica-identity', 'target-rows', 'replication-select']) {
      assert.ok(withFix.some((f) => f.id === id), `finding ${id} with a fix`);
    }
    for (const f of findings) {
      assertPayloadQuoted(f.fix ?? '', [n]);
      assertPayloadQuoted(f.message, [n]);
    }
  }
});

test('replicated-set fixes, the wait\'s removal text and drift DDL keep hostile names quoted, one statement each', () => {
  for (const n of HOSTILE) {
    const p = defaultLogicalUpgradeParams({ publication: n, subscription: n, slotName: 'pgpilot_x' });
    const problems = problemsOf([
      { schema: n, name: n, publishedAs: null, sizeBytes: 1 },
      { schema: n, name: `${n}2`.slice(0, 60), publishedAs: { schema: n, name: 'x' }, sizeBytes: 1 },
    ], new Map(), new Set([tableKey(tbl(n)), tableKey({ schema: n, name: `${n}2`.slice(0, 60) })]));
    const fix = replicatedSetFix(problems, p);
    for (const st of [...fix.source, ...fix.target]) assertOneStatement(st);
    assertPayloadQuoted(describeProblems(problems, p), [n, `${n}2`.slice(0, 60)]);
    for (const st of statementsOf(leftInPlace(p, { database: n, subscriptionOid: 16384 }).split('remove them: ')[1].replace(/^on the target /, '').replace(' and on the source ', ' '))) {
      assert.ok(st.length > 0);
    }
    assertPayloadQuoted(leftInPlace(p, { database: n, subscriptionOid: 16384 }), [n]);

    const col = { name: n, type: 'text', notNull: true, default: null, generated: false, identity: null };
    const table: DriftTable = { schema: n, name: n, partitioned: false, partitionKey: null, parent: null, bound: null, columns: [col], constraints: [] };
    const src: DriftCatalog = {
      tables: [table, { ...table, name: 'old' }], enums: [{ schema: n, name: n, labels: ['a', n] }, { schema: 'public', name: 'e', labels: [n] }],
      domains: [{ schema: n, name: n, base: 'integer', notNull: false, constraints: [] }], sequences: [{ schema: n, name: n, type: 'bigint' }],
    };
    const tgt: DriftCatalog = {
      tables: [{ ...table, name: 'old', columns: [] }], enums: [{ schema: n, name: n, labels: ['a'] }], domains: [], sequences: [],
    };
    const items = diffCatalogs(src, tgt);
    assert.deepEqual(items.map((i) => i.kind).sort(), ['column-missing', 'domain-missing', 'enum-label-missing', 'enum-missing', 'sequence-missing', 'table-missing']);
    for (const i of items) {
      for (const d of i.ddl) {
        assertOneStatement(d);
        assertPayloadQuoted(d, [n]);
      }
    }
  }
});
