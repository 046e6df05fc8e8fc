/** Markdown building blocks for the upgrade record. Pure; output is deterministic (UTC times, fixed formats). */

/** A table cell: pipes escaped, line breaks folded, empty → "—". */
export function cell(v: string | number | undefined | null): string {
  if (v === undefined || v === null || v === '') return '—';
  return String(v).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

export function table(head: string[], rows: (string | number | undefined | null)[][]): string {
  const line = (cells: (string | number | undefined | null)[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(head), `| ${head.map(() => '---').join(' | ')} |`, ...rows.map(line)].join('\n');
}

/** A fenced code block whose fence is longer than any backtick run inside. */
export function codeBlock(text: string, lang = ''): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${lang}\n${text.replace(/\s+$/, '')}\n${fence}`;
}

/** Inline text safe from markdown interpretation of the few characters that matter in prose. */
export function inline(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/([\\`*_[\]<>|])/g, '\\$1');
}

/** "2026-11-21 23:59:01 UTC" (seconds precision) from an ISO time; the input back when it is not a date. */
export function utc(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** "23:59:01" (UTC), for the timeline where the date is in the header. */
export function utcTime(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(11, 19);
}

/** A POSIX-shell rendering of an argument vector, for reading only (tools are started without a shell). */
export function shellQuote(argv: string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_./:=,@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
