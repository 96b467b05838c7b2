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
  document: LineSource,
  line: number,
  character: number,
  prefixTokens: number,
  suffixTokens: number,
  minPrefixChars = 0,
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
  const after = readSuffix(document, line, character, suffixTokens, lineSuffix);
  before.reverse();
  before.push(linePrefix);
  return {
    prefix: before.join('\n'),
    suffix: after.text,
    linePrefix,
    lineSuffix,
    prefixAtDocumentStart: first === 0,
    firstLine: first,
    lastLine: after.lastLine,
  };
}

/** The code after the cursor up to `suffixTokens`, cut at a line end (the rest of the cursor's
 *  line always whole); `lastLine` is the last line inside it. */
export function readSuffix(
  document: LineSource,
  line: number,
  character: number,
  suffixTokens: number,
  lineSuffix = document.lineText(line).slice(character),
): { text: string; lastLine: number } {
  const after: string[] = [];
  let used = estimateLineTokens(lineSuffix);
  let last = line;
  while (last + 1 < document.lineCount) {
    const text = document.lineText(last + 1);
    const cost = estimateLineTokens(text);
    if (used + cost > suffixTokens) break;
    used += cost;
    after.push(text);
    last++;
  }
  const text = [lineSuffix, ...after].join('\n') + (last + 1 < document.lineCount && after.length > 0 ? '\n' : '');
  return { text, lastLine: last };
}

/** The first line of a prefix that ends before `endLine` and holds at most `prefixTokens`
 *  (whole lines; `endLine` itself when not even the line before fits). */
export function prefixStartLine(document: LineSource, endLine: number, prefixTokens: number): number {
  let used = 0;
  let first = endLine;
  while (first > 0) {
    const cost = estimateLineTokens(document.lineText(first - 1));
    if (used + cost > prefixTokens) break;
    used += cost;
    first--;
  }
  return first;
}

/** Lines [from, to) of the document, each with its line break. */
export function linesText(document: LineSource, from: number, to: number): string {
  let text = '';
  for (let line = from; line < to; line++) text += `${document.lineText(line)}\n`;
  return text;
}
