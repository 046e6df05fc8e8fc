/**
 * The dashboard webview's HTML: a strict Content-Security-Policy (nothing but our nonce'd bundle runs; styles and
 * fonts only from the extension's own webview resources), the theme's body classes left to VS Code. Pure (no vscode
 * import): the browser harness of the tests renders the very same page.
 */
import { randomBytes } from 'node:crypto';

export interface DashboardHtmlOptions {
  /** webview.cspSource */
  cspSource: string;
  nonce: string;
  /** webview.asWebviewUri(dist/webview/dashboard.js) as a string */
  scriptUri: string;
  /** webview.asWebviewUri(media/dashboard.css) as a string */
  styleUri: string;
  title: string;
  lang?: string;
  /** Extra nonce'd script placed before the bundle (tests only: a fake acquireVsCodeApi). */
  preludeScript?: string;
}

export function newNonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

function attr(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join('; ');
}

export function dashboardHtml(o: DashboardHtmlOptions): string {
  const prelude = o.preludeScript ? `\n  <script nonce="${attr(o.nonce)}">${o.preludeScript}</script>` : '';
  return `<!DOCTYPE html>
<html lang="${attr(o.lang ?? 'en')}">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(o.cspSource, o.nonce))}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${attr(o.styleUri)}" nonce="${attr(o.nonce)}">
  <title>${attr(o.title)}</title>
</head>
<body>${prelude}
  <script nonce="${attr(o.nonce)}" src="${attr(o.scriptUri)}"></script>
</body>
</html>`;
}
