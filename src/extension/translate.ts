/**
 * The signature of `vscode.l10n.t` (index templating). Pure helpers take one so they stay free of the vscode API
 * and unit-testable; the extension passes `vscode.l10n.t`, tests pass `plainTranslate`.
 */
export type Translate = (message: string, ...args: Array<string | number | boolean>) => string;

/** English: substitutes {0}, {1}, ... like vscode.l10n.t without a bundle. */
export const plainTranslate: Translate = (message, ...args) =>
  message.replace(/\{(\d+)\}/g, (all, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : all));
