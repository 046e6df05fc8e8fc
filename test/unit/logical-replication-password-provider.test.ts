/**
 * A dedicated replication user's password from the registered provider (VS Code: SecretStorage, issue 11): it is
 * taken before any password file, only for that user on that endpoint, and never for our own user (ours is used).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import type { StepContext } from '../../src/core/runbook/types';
import { passwordPlacement, peerConninfo, setReplicationPasswordProvider } from '../../src/core/runbooks/logical/conninfo';
import type { LogicalUpgradeParams } from '../../src/core/runbooks/logical/params';

const SOURCE = 'host=db14.internal port=5432 dbname=app user=postgres';

function ctx(params: Partial<LogicalUpgradeParams> = {}): StepContext<LogicalUpgradeParams> {
  return {
    // The catalog route: this file tests where the password comes from, not the password-file route (passfile.ts).
    params: { passwordInCatalog: true, ...params },
    connection: () => SOURCE,
    password: async () => 'ours-secret',
  } as unknown as StepContext<LogicalUpgradeParams>;
}

afterEach(() => setReplicationPasswordProvider(undefined));

test('the provider gives the replication user\'s password, placed only in the full conninfo', async () => {
  const asked: string[] = [];
  setReplicationPasswordProvider(async (user, ep) => {
    asked.push(`${user}@${ep.host}:${ep.port}`);
    return user === 'repl' && ep.host === 'db14.internal' && ep.port === 5432 ? 'repl-secret' : undefined;
  });
  const peer = await peerConninfo(ctx(), 'source', 'host=db14.internal port=5432 user=repl');
  assert.deepEqual(asked, ['repl@db14.internal:5432']);
  assert.equal(peer.passwordSource, 'secret store');
  assert.equal(peer.user, 'repl');
  assert.equal(peer.password, 'repl-secret');
  assert.match(peer.conninfo, /password=repl-secret/);
  assert.ok(!peer.plain.includes('repl-secret') && !peer.shown.includes('repl-secret'));
  assert.match(passwordPlacement(peer, 'target'), /from secret store/);
});

test('the provider comes before the password file; without an answer the file is used', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgpilot-pgpass-'));
  const file = join(dir, 'pgpass');
  writeFileSync(file, 'db14.internal:5432:*:repl:file-secret\n', { mode: 0o600 });
  try {
    setReplicationPasswordProvider(async () => 'store-secret');
    assert.equal((await peerConninfo(ctx({ subscriberPasswordFile: file }), 'source', 'host=db14.internal port=5432 user=repl')).password, 'store-secret');
    setReplicationPasswordProvider(async () => undefined);
    const peer = await peerConninfo(ctx({ subscriberPasswordFile: file }), 'source', 'host=db14.internal port=5432 user=repl');
    assert.equal(peer.password, 'file-secret');
    assert.equal(peer.passwordSource, 'password file');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('our own user keeps our password: the provider is not asked', async () => {
  let asked = false;
  setReplicationPasswordProvider(async () => { asked = true; return 'never'; });
  const peer = await peerConninfo(ctx(), 'source', undefined);
  assert.equal(asked, false);
  assert.equal(peer.passwordSource, 'our connection');
  assert.equal(peer.password, 'ours-secret');
});
