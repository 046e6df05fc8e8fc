import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { sslVariants } from '../../../src/core/conn/ssl';
import type { ResolvedConn, SslMode } from '../../../src/core/conn';

const conn = (sslmode: SslMode, extra: Partial<ResolvedConn> = {}): ResolvedConn => ({
  endpoints: [], dbname: 'd', user: 'u', sslmode, connectTimeoutSeconds: 10, targetSessionAttrs: 'any', ...extra,
});
const tcp = { host: 'db.example.com', port: 5432 };
const material = { ca: 'CA-PEM' };

describe('sslVariants (sslmode → node-postgres ssl settings, in the order tried)', () => {
  it('disable: plain only; allow: plain then TLS; prefer: TLS then plain', () => {
    assert.deepEqual(sslVariants(conn('disable'), tcp, {}), [false]);
    const allow = sslVariants(conn('allow'), tcp, {});
    assert.equal(allow[0], false);
    assert.equal(typeof allow[1], 'object');
    const prefer = sslVariants(conn('prefer'), tcp, {});
    assert.equal(typeof prefer[0], 'object');
    assert.equal(prefer[1], false);
  });

  it('prefer over a Unix socket never tries TLS (the server offers none there)', () => {
    assert.deepEqual(sslVariants(conn('prefer'), { host: '/var/run/postgresql', port: 5432 }, {}), [false]);
  });

  it('require without a root certificate encrypts without verifying', () => {
    const [o] = sslVariants(conn('require'), tcp, {});
    assert.ok(o);
    assert.equal(o.rejectUnauthorized, false);
    assert.equal(o.minVersion, 'TLSv1.2');
  });

  it('require with a root certificate, and verify-ca, verify the chain but not the name', () => {
    for (const r of [conn('require', { sslrootcert: '/ca.crt' }), conn('verify-ca', { sslrootcert: '/ca.crt' })]) {
      const [o] = sslVariants(r, tcp, material);
      assert.ok(o);
      assert.equal(o.rejectUnauthorized, true);
      assert.equal(o.ca, 'CA-PEM');
      assert.equal(o.checkServerIdentity!('anything', {} as never), undefined);
    }
  });

  it('verify-full checks the name of host, also when hostaddr is dialled, and sends it as SNI', () => {
    const [o] = sslVariants(conn('verify-full', { sslrootcert: '/ca.crt' }), { host: 'db.example.com', hostaddr: '10.0.0.5', port: 5432 }, material);
    assert.ok(o);
    assert.equal(o.rejectUnauthorized, true);
    assert.equal(o.servername, 'db.example.com');
    const cert = { subject: { CN: 'other.example.com' }, subjectaltname: 'DNS:other.example.com' } as never;
    assert.match(String(o.checkServerIdentity!('10.0.0.5', cert)), /db\.example\.com/);
  });

  it('maps TLS protocol bounds and the key passphrase', () => {
    const [o] = sslVariants(conn('require', { sslMinProtocolVersion: 'tlsv1.3', sslMaxProtocolVersion: 'TLSv1.3', sslpassword: 'pp' }), tcp, {});
    assert.ok(o);
    assert.equal(o.minVersion, 'TLSv1.3');
    assert.equal(o.maxVersion, 'TLSv1.3');
    assert.equal(o.passphrase, 'pp');
  });
});
