// A document written with `█` where the cursor is, split the way the completion pipeline sees it.
import * as assert from 'node:assert/strict';

export const CURSOR = '█';

export function at(document: string) {
  const offset = document.indexOf(CURSOR);
  assert.ok(offset >= 0, 'no cursor marker');
  const prefix = document.slice(0, offset);
  const suffix = document.slice(offset + 1);
  const lineStart = prefix.lastIndexOf('\n') + 1;
  const lineEnd = suffix.indexOf('\n');
  return {
    prefix,
    suffix,
    linePrefix: prefix.slice(lineStart),
    lineSuffix: lineEnd < 0 ? suffix : suffix.slice(0, lineEnd),
  };
}
