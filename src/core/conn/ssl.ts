import { readFile } from 'node:fs/promises';
import { checkServerIdentity, type ConnectionOptions, type SecureVersion } from 'node:tls';
import { isSocketDir } from './defaults';
import { ConnectError, type HostEndpoint, type ResolvedConn } from './types';

/** Certificate and key files, read once per connect(). */
export interface SslMaterial {
  ca?: string; // undefined: Node's trusted roots (sslrootcert=system) or no verification
  cert?: string;
  key?: string;
  crl?: string;
}

export async function loadSslMaterial(r: ResolvedConn): Promise<SslMaterial> {
  if (r.sslmode === 'disable') return {};
  const read = async (file: string, what: string, hint: string): Promise<string> => {
    try {
      return await readFile(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const problem = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`;
      throw new ConnectError('ssl', `${what} file "${file}" ${problem}${hint}`);
    }
  };
  const m: SslMaterial = {};
  if (r.sslrootcert && r.sslrootcert !== 'system') {
    m.ca = await read(r.sslrootcert, 'root certificate', r.sslmode.startsWith('verify-')
      ? `; provide the file, use the system's trusted roots with sslrootcert=system, or change sslmode to disable server certificate verification`
      : '');
  }
  if (r.sslcert) m.cert = await read(r.sslcert, 'client certificate', '');
  if (r.sslcert && r.sslkey) m.key = await read(r.sslkey, 'client key', '');
  if (r.sslcrl) m.crl = await read(r.sslcrl, 'certificate revocation list', '');
  return m;
}

/**
 * The TLS settings to try, in order, for one endpoint: libpq's sslmode semantics on node-postgres.
 * `false` is a plain connection. allow: plain then TLS; prefer: TLS then plain (plain only for a Unix
 * socket, which never carries TLS); require and stricter: TLS only.
 */
export function sslVariants(r: ResolvedConn, ep: HostEndpoint, m: SslMaterial): Array<false | ConnectionOptions> {
  if (r.sslmode === 'disable') return [false];
  const tls = tlsOptions(r, ep, m);
  if (r.sslmode === 'allow') return [false, tls];
  if (r.sslmode === 'prefer') return isSocketDir(ep.host) && !ep.hostaddr ? [false] : [tls, false];
  return [tls];
}

function tlsOptions(r: ResolvedConn, ep: HostEndpoint, m: SslMaterial): ConnectionOptions {
  // require with a root certificate behaves as verify-ca (libpq); "system" implies verify-full.
  const verifyChain = r.sslmode === 'verify-ca' || r.sslmode === 'verify-full' || (r.sslmode === 'require' && !!r.sslrootcert);
  const o: ConnectionOptions = {
    rejectUnauthorized: verifyChain,
    minVersion: tlsVersion(r.sslMinProtocolVersion) ?? 'TLSv1.2',
  };
  const max = tlsVersion(r.sslMaxProtocolVersion);
  if (max) o.maxVersion = max;
  if (m.ca) o.ca = m.ca;
  if (m.cert) o.cert = m.cert;
  if (m.key) o.key = m.key;
  if (m.crl) o.crl = m.crl;
  if (r.sslpassword) o.passphrase = r.sslpassword;
  if (r.sslmode === 'verify-full') {
    // The name to verify is host even when hostaddr is what we dial.
    o.checkServerIdentity = (_dialled, cert) => checkServerIdentity(ep.host, cert);
    if (ep.hostaddr) o.servername = ep.host;
  } else {
    o.checkServerIdentity = () => undefined;
  }
  return o;
}

function tlsVersion(v: string | undefined): SecureVersion | undefined {
  if (!v) return undefined;
  return ({ tlsv1: 'TLSv1', 'tlsv1.1': 'TLSv1.1', 'tlsv1.2': 'TLSv1.2', 'tlsv1.3': 'TLSv1.3' } as Record<string, SecureVersion>)[v.toLowerCase()];
}
