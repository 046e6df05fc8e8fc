/**
 * Quoting for SQL text we render (statements shown to users, journaled, or run where parameters cannot
 * be used: DDL, ALTER SYSTEM, CREATE SUBSCRIPTION …). Identifiers are ALWAYS quoted.
 */

/** PostgreSQL's NAMEDATALEN - 1: longer identifiers are silently truncated by the server. */
export const MAX_IDENTIFIER_BYTES = 63;

/**
 * "name" with embedded double quotes doubled. Refuses what the server would reject or silently change:
 * an empty name, a NUL character, unpaired UTF-16 surrogates and names over 63 bytes (UTF-8).
 */
export function quoteIdent(name: string): string {
  if (typeof name !== 'string' || name === '') throw new Error('an SQL identifier cannot be empty');
  checkText(name, 'identifier');
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_IDENTIFIER_BYTES) {
    throw new Error(`SQL identifier is ${bytes} bytes long; PostgreSQL would truncate it to ${MAX_IDENTIFIER_BYTES}: ${JSON.stringify(name.slice(0, 80))}`);
  }
  return `"${name.replace(/"/g, '""')}"`;
}

/** "schema"."name" */
export function quoteQualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/**
 * A string literal for standard_conforming_strings = on (the default since 9.1): 'it''s'. A value with
 * backslashes uses the E'' form with backslashes doubled (as quote_literal() does), so the text is
 * read the same whatever that setting is.
 */
export function quoteLiteral(value: string): string {
  if (typeof value !== 'string') throw new Error('quoteLiteral expects a string');
  checkText(value, 'literal');
  const doubled = value.replace(/'/g, "''");
  return value.includes('\\') ? `E'${doubled.replace(/\\/g, '\\\\')}'` : `'${doubled}'`;
}

function checkText(s: string, what: string): void {
  if (s.includes('\u0000')) throw new Error(`an SQL ${what} cannot contain a NUL character`);
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)) throw new Error(`an SQL ${what} cannot contain an unpaired UTF-16 surrogate`);
}
