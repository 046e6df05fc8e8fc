// A free TCP port on 127.0.0.1 inside a given range (ports stay below 32768: above is Linux's ephemeral range).
import { createServer } from 'node:net';

function canBind(port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export async function freePort(from, to) {
  for (let port = from; port <= to; port++) {
    if (await canBind(port)) return port;
  }
  throw new Error(`no free port on 127.0.0.1 in ${from}-${to}`);
}
