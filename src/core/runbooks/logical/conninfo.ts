/** The connection strings the servers use to reach each other (subscriptions), with the password handled. */
import { formatConnString, parseConnString, resolveConn } from '../../conn';
import type { ClusterRole, StepContext } from '../../runbook/types';
import { subscriberConninfo } from './statements';

export interface PeerConninfo {
  /** What CREATE SUBSCRIPTION … CONNECTION gets (may hold the password). */
  conninfo: string;
  /** The same with the password as ******** (plans, messages). */
  shown: string;
  /** Whether our password for the publisher was added (only when the subscriber connects as our user). */
  withPassword: boolean;
  user: string;
}

/**
 * How a subscriber reaches `publisherRole`: the explicit connection string (params) or ours, with the
 * publisher's database and our user filled in when absent, and our password added when it connects as our user
 * (another user's password comes from the subscriber host's .pgpass or its pg_hba trust).
 */
export async function peerConninfo<P>(ctx: StepContext<P>, publisherRole: ClusterRole, explicit: string | undefined): Promise<PeerConninfo> {
  const ours = parseConnString(ctx.connection(publisherRole));
  const given = parseConnString(explicit ?? ctx.connection(publisherRole));
  // The subscriber is another machine: a service name or a passfile of ours means nothing there.
  if (given.service || !given.host) {
    const r = await resolveConn(given);
    given.host = r.endpoints.map((e) => e.host).join(',');
    given.port = r.endpoints.map((e) => String(e.port)).join(',');
    given.dbname ??= ours.dbname ?? r.dbname;
    given.user ??= ours.user ?? r.user;
    delete given.service;
  }
  delete given.passfile;
  const base = formatConnString(given);
  let dbname = given.dbname ?? ours.dbname;
  let ourUser = ours.user;
  if (!dbname || !ourUser) {
    const r = await (await ctx.db(publisherRole)).query<{ d: string; u: string }>('SELECT current_database() AS d, current_user AS u');
    dbname ??= r.rows[0].d;
    ourUser ??= r.rows[0].u;
  }
  const user = given.user ?? ourUser;
  const password = user === ourUser ? await ctx.password(publisherRole) : undefined;
  const opts = { dbname, user, connectTimeoutSeconds: 10, password };
  return {
    conninfo: subscriberConninfo(base, opts),
    shown: subscriberConninfo(base, { ...opts, mask: true }),
    withPassword: password !== undefined && password !== '',
    user,
  };
}
