/**
 * Statements that must carry a password (a subscription's CONNECTION) sent so that the server cannot log it.
 *
 * What PostgreSQL logs (checked on 14, 16 and 17, see docs/managed-postgres.md): log_statement logs the text of
 * every top-level statement (ddl: CREATE/ALTER SUBSCRIPTION; all: everything, with bind parameters);
 * log_min_error_statement (default error) logs the STATEMENT of every failing one; log_min_duration_statement logs
 * text and parameters. A non-superuser (a managed admin) can change none of these for its session. COPY … FROM STDIN
 * data, however, is never logged: the connection string goes into a temporary table by COPY, and a DO block builds
 * and EXECUTEs the statement server-side, catching any error and raising it again without the statement (an
 * uncaught error inside EXECUTE would log it as the CONTEXT "SQL statement …"). What the server logs, shows in
 * pg_stat_activity or keeps in pg_stat_statements is the DO block: the statement with a placeholder.
 * One gap remains, closed by the callers: a WARNING (it cannot be caught) raised by the statement is logged with
 * the statement as CONTEXT. A superuser's DO block turns that off for its transaction; for anyone else the callers
 * only run statements that raise none (the probe names a publication that exists: a missing one is a WARNING).
 */
import { randomBytes } from 'node:crypto';
import type { Queryable } from '../../db';
import { quoteLiteral } from '../../sql';
import { MASK } from './statements';

/**
 * Pass this as the connection string to a statement builder (createSubscriptionSql …): runWithSecretConninfo
 * replaces its quoted literal by the real one, server-side.
 */
export const CONNINFO_PLACEHOLDER = '__pgpilot_conninfo__';

type CopyCapable = Queryable & { copyRowsIn(statement: string, rows: string[][]): Promise<void> };

function canCopy(q: Queryable): q is CopyCapable {
  return typeof (q as Partial<CopyCapable>).copyRowsIn === 'function';
}

const TEMP_TABLE = 'pg_temp.pgpilot_secret';

/**
 * The DO block executed: it reads the connection string from the temporary table, splices it into `template` as
 * a literal, runs it, and on failure raises the same SQLSTATE with the secret masked and no statement attached.
 */
export function secretDoBlock(template: string): string {
  const tag = `$pgpilot_${randomBytes(4).toString('hex')}$`;
  return `DO ${tag}
DECLARE c text; p text;
BEGIN
  SELECT v, w INTO STRICT c, p FROM ${TEMP_TABLE};
  -- a WARNING raised by the statement (it cannot be caught) would log it as CONTEXT; a superuser can prevent that
  IF current_setting('is_superuser') = 'on' THEN
    PERFORM set_config('log_min_messages', 'error', true), set_config('log_error_verbosity', 'terse', true);
  END IF;
  EXECUTE replace(${quoteLiteral(template)}, ${quoteLiteral(quoteLiteral(CONNINFO_PLACEHOLDER))}, quote_literal(c));
EXCEPTION WHEN OTHERS THEN
  RAISE EXCEPTION USING ERRCODE = SQLSTATE,
    MESSAGE = CASE WHEN coalesce(p, '') = '' THEN SQLERRM ELSE replace(SQLERRM, p, ${quoteLiteral(MASK)}) END;
END ${tag}`;
}

/**
 * Runs `template` (a statement with CONNINFO_PLACEHOLDER where the quoted connection string goes) on session `s`
 * with `conninfo` spliced in server-side; `password` (inside conninfo) is masked in any error. The session must be
 * dedicated (a temporary table is created and dropped in it). Works inside or outside a transaction block, but the
 * statement itself runs inside the DO block's transaction (so not CREATE SUBSCRIPTION … create_slot = true).
 */
export async function runWithSecretConninfo(s: Queryable, template: string, conninfo: string, password: string | undefined): Promise<void> {
  if (!template.includes(quoteLiteral(CONNINFO_PLACEHOLDER))) throw new Error('internal: the statement has no connection placeholder');
  if (!canCopy(s)) throw new Error('internal: this session cannot COPY a secret to the server');
  await s.query(`CREATE TEMPORARY TABLE IF NOT EXISTS ${TEMP_TABLE.slice('pg_temp.'.length)} (v text, w text)`);
  try {
    await s.query(`TRUNCATE ${TEMP_TABLE}`);
    await s.copyRowsIn(`COPY ${TEMP_TABLE} (v, w) FROM STDIN`, [[conninfo, password ?? '']]);
    await s.query(secretDoBlock(template));
  } catch (err) {
    // the server masked it already; our own message must not carry it either
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(password ? msg.split(password).join(MASK) : msg);
  } finally {
    await s.query(`DROP TABLE IF EXISTS ${TEMP_TABLE}`).catch(() => undefined);
  }
}
