import type * as vscode from 'vscode';

/** A view of the one "PG Upgrade Pilot" LogOutputChannel that prefixes every line with `[component]`. */
export interface Logger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string | Error): void;
}

export function componentLogger(channel: vscode.LogOutputChannel, component: string): Logger {
  const prefix = `[${component}] `;
  return {
    trace: (m) => channel.trace(prefix + m),
    debug: (m) => channel.debug(prefix + m),
    info: (m) => channel.info(prefix + m),
    warn: (m) => channel.warn(prefix + m),
    error: (m) => channel.error(prefix + (m instanceof Error ? m.message : m)),
  };
}

/** Runs `fn` and logs its duration at debug level: "label: 3 rows in 4.2 ms" or "label failed after 4.2 ms". */
export async function timed<T>(log: Logger, label: string, fn: () => Promise<T>, summary?: (result: T) => string): Promise<T> {
  const start = performance.now();
  try {
    const result = await fn();
    log.debug(`${label}: ${summary ? `${summary(result)} ` : ''}in ${elapsedMs(start)} ms`);
    return result;
  } catch (err) {
    log.debug(`${label}: failed after ${elapsedMs(start)} ms`);
    throw err;
  }
}

export function elapsedMs(start: number): string {
  return (performance.now() - start).toFixed(1);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
