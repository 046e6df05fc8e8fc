/**
 * The CLI's argument reading, shared by every command: `--flag value`, `--flag=value`, booleans, typed values, and
 * how a usage error is reported (a message, a pointer to --help, exit status 2).
 */

/** Bad usage: reported with a pointer to the command's --help, exit status 2. */
export class UsageError extends Error {}

/** One argument as read by readArgs: the flag (the part before "=") and readers of its value. */
export interface Arg {
  /** `--flag` (without "=value"), or the argument itself (a positional or short option). */
  flag: string;
  /** The value: inline after "=", else the next argument (which must not be another --flag). */
  value(): string;
  /** A number ≥ min (decimals allowed). */
  number(min: number): number;
  /** A whole number ≥ 0. */
  wholeNumber(): number;
  /** Any number > 0. */
  positive(): number;
}

/** The arguments one by one; a value reader consumes the next argument when the value is not inline. */
export function* readArgs(args: string[]): Generator<Arg> {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const inline = eq > 0 ? a.slice(eq + 1) : undefined;
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined || v === '' || (inline === undefined && v.startsWith('--'))) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    const checked = (test: (v: string) => boolean, what: string) => (): number => {
      const v = value();
      if (!test(v)) throw new UsageError(`${flag} must be ${what}, got "${v}"`);
      return Number(v);
    };
    yield {
      flag,
      value,
      number: (min) => checked((v) => /^\d+(\.\d+)?$/.test(v) && Number(v) >= min, `a number ≥ ${min}`)(),
      wholeNumber: checked((v) => /^\d+$/.test(v), 'a whole number'),
      positive: checked((v) => Number.isFinite(Number(v)) && Number(v) > 0, 'a positive number'),
    };
  }
}

export function unknown(flag: string): never {
  throw new UsageError(`unknown ${flag.startsWith('-') ? 'option' : 'argument'} "${flag}"`);
}

export function oneOf<T extends string>(flag: string, v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`${flag} takes ${allowed.map((x) => `"${x}"`).join(' or ')}, got "${v}"`);
  return v as T;
}

/** `f()`, with any error it throws turned into a UsageError (a parameter check of src/core said no). */
export function asUsage<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw err instanceof UsageError ? err : new UsageError(messageOf(err));
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Reports why a command could not start on stderr — a UsageError also points to --help (or prints `help` itself) —
 * and returns exit status 2.
 */
export function cannotStart(command: string, err: unknown, help?: string): number {
  const pointer = !(err instanceof UsageError) ? '' : help !== undefined ? `\n${help}` : `Run "pg-upgrade-pilot ${command} --help" for the options.\n`;
  process.stderr.write(`pg-upgrade-pilot ${command}: ${messageOf(err)}\n${pointer}`);
  return 2; // EXIT_CODES.usage (interrupt.ts)
}
