/**
 * PostgreSQL WAL positions (pg_lsn) as text, e.g. "16/B374D848": two hexadecimal 32-bit halves.
 * Pure helpers; LSNs travel as strings and are compared/subtracted exactly with bigint.
 */
const LSN_PATTERN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

export function isLsn(text: string): boolean {
  return LSN_PATTERN.test(text);
}

/** "16/B374D848" → 0x16B374D848n. Throws a clear error for anything that is not an LSN. */
export function lsnToBigInt(lsn: string): bigint {
  const m = LSN_PATTERN.exec(lsn);
  if (!m) {
    throw new Error(`Invalid LSN ${JSON.stringify(lsn)}: expected two hexadecimal numbers separated by "/", e.g. "16/B374D848".`);
  }
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

/** The inverse of lsnToBigInt, in PostgreSQL's own spelling (upper-case hex, no padding). */
export function bigIntToLsn(value: bigint): string {
  if (value < 0n || value > 0xFFFFFFFFFFFFFFFFn) {
    throw new Error(`LSN out of range: ${value}`);
  }
  const hi = value >> 32n;
  const lo = value & 0xFFFFFFFFn;
  return `${hi.toString(16).toUpperCase()}/${lo.toString(16).toUpperCase()}`;
}

/** a - b in bytes (negative when a is behind b). Exact up to 2^53 bytes (8 PiB), plenty for a lag. */
export function lsnDiff(a: string, b: string): number {
  return Number(lsnToBigInt(a) - lsnToBigInt(b));
}

/** -1, 0 or 1, for sorting and "has the slot caught up" checks. */
export function compareLsn(a: string, b: string): -1 | 0 | 1 {
  const x = lsnToBigInt(a);
  const y = lsnToBigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
