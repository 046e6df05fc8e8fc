/**
 * The connection strings the servers use to reach each other (subscriptions), with the password handled:
 * - a `passfile=` in the given subscriber connection names a password file ON THE SUBSCRIBER'S HOST: kept, and no
 *   password is added (nothing secret is ever stored in the catalog);
 * - else the subscriber connects as our user: our password is added;
 * - else (a dedicated replication user) its password comes from the registered provider (VS Code: SecretStorage),
 *   else a password file on OUR machine (params.subscriberPasswordFile, else PGPASSFILE / ~/.pgpass), never from
 *   PGPASSWORD (that one is ours).
 * A password is never put in a statement's text: see unlogged-secret.ts (runWithPeerConninfo).
 */
import { formatConnString, lookupPgpass, parseConnString, resolveConn, type HostEndpoint } from '../../conn';
import type { Queryable } from '../../db';
import type { ClusterRole, StepContext } from '../../runbook/types';
import type { LogicalUpgradeParams } from './params';
import { subscriberConninfo } from './statements';
import { CONNINFO_PLACEHOLDER, runWithSecretConninfo } from './unlogged-secret';

export type PasswordSource = 'our connection' | 'password file' | 'secret store' | 'subscriber host passfile' | 'none';

/** A dedicated replication user's password kept by the host (VS Code: SecretStorage), by user and endpoint. */
export type ReplicationPasswordProvider = (user: string, ep: HostEndpoint) => Promise<string | undefined>;

let replicationPasswordProvider: ReplicationPasswordProvider | undefined;

/** The extension registers SecretStorage here; the CLI relies on the password file (--subscriber-password-file). */
export function setReplicationPasswordProvider(p: ReplicationPasswordProvider | undefined): void {
  replicationPasswordProvider = p;
}

/** The replication user's password from the registered provider, for the first endpoint that has one. */
async function passwordFromProvider(connection: string): Promise<string | undefined> {
  if (!replicationPasswordProvider) return undefined;
  const r = await resolveConn(parseConnString(connection));
  for (const ep of r.endpoints) {
    const pw = await replicationPasswordProvider(r.user, ep);
    if (pw) return pw;
  }
  return undefined;
}

export interface PeerConninfo {
  /** The full conninfo (may hold the password): only ever sent through runWithPeerConninfo. */
  conninfo: string;
  /** The same without any password (what may stay in a catalog). */
  plain: string;
  /** The same with the password as ******** (plans, messages). */
  shown: string;
  /** The password inside `conninfo`, if any (masked in every error). */
  password: string | undefined;
  withPassword: boolean;
  passwordSource: PasswordSource;
  user: string;
}

/** A replication user's password from a password file on this machine, as libpq would match it (not PGPASSWORD). */
async function passwordFromFile(connection: string, passfile: string | undefined): Promise<string | undefined> {
  const env = { ...process.env };
  delete env.PGPASSWORD;
  const r = await resolveConn(parseConnString(connection), env);
  for (const ep of r.endpoints) {
    const pw = await lookupPgpass(ep, r.dbname, r.user, { passfile: passfile ?? r.passfile, homedir: env.HOME });
    if (pw !== undefined) return pw;
  }
  return undefined;
}

/**
 * How a subscriber reaches `publisherRole`: the explicit connection string (params) or ours, with the
 * publisher's database and our user filled in when absent, and the password placed as described above.
 */
export async function peerConninfo(ctx: StepContext<LogicalUpgradeParams>, publisherRole: ClusterRole, explicit: string | undefined): Promise<PeerConninfo> {
  const ours = parseConnString(ctx.connection(publisherRole));
  const given = parseConnString(explicit ?? ctx.connection(publisherRole));
  // The subscriber is another machine: a service name or a passfile of ours means nothing there; an explicit
  // passfile= in the subscriber connection names a file on the subscriber's host and is kept.
  const hostPassfile = explicit !== undefined ? given.passfile : undefined;
  if (given.service || !given.host) {
    const r = await resolveConn(given);
    given.host = r.endpoints.map((e) => e.host).join(',');
    given.port = r.endpoints.map((e) => String(e.port)).join(',');
    given.dbname ??= ours.dbname ?? r.dbname;
    given.user ??= ours.user ?? r.user;
    delete given.service;
  }
  delete given.passfile;
  if (hostPassfile) given.passfile = hostPassfile;
  const base = formatConnString(given);
  let dbname = given.dbname ?? ours.dbname;
  let ourUser = ours.user;
  if (!dbname || !ourUser) {
    const r = await (await ctx.db(publisherRole)).query<{ d: string; u: string }>('SELECT current_database() AS d, current_user AS u');
    dbname ??= r.rows[0].d;
    ourUser ??= r.rows[0].u;
  }
  const user = given.user ?? ourUser;
  let password: string | undefined;
  let passwordSource: PasswordSource = 'none';
  if (hostPassfile) {
    passwordSource = 'subscriber host passfile';
  } else if (user === ourUser) {
    password = await ctx.password(publisherRole);
    if (password) passwordSource = 'our connection';
  } else {
    const connection = subscriberConninfo(base, { dbname, user });
    password = await passwordFromProvider(connection);
    if (password) passwordSource = 'secret store';
    else {
      password = await passwordFromFile(connection, ctx.params.subscriberPasswordFile);
      if (password) passwordSource = 'password file';
    }
  }
  const opts = { dbname, user, connectTimeoutSeconds: 10 };
  const withPassword = password !== undefined && password !== '';
  return {
    conninfo: subscriberConninfo(base, { ...opts, password }),
    plain: subscriberConninfo(base, opts),
    shown: subscriberConninfo(base, { ...opts, password, mask: true }),
    password: withPassword ? password : undefined,
    withPassword,
    passwordSource,
    user,
  };
}

/**
 * Runs `template` — a statement built with CONNINFO_PLACEHOLDER as its connection string (e.g.
 * createSubscriptionSql(name, CONNINFO_PLACEHOLDER, …)) — with the peer's conninfo, the password reaching the
 * server only as COPY data (never in a statement a server could log). `s` must be a dedicated session.
 */
export async function runWithPeerConninfo(s: Queryable, template: string, peer: PeerConninfo): Promise<void> {
  await runWithSecretConninfo(s, template, peer.conninfo, peer.password);
}

export { CONNINFO_PLACEHOLDER };

/** Where the password of a subscription's connection is kept, in words for outputs and the record. */
export function passwordPlacement(peer: PeerConninfo, server: 'target' | 'source'): string {
  switch (peer.passwordSource) {
    case 'subscriber host passfile':
      return `no password stored: the ${server} server reads it from ${parseConnString(peer.plain).passfile} on its own host`;
    case 'none':
      return 'no password: the publisher authenticates the subscriber without one (trust, cert or peer)';
    default:
      return `the password (from ${peer.passwordSource}) is kept in pg_subscription.subconninfo on the ${server} server only while a run is active; at every end of a run it is replaced by a password-less connection and the subscription disabled, and put back when a run resumes`;
  }
}
