/**
 * A TCP proxy in front of one PostgreSQL server (127.0.0.1, SSL off) that can lose the network at an exact statement.
 * Give the CLI the proxy's port instead of the server's; everything passes through until an armed fault fires.
 *
 *   const proxy = await startFaultProxy({ upstreamPort: target.port, port: 22590 });
 *   proxy.arm({ after: [/ALTER SYSTEM RESET/i], on: /pg_reload_conf/i, action: 'cut' });
 *   …
 *   proxy.fired  // { at, statement, action } once it fired
 *   await proxy.close();
 *
 * It parses the frontend protocol: the untyped startup packets (SSLRequest/GSSENCRequest answered by the server,
 * then StartupMessage), then typed messages; the statement text of a simple Query ('Q') and of a Parse ('P').
 * A fault fires on the first statement matching `on` once every pattern of `after` was seen, in order, on any
 * connection through the proxy (the target is frozen with the same reload that opens it: `after` tells them apart).
 *
 *   cut      the statement reaches the server and runs; its reply is withheld and both sockets are destroyed as soon
 *            as the server says it is ready for the next query (or after `cutAfterMs`, default 2 s): the client sees
 *            its connection lost with the statement's effect unknown.
 *   swallow  the statement reaches the server and runs; from then on nothing the server sends on that connection
 *            reaches the client (a reply lost on the network); the connection stays open until the client gives up.
 * Later connections pass through (the network came back), unless `blockNewConnections` is set.
 */
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';

export type FaultAction = 'cut' | 'swallow';

export interface FaultSpec {
  /** Patterns that must each have been seen (in this order, any connection) before `on` can fire. */
  after?: RegExp[];
  on: RegExp;
  action: FaultAction;
  /** cut: destroy at the latest this long after the statement was forwarded (default 2000 ms). */
  cutAfterMs?: number;
  /** After the fault fired, refuse every new connection (the server unreachable) until disarm(). */
  blockNewConnections?: boolean;
}

export interface FiredFault {
  at: number; // epoch ms the matching statement was forwarded
  statement: string;
  action: FaultAction;
}

export interface FaultProxy {
  readonly port: number;
  readonly upstreamPort: number;
  /** One fault at a time; arming replaces the previous one (and clears `fired`). */
  arm(spec: FaultSpec): void;
  /** Stop faults (pass everything through again); connections already cut stay cut. */
  disarm(): void;
  readonly fired: FiredFault | undefined;
  /** Every statement seen (epoch ms, text), for assertion messages and to choose patterns. */
  readonly statements: ReadonlyArray<{ at: number; text: string }>;
  /** Close the listener and every connection through it. */
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const MAX_STATEMENTS_KEPT = 2000;

/** The statement text of a frontend message, or undefined if it carries none. */
export function statementOf(type: number, body: Buffer): string | undefined {
  if (type === 0x51 /* Q */) return cstring(body, 0);
  if (type === 0x50 /* P */) {
    const nameEnd = body.indexOf(0);
    return nameEnd < 0 ? undefined : cstring(body, nameEnd + 1);
  }
  return undefined;
}

function cstring(b: Buffer, from: number): string {
  const end = b.indexOf(0, from);
  return b.toString('utf8', from, end < 0 ? b.length : end);
}

/**
 * Splits the client→server byte stream into whole messages. The first packets have no type byte: an SSLRequest or
 * GSSENCRequest (the server answers one byte, the client then sends the real StartupMessage) or a CancelRequest.
 */
export class FrontendParser {
  private buf: Buffer = Buffer.alloc(0);
  private startup = true;

  /** Returns complete messages (raw bytes, type 0 for untyped startup packets) in order. */
  push(chunk: Buffer): Array<{ type: number; raw: Buffer; body: Buffer }> {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Array<{ type: number; raw: Buffer; body: Buffer }> = [];
    for (;;) {
      if (this.startup) {
        if (this.buf.length < 8) break;
        const len = this.buf.readInt32BE(0);
        if (this.buf.length < len) break;
        const code = this.buf.readInt32BE(4);
        const raw = this.buf.subarray(0, len);
        this.buf = this.buf.subarray(len);
        out.push({ type: 0, raw, body: raw.subarray(8) });
        if (code !== SSL_REQUEST && code !== GSSENC_REQUEST && code !== CANCEL_REQUEST) this.startup = false;
        continue;
      }
      if (this.buf.length < 5) break;
      const len = this.buf.readInt32BE(1);
      if (this.buf.length < 1 + len) break;
      const raw = this.buf.subarray(0, 1 + len);
      this.buf = this.buf.subarray(1 + len);
      out.push({ type: raw[0], raw, body: raw.subarray(5) });
    }
    return out;
  }
}

/** Finds ReadyForQuery ('Z') messages in the server→client stream (to know when a statement has run). */
class BackendReadyWatcher {
  private buf: Buffer = Buffer.alloc(0);
  private startupDone = false;

  /** True when this chunk completes a ReadyForQuery message. */
  push(chunk: Buffer): boolean {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let ready = false;
    // The one-byte answer to an SSLRequest ('N'/'S') precedes the typed messages; after StartupMessage every
    // backend message is typed. A lone 'N' before any typed message is that answer.
    if (!this.startupDone && this.buf.length === 1 && (this.buf[0] === 0x4e || this.buf[0] === 0x53)) {
      this.buf = Buffer.alloc(0);
      return false;
    }
    while (this.buf.length >= 5) {
      const len = this.buf.readInt32BE(1);
      if (this.buf.length < 1 + len) break;
      if (this.buf[0] === 0x5a) ready = true;
      this.startupDone = true;
      this.buf = this.buf.subarray(1 + len);
    }
    return ready;
  }
}

export interface FaultProxyOptions {
  upstreamPort: number;
  upstreamHost?: string; // default 127.0.0.1
  /** Listening port (127.0.0.1); 0 = any free port (not recommended: stay in your port range). */
  port: number;
}

export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const upstreamHost = opts.upstreamHost ?? '127.0.0.1';
  let spec: FaultSpec | undefined;
  let seen = 0; // how many of spec.after were seen so far
  let fired: FiredFault | undefined;
  const statements: Array<{ at: number; text: string }> = [];
  const sockets = new Set<Socket>();

  const server: Server = createServer((client) => {
    if (fired && spec?.blockNewConnections) { client.destroy(); return; }
    const upstream = tcpConnect({ host: upstreamHost, port: opts.upstreamPort });
    sockets.add(client).add(upstream);
    const parser = new FrontendParser();
    const ready = new BackendReadyWatcher();
    let mode: 'pass' | 'cut-pending' | 'swallow' = 'pass';
    let cutTimer: NodeJS.Timeout | undefined;
    const destroyBoth = () => {
      if (cutTimer) clearTimeout(cutTimer);
      client.destroy();
      upstream.destroy();
    };
    const forget = () => { sockets.delete(client); sockets.delete(upstream); };
    // The client gone (it gave up, or was killed): the server sees its connection end, whatever the fault.
    client.on('close', () => { forget(); upstream.destroy(); });
    upstream.on('close', () => { forget(); if (mode === 'pass') client.destroy(); });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());

    client.on('data', (chunk: Buffer) => {
      for (const m of parser.push(chunk)) {
        if (mode !== 'pass') {
          if (mode === 'swallow') upstream.write(m.raw); // the client may still talk; the server still runs it
          continue;
        }
        const text = statementOf(m.type, m.body);
        upstream.write(m.raw);
        if (text === undefined) continue;
        const at = Date.now();
        statements.push({ at, text });
        if (statements.length > MAX_STATEMENTS_KEPT) statements.shift();
        if (!spec || fired) continue;
        const after = spec.after ?? [];
        if (seen < after.length) {
          if (after[seen].test(text)) seen++;
          continue;
        }
        if (!spec.on.test(text)) continue;
        fired = { at, statement: text, action: spec.action };
        if (spec.action === 'swallow') mode = 'swallow';
        else {
          mode = 'cut-pending';
          cutTimer = setTimeout(destroyBoth, spec.cutAfterMs ?? 2000);
        }
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      const isReady = ready.push(chunk);
      if (mode === 'pass') { client.write(chunk); return; }
      if (mode === 'cut-pending' && isReady) destroyBoth(); // the statement ran: its reply is lost with the connection
      // swallow: dropped
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;

  return {
    port,
    upstreamPort: opts.upstreamPort,
    arm(s) { spec = s; seen = 0; fired = undefined; },
    disarm() { spec = undefined; seen = 0; },
    get fired() { return fired; },
    statements,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
