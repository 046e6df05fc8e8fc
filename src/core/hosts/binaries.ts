/** Which binaries a host step uses: the newer minor build to start with, and pg_rewind / pg_basebackup of the right major. */
import { join } from 'node:path';
import { resolveBuild } from '../lab/binaries';
import { discoverClientTools, type ClientTool, type ClientToolName } from '../tools';
import type { HostTarget } from './commands';

/**
 * The binary directory to start the server with after the upgrade. Local (lab): the installed build of exactly
 * `toVersion` (an npm alias such as pg16 for 16.14). Manual: the same directory — a package upgrade replaces the
 * binaries in place.
 */
export function upgradedBinDir(h: HostTarget, major: number, toVersion: string | undefined): string {
  if (!toVersion || h.executor !== 'local') return h.binDir;
  const build = resolveBuild(toVersion);
  if (build.major !== major) {
    throw new Error(`${toVersion} is PostgreSQL ${build.major}, the ${h.role} runs ${major}: a minor upgrade stays within the major version (use the logical upgrade for a major one)`);
  }
  return build.binDir;
}

/** A client program of exactly `major` (pg_rewind and pg_basebackup work only with their own major). Pure. */
export function selectSameMajor(tools: ClientTool[], name: ClientToolName, major: number): ClientTool {
  const all = tools.filter((t) => t.name === name);
  const exact = all.find((t) => t.version.major === major);
  if (exact) return exact;
  const found = all.length ? `found ${all.map((t) => `${t.version.text} at ${t.path}`).join(', ')}` : 'none found';
  throw new Error(
    `${name} ${major} is needed for a PostgreSQL ${major} server (${found}). Install the PostgreSQL ${major} server package ` +
      `(Debian: postgresql-${major}, which ships pg_rewind; postgresql-client-${major} ships pg_basebackup) or point clientToolsPath at its bin directory.`,
  );
}

/**
 * The path of `name` for a host step: on a manual host, the one beside the server's binaries (the server
 * package ships pg_rewind; the operator's host is not ours to search); locally, discovered and chosen by major.
 */
export async function hostToolPath(h: HostTarget, name: 'pg_rewind' | 'pg_basebackup', major: number, clientToolsPath?: string): Promise<string> {
  if (h.executor !== 'local') return join(h.binDir, name);
  const tools = await discoverClientTools([name], { clientToolsPath });
  return selectSameMajor(tools, name, major).path;
}
