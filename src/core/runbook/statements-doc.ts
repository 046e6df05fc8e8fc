/**
 * The "Show Statements" document of a confirmation: what the step changes where, its write outage and undo, then the
 * SQL (per server) and the shell commands (with WHERE they run: a client tool such as pg_dump runs on this machine and
 * connects to the server; anything else runs on the server's host), and the client tools' versions, with a warning
 * when one is older than a server it works with. Markdown, rendered read-only by the VS Code face.
 */
import { basename } from 'node:path';
import { renderAction } from './render';
import type { ClusterInfo, ConfirmRequest, PlannedAction } from './types';

/** Programs that run where the operator runs the tool and reach the server over the network. */
const LOCAL_CLIENT_TOOLS = new Set(['pg_dump', 'pg_dumpall', 'pg_restore', 'psql', 'pgbench', 'pg_basebackup', 'pg_isready']);

export interface ToolVersionSeen {
  path: string;
  /** 15 for "pg_dump (PostgreSQL) 15.18"; undefined when it could not be read. */
  major?: number;
  text?: string;
}

export function runsLocally(a: PlannedAction): boolean {
  return a.kind === 'host' && LOCAL_CLIENT_TOOLS.has(basename(a.argv[0] ?? '').replace(/\.exe$/i, ''));
}

/** The client tools of a plan (argv[0] of local host actions), deduplicated. */
export function clientToolsOf(actions: PlannedAction[]): string[] {
  return [...new Set(actions.filter(runsLocally).map((a) => (a as Extract<PlannedAction, { kind: 'host' }>).argv[0]))];
}

function describeCluster(role: string, clusters: ClusterInfo[]): string {
  const c = clusters.find((x) => x.role === role);
  if (!c) return `the ${role}`;
  return `the ${role} ${c.name} (${c.hosts}${c.version ? `, PostgreSQL ${c.version.major}` : ''})${c.production ? ' [production]' : ''}`;
}

export function whereItRuns(a: PlannedAction, clusters: ClusterInfo[]): string {
  switch (a.kind) {
    case 'sql': return `SQL on ${describeCluster(a.cluster, clusters)}`;
    case 'host': return runsLocally(a)
      ? `Shell, on this machine (where the extension runs), connecting to ${describeCluster(a.cluster, clusters)}`
      : `Shell, on the host of ${describeCluster(a.cluster, clusters)}`;
    case 'manual': return `Manual, on ${describeCluster(a.cluster, clusters)}`;
    case 'wait': return `Wait, watching ${describeCluster(a.cluster, clusters)}`;
  }
}

/** Warnings for client tools older than the newest server of the step (pg_dump 15 for a 14→16 copy). */
export function toolVersionWarnings(tools: ToolVersionSeen[], clusters: ClusterInfo[]): string[] {
  const newest = Math.max(0, ...clusters.map((c) => c.version?.major ?? 0));
  const out: string[] = [];
  for (const tool of tools) {
    const name = basename(tool.path);
    if (tool.major === undefined) out.push(`${name} (${tool.path}): its version could not be read.`);
    else if (newest && tool.major < newest) {
      out.push(`${name} ${tool.text ?? tool.major} (${tool.path}) is older than the newest server of this step (PostgreSQL ${newest}): PostgreSQL recommends the client tools of the newer server; install version ${newest}'s client tools or set pgUpgradePilot.clientToolsPath.`);
    }
  }
  return out;
}

export function renderStatementsMarkdown(req: ConfirmRequest, tools: ToolVersionSeen[] = []): string {
  const out = [`# ${req.title}`, '', `Run ${req.runId} · step ${req.stepId} · risk: **${req.risk}** · read-only view: nothing runs from here.`, ''];
  if (req.why) out.push(req.why, '');
  if (req.effects?.length) out.push('## Effects', '', ...req.effects.map((e) => `- ${e}`), '');
  if (req.writeOutage) out.push(`**Expected write outage:** ${req.writeOutage}`, '');
  if (req.undo) out.push(`**How to undo:** ${req.undo}`, '');
  const sql = req.actions.filter((a) => a.kind === 'sql');
  const shell = req.actions.filter((a) => a.kind === 'host');
  const other = req.actions.filter((a) => a.kind === 'manual' || a.kind === 'wait');
  if (sql.length) {
    out.push('## SQL', '');
    for (const a of sql) out.push(`### ${whereItRuns(a, req.clusters)}`, '', '```sql', ...renderAction(a).slice(1), '```', '');
  }
  if (shell.length) {
    out.push('## Shell commands', '');
    for (const a of shell) out.push(`### ${whereItRuns(a, req.clusters)}`, '', '```sh', ...renderAction(a).slice(1), '```', '');
  }
  if (other.length) {
    out.push('## Waits and manual actions', '');
    for (const a of other) out.push(`- ${whereItRuns(a, req.clusters)}: ${a.kind === 'wait' ? a.description : (a as Extract<PlannedAction, { kind: 'manual' }>).instructions}`);
    out.push('');
  }
  if (tools.length) {
    out.push('## Client tools', '', ...tools.map((x) => `- ${basename(x.path)} ${x.text ?? '(version unknown)'} — ${x.path}`), '');
    const warnings = toolVersionWarnings(tools, req.clusters);
    if (warnings.length) out.push(...warnings.map((w) => `> ⚠ ${w}`), '');
  }
  if (!req.actions.length) out.push('(nothing to execute)', '');
  return out.join('\n');
}

/** The plan as plain text with, above each action, where it runs (the modal's preview; the CLI's listing). */
export function renderActionsWithPlace(actions: PlannedAction[], clusters: ClusterInfo[]): string[] {
  if (!actions.length) return ['(nothing to execute)'];
  return actions.flatMap((a) => [`${a.kind === 'sql' ? '--' : '#'} ${whereItRuns(a, clusters)}`, ...renderAction(a).slice(1)]);
}
