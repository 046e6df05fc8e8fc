/** The probe's way in: src/core/conn's libpq-style multi-host connect (target_session_attrs honoured). */
import { connect, formatEndpoint, parseConnString, resolveConn, type HostEndpoint, type ResolvedConn } from '../conn';
import type { Connector } from './loop';

/** One password for every host, or one per host (e.g. lab servers, or SecretStorage per cluster). */
export type ProbePassword = string | ((endpoint: HostEndpoint) => Promise<string | undefined>);

/**
 * A Connector for a libpq connection string (no password inside; multi-host allowed). The string is resolved
 * once (service file, PG* environment, .pgpass); every call then walks the host list afresh.
 */
export function multiHostConnector(connection: string, password?: ProbePassword, applicationName = 'pgpilot-probe'): Connector {
  let resolved: Promise<ResolvedConn> | undefined;
  const provider = typeof password === 'string' ? async () => password : password;
  return async () => {
    resolved ??= resolveConn(parseConnString(connection));
    const { client, endpoint } = await connect(await resolved, { password: provider, applicationName });
    // A backend terminated under an idle client is reported on the next write; it must not crash the process.
    let broken: unknown;
    client.on('error', (e) => { broken ??= e; });
    return { client, host: formatEndpoint(endpoint), brokenBy: () => broken };
  };
}
