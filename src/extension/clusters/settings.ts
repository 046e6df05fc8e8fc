/**
 * The `pgUpgradePilot.clusters` setting: reading hand-editable entries into ClusterDefinitions, and pure edits of
 * the raw entry arrays (unknown fields a user added are kept). No vscode import: unit-tested.
 */
import type { ClusterDefinition } from '../../core/clusters';
import type { Translate } from '../translate';

export type ClusterScope = 'user' | 'workspace';

export interface ScopedCluster {
  definition: ClusterDefinition;
  scope: ClusterScope;
}

export interface LoadResult {
  clusters: ScopedCluster[];
  /** One line per ignored entry, for the log. */
  problems: string[];
}

type RawEntry = Record<string, unknown>;

function isObject(v: unknown): v is RawEntry {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nonEmptyString(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/** Id used for a hand-written entry without one: stable as long as the name does not change. */
export function deriveClusterId(name: string): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return `name-${slug || 'cluster'}`;
}

/** A new random id not in `taken` ("c" + 10 hex digits). */
export function generateClusterId(taken: ReadonlySet<string>, randomHex: () => string): string {
  for (;;) {
    const id = `c${randomHex().slice(0, 10)}`;
    if (!taken.has(id)) return id;
  }
}

function entryId(entry: RawEntry): string | undefined {
  const id = nonEmptyString(entry.id);
  if (id) return id;
  const name = nonEmptyString(entry.name);
  return name ? deriveClusterId(name) : undefined;
}

/** Reads one scope's raw setting value. Invalid entries are skipped with a problem line; never throws. */
export function readClusterEntries(raw: unknown, scope: ClusterScope): LoadResult {
  const where = scope === 'user' ? 'user settings' : 'workspace settings';
  if (raw === undefined || raw === null) return { clusters: [], problems: [] };
  if (!Array.isArray(raw)) return { clusters: [], problems: [`pgUpgradePilot.clusters in ${where} is not an array; ignored.`] };
  const clusters: ScopedCluster[] = [];
  const problems: string[] = [];
  raw.forEach((entry: unknown, index) => {
    const at = `pgUpgradePilot.clusters[${index}] in ${where}`;
    if (!isObject(entry)) {
      problems.push(`${at} is not an object; ignored.`);
      return;
    }
    const name = nonEmptyString(entry.name);
    const connection = nonEmptyString(entry.connection);
    if (!name) return void problems.push(`${at}: "name" must be a non-empty string; ignored.`);
    if (connection === undefined) return void problems.push(`${at} ("${name}"): "connection" must be a non-empty string; ignored.`);
    const definition: ClusterDefinition = { id: entryId(entry) as string, name, connection };
    const subscriberConnection = nonEmptyString(entry.subscriberConnection);
    if (subscriberConnection) definition.subscriberConnection = subscriberConnection;
    if (entry.production === true) definition.production = true;
    const group = nonEmptyString(entry.group);
    if (group) definition.group = group;
    if (entry.executor === 'local' || entry.executor === 'manual') definition.executor = entry.executor;
    const lab = entry.lab;
    if (isObject(lab) && ['dataDir', 'binDir', 'osUser', 'version'].every((k) => typeof lab[k] === 'string')) {
      definition.lab = { dataDir: lab.dataDir as string, binDir: lab.binDir as string, osUser: lab.osUser as string, version: lab.version as string };
    }
    clusters.push({ definition, scope });
  });
  return { clusters, problems };
}

/** Concatenates scopes in priority order; an id seen before is skipped with a problem line. */
export function mergeClusterScopes(...results: LoadResult[]): LoadResult {
  const seen = new Set<string>();
  const clusters: ScopedCluster[] = [];
  const problems: string[] = [];
  for (const r of results) {
    problems.push(...r.problems);
    for (const c of r.clusters) {
      if (seen.has(c.definition.id)) {
        problems.push(`Cluster id "${c.definition.id}" ("${c.definition.name}") appears twice in pgUpgradePilot.clusters; the ${c.scope} settings entry is ignored.`);
        continue;
      }
      seen.add(c.definition.id);
      clusters.push(c);
    }
  }
  return { clusters, problems };
}

/** The settings entry of a definition (no undefined fields; never a password: the caller strips it first). */
export function toSettingsEntry(def: ClusterDefinition): RawEntry {
  const entry: RawEntry = { id: def.id, name: def.name, connection: def.connection };
  if (def.subscriberConnection) entry.subscriberConnection = def.subscriberConnection;
  if (def.production) entry.production = true;
  if (def.group) entry.group = def.group;
  if (def.executor) entry.executor = def.executor;
  if (def.lab) entry.lab = { ...def.lab };
  return entry;
}

/** Changes to a definition: a field set to undefined is removed from the entry. */
export type ClusterPatch = Partial<Omit<ClusterDefinition, 'id'>>;

/**
 * Applies `patch` to the raw entry whose id (given or derived) is `id`; the id is written into the entry so it stays
 * stable after a rename. Returns undefined when no entry has that id. Other entries and unknown fields are untouched.
 */
export function patchEntries(raw: readonly unknown[], id: string, patch: ClusterPatch): unknown[] | undefined {
  const index = raw.findIndex((e) => isObject(e) && entryId(e) === id);
  if (index < 0) return undefined;
  const entry: RawEntry = { ...(raw[index] as RawEntry), id };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined || value === false || value === '') delete entry[key];
    else entry[key] = value;
  }
  const next = [...raw];
  next[index] = entry;
  return next;
}

/** Removes the entry with that id; undefined when none has it. */
export function removeEntry(raw: readonly unknown[], id: string): unknown[] | undefined {
  const index = raw.findIndex((e) => isObject(e) && entryId(e) === id);
  if (index < 0) return undefined;
  return raw.filter((_, i) => i !== index);
}

/** Why a cluster name is not acceptable (empty, too long, taken by another cluster), or undefined. */
export function clusterNameProblem(name: string, clusters: readonly ClusterDefinition[], t: Translate, exceptId?: string): string | undefined {
  const trimmed = name.trim();
  if (!trimmed) return t('Enter a name for the cluster.');
  if (trimmed.length > 80) return t('Use at most 80 characters.');
  const clash = clusters.find((c) => c.id !== exceptId && c.name.toLocaleLowerCase() === trimmed.toLocaleLowerCase());
  return clash ? t('A cluster named "{0}" already exists.', clash.name) : undefined;
}

/** A name not yet used: "name", else "name (2)", "name (3)", ... */
export function uniqueClusterName(name: string, clusters: readonly ClusterDefinition[], exceptId?: string): string {
  const taken = new Set(clusters.filter((c) => c.id !== exceptId).map((c) => c.name.toLocaleLowerCase()));
  if (!taken.has(name.toLocaleLowerCase())) return name;
  for (let n = 2; ; n++) {
    const candidate = `${name} (${n})`;
    if (!taken.has(candidate.toLocaleLowerCase())) return candidate;
  }
}

export function compareClusters(a: ClusterDefinition, b: ClusterDefinition): number {
  return a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: 'base' });
}

/** Distinct groups, sorted. */
export function groupNames(clusters: readonly ClusterDefinition[]): string[] {
  return [...new Set(clusters.map((c) => c.group).filter((g): g is string => !!g))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
}
