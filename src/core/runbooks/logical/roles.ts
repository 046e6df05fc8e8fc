/**
 * Roles of the source recreated on the target, as SQL we generate from the catalog (pg_authid): every source
 * version works (pg_dumpall refuses servers newer than itself), the plan shows exact statements with the password
 * hashes masked, and roles already on the target are left untouched. Pure functions + two reads.
 */
import type { Queryable } from '../../db';
import { quoteIdent, quoteLiteral } from '../../sql';
import { MASK } from './statements';

export interface SourceRole {
  name: string;
  superuser: boolean;
  inherit: boolean;
  createRole: boolean;
  createDb: boolean;
  login: boolean;
  replication: boolean;
  bypassRls: boolean;
  connLimit: number;
  validUntil: string | null; // 'infinity' or an ISO timestamp with +00
  /** SCRAM/MD5 hash; null when none or when it could not be read (not a superuser). */
  passwordHash: string | null;
}

export interface Membership {
  role: string;
  member: string;
  admin: boolean;
  /** (16+) null before 16 */
  inherit: boolean | null;
  set: boolean | null;
}

export interface RoleSetting {
  role: string;
  /** true: ALTER ROLE … IN DATABASE <the replicated database>; false: for every database. */
  inDatabase: boolean;
  name: string;
  value: string;
}

export interface SourceRoles {
  roles: SourceRole[];
  memberships: Membership[];
  settings: RoleSetting[];
  passwordsReadable: boolean;
}

type Row = Record<string, unknown>;

export async function readSourceRoles(q: Queryable, major: number): Promise<SourceRoles> {
  // pg_authid holds the hashes; a managed admin usually may not read it (then pg_roles, without hashes)
  const sup = (await q.query<Row>("SELECT has_table_privilege('pg_catalog.pg_authid', 'SELECT') AS s")).rows[0].s === true;
  const table = sup ? 'pg_authid' : 'pg_roles';
  const roles = await q.query<Row>(
    `SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls, rolconnlimit,
       CASE WHEN rolvaliduntil IS NULL THEN NULL WHEN NOT isfinite(rolvaliduntil) THEN rolvaliduntil::text
            ELSE to_char(rolvaliduntil AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' END AS valid_until,
       ${sup ? 'rolpassword' : 'NULL::text'} AS pw
     FROM ${table} WHERE rolname !~ '^pg_' ORDER BY rolname`,
  );
  const members = await q.query<Row>(
    `SELECT r.rolname AS role, m.rolname AS member, am.admin_option,
       ${major >= 16 ? 'am.inherit_option, am.set_option' : 'NULL::boolean AS inherit_option, NULL::boolean AS set_option'}
     FROM pg_auth_members am JOIN pg_roles r ON r.oid = am.roleid JOIN pg_roles m ON m.oid = am.member
     ORDER BY 1, 2`,
  );
  const settings = await q.query<Row>(
    `SELECT r.rolname, s.setdatabase <> 0 AS in_db, cfg
     FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole CROSS JOIN LATERAL unnest(s.setconfig) cfg
     WHERE s.setdatabase = 0 OR s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
     ORDER BY 1, 2`,
  );
  return {
    roles: roles.rows.map((r) => ({
      name: String(r.rolname), superuser: r.rolsuper === true, inherit: r.rolinherit === true, createRole: r.rolcreaterole === true,
      createDb: r.rolcreatedb === true, login: r.rolcanlogin === true, replication: r.rolreplication === true, bypassRls: r.rolbypassrls === true,
      connLimit: Number(r.rolconnlimit), validUntil: r.valid_until === null ? null : String(r.valid_until),
      passwordHash: r.pw === null || r.pw === undefined ? null : String(r.pw),
    })),
    memberships: members.rows.map((r) => ({
      role: String(r.role), member: String(r.member), admin: r.admin_option === true,
      inherit: r.inherit_option === null ? null : r.inherit_option === true, set: r.set_option === null ? null : r.set_option === true,
    })),
    settings: settings.rows.map((r) => {
      const cfg = String(r.cfg);
      const eq = cfg.indexOf('=');
      return { role: String(r.rolname), inDatabase: r.in_db === true, name: cfg.slice(0, eq), value: cfg.slice(eq + 1) };
    }),
    passwordsReadable: sup,
  };
}

export interface TargetRoles {
  roles: Set<string>;
  memberships: Set<string>; // "role\0member"
}

export async function readTargetRoles(q: Queryable): Promise<TargetRoles> {
  const roles = await q.query<Row>('SELECT rolname FROM pg_roles');
  const members = await q.query<Row>(
    'SELECT r.rolname AS role, m.rolname AS member FROM pg_auth_members am JOIN pg_roles r ON r.oid = am.roleid JOIN pg_roles m ON m.oid = am.member',
  );
  return {
    roles: new Set(roles.rows.map((r) => String(r.rolname))),
    memberships: new Set(members.rows.map((r) => `${r.role}\u0000${r.member}`)),
  };
}

/** GUCs whose value is a list (pg_dump's variable_is_guc_list_quote): each element is its own literal. */
const LIST_GUCS = new Set(['local_preload_libraries', 'search_path', 'session_preload_libraries', 'shared_preload_libraries', 'temp_tablespaces', 'unix_socket_directories']);

/** Split a stored list value ("\"$user\", public") into its elements ($user, public), like SplitGUCList. */
export function splitGucList(value: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < value.length) {
    while (i < value.length && /\s/.test(value[i])) i++;
    if (i >= value.length) break;
    let item = '';
    if (value[i] === '"') {
      i++;
      while (i < value.length) {
        if (value[i] === '"') {
          if (value[i + 1] === '"') {
            item += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        item += value[i++];
      }
    } else {
      while (i < value.length && value[i] !== ',') item += value[i++];
      item = item.trim();
    }
    out.push(item);
    while (i < value.length && value[i] !== ',') i++;
    i++; // the comma
  }
  return out;
}

export function roleSettingSql(s: RoleSetting, database: string): string {
  const scope = s.inDatabase ? ` IN DATABASE ${quoteIdent(database)}` : '';
  const value = LIST_GUCS.has(s.name.toLowerCase()) ? splitGucList(s.value).map(quoteLiteral).join(', ') || "''" : quoteLiteral(s.value);
  return `ALTER ROLE ${quoteIdent(s.role)}${scope} SET ${s.name.split('.').map(quoteIdent).join('.')} TO ${value}`;
}

export function createRoleSql(r: SourceRole, opts: { withPassword: boolean; mask: boolean }): string {
  const flag = (on: boolean, word: string) => (on ? word : `NO${word}`);
  const parts = [
    flag(r.superuser, 'SUPERUSER'), flag(r.inherit, 'INHERIT'), flag(r.createRole, 'CREATEROLE'), flag(r.createDb, 'CREATEDB'),
    flag(r.login, 'LOGIN'), flag(r.replication, 'REPLICATION'), flag(r.bypassRls, 'BYPASSRLS'), `CONNECTION LIMIT ${r.connLimit}`,
  ];
  if (r.validUntil !== null) parts.push(`VALID UNTIL ${quoteLiteral(r.validUntil)}`);
  if (opts.withPassword && r.passwordHash) parts.push(`PASSWORD ${opts.mask ? quoteLiteral(MASK) : quoteLiteral(r.passwordHash)}`);
  return `CREATE ROLE ${quoteIdent(r.name)} WITH ${parts.join(' ')}`;
}

export function grantMembershipSql(m: Membership, targetMajor: number): string {
  const opts: string[] = [];
  if (m.admin) opts.push(targetMajor >= 16 ? 'ADMIN TRUE' : 'ADMIN OPTION');
  if (targetMajor >= 16) {
    if (m.inherit === false) opts.push('INHERIT FALSE');
    if (m.set === false) opts.push('SET FALSE');
  }
  return `GRANT ${quoteIdent(m.role)} TO ${quoteIdent(m.member)}${opts.length ? ` WITH ${opts.join(', ')}` : ''}`;
}

export interface RolePlan {
  create: SourceRole[];
  /** Roles of the source that already exist on the target: left as they are. */
  existing: string[];
  grants: Membership[];
  settings: RoleSetting[];
}

/** What must happen on the target: missing roles, their settings, and memberships the target lacks. */
export function planRoles(src: SourceRoles, tgt: TargetRoles): RolePlan {
  const create = src.roles.filter((r) => !tgt.roles.has(r.name));
  const creating = new Set(create.map((r) => r.name));
  const exists = (name: string) => tgt.roles.has(name) || creating.has(name);
  const grants = src.memberships.filter((m) => exists(m.role) && exists(m.member) && !tgt.memberships.has(`${m.role}\u0000${m.member}`));
  return {
    create,
    existing: src.roles.filter((r) => tgt.roles.has(r.name)).map((r) => r.name),
    grants,
    settings: src.settings.filter((s) => creating.has(s.role)),
  };
}

export function roleStatements(plan: RolePlan, o: { withPasswords: boolean; mask: boolean; database: string; targetMajor: number }): string[] {
  return [
    ...plan.create.map((r) => createRoleSql(r, { withPassword: o.withPasswords, mask: o.mask })),
    ...plan.settings.map((s) => roleSettingSql(s, o.database)),
    ...plan.grants.map((g) => grantMembershipSql(g, o.targetMajor)),
  ];
}

/** Attributes only a superuser may give (a CREATEROLE admin is refused them): left out on a non-superuser target. */
export const SUPERUSER_ONLY_ATTRIBUTES = ['superuser', 'replication', 'bypassRls'] as const;

export interface AdaptedRolePlan extends RolePlan {
  /** Roles created with fewer attributes than on the source ("name: SUPERUSER, REPLICATION"). */
  reducedAttributes: string[];
  /** Memberships a non-superuser cannot grant here (in roles it does not administer), as GRANT statements. */
  grantsLeft: string[];
}

/**
 * The role plan for a target user that is not a superuser: superuser-only attributes dropped (and listed), and only
 * memberships in roles this run creates (16+: their creator administers them) or that the user administers.
 */
export function adaptRolePlan(plan: RolePlan, targetSuperuser: boolean, administered: Set<string>, targetMajor: number): AdaptedRolePlan {
  if (targetSuperuser) return { ...plan, reducedAttributes: [], grantsLeft: [] };
  const reducedAttributes: string[] = [];
  const create = plan.create.map((r) => {
    const dropped = SUPERUSER_ONLY_ATTRIBUTES.filter((a) => r[a]);
    if (dropped.length) reducedAttributes.push(`${quoteIdent(r.name)}: ${dropped.map((a) => a.toUpperCase()).join(', ')}`);
    return { ...r, superuser: false, replication: false, bypassRls: false };
  });
  const created = new Set(plan.create.map((r) => r.name));
  const canGrant = (m: Membership) => administered.has(m.role) || (targetMajor >= 16 && created.has(m.role));
  return {
    ...plan, create, reducedAttributes,
    grants: plan.grants.filter(canGrant),
    grantsLeft: plan.grants.filter((m) => !canGrant(m)).map((m) => grantMembershipSql(m, targetMajor)),
  };
}

/** Roles of the target our user administers (ADMIN OPTION, directly or inherited), for adaptRolePlan. */
export async function administeredRoles(q: Queryable): Promise<Set<string>> {
  const r = await q.query<Row>(`SELECT rolname FROM pg_roles WHERE rolname !~ '^pg_' AND pg_has_role(current_user, oid, 'USAGE WITH ADMIN OPTION')`);
  return new Set(r.rows.map((x) => String(x.rolname)));
}
