// Text as the engine can take it: JavaScript strings may hold lone UTF-16 surrogates (a document
// cut in the middle of an emoji, clipboard garbage), which have no UTF-8 form, and the engine
// rejects such text (INVALID_UTF8). Each one becomes U+FFFD, so one bad document costs a character
// of context instead of failing every request.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/gu;
const ANY_SURROGATE = /[\uD800-\uDFFF]/u;

export function wellFormed(text: string): string {
  if (!ANY_SURROGATE.test(text)) return text; // the common case: one scan, no copy
  return text.replace(LONE_SURROGATE, '\uFFFD');
}
