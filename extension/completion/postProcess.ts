// From raw model output to the ghost text: stop rules and clean-up, given the code around the
// cursor. Pure functions; the rules, in order:
//  - single-line plans keep the first line only;
//  - multi-line plans stop before a line that repeats the suffix's next line, before a line that
//    closes a bracket opened before the cursor, before a line that dedents out of the cursor's
//    block, and before a line that repeats the previous one;
//  - text the line already has after the cursor is not repeated (a model closing "foo(|)" with
//    "a, b)" yields "a, b");
//  - indentation of later lines follows the document (tabs or spaces), trailing whitespace goes;
//  - whitespace-only results yield nothing (so Tab still indents).

export interface PostProcessInput {
  /** Raw model output (may hold more than will be shown). */
  text: string;
  /** The cursor's line before and after the cursor. */
  linePrefix: string;
  lineSuffix: string;
  /** Text after the cursor (starting with lineSuffix); only its first lines are looked at. */
  suffix: string;
  multiline: boolean;
  /** One level of indentation in this document: "\t" or some spaces. */
  indentUnit?: string;
}

import { endsWithBlockOpener } from './completionPlan';

const OPENERS = '([{';
const CLOSERS = ')]}';

export function postProcessCompletion(input: PostProcessInput): string {
  let text = input.text.replace(/\r\n?/gu, '\n');
  if (!input.multiline) {
    const newline = text.indexOf('\n');
    if (newline >= 0) text = text.slice(0, newline);
  } else {
    text = applyStopRules(text, input);
  }
  if (input.lineSuffix.trim()) text = withoutLineSuffixOverlap(text, input.lineSuffix.trim());
  text = normaliseIndentation(text, input.indentUnit);
  text = text
    .split('\n')
    .map((line) => line.replace(/[ \t]+$/u, ''))
    .join('\n')
    .replace(/\n+$/u, '');
  return text.trim() ? text : '';
}

function indentOf(line: string): string {
  return /^[ \t]*/u.exec(line)?.[0] ?? '';
}

/** Columns of indentation (a tab counts as tabSize). */
function indentWidth(indent: string, tabSize: number): number {
  let width = 0;
  for (const c of indent) width += c === '\t' ? tabSize - (width % tabSize) : 1;
  return width;
}

function tabSizeOf(indentUnit: string | undefined): number {
  return indentUnit && indentUnit !== '\t' ? indentUnit.length : 4;
}

/** The first non-blank line of the suffix after the cursor's line. */
function nextSuffixLine(suffix: string): string | undefined {
  const lines = suffix.split('\n', 12);
  for (let i = 1; i < lines.length; i++) if (lines[i].trim()) return lines[i].trim();
  return undefined;
}

function applyStopRules(text: string, input: PostProcessInput): string {
  const lines = text.split('\n');
  const tabSize = tabSizeOf(input.indentUnit);
  const cursorLineBlank = input.linePrefix.trim() === '';
  const opensBlock = !cursorLineBlank && endsWithBlockOpener(input.linePrefix);
  const baseIndent = indentWidth(indentOf(input.linePrefix), tabSize);
  const nextLine = nextSuffixLine(input.suffix);
  // brackets the cursor's line left open (a block opened at the end of the line) may be closed
  let depth = cursorLineBlank ? 0 : openBrackets(input.linePrefix);
  let previous: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const trimmed = line.trim();
    if (i > 0 && trimmed) {
      if (nextLine !== undefined && trimmed === nextLine) return lines.slice(0, i).join('\n');
      if (previous !== undefined && trimmed === previous && trimmed.length > 2) return lines.slice(0, i).join('\n');
      const width = indentWidth(indentOf(line), tabSize);
      const startsWithCloser = CLOSERS.includes(trimmed[0]);
      if (cursorLineBlank && baseIndent > 0 && width < baseIndent && !(startsWithCloser && depth > 0)) {
        return lines.slice(0, i).join('\n');
      }
      if (opensBlock && width <= baseIndent && !startsWithCloser) return lines.slice(0, i).join('\n');
    }
    for (const c of line) {
      if (OPENERS.includes(c)) depth++;
      else if (CLOSERS.includes(c)) {
        depth--;
        if (depth < 0 && i > 0) return lines.slice(0, i).join('\n'); // closes a bracket opened before the cursor
        if (depth < 0) depth = 0; // on the cursor's line: closes what the line prefix opened
      }
    }
    // a block opened on the cursor's line and closed again on a line at its indentation: done
    if (i > 0 && opensBlock && depth === 0 && CLOSERS.includes(trimmed[0] ?? '') && indentWidth(indentOf(line), tabSize) <= baseIndent) {
      return lines.slice(0, i + 1).join('\n');
    }
    if (trimmed) previous = trimmed;
  }
  return text;
}

/** Removes the part of a one-line completion that the line already has after the cursor: the
 *  first place (outside brackets the completion opened) where the line suffix starts, or a tail of
 *  the completion that is a start of the line suffix. */
function withoutLineSuffixOverlap(text: string, lineSuffix: string): string {
  const firstLineEnd = text.indexOf('\n');
  const line = firstLineEnd < 0 ? text : text.slice(0, firstLineEnd);
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    if (depth === 0 && line.startsWith(lineSuffix, i)) return line.slice(0, i);
    const c = line[i];
    if (OPENERS.includes(c)) depth++;
    else if (CLOSERS.includes(c)) depth--;
  }
  for (let k = Math.min(lineSuffix.length, line.length); k > 0; k--) {
    if (line.endsWith(lineSuffix.slice(0, k)) && isBalanced(line.slice(0, line.length - k))) return line.slice(0, line.length - k);
  }
  return text;
}

function openBrackets(text: string): number {
  let depth = 0;
  for (const c of text) {
    if (OPENERS.includes(c)) depth++;
    else if (CLOSERS.includes(c)) depth = Math.max(0, depth - 1);
  }
  return depth;
}

function isBalanced(text: string): boolean {
  let depth = 0;
  for (const c of text) {
    if (OPENERS.includes(c)) depth++;
    else if (CLOSERS.includes(c) && --depth < 0) return false;
  }
  return depth === 0;
}

/** Later lines use the document's indentation character. */
function normaliseIndentation(text: string, indentUnit: string | undefined): string {
  if (!indentUnit || !text.includes('\n')) return text;
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const indent = indentOf(lines[i]);
    if (!indent) continue;
    let replaced = indent;
    if (indentUnit === '\t' && indent.includes(' ')) {
      const width = indentWidth(indent, 4);
      replaced = '\t'.repeat(Math.floor(width / 4)) + ' '.repeat(width % 4);
    } else if (indentUnit !== '\t' && indent.includes('\t')) {
      replaced = ' '.repeat(indentWidth(indent, indentUnit.length));
    }
    lines[i] = replaced + lines[i].slice(indent.length);
  }
  return lines.join('\n');
}

/** The document's indentation unit, guessed from the lines before the cursor. */
export function detectIndentUnit(prefix: string): string {
  let tabs = 0;
  let spaces = 0;
  let smallest = 8;
  for (const line of prefix.split('\n').slice(-200)) {
    if (line.startsWith('\t')) tabs++;
    else if (line.startsWith(' ') && line.trim()) {
      spaces++;
      smallest = Math.min(smallest, indentOf(line).length);
    }
  }
  if (tabs > spaces) return '\t';
  return ' '.repeat(spaces > 0 ? Math.max(2, smallest) : 4);
}
