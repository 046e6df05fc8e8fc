/**
 * Issue 13 item 5: no error message carries any part of a password, whatever is wrong with the input. Every input
 * puts a canary password (with an unencoded special character inside) through parse, resolve and connect; whichever
 * step fails, its message (and the error object, serialized) must hold no 3-character piece of the password.
 * connect() dials 127.0.0.1 on a port nothing listens on (a real refusal, no server needed).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { connect, parseConnString, resolveConn } from '../../../src/core/conn';

const SPECIALS = ['/', '@', ':', '?', '#', '&', '=', '%', '%4', '%00', '%zz', ' ', "'", '"', '\\', '[', ']', ',', '@/', '/@'];

function pieces(password: string): string[] {
  const out: string[] = [];
  for (const part of password.split(/[^A-Za-z0-9]+/)) for (let i = 0; i + 3 <= part.length; i++) out.push(part.slice(i, i + 3));
  return out;
}

/** A port on 127.0.0.1 where nothing listens (bound, then closed). */
async function closedPort(): Promise<number> {
  const base = Number(process.env.PGPILOT_TEST_PORT_BASE ?? 25000);
  for (let port = base + 400; port < base + 500; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer().once('error', () => resolve(false)).listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port');
}

function inputsFor(password: string, port: number): string[] {
  return [
    `postgresql://app:${password}@127.0.0.1:${port}/app`,
    `postgresql://app:${password}@127.0.0.1/app?port=${port}&connect_timeout=2`,
    `postgres://app:${password}@127.0.0.1:${port}`,
    `postgresql://127.0.0.1:${port}/app?password=${password}`,
    `postgresql://127.0.0.1:${port}/app?sslpassword=${password}&password=${password}`,
    `host=127.0.0.1 port=${port} user=app password=${password}`,
    `host=127.0.0.1 port=${port} user=app password='${password}`,
    `host=127.0.0.1 port=${port} user=app password=${password} dbname=app`,
    `password=${password} host=127.0.0.1 port=${port}`,
  ];
}

async function firstError(input: string): Promise<unknown> {
  try {
    const r = await resolveConn(parseConnString(input), { HOME: '/nonexistent' }, { homedir: '/nonexistent', osUser: 'app' });
    r.connectTimeoutSeconds = 2;
    const { client } = await connect(r);
    await client.end();
    return undefined;
  } catch (e) {
    return e;
  }
}

describe('error messages never carry a piece of the password', () => {
  for (const special of SPECIALS) {
    it(`password with ${JSON.stringify(special)} inside, given every way`, async () => {
      const password = `Qx7Zk${special}Wv9Jm`;
      const port = await closedPort();
      for (const input of inputsFor(password, port)) {
        const e = await firstError(input);
        assert.ok(e instanceof Error, `expected a failure for ${input}`);
        const text = `${e.message} ${JSON.stringify(e)} ${e.stack ?? ''}`;
        for (const p of pieces(password)) assert.ok(!text.includes(p), `"${p}" of the password in: ${e.message}\n(input ${input})`);
      }
    });
  }
});
