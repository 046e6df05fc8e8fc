/**
 * The target picker of a major upgrade: each registered cluster but the source, labelled with its PostgreSQL version
 * and host:port (read through the shared connections, a few seconds at most, never asking for a password), newer
 * majors first; clusters not newer than the source are left out and the picker says how many.
 */
import * as vscode from 'vscode';
import type { ClusterDefinition } from '../../../core/clusters';
import { errorMessage } from '../../log';
import { orderTargets, type TargetCandidate } from '../targetOrder';
import type { RunbookCommandContext } from './context';

const t = vscode.l10n.t;
const VERSION_TIMEOUT_MS = 4000;

async function candidate(ctx: RunbookCommandContext, c: ClusterDefinition): Promise<TargetCandidate<ClusterDefinition>> {
  const { hostsOf } = await import('../../../core/runbook/engine');
  const hosts = await hostsOf(c.connection).catch(() => '?');
  const signal = AbortSignal.timeout(VERSION_TIMEOUT_MS);
  try {
    const { version } = await ctx.services.connections.get(c.id, { interactive: false, signal });
    return { cluster: c, id: c.id, name: c.name, hosts, major: version.major, versionText: version.text };
  } catch (err) {
    return { cluster: c, id: c.id, name: c.name, hosts, error: errorMessage(err) };
  }
}

export async function pickTarget(ctx: RunbookCommandContext, source: ClusterDefinition, placeHolder: string): Promise<ClusterDefinition | undefined> {
  const others = ctx.services.clusters.list().filter((c) => c.id !== source.id);
  if (!others.length) {
    void vscode.window.showWarningMessage(t('PG Upgrade: no other cluster is registered to be the target of {0}: add the new server first.', source.name));
    return undefined;
  }
  const qp = vscode.window.createQuickPick<vscode.QuickPickItem & { cluster?: ClusterDefinition }>();
  qp.placeholder = placeHolder;
  qp.title = t('Target for {0}', source.name);
  qp.busy = true;
  qp.matchOnDescription = true;
  qp.items = [{ label: t('Reading the versions of {0} cluster(s)…', others.length), alwaysShow: true }];
  qp.show();
  const picked = new Promise<ClusterDefinition | undefined>((resolve) => {
    qp.onDidAccept(() => {
      const item = qp.selectedItems[0];
      if (item?.cluster) resolve(item.cluster);
    });
    qp.onDidHide(() => resolve(undefined));
  });
  const [src, ...found] = await Promise.all([candidate(ctx, source), ...others.map((c) => candidate(ctx, c))]);
  const { choices, hidden } = orderTargets(source.id, src.major, [src, ...found]);
  qp.busy = false;
  const items: (vscode.QuickPickItem & { cluster?: ClusterDefinition })[] = choices.map((c) => ({
    label: c.name,
    description: [c.versionText ? t('PostgreSQL {0}', c.versionText) : t('version unknown'), c.hosts, c.cluster.production ? t('production') : ''].filter(Boolean).join(' · '),
    detail: c.error ? t('Not reachable now: {0}', c.error.split('\n')[0].slice(0, 160)) : undefined,
    cluster: c.cluster,
  }));
  qp.title = src.versionText
    ? t('Target for {0} (PostgreSQL {1}, {2})', source.name, src.versionText, src.hosts)
    : t('Target for {0} ({1}, version unknown)', source.name, src.hosts);
  if (hidden.length) {
    items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
    items.push({ label: t('{0} cluster(s) not shown: PostgreSQL {1} or older cannot be the target ({2})', hidden.length, src.major ?? '?', hidden.map((h) => h.name).join(', ')), alwaysShow: true });
  }
  if (!choices.length) items.unshift({ label: t('No registered cluster runs a newer PostgreSQL than {0}.', source.name), alwaysShow: true });
  qp.items = items;
  const result = await picked;
  qp.dispose();
  return result;
}
