// Character-level pieces of the Explain renderer (markdown.ts, markdownInline.ts): escaping, the
// link targets that may become links, and the character classes the scanners share.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Only absolute http(s) URLs become links; anything else (javascript:, data:, vbscript:,
 *  relative, command:) is shown as text. */
export function safeLinkTarget(url: string): string | undefined {
  if (/[\u0000-\u0020\u007f]/.test(url)) return undefined;
  return /^https?:\/\/[^/?#]/i.test(url) ? url : undefined;
}

// ---------------------------------------------------------------------------------------------
// Characters. The rules below are those of JavaScript regexes (`\s`, `\w`, what `.` excludes), so
// that the scanners keep the renderer's old behaviour.

/** JavaScript's `\s` (and what String.prototype.trim removes), by code unit. */
export function isSpaceCode(c: number): boolean {
  return (
    c === 32 ||
    (c >= 9 && c <= 13) ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

export function isSpaceAt(text: string, i: number): boolean {
  return i < text.length && isSpaceCode(text.charCodeAt(i));
}

/** JavaScript's `\w` (ASCII letters, digits, `_`) at `i`; false past the end. */
export function isWordAt(text: string, i: number): boolean {
  if (i >= text.length) return false;
  const c = text.charCodeAt(i);
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** A character regex `.` does not match. Lines are split at \n and \r is normalised away, so
 *  only U+2028 / U+2029 can occur inside one. */
export function isTerminatorCode(c: number): boolean {
  return c === 10 || c === 13 || c === 0x2028 || c === 0x2029;
}

export function skipSpace(text: string, i: number): number {
  while (isSpaceAt(text, i)) i++;
  return i;
}

/** Skips up to three ' ' (the block rules' ` {0,3}`). */
export function skipIndent(text: string, i: number): number {
  for (let n = 0; n < 3 && text[i] === ' '; n++) i++;
  return i;
}

export function runEnd(text: string, i: number, ch: string): number {
  while (text[i] === ch) i++;
  return i;
}
