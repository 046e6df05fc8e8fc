/**
 * No password stays in pg_subscription.subconninfo once a run ends — succeeded or aborted (Ctrl-C): the
 * run's subscriptions that carry one (and are not the open way back) are disabled and given a password-less connection (a
 * placeholder password where PostgreSQL 16+ requires one of a non-superuser owner: it is no secret and is never
 * used, the subscription being disabled), and their comment says so. A run that resumes puts the password back
 * (through unlogged-secret.ts) and enables again only what it disabled. A PAUSED run (a declined step, --until,
 * "Run Next Step") or one stopped by a FAILED step (the operator fixes the cause and resumes) is not over: replication
 * goes on and the password stays, which the journal notes say. Nor is
 * the way back once switched over: the reverse subscription on the old server keeps replicating, with its password,
 * until the explicit finish drops it (the journal says so).
 * The passfile route (passfile.ts, the default for a superuser subscriber) keeps nothing in pg_subscription at all:
 * its file on the subscriber's host is emptied at the ending that stops (disables) or drops the subscription, and
 * written again when a run resumes it; a paused or failed run, and the open way back, keep it while they replicate.
 */
import { randomBytes } from 'node:crypto';
import type { StepContext } from '../../runbook/types';
import { CONNINFO_PLACEHOLDER, peerConninfo, runWithPeerConninfo, type PeerConninfo } from './conninfo';
import type { LogicalUpgradeParams } from './params';
import { findSubscription } from './queries';
import { ownedByRun } from './rules';
import { messageOf, sleep, withSession } from './session';
import { alterSubscriptionSql, commentOnSql, ownerComment, WRITABLE_SESSION } from './statements';
import { quoteIdent, quoteLiteral } from '../../sql';
import { formatConnString, parseConnString } from '../../conn';
import { emptyPassfile } from './passfile';

type Ctx = StepContext<LogicalUpgradeParams>;

/** The comment of a subscription this tool disabled and cleared at the end of a run (ownedByRun still matches). */
export const CLEARED_MARK = 'disabled and password removed between runs; ';

/**
 * What a cleared subscription's connection carries where PostgreSQL 16+ demands a password of a non-superuser owner:
 * random bytes nobody knows (never a credential; the subscription is disabled until a resumed run puts the real one back).
 */
function unusablePassword(): string {
  return randomBytes(18).toString('base64url');
}

interface Held {
  /** The server holding the subscription. */
  on: 'source' | 'target';
  name: string;
  peer: PeerConninfo;
  /** Should it be running while a run is active? */
  shouldRun: boolean;
}

/**
 * The run's subscriptions whose password we keep: in their connection, or in the file their server wrote. A
 * direction whose servers cannot be asked (one is down) is left out with a note: the other is still handled.
 */
async function held(ctx: Ctx, notes: string[]): Promise<Held[]> {
  const p = ctx.params;
  const out: Held[] = [];
  const switchedOver = ctx.outputsOf('switchover') !== undefined;
  const cleanedUp = ctx.outputsOf('cleanup') !== undefined;
  const directions = [
    { on: 'target' as const, name: p.subscription, publisher: 'source' as const, explicit: p.subscriberConnection, shouldRun: !switchedOver },
    ...(p.reverseReplication ? [{ on: 'source' as const, name: p.reverseSubscription, publisher: 'target' as const, explicit: p.reverseSubscriberConnection, shouldRun: switchedOver && !cleanedUp }] : []),
  ];
  for (const d of directions) {
    try {
      const peer = await peerConninfo(ctx, d.publisher, d.explicit);
      if (peer.withPassword || peer.toolPassfile) out.push({ on: d.on, name: d.name, peer, shouldRun: d.shouldRun });
    } catch (err) {
      notes.push(`COULD NOT check the password of subscription ${quoteIdent(d.name)} on the ${d.on}: ${messageOf(err)}; a later run (resume, or --finish) does it`);
    }
  }
  return out;
}

/** When the step that created the subscription stored its password (its outputs), for the record's notes. */
function storedAt(ctx: Ctx, h: Held): string {
  const at = ctx.outputsOf(h.on === 'target' ? 'create-subscription' : 'reverse-replication')?.passwordStoredAt;
  return typeof at === 'string' ? ` since ${at}` : '';
}

/** Where the password is, for the notes. */
function kept(ctx: Ctx, h: Held): string {
  return h.peer.toolPassfile
    ? `keeps its password in ${h.peer.toolPassfile.path} on the ${h.on}'s host${storedAt(ctx, h)} (not in pg_subscription)`
    : `keeps its password in pg_subscription${storedAt(ctx, h)} (${h.peer.inCatalogBecause ?? 'no password file route'})`;
}

/** The subscription is gone (dropped, or never created): empty its password file. */
async function emptyOrphanFile(ctx: Ctx, h: Held): Promise<string | undefined> {
  if (!h.peer.toolPassfile) return undefined;
  if (!(await emptyPassfile(await ctx.db(h.on), h.peer.toolPassfile.path))) return undefined;
  return `password file ${h.peer.toolPassfile.path} on the ${h.on}'s host (first written${storedAt(ctx, h).replace(' since', ' at')}) emptied at ${new Date().toISOString()}: subscription ${quoteIdent(h.name)} is not there (dropped or never created)`;
}

export function clearedConninfo(peer: PeerConninfo, ownerIsSuperuser: boolean): string {
  const c = parseConnString(peer.plain);
  if (!ownerIsSuperuser) c.password = unusablePassword();
  return formatConnString(c, { includePassword: true });
}

export function clearConnectionSql(name: string, conninfo: string): string {
  return `ALTER SUBSCRIPTION ${quoteIdent(name)} CONNECTION ${quoteLiteral(conninfo)}`;
}

/** At every end of a run: disable and clear each of the run's subscriptions holding a password. */
export async function removeSubscriptionPasswords(ctx: Ctx, status: 'succeeded' | 'failed' | 'aborted' | 'paused'): Promise<string[]> {
  const notes: string[] = [];
  for (const h of await held(ctx, notes)) {
    try {
      const sub = await findSubscription(await ctx.db(h.on), h.name);
      if (!sub || !ownedByRun(sub.comment, ctx.runId)) {
        const n = sub ? undefined : await emptyOrphanFile(ctx, h);
        if (n) notes.push(n);
        continue;
      }
      if (status === 'paused' || status === 'failed') {
        // A paused run, or one a step stopped (a refused gate, a failing wait) while the operator fixes the cause, is
        // not over: replication must go on (the fix is often ALTER SUBSCRIPTION … REFRESH, and a parked slot retains WAL).
        notes.push(`the run is ${status === 'paused' ? 'paused' : 'stopped by a failed step'}: subscription ${quoteIdent(h.name)} on the ${h.on} keeps replicating and ${kept(ctx, h)} until the run resumes and ends, or is aborted`);
        continue;
      }
      if (h.on === 'source' && h.shouldRun) {
        // the way back (reverse replication) must keep carrying the new server's writes until someone finishes or
        // rolls back: disabling it would leave the old server silently behind. Its password stays until the finish.
        notes.push(`the way back is open: subscription ${quoteIdent(h.name)} on the old server keeps replicating and ${kept(ctx, h)} until the finish (--finish / Finish Upgrade) drops it`);
        continue;
      }
      notes.push(await stopAndClear(ctx, h, sub.enabled));
    } catch (err) {
      const fix = h.peer.toolPassfile
        ? `then empty the file: COPY (SELECT 1 WHERE false) TO ${quoteLiteral(h.peer.toolPassfile.path)};`
        : `then ${clearConnectionSql(h.name, clearedConninfo(h.peer, false))};`;
      notes.push(`COULD NOT remove the password of subscription ${quoteIdent(h.name)} on the ${h.on}: ${messageOf(err)}. Remove it by hand: ALTER SUBSCRIPTION ${quoteIdent(h.name)} DISABLE; ${fix}`);
    }
  }
  return notes;
}

/** Disables the subscription and removes its password (from its connection, or its file emptied). */
async function stopAndClear(ctx: Ctx, h: Held, enabled: boolean): Promise<string> {
  const q = await ctx.db(h.on);
  // the run's own session, already open: after Ctrl-C (an aborted signal) no new session may be opened
  await q.query(WRITABLE_SESSION);
  if (enabled) await q.query(alterSubscriptionSql(h.name, 'DISABLE'));
  if (h.peer.toolPassfile) {
    await emptyPassfile(q, h.peer.toolPassfile.path);
  } else {
    const sup = (await q.query<{ s: boolean }>("SELECT current_setting('is_superuser') = 'on' AS s")).rows[0].s;
    await q.query(clearConnectionSql(h.name, clearedConninfo(h.peer, sup)));
  }
  // remember that WE disabled it: only then does a resumed run enable it again
  if (enabled) await q.query(commentOnSql('SUBSCRIPTION', h.name, CLEARED_MARK + ownerComment(ctx.runId)));
  const what = h.peer.toolPassfile
    ? `password file ${h.peer.toolPassfile.path} on the ${h.on}'s host (first written${storedAt(ctx, h).replace(' since', ' at')}) emptied`
    : `password removed from the connection of subscription ${quoteIdent(h.name)} on the ${h.on} (first stored there${storedAt(ctx, h).replace(' since', ' at')})`;
  return `${what} at ${new Date().toISOString()}; subscription ${quoteIdent(h.name)} was ${enabled ? 'disabled' : 'already disabled'} and is enabled again with its password when the run resumes`;
}

const WORKER_WAIT_MS = 30_000;

async function waitForWorker(ctx: Ctx, h: Held): Promise<boolean> {
  const deadline = Date.now() + WORKER_WAIT_MS;
  const q = await ctx.db(h.on);
  while (Date.now() < deadline && !ctx.signal.aborted) {
    if ((await findSubscription(q, h.name))?.workerPid) return true;
    await sleep(200);
  }
  return false;
}

/** At the start of a resumed run: the password back in place, and enabled again what the last ending disabled. */
export async function restoreSubscriptionPasswords(ctx: Ctx): Promise<string[]> {
  const notes: string[] = [];
  for (const h of await held(ctx, notes)) {
    const q = await ctx.db(h.on);
    const sub = await findSubscription(q, h.name);
    if (!sub || !ownedByRun(sub.comment, ctx.runId)) continue;
    const weDisabled = (sub.comment ?? '').startsWith(CLEARED_MARK);
    const enable = weDisabled && h.shouldRun && !sub.enabled;
    await withSession(ctx, h.on, async (s) => {
      await runWithPeerConninfo(s, `ALTER SUBSCRIPTION ${quoteIdent(h.name)} CONNECTION ${quoteLiteral(CONNINFO_PLACEHOLDER)}`, h.peer);
      if (enable) await s.query(alterSubscriptionSql(h.name, 'ENABLE'));
      if (weDisabled) await s.query(commentOnSql('SUBSCRIPTION', h.name, ownerComment(ctx.runId)));
    });
    // a changed connection restarts the apply worker: the steps that follow (the switchover's gate) need it running
    const running = h.shouldRun && (enable || sub.enabled) ? await waitForWorker(ctx, h) : true;
    const where = h.peer.toolPassfile ? `in ${h.peer.toolPassfile.path} on the ${h.on}'s host for` : 'in the connection of';
    notes.push(`password put back ${where} subscription ${quoteIdent(h.name)} on the ${h.on} (${new Date().toISOString()})${enable ? '; enabled again' : ''}${running ? '' : `; its apply worker did not start within ${WORKER_WAIT_MS / 1000} s (see the ${h.on}'s server log)`}`);
  }
  return notes;
}
