/**
 * The SQL offered to the operator in findings and errors ("fixes"), built with the same quoting as executed SQL so
 * that any name — quotes, backslashes, newlines, `x"; DROP TABLE t; --` — stays one identifier or literal. Each
 * function returns exactly ONE statement (tests run each one through the extended protocol, which refuses two).
 */
import { quoteIdent, quoteLiteral, quoteQualified } from '../../sql';
import type { TableName } from './params';

const q = (t: TableName): string => quoteQualified(t.schema, t.name);

export const dropPublicationFix = (name: string): string => `DROP PUBLICATION ${quoteIdent(name)};`;
export const dropSubscriptionFix = (name: string): string => `DROP SUBSCRIPTION ${quoteIdent(name)};`;
export const dropSlotFix = (slot: string): string => `SELECT pg_drop_replication_slot(${quoteLiteral(slot)});`;
export const grantReplicationFix = (role: string): string => `ALTER ROLE ${quoteIdent(role)} REPLICATION;`;
export const replicaIdentityFullFix = (t: TableName): string => `ALTER TABLE ${q(t)} REPLICA IDENTITY FULL;`;
export const replicaIdentityIndexFix = (t: TableName, index: string): string => `ALTER TABLE ${q(t)} REPLICA IDENTITY USING INDEX ${quoteIdent(index)};`;
export const grantSelectFix = (role: string, tables: TableName[]): string => `GRANT SELECT ON TABLE ${tables.map(q).join(', ')} TO ${quoteIdent(role)};`;
export const grantUsageFix = (role: string, schemas: string[]): string => `GRANT USAGE ON SCHEMA ${schemas.map(quoteIdent).join(', ')} TO ${quoteIdent(role)};`;
/** On the target, before anything replicates into it (the preflight refuses tables that already hold rows). */
export const truncateFix = (tables: TableName[]): string => `TRUNCATE ONLY ${tables.map(q).join(', ')};`;

export interface DatabaseLocale {
  encoding: string;
  collate: string;
  ctype: string;
  /** 'c' libc, 'i' ICU, 'b' builtin (17+) — pg_database.datlocprovider (15+). */
  provider?: string | null;
  /** ICU / builtin locale (daticulocale 15–16, datlocale 17+). */
  locale?: string | null;
}

/** CREATE DATABASE with the source's encoding and locale (template0: any encoding/locale is allowed from it). */
export function createDatabaseFix(name: string, l: DatabaseLocale, targetMajor: number): string {
  const parts = [`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0 ENCODING ${quoteLiteral(l.encoding)}`];
  parts.push(`LC_COLLATE ${quoteLiteral(l.collate)} LC_CTYPE ${quoteLiteral(l.ctype)}`);
  if (l.provider === 'i' && l.locale && targetMajor >= 15) parts.push(`LOCALE_PROVIDER icu ICU_LOCALE ${quoteLiteral(l.locale)}`);
  if (l.provider === 'b' && l.locale && targetMajor >= 17) parts.push(`LOCALE_PROVIDER builtin BUILTIN_LOCALE ${quoteLiteral(l.locale)}`);
  return `${parts.join(' ')};`;
}

/** Subscriptions and DDL on a frozen target need a session allowed to write. */
export const WRITABLE_SESSION_FIX = 'SET default_transaction_read_only = off;';
export const refreshPublicationFix = (subscription: string): string => `ALTER SUBSCRIPTION ${quoteIdent(subscription)} REFRESH PUBLICATION;`;
export const addTablesFix = (publication: string, tables: TableName[]): string => `ALTER PUBLICATION ${quoteIdent(publication)} ADD TABLE ${tables.map(q).join(', ')};`;
