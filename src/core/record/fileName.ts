/** Where an upgrade record goes in the workspace: upgrade-records/YYYY-MM-DD-<source>-to-<target>.md */

export const RECORD_DIR = 'upgrade-records';

/** Lower-case ASCII letters, digits and single dashes; at most 48 characters; "cluster" when nothing is left. */
export function slugify(text: string): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/g, '');
  return slug || 'cluster';
}

/** The record's path relative to the workspace folder, dated by the local calendar day of `date`. */
export function recordFileName(date: Date, source: string, target: string): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const day = `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}`;
  return `${RECORD_DIR}/${day}-${slugify(source)}-to-${slugify(target)}.md`;
}
