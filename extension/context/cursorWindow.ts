// The code around the cursor, read line by line up to token budgets (estimated, see
// tokenEstimate.ts) — never a copy of the whole document on the keystroke path.
import { estimateLineTokens } from './tokenEstimate';

/** What a document must offer (vscode.TextDocument fits through a small adapter). */
export interface LineSource {
  readonly lineCount: number;
  lineText(line: number): string;
}

export interface CursorWindow {
  prefix: string;
  suffix: string;
  linePrefix: string;
  lineSuffix: string;
  /** The prefix starts at the start of the document. */
  prefixAtDocumentStart: boolean;
  /** First and last line numbers inside the window. */
  firstLine: number;
  lastLine: number;
}

/** Prefix up to `prefixTokens` and suffix up to `suffixTokens`, cut at line boundaries (the
 *  cursor's own line is always whole). `minPrefixChars` keeps at least that much prefix when the
 *  document has it (the type-through cache anchors on the last characters before the cursor). */
export function readCursorWindow(
  document: LineSource, line: number, character: number, prefixTokens: number, suffixTokens: number, minPrefixChars = 0,
): CursorWindow {
  const cursorLine = document.lineText(line);
  const linePrefix = cursorLine.slice(0, character);
  const lineSuffix = cursorLine.slice(character);
  const before: string[] = [];
  let used = estimateLineTokens(linePrefix);
  let chars = linePrefix.length;
  let first = line;
  while (first > 0) {
    const text = document.lineText(first - 1);
    const cost = estimateLineTokens(text);
    if (used + cost > prefixTokens && chars >= minPrefixChars) break;
    used += cost;
    chars += text.length + 1;
    before.push(text);
    first--;
  }
  const after: string[] = [];
  used = estimateLineTokens(lineSuffix);
  let last = line;
  while (last + 1 < document.lineCount) {
    const text = document.lineText(last + 1);
    const cost = estimateLineTokens(text);
    if (used + cost > suffixTokens) break;
    used += cost;
    after.push(text);
    last++;
  }
  before.reverse();
  before.push(linePrefix);
  return {
    prefix: before.join('\n'),
    suffix: [lineSuffix, ...after].join('\n') + (last + 1 < document.lineCount && after.length > 0 ? '\n' : ''),
    linePrefix,
    lineSuffix,
    prefixAtDocumentStart: first === 0,
    firstLine: first,
    lastLine: last,
  };
}
