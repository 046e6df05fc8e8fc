import { createServer } from 'node:net';

export const LAB_HOST = '127.0.0.1';

/** Thrown when a lab port on 127.0.0.1 is already taken. */
export class PortInUseError extends Error {
  constructor(public readonly port: number) {
    super(`port ${port} on ${LAB_HOST} is in use; choose another with --port-base`);
    this.name = 'PortInUseError';
  }
}

export function checkPortNumber(port: number): void {
  if (!Number.isInteger(port) || port < 1024 || port >= 32768) {
    throw new Error(`port ${port} is outside 1024–32767 (lab servers stay below Linux's ephemeral range 32768–60999)`);
  }
}

/** True when nothing listens on 127.0.0.1:port (we can bind it ourselves for a moment). */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: LAB_HOST, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export async function assertPortFree(port: number): Promise<void> {
  checkPortNumber(port);
  if (!(await isPortFree(port))) throw new PortInUseError(port);
}
