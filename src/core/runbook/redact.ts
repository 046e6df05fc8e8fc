/**
 * Scrubs secrets out of everything the engine writes or shows: journal events, step outputs, messages,
 * planned actions, log lines. Two layers: the known password values of this run (added as they are resolved),
 * and generic patterns (`password=…`, `PASSWORD '…'`, URI user:password@, PGPASSWORD=…, "password": "…").
 */
export const MASK = '********';

/** Shorter secrets are only masked as whole tokens, so "pg" does not mangle every word. */
const MIN_SUBSTRING_SECRET = 4;

/**
 * A keyword or SQL word, not part of a longer word or of a command-line flag: `--no-password '…'` is a flag followed
 * by the next argument, never a password to mask.
 */
const WORD_START = String.raw`(?<![\w-])`;

const PATTERNS: [RegExp, string | ((...m: string[]) => string)][] = [
  // keyword/value conninfo: password=…, password = '…' (quoted), sslpassword=…
  // …the same inside a single-quoted shell word, where the value's quotes read '\'' (a rendered command line)
  [new RegExp(String.raw`${WORD_START}((?:ssl)?password\s*=\s*)'\\''(?:\\'\\''|\\[^']|[^'\\])*'\\''`, 'gi'), `$1'\\''${MASK}'\\''`],
  [new RegExp(String.raw`${WORD_START}((?:ssl)?password\s*=\s*)(?!'\\'')('(?:[^'\\]|\\.)*'|[^\s']+)`, 'gi'), (_m, k: string, v: string) => `${k}${v.startsWith("'") ? `'${MASK}'` : MASK}`],
  // SQL: CREATE/ALTER ROLE … PASSWORD 'secret'
  [new RegExp(String.raw`${WORD_START}(PASSWORD\s+)'(?:[^']|'')*'`, 'gi'), `$1'${MASK}'`],
  // URIs: postgresql://user:secret@host
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*:)[^\s@/?#]*@/gi, `$1${MASK}@`],
  // environment assignments: PGPASSWORD=secret, PGPASSWORD: secret
  [/\b(PGPASSWORD\s*[=:]\s*)("[^"]*"|'[^']*'|\S+)/g, `$1${MASK}`],
  // JSON text: "password": "secret"
  [/("(?:ssl)?password"\s*:\s*")(?:[^"\\]|\\.)*"/gi, `$1${MASK}"`],
];

const SECRET_KEY = /^(?:ssl)?pass(?:word|wd)?$|^pgpassword$/i;

export class Redactor {
  private readonly secrets = new Set<string>();
  private compiled: RegExp | undefined;

  /** Registers a secret value (a resolved password); every later scrub masks it. */
  add(secret: string | undefined | null): void {
    if (!secret) return;
    const conninfo = secret.replace(/[\\']/g, (c) => `\\${c}`); // inside a quoted keyword/value value
    const forms = [secret, encodeURIComponent(secret), secret.replace(/'/g, "''"), JSON.stringify(secret).slice(1, -1), conninfo];
    // …and each of those inside a single-quoted shell word, as a rendered command line shows it
    const variants = [...forms, ...forms.map((f) => f.replace(/'/g, `'\\''`))];
    for (const v of variants) if (v && !this.secrets.has(v)) { this.secrets.add(v); this.compiled = undefined; }
  }

  /** Scrubs one string. */
  text(s: string): string {
    let out = s;
    const re = this.secretPattern();
    if (re) out = out.replace(re, MASK);
    for (const [pattern, replacement] of PATTERNS) {
      out = typeof replacement === 'string' ? out.replace(pattern, replacement) : out.replace(pattern, replacement as (...m: string[]) => string);
    }
    return out;
  }

  /** Deep-scrubs a JSON-like value: strings are scrubbed, values under password-like keys masked. */
  value<T>(v: T): T {
    return this.walk(v, 0) as T;
  }

  private walk(v: unknown, depth: number): unknown {
    if (typeof v === 'string') return this.text(v);
    if (depth > 32 || v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((x) => this.walk(x, depth + 1));
    if (v instanceof Date) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      out[k] = SECRET_KEY.test(k) && x !== undefined && x !== null && x !== '' ? MASK : this.walk(x, depth + 1);
    }
    return out;
  }

  private secretPattern(): RegExp | undefined {
    if (this.compiled || this.secrets.size === 0) return this.compiled;
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const sorted = [...this.secrets].sort((a, b) => b.length - a.length);
    const parts = sorted.map((s) => (s.length >= MIN_SUBSTRING_SECRET ? esc(s) : `(?<![A-Za-z0-9])${esc(s)}(?![A-Za-z0-9])`));
    this.compiled = new RegExp(parts.join('|'), 'g');
    return this.compiled;
  }
}

/** Scrubs with the generic patterns only (no known secret), e.g. for operator notes written outside a run. */
export function scrubText(s: string): string {
  return new Redactor().text(s);
}
