/** One-line description of a failed write attempt: SQLSTATE or connect-failure kind, then the message. */
export function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const tags: string[] = [];
  const code = (e as { code?: unknown }).code;
  const kind = (e as { kind?: unknown }).kind;
  if (typeof kind === 'string') tags.push(kind);
  if (typeof code === 'string') tags.push(code);
  const [head, ...rest] = e.message.split('\n').map((l) => l.trim().replace(/^- /, '')).filter(Boolean);
  const text = [head, rest.join('; ')].filter(Boolean).join(' ');
  return tags.length ? `[${tags.join(' ')}] ${text}` : text;
}

/** SQLSTATE of a server error, if any. */
export function sqlState(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
