/** Terminal formatting for the demo: a timeline with elapsed seconds, optional colours. Pure. */
import { isAbsolute, relative } from 'node:path';

/** A path as the user would type it from here: relative below the current directory, else absolute. */
export function displayPath(p: string, cwd = process.cwd()): string {
  const r = relative(cwd, p);
  return r && !r.startsWith('..') && !isAbsolute(r) ? r : p;
}

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;

export const COLOR: Style = { bold: wrap(1, 22), dim: wrap(2, 22), green: wrap(32, 39), red: wrap(31, 39), yellow: wrap(33, 39), cyan: wrap(36, 39) };
export const PLAIN: Style = { bold: (s) => s, dim: (s) => s, green: (s) => s, red: (s) => s, yellow: (s) => s, cyan: (s) => s };

/** Colours when writing to a terminal and NO_COLOR is not set. */
export function styleFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Style {
  return stream.isTTY && !env.NO_COLOR && env.TERM !== 'dumb' ? COLOR : PLAIN;
}

export const TAG_WIDTH = 10;
const INDENT = ' '.repeat(7 + 2 + TAG_WIDTH + 1);

/** "  12.3s  tag       text", continuation lines aligned under the text. */
export function timelineLine(elapsedMs: number, tag: string, text: string, st: Style = PLAIN): string {
  const t = `${(elapsedMs / 1000).toFixed(1)}s`.padStart(7);
  const [first, ...rest] = text.split('\n');
  return [`${st.dim(t)}  ${st.cyan(tag.padEnd(TAG_WIDTH))} ${first}`, ...rest.map((l) => `${INDENT}${l}`)].join('\n');
}

/** Lines indented under the timeline's text column. */
export function detailLines(lines: string[], st: Style = PLAIN): string {
  return lines.map((l) => `${INDENT}${st.dim(l)}`).join('\n');
}

/** At most `max` lines (long ones cut), then "… N more". */
export function clip(text: string[], max: number, width = 110): string[] {
  const lines = text.flatMap((l) => l.split('\n'));
  const cut = (l: string) => (l.length > width ? `${l.slice(0, width - 1)}…` : l);
  if (lines.length <= max) return lines.map(cut);
  return [...lines.slice(0, max).map(cut), `… ${lines.length - max} more line(s) in the journal`];
}

export function ms(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '—' : `${Math.round(v).toLocaleString('en-US')} ms`;
}

export function seconds(v: number): string {
  return `${(v / 1000).toFixed(1)} s`;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** A two-column block: labels padded to the longest. */
export function table(rows: [string, string][], st: Style = PLAIN, indent = '  '): string {
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => {
    const [first, ...rest] = v.split('\n');
    return [`${indent}${st.bold(k.padEnd(w))}  ${first}`, ...rest.map((l) => `${indent}${' '.repeat(w)}  ${l}`)].join('\n');
  }).join('\n');
}
