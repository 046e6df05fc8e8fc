/**
 * The connection strings the servers use to reach each other (subscriptions), with the password handled:
 * - a `passfile=` in the given subscriber connection names a password file ON THE SUBSCRIBER'S HOST: kept, and no
 *   password is added (nothing secret is ever stored in the catalog);
 * - else the subscriber connects as our user: our password is used;
 * - else (a dedicated replication user) its password comes from the registered provider (VS Code: SecretStorage),
 *   else a password file on OUR machine (params.subscriberPasswordFile, else PGPASSFILE / ~/.pgpass), never from
 *   PGPASSWORD (that one is ours).
 * Where that password goes (passfile.ts): by default into a private password file the subscriber server writes on its
 * own host (`passfile=` in the connection; nothing secret in pg_subscription); only where that route is closed (our
 * user on the subscriber is no superuser, PostgreSQL 16+'s password_required) into the connection itself, and then
 * only while the subscription must run (subscription-secrets.ts).
 * A password is never put in a statement's text: see unlogged-secret.ts (runWithPeerConninfo).
 */
import { formatConnString, lookupPgpass, parseConnString, resolveConn, type HostEndpoint } from '../../conn';
import type { Queryable } from '../../db';
import type { ClusterRole, Finding, StepContext } from '../../runbook/types';
import { quoteIdent } from '../../sql';
import type { LogicalUpgradeParams } from './params';
import { subscriberConninfo } from './statements';
import { passfileLine, passfileRoute, passfileUnfit, writePassfile, type ToolPassfile } from './passfile';
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
  /** The password file the subscriber writes on its host (then `conninfo` holds no password, only passfile=). */
  toolPassfile?: ToolPassfile;
  /** Why the password must sit inside the connection (when withPassword). */
  inCatalogBecause?: string;
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
  const subscriberRole: ClusterRole = publisherRole === 'source' ? 'target' : 'source';
  let inCatalogBecause: string | undefined;
  if (password) {
    const subscription = publisherRole === 'source' ? ctx.params.subscription : ctx.params.reverseSubscription;
    const route = ctx.params.passwordInCatalog
      ? { reason: 'passwordInCatalog is set' }
      : passfileUnfit(password) ? { reason: passfileUnfit(password)! } : await passfileRoute(await ctx.db(subscriberRole), ctx.runId, subscription);
    if ('path' in route) {
      const plain = subscriberConninfo(formatConnString({ ...parseConnString(base), passfile: route.path }), opts);
      return {
        conninfo: plain, plain, shown: plain, password: undefined, withPassword: false, passwordSource, user,
        toolPassfile: { path: route.path, line: passfileLine(user, password) },
      };
    }
    inCatalogBecause = route.reason;
  }
  const withPassword = password !== undefined && password !== '';
  return {
    conninfo: subscriberConninfo(base, { ...opts, password }),
    plain: subscriberConninfo(base, opts),
    shown: subscriberConninfo(base, { ...opts, password, mask: true }),
    password: withPassword ? password : undefined,
    withPassword,
    passwordSource,
    user,
    inCatalogBecause,
  };
}

/**
 * Runs `template` — a statement built with CONNINFO_PLACEHOLDER as its connection string (e.g.
 * createSubscriptionSql(name, CONNINFO_PLACEHOLDER, …)) — with the peer's conninfo, the password reaching the
 * server only as COPY data (never in a statement a server could log). `s` must be a dedicated session.
 */
export async function runWithPeerConninfo(s: Queryable, template: string, peer: PeerConninfo): Promise<void> {
  if (peer.toolPassfile) await writePassfile(s, peer.toolPassfile);
  await runWithSecretConninfo(s, template, peer.conninfo, peer.password);
}

export { CONNINFO_PLACEHOLDER };

/** The comment lines a plan (dry run) shows before the statement that carries the peer's connection. */
export function passwordPlanNotes(peer: PeerConninfo, server: 'target' | 'source'): string[] {
  if (peer.toolPassfile) {
    return [`-- password: written by the ${server} server to ${peer.toolPassfile.path} (COPY … FROM STDIN into a temporary table, then COPY … TO PROGRAM 'umask 077 && : > <file>' and COPY … TO '<file>': mode 0600); the connection names it with passfile=, pg_subscription holds no password`];
  }
  if (peer.withPassword) {
    return [
      '-- sent as a DO block reading the connection string from a COPY: no server log can hold the password',
      `-- password: inside the connection (pg_subscription on the ${server}) from this step while the subscription must run, because ${peer.inCatalogBecause ?? 'no password file route'}; removed ${server === 'target' ? 'at the end of the run that stops it (after the switchover, or an abort)' : 'by the finish (--finish / Finish Upgrade)'} — earlier by aborting the run`,
    ];
  }
  return [];
}

/** Where the password of a subscription's connection is kept, in words for outputs and the record. */
export function passwordPlacement(peer: PeerConninfo, server: 'target' | 'source'): string {
  if (peer.toolPassfile) {
    return `the password (from ${peer.passwordSource}) is not in pg_subscription: the ${server} server wrote it to ${peer.toolPassfile.path} on its own host (mode 0600, outside what pg_basebackup and pg_rewind copy) and reads it from there (passfile=); the file is emptied when the run ends with the subscription stopped or dropped, and written again when a run resumes it`;
  }
  switch (peer.passwordSource) {
    case 'subscriber host passfile':
      return `no password stored: the ${server} server reads it from ${parseConnString(peer.plain).passfile} on its own host`;
    case 'none':
      return 'no password: the publisher authenticates the subscriber without one (trust, cert or peer)';
    default:
      return `the password (from ${peer.passwordSource}) is kept in pg_subscription.subconninfo on the ${server} server (${peer.inCatalogBecause ?? 'no password file route'}) only while the subscription must run; at every end of a run it is replaced by a password-less connection and the subscription disabled, and put back when a run resumes`;
  }
}

/**
 * What the preflight says about each subscription's password: where it will be kept, from which step, until which
 * ending, and how to end that early or avoid it.
 */
export async function passwordRouteFindings(ctx: StepContext<LogicalUpgradeParams>): Promise<Finding[]> {
  const p = ctx.params;
  const dirs = [
    { peer: await peerConninfo(ctx, 'source', p.subscriberConnection), on: 'target' as const, name: p.subscription, from: 'the create-subscription step', flag: '--subscriber-source',
      until: 'the end of the run that stops it (the run ending after the switchover, or an abort; a paused or failed run keeps replicating with it)' },
    ...(p.reverseReplication ? [{ peer: await peerConninfo(ctx, 'target', p.reverseSubscriberConnection), on: 'source' as const, name: p.reverseSubscription, from: 'the reverse-replication step (after the switchover)', flag: '--reverse-subscriber-target',
      until: 'the finish that drops the way back (--resume RUNID --finish / Finish Upgrade)' }] : []),
  ];
  return dirs.filter((d) => d.peer.toolPassfile || d.peer.withPassword).map((d): Finding => (d.peer.toolPassfile
    ? {
      id: 'subscription-password', severity: 'info', cluster: d.on,
      message: `The password of subscription ${quoteIdent(d.name)} is written by the ${d.on} server to ${d.peer.toolPassfile.path} on its own host (mode 0600; pg_basebackup and pg_rewind skip that directory) from ${d.from}, never into pg_subscription; the file is emptied at ${d.until}.`,
    }
    : {
      id: 'subscription-password', severity: 'info', cluster: d.on,
      message: `The password of subscription ${quoteIdent(d.name)} will be stored inside its connection in pg_subscription on the ${d.on} (${d.peer.inCatalogBecause ?? 'no password file route'}) from ${d.from} until ${d.until}.`,
      fix: `To end it earlier: abort the run (it is removed, and put back when the run resumes)${d.on === 'source' ? ' or finish' : ''}. To avoid it: connect to the ${d.on} as a superuser (the server then keeps it in a private file), or put passfile=/path/on/the/${d.on}/host in ${d.flag}.`,
    }));
}
