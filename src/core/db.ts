/** The minimal query surface the core needs; a node-postgres Client satisfies it. */
export interface QueryResultLike<R> {
  rows: R[];
  rowCount: number | null;
}

export interface Queryable {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<QueryResultLike<R>>;
}

/** Server version as reported by server_version_num, e.g. 160004. */
export interface ServerVersion {
  num: number;
  major: number; // 12..18
  text: string; // "16.4"
}

export function versionFromNum(num: number): ServerVersion {
  const major = Math.floor(num / 10000);
  const minor = num % 10000;
  return { num, major, text: `${major}.${minor}` };
}
