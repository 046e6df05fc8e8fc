/**
 * "SELECT", "CREATE SUBSCRIPTION", ...: what the query log shows of a statement. Never the SQL text itself, which can
 * hold a conninfo with a password (CREATE SUBSCRIPTION) or data literals.
 */
export function statementKind(sql: string): string {
  const text = sql.replace(/^(\s*(--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/))*\s*/, '');
  const words = text.split(/\s+/, 2).map((w) => w.replace(/[^A-Za-z_]/g, '').toUpperCase());
  const first = words[0] ?? '';
  if (!first) return 'statement';
  return ['CREATE', 'ALTER', 'DROP'].includes(first) && words[1] ? `${first} ${words[1]}` : first;
}
