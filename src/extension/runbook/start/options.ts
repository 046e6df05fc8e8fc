/**
 * The start flow's options, after the clusters are picked: one QuickPick whose first row starts the run with what is
 * shown, the others change one choice each — the scope (issue 10, logical upgrade), the client routing (issue 12)
 * and the replication user (issue 11, logical upgrade). Enter on the first row keeps the defaults (this database,
 * libpq multi-host, the source connection's user). Returns the params to add, or undefined when cancelled.
 */
import * as vscode from 'vscode';
import type { ClusterDefinition } from '../../../core/clusters';
import type { ClientRoutingParams } from '../../../core/routing/types';
import { errorMessage } from '../../log';
import { loadConn } from '../../lazy';
import type { RunbookCommandContext } from '../commands/context';
import { askReplicationUser } from './replicationUser';
import { askRouting, routingLabel } from './routing';
import { askScope, scopeLabel, type DatabaseScope } from './scope';

const t = vscode.l10n.t;

export interface StartChoices {
  databases?: DatabaseScope;
  clientRouting?: ClientRoutingParams;
  subscriberConnection?: string;
}

type Row = 'start' | 'scope' | 'routing' | 'replication';

/** The params the choices set (nothing for a default). */
export function choiceParams(c: StartChoices): Record<string, unknown> {
  return {
    ...(c.databases !== undefined ? { databases: c.databases } : {}),
    ...(c.clientRouting ? { clientRouting: c.clientRouting } : {}),
    ...(c.subscriberConnection ? { subscriberConnection: c.subscriberConnection } : {}),
  };
}

export async function askStartOptions(
  ctx: RunbookCommandContext, kind: 'logical' | 'rolling', source: ClusterDefinition, target: ClusterDefinition,
): Promise<Record<string, unknown> | undefined> {
  const c: StartChoices = { subscriberConnection: kind === 'logical' ? source.subscriberConnection : undefined };
  const database = kind === 'logical' ? (await loadConn()).parseConnString(source.connection).dbname : undefined;
  for (;;) {
    const summary = [
      kind === 'logical' ? t('scope: {0}', scopeLabel(c.databases, database)) : '',
      t('client routing: {0}', routingLabel(c.clientRouting)),
      kind === 'logical' ? t('replication user: {0}', c.subscriberConnection ?? t('the source connection\'s')) : '',
    ].filter(Boolean);
    const rows: (vscode.QuickPickItem & { row: Row })[] = [
      { label: t('$(play) Start'), description: `${source.name} → ${target.name}`, detail: summary.join(' · '), row: 'start' },
      ...(kind === 'logical' ? [{ label: t('Scope…'), description: scopeLabel(c.databases, database), row: 'scope' as const }] : []),
      { label: t('Client routing…'), description: routingLabel(c.clientRouting), row: 'routing' },
      ...(kind === 'logical' ? [{ label: t('Replication user…'), description: c.subscriberConnection ?? t('the source connection\'s user'), row: 'replication' as const }] : []),
    ];
    const picked = await vscode.window.showQuickPick(rows, {
      title: kind === 'logical' ? t('Logical upgrade {0} → {1}', source.name, target.name) : t('Rolling switchover {0} → {1}', source.name, target.name),
      placeHolder: t('Enter starts with what is shown; pick a row to change it'),
      ignoreFocusOut: true,
    });
    if (!picked) return undefined;
    try {
      switch (picked.row) {
        case 'start':
          ctx.log.info(`start options: ${summary.join('; ')}`);
          return choiceParams(c);
        case 'scope': {
          const s = await askScope(ctx, source, database, c.databases);
          if (s !== null) c.databases = s;
          break;
        }
        case 'routing': {
          const r = await askRouting(ctx.services, source);
          if (r !== null) c.clientRouting = r;
          break;
        }
        case 'replication': {
          const u = await askReplicationUser(source, ctx.services.endpointPasswords, c.subscriberConnection);
          if (u !== null) c.subscriberConnection = u;
          break;
        }
      }
    } catch (err) {
      // Bad input: said now, before anything changes; the menu comes back with the previous choice.
      void vscode.window.showErrorMessage(t('PG Upgrade: {0}', errorMessage(err)));
    }
  }
}
