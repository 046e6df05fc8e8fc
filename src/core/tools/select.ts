import { ClientToolError, type ClientTool, type ClientToolName } from './types';

const where = (t: ClientTool) => `${t.version.major} at ${t.path}`;

function notFound(name: ClientToolName, need: string): ClientToolError {
  return new ClientToolError(
    `${name} was not found (searched the clientToolsPath setting, PATH and the usual install directories such as ` +
      `/usr/lib/postgresql/*/bin). ${need} Install the PostgreSQL client programs (e.g. postgresql-client-NN) or ` +
      `point the clientToolsPath setting at their bin directory.`,
  );
}

/**
 * The dump program (pg_dump / pg_dumpall) for a `sourceMajor` server whose output is loaded into a
 * `targetMajor` server. A dump program refuses servers newer than itself, so its major must be ≥ the source's.
 * PostgreSQL advises the target's version; otherwise the newest not newer than the target; else the oldest newer
 * one (its output may use syntax the target lacks, which the restore would report).
 */
export function selectDumpTool(
  tools: ClientTool[],
  name: 'pg_dump' | 'pg_dumpall',
  sourceMajor: number,
  targetMajor?: number,
): ClientTool {
  const all = tools.filter((t) => t.name === name);
  const need = `${name} ${sourceMajor} or newer is needed for a ${sourceMajor} source`;
  if (all.length === 0) throw notFound(name, `${need}.`);
  const usable = all.filter((t) => t.version.major >= sourceMajor);
  if (usable.length === 0) {
    throw new ClientToolError(
      `${need}; found ${all.map(where).join(', ')}. Install postgresql-client-${targetMajor ?? sourceMajor} ` +
        `(or any client ≥ ${sourceMajor}) and/or point the clientToolsPath setting at its bin directory.`,
    );
  }
  const target = targetMajor ?? Number.POSITIVE_INFINITY;
  const exact = usable.find((t) => t.version.major === target);
  if (exact) return exact;
  const notNewer = usable.filter((t) => t.version.major <= target).sort((a, b) => b.version.major - a.version.major);
  if (notNewer.length) return notNewer[0];
  return [...usable].sort((a, b) => a.version.major - b.version.major)[0];
}

/**
 * psql to load a dump: ideally the dump program's own major (it understands every meta-command that dump
 * writes), else the newest one available.
 */
export function selectPsql(tools: ClientTool[], preferMajor?: number): ClientTool {
  const all = tools.filter((t) => t.name === 'psql');
  if (all.length === 0) throw notFound('psql', 'psql is needed to load the schema into the target.');
  const same = all.find((t) => t.version.major === preferMajor);
  if (same) return same;
  return [...all].sort((a, b) => b.version.major - a.version.major || b.version.minor - a.version.minor)[0];
}
