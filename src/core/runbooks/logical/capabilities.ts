/**
 * What our user may do on a server, as SQL sees it (rolsuper, rolreplication, role memberships, database ownership,
 * function and catalog privileges) — read first, before any other preflight query, with queries every role may
 * run — and the upgrade plan adapted to it: what will be done which way, and for what cannot be done the exact
 * GRANT or setting that would allow it. Managed services (RDS, Cloud SQL, Azure, Supabase…) give an admin role
 * that is not a superuser: see docs/managed-postgres.md. No per-provider table: only what the server answers.
 */
import type { Queryable } from '../../db';
import { quoteIdent } from '../../sql';

/** Predefined and provider roles whose membership changes what the runbook can do. */
export const CAPABILITY_ROLES = [
  'pg_signal_backend', 'pg_monitor', 'pg_read_all_data', 'pg_write_all_data', 'pg_create_subscription',
  'rds_superuser', 'rds_replication', 'cloudsqlsuperuser', 'azure_pg_admin', 'neon_superuser',
] as const;
export type CapabilityRole = (typeof CAPABILITY_ROLES)[number];

export interface Capabilities {
  user: string;
  database: string;
  major: number;
  superuser: boolean;
  /** rolreplication, or membership of a provider role that grants it (rds_replication). */
  replication: boolean;
  createRole: boolean;
  createDb: boolean;
  /** Roles (of CAPABILITY_ROLES that exist on this server) we are a member of, with their privileges. */
  memberOf: CapabilityRole[];
  ownsDatabase: boolean;
  /** CREATE on the database (subscriptions need it on 16+, publications always). */
  createOnDatabase: boolean;
  /** Catalogs a non-superuser is often denied. */
  readable: { pg_authid: boolean; subconninfo: boolean; pg_file_settings: boolean };
  /** EXECUTE on the functions the runbook calls. */
  functions: { terminateBackend: boolean; reloadConf: boolean; createSlot: boolean };
  /** ALTER SYSTEM on default_transaction_read_only (superuser, or GRANT ALTER SYSTEM ON PARAMETER, 15+). */
  alterSystemReadOnly: boolean;
}

type Row = Record<string, unknown>;

/** One round trip; every expression is readable by any role (no catalog that could be denied). */
export function capabilitiesSql(major: number): string {
  const member = (r: string) => `(to_regrole('${r}') IS NOT NULL AND pg_has_role(current_user, '${r}', 'USAGE')) AS "${r}"`;
  const alterSystem = major >= 15
    ? "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user) OR has_parameter_privilege('default_transaction_read_only', 'ALTER SYSTEM')"
    : '(SELECT rolsuper FROM pg_roles WHERE rolname = current_user)';
  return `SELECT current_user AS usr, current_database() AS db,
  r.rolsuper, r.rolreplication, r.rolcreaterole, r.rolcreatedb,
  ${CAPABILITY_ROLES.map(member).join(',\n  ')},
  pg_has_role(current_user, d.datdba, 'USAGE') AS owns_db,
  has_database_privilege(current_database(), 'CREATE') AS create_db,
  has_table_privilege('pg_catalog.pg_authid', 'SELECT') AS read_authid,
  has_column_privilege('pg_catalog.pg_subscription', 'subconninfo', 'SELECT') AS read_subconninfo,
  has_function_privilege('pg_catalog.pg_show_all_file_settings()', 'EXECUTE') AS read_file_settings,
  has_function_privilege('pg_catalog.pg_terminate_backend(${major >= 14 ? 'integer, bigint' : 'integer'})', 'EXECUTE') AS fn_terminate,
  has_function_privilege('pg_catalog.pg_reload_conf()', 'EXECUTE') AS fn_reload,
  has_function_privilege('pg_catalog.pg_create_logical_replication_slot(name, name, boolean${major >= 17 ? ', boolean, boolean' : major >= 14 ? ', boolean' : ''})', 'EXECUTE') AS fn_slot,
  ${alterSystem} AS alter_system
FROM pg_roles r, pg_database d WHERE r.rolname = current_user AND d.datname = current_database()`;
}

export async function probeCapabilities(q: Queryable): Promise<Capabilities> {
  const v = await q.query<{ n: string }>("SELECT current_setting('server_version_num') AS n");
  const major = Math.floor(Number(v.rows[0].n) / 10000);
  const r = (await q.query<Row>(capabilitiesSql(major))).rows[0];
  const memberOf = CAPABILITY_ROLES.filter((x) => r[x] === true);
  const superuser = r.rolsuper === true;
  return {
    user: String(r.usr), database: String(r.db), major, superuser,
    replication: superuser || r.rolreplication === true || memberOf.includes('rds_replication'),
    createRole: superuser || r.rolcreaterole === true,
    createDb: superuser || r.rolcreatedb === true,
    memberOf,
    ownsDatabase: superuser || r.owns_db === true,
    createOnDatabase: superuser || r.create_db === true,
    readable: { pg_authid: superuser || r.read_authid === true, subconninfo: superuser || r.read_subconninfo === true, pg_file_settings: superuser || r.read_file_settings === true },
    // pg_terminate_backend is EXECUTE-able by PUBLIC: whom it may signal is what pg_signal_backend decides
    functions: { terminateBackend: superuser || (r.fn_terminate === true && memberOf.includes('pg_signal_backend')), reloadConf: superuser || r.fn_reload === true, createSlot: r.fn_slot === true },
    alterSystemReadOnly: r.alter_system === true,
  };
}

const u = (c: Capabilities) => quoteIdent(c.user);
const db = (c: Capabilities) => quoteIdent(c.database);

/** One line of the adapted plan: what is done which way, or why it cannot be and the GRANT that would allow it. */
export interface PlanItem {
  id: string;
  cluster: 'source' | 'target';
  possible: boolean;
  /** What will be done, and how (or what cannot be). */
  how: string;
  /** The exact statement(s) or setting that would make it possible (identifiers quoted). */
  fix?: string;
  /** true: the upgrade cannot run without it; false: a degraded but working way is used. */
  blocking: boolean;
}

export interface AdaptedPlan {
  publication: 'all-tables' | 'table-list';
  rolePasswords: boolean;
  schemaNoOwner: boolean;
  /** How the switchover can freeze the source: ALTER SYSTEM, per database, or neither. */
  freeze: { system: boolean; database: boolean };
  items: PlanItem[];
}

export interface PlanInputs {
  copyRoles: boolean;
  copyRolePasswords: boolean;
  reverseReplication: boolean;
  /** Tables in scope on the source that our user does not own (a FOR TABLE list needs ownership). */
  tablesNotOwned: string[];
  /** Sequences on the source our user cannot read (the switchover copies their values). */
  sequencesUnreadable: string[];
  /** The subscriber connection carries a password (not a passfile= on the subscriber's host). */
  subscriberWithPassword: boolean;
  /** How the switchover will freeze (params.freezeMethod; 'database' when absent). */
  freezeMethod?: 'database' | 'system';
}

function subscriptionItem(id: string, c: Capabilities, cluster: 'source' | 'target', what: string, withPassword: boolean): PlanItem {
  if (c.superuser) return { id, cluster, possible: true, blocking: true, how: `${what}: CREATE SUBSCRIPTION as superuser ${u(c)}.` };
  if (c.major < 16) {
    return { id, cluster, possible: false, blocking: true, how: `${what}: PostgreSQL ${c.major} lets only a superuser create subscriptions.`, fix: `Connect to the ${cluster} as a superuser; PostgreSQL 16+ also allows GRANT pg_create_subscription TO ${u(c)};` };
  }
  const fixes: string[] = [];
  if (!c.memberOf.includes('pg_create_subscription')) fixes.push(`GRANT pg_create_subscription TO ${u(c)};`);
  if (!c.createOnDatabase) fixes.push(`GRANT CREATE ON DATABASE ${db(c)} TO ${u(c)};`);
  if (fixes.length) return { id, cluster, possible: false, blocking: true, how: `${what}: ${u(c)} is not a superuser and lacks what PostgreSQL 16+ needs to create a subscription.`, fix: fixes.join(' ') };
  if (!withPassword) {
    return { id, cluster, possible: false, blocking: true, how: `${what}: a non-superuser's subscription must carry a password in its connection (password_required); a passfile= or a password-less connection is refused.`, fix: 'Give the replication user a password (password file on this machine / SecretStorage) instead of passfile= or trust.' };
  }
  return { id, cluster, possible: true, blocking: true, how: `${what}: CREATE SUBSCRIPTION through pg_create_subscription (${u(c)} is not a superuser; the connection must carry a password, never logged, removed at the end of every run).` };
}

const canFreezeByDatabase = (c: Capabilities) => (c.superuser || c.ownsDatabase) && c.functions.terminateBackend;

/** How a server is made read-only for its clients: ALTER SYSTEM (--freeze-method system), else per database. */
function freezeItem(id: string, c: Capabilities, cluster: 'source' | 'target', what: string, method: PlanInputs['freezeMethod']): PlanItem {
  if ((method ?? 'database') === 'system' && c.alterSystemReadOnly) {
    return { id, cluster, possible: true, blocking: true, how: `${what} (--freeze-method system): ALTER SYSTEM SET default_transaction_read_only + reload, the whole cluster, then client sessions terminated.` };
  }
  if (canFreezeByDatabase(c)) {
    return { id, cluster, possible: true, blocking: true, how: `${what} per database: ALTER DATABASE ${db(c)} SET default_transaction_read_only = on, then the database's client sessions terminated (owner + pg_signal_backend; ALTER SYSTEM needs a superuser).` };
  }
  return {
    id, cluster, possible: false, blocking: true,
    how: `${what}: ${u(c)} can freeze the ${cluster} neither by ALTER SYSTEM (superuser) nor per database (${[!c.ownsDatabase ? `it does not own ${db(c)}` : '', !c.functions.terminateBackend ? 'it is not a member of pg_signal_backend, so it cannot end other roles\' sessions' : ''].filter(Boolean).join('; ')}).`,
    fix: [!c.ownsDatabase ? `ALTER DATABASE ${db(c)} OWNER TO ${u(c)};` : '', !c.functions.terminateBackend ? `GRANT pg_signal_backend TO ${u(c)};` : ''].filter(Boolean).join(' '),
  };
}

/** The plan adapted to both servers' capabilities. Pure. */
export function adaptPlan(src: Capabilities, tgt: Capabilities, i: PlanInputs): AdaptedPlan {
  const items: PlanItem[] = [];
  const allTables = src.superuser;
  // ---- source: publication, slot, freeze, terminate, sequences ----
  if (allTables) {
    items.push({ id: 'plan-publication', cluster: 'source', possible: true, blocking: true, how: 'Publication FOR ALL TABLES (or the chosen schemas/tables), as superuser.' });
  } else if (i.tablesNotOwned.length || !src.createOnDatabase) {
    const n = i.tablesNotOwned.length;
    const why = [
      n ? `${u(src)} must own every listed table and does not own ${n}: ${i.tablesNotOwned.slice(0, 10).join(', ')}${n > 10 ? ' …' : ''}` : '',
      !src.createOnDatabase ? `CREATE PUBLICATION needs CREATE on ${db(src)}, which ${u(src)} lacks` : '',
    ].filter(Boolean).join('; ');
    items.push({
      id: 'plan-publication', cluster: 'source', possible: false, blocking: true,
      how: `Publication FOR TABLE (a list: FOR ALL TABLES needs a superuser): ${why}.`,
      fix: [
        n ? `Run the upgrade as the tables' owner, or transfer them: ${i.tablesNotOwned.slice(0, 3).map((t) => `ALTER TABLE ${t} OWNER TO ${u(src)};`).join(' ')}${n > 3 ? ' …' : ''}` : '',
        !src.createOnDatabase ? `GRANT CREATE ON DATABASE ${db(src)} TO ${u(src)};` : '',
      ].filter(Boolean).join(' '),
    });
  } else {
    items.push({ id: 'plan-publication', cluster: 'source', possible: true, blocking: true, how: `Publication FOR TABLE with the list of the tables in scope (owned by ${u(src)}; FOR ALL TABLES needs a superuser), kept complete as tables appear.` });
  }
  items.push(src.replication && src.functions.createSlot
    ? { id: 'plan-slot', cluster: 'source', possible: true, blocking: true, how: `Replication slot created with pg_create_logical_replication_slot by ${u(src)} (${src.superuser ? 'superuser' : 'REPLICATION'}).` }
    : { id: 'plan-slot', cluster: 'source', possible: false, blocking: true, how: `${u(src)} cannot create the replication slot (neither superuser nor REPLICATION).`, fix: `ALTER ROLE ${u(src)} REPLICATION; (on AWS RDS: GRANT rds_replication TO ${u(src)};)` });
  const byDatabase = canFreezeByDatabase(src);
  items.push(freezeItem('plan-freeze', src, 'source', 'Freeze (switchover)', i.freezeMethod));
  if (i.sequencesUnreadable.length) {
    items.push({ id: 'plan-sequences-source', cluster: 'source', possible: false, blocking: true, how: `${u(src)} cannot read ${i.sequencesUnreadable.length} sequence(s) whose values the switchover copies: ${i.sequencesUnreadable.slice(0, 10).join(', ')}.`, fix: `GRANT pg_read_all_data TO ${u(src)}; — or, for each: ${i.sequencesUnreadable.slice(0, 5).map((x) => `GRANT SELECT ON SEQUENCE ${x} TO ${u(src)};`).join(' ')}${i.sequencesUnreadable.length > 5 ? ' …' : ''}` });
  }
  // ---- target: roles, schema, subscription, sequences ----
  const rolePasswords = i.copyRolePasswords && src.readable.pg_authid;
  if (i.copyRoles) {
    if (!tgt.createRole) {
      items.push({ id: 'plan-roles', cluster: 'target', possible: false, blocking: true, how: `${u(tgt)} cannot create roles on the target (neither superuser nor CREATEROLE).`, fix: `ALTER ROLE ${u(tgt)} CREATEROLE; (or create the roles yourself and turn copyRoles off)` });
    } else {
      items.push({
        id: 'plan-roles', cluster: 'target', possible: true, blocking: false,
        how: rolePasswords
          ? 'Roles copied with their password hashes (pg_authid is readable on the source).'
          : `Roles copied WITHOUT password hashes (${i.copyRolePasswords ? `pg_authid is not readable by ${u(src)} on the source` : 'copyRolePasswords is off'}): the roles to give a password are listed in the record.`,
        fix: rolePasswords || !i.copyRolePasswords ? undefined : 'To copy the hashes, connect to the source as a superuser; otherwise set each login role\'s password on the target (ALTER ROLE … PASSWORD …) before the switchover.',
      });
      if (!tgt.superuser) {
        items.push({ id: 'plan-roles-attributes', cluster: 'target', possible: true, blocking: false, how: `Role attributes a non-superuser cannot grant (SUPERUSER, REPLICATION, BYPASSRLS${tgt.major >= 16 ? '' : ', and on PostgreSQL < 16 CREATEROLE limits'}) are left out on the target and listed.` });
      }
    }
  }
  items.push(freezeItem('plan-freeze-target', tgt, 'target', 'Target kept read-only for clients until the switchover', i.freezeMethod));
  const schemaNoOwner = !tgt.superuser;
  items.push({
    id: 'plan-schema', cluster: 'target', possible: true, blocking: false,
    how: schemaNoOwner
      ? `Schema with pg_dump --no-owner: every object is owned by ${u(tgt)} on the target (ownership to other roles needs a superuser); grants are kept.`
      : 'Schema with pg_dump --schema-only, owners and grants kept.',
  });
  items.push(subscriptionItem('plan-subscription', tgt, 'target', 'Subscription on the target', i.subscriberWithPassword));
  items.push(tgt.superuser || tgt.memberOf.includes('pg_write_all_data')
    ? { id: 'plan-sequences-target', cluster: 'target', possible: true, blocking: true, how: `setval on the target's sequences as ${tgt.superuser ? 'superuser' : 'a member of pg_write_all_data'}.` }
    : { id: 'plan-sequences-target', cluster: 'target', possible: true, blocking: true, how: `setval on the target's sequences as their owner (${schemaNoOwner ? `the schema copy makes ${u(tgt)} own them` : 'the switchover names any it cannot update'}).` });
  if (i.reverseReplication) items.push(subscriptionItem('plan-reverse', src, 'source', 'Reverse replication (the old server subscribes to the new one)', true));
  return { publication: allTables ? 'all-tables' : 'table-list', rolePasswords, schemaNoOwner, freeze: { system: src.alterSystemReadOnly, database: byDatabase }, items };
}

/** Tables (relkind r/p) and sequences of user schemas our user does not own / cannot read, quoted "schema"."name". */
export async function privilegeGaps(q: Queryable): Promise<{ notOwned: Map<string, string>; unreadableSequences: string[] }> {
  const r = await q.query<Row>(
    `SELECT c.relkind::text AS kind, n.nspname, c.relname,
       pg_has_role(current_user, c.relowner, 'USAGE') AS owned,
       CASE WHEN c.relkind = 'S' THEN has_sequence_privilege(c.oid, 'SELECT') END AS seq_read
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'S') AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'`,
  );
  const notOwned = new Map<string, string>();
  const unreadableSequences: string[] = [];
  for (const row of r.rows) {
    const name = `${quoteIdent(String(row.nspname))}.${quoteIdent(String(row.relname))}`;
    if (row.kind === 'S') {
      if (row.seq_read === false) unreadableSequences.push(name);
    } else if (row.owned !== true) {
      notOwned.set(`${String(row.nspname)}\u0000${String(row.relname)}`, name);
    }
  }
  return { notOwned, unreadableSequences };
}
