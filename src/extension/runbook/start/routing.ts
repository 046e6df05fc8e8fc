/**
 * Client routing of a switchover, chosen in the start flow (issue 12): none (libpq multi-host), PgBouncer poolers
 * (registered under the cluster, or added here), or host commands at before-freeze / after-open / after-abort.
 * Builds `params.clientRouting` exactly as the CLI does (--pgbouncer / --pgbouncer-config / --pgbouncer-database /
 * --hook), never with a password, and checks it before anything changes: the parameters are valid, every pooler's
 * console answers and has the databases named.
 */
import * as vscode from 'vscode';
import type { ClusterDefinition } from '../../../core/clusters';
import { parseCommandLine } from '../../../core/routing/cli-options';
import { HOOK_POINTS, type ClientRoutingParams, type HookPoint, type HostHookParams, type PgBouncerPoolerParams } from '../../../core/routing/types';
import { errorMessage } from '../../log';
import { addPooler } from '../../poolers/addPooler';
import { readPoolerState } from '../../poolers/console';
import { poolerRoutingParams } from '../../poolers/settings';
import type { ExtensionServices } from '../../services';

const t = vscode.l10n.t;
const POOLER_DB = /^[A-Za-z0-9_][A-Za-z0-9_.$-]{0,62}$/;

export function routingLabel(r: ClientRoutingParams | undefined): string {
  if (!r || r.kind === 'none') return t('none: clients use libpq multi-host');
  const hooks = (r.hooks ?? []).map((h) => h.at).join(', ');
  if (r.kind === 'hooks') return t('host commands ({0})', hooks);
  const poolers = r.poolers.map((p) => p.admin.match(/host=(\S+)/)?.[1] ?? p.admin).join(', ');
  return hooks ? t('PgBouncer {0} + host commands ({1})', poolers, hooks) : t('PgBouncer {0}', poolers);
}

const pointLabel = (at: HookPoint) => ({ 'before-freeze': t('before the freeze'), 'after-open': t('after the new primary opened'), 'after-abort': t('after an abort') })[at];

/** Host commands at each point (empty: none); `null` when cancelled. */
async function askHooks(): Promise<HostHookParams[] | null> {
  const hooks: HostHookParams[] = [];
  for (const at of HOOK_POINTS) {
    const text = await vscode.window.showInputBox({
      title: t('Host command {0} ({1})', pointLabel(at), at),
      prompt: t('Run without a shell: words split at spaces, quotes group; no $VARS, pipes or redirections (put those in a script). Empty: none.'),
      placeHolder: at === 'after-open' ? '/usr/local/bin/move-vip --to db16' : '',
      ignoreFocusOut: true,
      validateInput: (v) => {
        if (!v.trim()) return undefined;
        try {
          const argv = parseCommandLine(v);
          return argv[0].startsWith('/') ? undefined : t('Give the command\'s absolute path ({0})', argv[0]);
        } catch (err) {
          return errorMessage(err);
        }
      },
    });
    if (text === undefined) return null;
    if (text.trim()) hooks.push({ at, argv: parseCommandLine(text) });
  }
  return hooks;
}

/** The poolers to move: the cluster's registered ones (a pooler is added first when it has none). */
async function askPoolers(services: ExtensionServices, cluster: ClusterDefinition): Promise<PgBouncerPoolerParams[] | null> {
  let registered = services.poolers.list(cluster.id);
  if (!registered.length) {
    const added = await addPooler(services, cluster);
    if (!added) return null;
    registered = [added];
  }
  const chosen = registered.length === 1 ? registered : (await vscode.window.showQuickPick(
    registered.map((p) => ({ label: p.admin, description: p.config, picked: true, p })),
    { title: t('Poolers in front of {0} to move', cluster.name), canPickMany: true, ignoreFocusOut: true },
  ))?.map((i) => i.p);
  if (!chosen?.length) return null;
  const dbText = await vscode.window.showInputBox({
    title: t('Pooler databases to move'),
    prompt: t('Names of the pooler\'s [databases] entries, comma-separated; empty: every entry pointing at the old server'),
    ignoreFocusOut: true,
    validateInput: (v) => v.split(',').map((s) => s.trim()).filter(Boolean).find((n) => !POOLER_DB.test(n)) ? t('Letters, digits, _ . $ - only') : undefined,
  });
  if (dbText === undefined) return null;
  const databases = dbText.split(',').map((s) => s.trim()).filter(Boolean);
  return chosen.map((p) => poolerRoutingParams(p, databases));
}

/** Checks the routing before anything changes: valid parameters, every pooler reachable, its databases there. */
export async function checkRouting(services: ExtensionServices, r: ClientRoutingParams): Promise<void> {
  const { validateClientRouting } = await import('../../../core/routing/validate');
  validateClientRouting(r);
  if (r.kind !== 'pgbouncer') return;
  for (const p of r.poolers) {
    const dbs = await readPoolerState(services.endpointPasswords, p.admin, true);
    const missing = (p.databases ?? []).filter((d) => !dbs.some((x) => x.name === d));
    if (missing.length) throw new Error(t('The pooler {0} has no database entry {1} (it has: {2}).', p.admin, missing.join(', '), dbs.map((d) => d.name).join(', ') || t('none')));
  }
}

/** Asks the routing; `null` when cancelled. */
export async function askRouting(services: ExtensionServices, cluster: ClusterDefinition): Promise<ClientRoutingParams | undefined | null> {
  const choice = await vscode.window.showQuickPick([
    { label: t('None: libpq multi-host'), detail: t('Clients connect with host=old,new target_session_attrs=read-write and move by themselves.'), routing: 'none' as const },
    { label: t('PgBouncer'), detail: t('PAUSE before the freeze; repoint + RELOAD + RESUME once the new primary opened; RESUME after an abort.'), routing: 'pgbouncer' as const },
    { label: t('Host commands'), detail: t('Your commands before the freeze, after the open, after an abort (a virtual IP, DNS, HAProxy…).'), routing: 'hooks' as const },
  ], { title: t('How the applications find the new primary'), ignoreFocusOut: true });
  if (!choice) return null;
  if (choice.routing === 'none') return undefined;
  let routing: ClientRoutingParams;
  if (choice.routing === 'pgbouncer') {
    const poolers = await askPoolers(services, cluster);
    if (!poolers) return null;
    routing = { kind: 'pgbouncer', poolers };
  } else {
    const hooks = await askHooks();
    if (!hooks) return null;
    if (!hooks.length) {
      void vscode.window.showWarningMessage(t('PG Upgrade: no host command given; client routing stays "none".'));
      return undefined;
    }
    routing = { kind: 'hooks', hooks };
  }
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: t('PG Upgrade: checking the client routing…') }, () => checkRouting(services, routing));
  return routing;
}
