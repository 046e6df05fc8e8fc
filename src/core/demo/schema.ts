/** Can the runbook copy the schema with pg_dump | psql on this machine (a pg_dump at least as new as the source)? */
import { discoverClientTools, selectDumpTool, selectPsql } from '../tools';

export async function pgDumpUsable(sourceMajor: number, targetMajor: number): Promise<boolean> {
  try {
    const tools = await discoverClientTools(['pg_dump', 'psql']);
    selectPsql(tools, selectDumpTool(tools, 'pg_dump', sourceMajor, targetMajor).version.major);
    return true;
  } catch {
    return false;
  }
}

/** The newest psql found (psql 15 works against servers 12–18). */
export async function findPsql(): Promise<string | undefined> {
  try {
    return selectPsql(await discoverClientTools(['psql'])).path;
  } catch {
    return undefined;
  }
}
