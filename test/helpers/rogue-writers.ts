/**
 * Writers that ignore read-only, as some pools and migration tools do (issue 16): each one keeps reconnecting and
 * inserting a unique id with autocommit, and opts out of read-only in its own way:
 *  - options:  connection option  options='-c default_transaction_read_only=off'
 *  - set:      SET default_transaction_read_only = off           after every connect
 *  - session:  SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE  after every connect
 *  - none:     a well-behaved client, for comparison
 * A writer's connection may name several hosts (libpq multi-host, target_session_attrs=read-write): with the options
 * opt-out a read-only-by-default server then even looks writable to the check. Every acknowledged id is kept, with
 * the host and time, to be looked for afterwards on the server that must hold them.
 */
import type { Client } from 'pg';
import { formatConnString, parseConnString } from '../../src/core/conn';
import { multiHostConnector } from '../../src/core/probe';
import { quoteIdent, quoteLiteral } from '../../src/core/sql';
import { clientFor, startTestServers, type LabServer, type TestServers } from './lab';

export type OptOut = 'options' | 'set' | 'session' | 'none';

export interface RogueSpec { name: string; connection: string; optOut: OptOut }
export interface RogueAck { id: number; writer: string; host: string; at: number }
export interface RogueWriters {
  acked(): RogueAck[];
  stop(): Promise<RogueAck[]>;
}

const OPT_OUT_SQL: Record<OptOut, string | undefined> = {
  options: undefined,
  set: 'SET default_transaction_read_only = off',
  session: 'SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE',
  none: undefined,
};

export const ROGUE_TABLE_DDL = 'CREATE TABLE IF NOT EXISTS rogue_writes (id bigint PRIMARY KEY, writer text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())';

function withOptOut(connection: string, optOut: OptOut): string {
  if (optOut !== 'options') return connection;
  return formatConnString({ ...parseConnString(connection), options: '-c default_transaction_read_only=off' });
}

export function startRogueWriters(specs: RogueSpec[], password: string, intervalMs = 5): RogueWriters {
  const acked: RogueAck[] = [];
  let next = 1;
  let running = true;
  const loops = specs.map(async (w) => {
    const connector = multiHostConnector(withOptOut(w.connection, w.optOut), password, `rogue-${w.name}`);
    let c: Awaited<ReturnType<typeof connector>> | undefined;
    while (running) {
      try {
        if (!c) {
          const got = await connector();
          c = got;
          const sql = OPT_OUT_SQL[w.optOut];
          if (sql) await got.client.query(sql);
        }
        const id = next++;
        await c.client.query('INSERT INTO rogue_writes (id, writer) VALUES ($1, $2)', [id, w.name]);
        acked.push({ id, writer: w.name, host: c.host, at: Date.now() });
      } catch {
        await c?.client.end().catch(() => undefined);
        c = undefined;
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
    await c?.client.end().catch(() => undefined);
  });
  return {
    acked: () => [...acked],
    async stop() {
      running = false;
      await Promise.all(loops);
      return [...acked];
    },
  };
}

/** The acknowledged ids missing on `c` (must be none). */
export async function missingOn(c: Client, acks: RogueAck[]): Promise<number[]> {
  const ids = acks.map((a) => a.id);
  const r = await c.query<{ id: string }>('SELECT id::text AS id FROM rogue_writes WHERE id = ANY($1::bigint[])', [ids]);
  const found = new Set(r.rows.map((x) => Number(x.id)));
  return ids.filter((id) => !found.has(id));
}

export interface FencePair { lab: TestServers; oldS: LabServer; newS: LabServer; o: Client; n: Client }

/**
 * The fence tests' servers: an old and a new one, each with `role` (LOGIN, `password`) and database `db` holding
 * rogue_writes granted to it; `o` and `n` are superuser sessions on `db` (`o` survives the window's terminations).
 */
export async function startFencePair(versions: [string, string], portBase: number, db: string, role: string, password: string): Promise<FencePair> {
  const lab = await startTestServers(versions, { portBase });
  const [oldS, newS] = lab.servers;
  for (const s of [oldS, newS]) {
    const c = await clientFor(s);
    await c.query(`CREATE ROLE ${quoteIdent(role)} LOGIN PASSWORD ${quoteLiteral(password)}`);
    await c.query(`CREATE DATABASE ${quoteIdent(db)}`);
    await c.end();
  }
  const o = await clientFor(oldS, db);
  o.on('error', () => undefined); // terminated with the other client sessions in the window
  const n = await clientFor(newS, db);
  for (const c of [o, n]) {
    await c.query(ROGUE_TABLE_DDL);
    await c.query(`GRANT ALL ON rogue_writes TO ${quoteIdent(role)}`);
  }
  return { lab, oldS, newS, o, n };
}
