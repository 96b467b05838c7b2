// The Explain panel's HTML shell. Nothing remote and nothing inline: the script and stylesheet
// come from media/ through asWebviewUri, and the Content-Security-Policy allows only those (the
// script additionally by nonce). The explanation itself arrives later by postMessage, already
// rendered by the safe Markdown renderer; the CSP is a second line of defence behind it.
import { randomBytes } from 'node:crypto';
import { escapeHtml } from './markdown';

export interface ExplainHtmlOptions {
  /** webview.cspSource */
  cspSource: string;
  /** A fresh nonce per HTML document (makeNonce()). */
  nonce: string;
  /** asWebviewUri(media/explain.js) and asWebviewUri(media/explain.css), as strings. */
  scriptUri: string;
  styleUri: string;
}

export function makeNonce(): string {
  return randomBytes(18)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .padEnd(16, '0');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `style-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `img-src ${cspSource}`,
    `font-src ${cspSource}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** For double-quoted attributes: the CSP's single quotes stay readable. */
function attr(value: string): string {
  return value.replace(/[&<>"]/g, (c) => escapeHtml(c));
}

export function explainHtml(options: ExplainHtmlOptions): string {
  const csp = attr(contentSecurityPolicy(options.cspSource, options.nonce));
  const nonce = attr(options.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(options.styleUri)}">
<title>Tandem: Explain</title>
</head>
<body>
<header class="toolbar">
  <span id="status" class="status" role="status" aria-live="polite">Waiting…</span>
  <span class="spacer"></span>
  <button id="stop" type="button" title="Stop generating" disabled>Stop</button>
  <button id="copy" type="button" title="Copy the explanation as Markdown" disabled>Copy</button>
</header>
<main id="content" class="content"></main>
<footer id="note" class="note"></footer>
<script nonce="${nonce}" src="${attr(options.scriptUri)}"></script>
</body>
</html>`;
}
