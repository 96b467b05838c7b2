// A notebook cell's prompt reads the whole notebook. Each cell is a document of its own, so the
// text a completion in a cell is cut from is a view of the notebook's cells in order: the cell
// itself as it is, the others as the cell's language can take them — code cells of its language
// as code, markdown cells (and code cells of another language) as line comments — one blank line
// between cells, blank cells left out: a script of the notebook (jupytext's "light" format), as
// Tabby, Continue and Cody give notebooks to a model. Another language's cells go in as comments,
// not out: a SQL or shell cell names the tables and files the code uses, and commented it cannot
// be taken for code of the cell's language. In a markdown cell the code cells are fenced blocks.
//
// The prompt window is cut from this view with the same budgets as from a file, line by line
// outward from the cursor (cursorWindow.ts, promptAnchor.ts), so the nearest cells come first
// and a far one is cut at a line. Lines are made when read: no copy of the notebook on the
// keystroke path. No vscode here (notebookCells.ts reads a NotebookDocument into it).
import type { LineSource } from './cursorWindow';
import { lineCommentFor } from './fimPrompt';

/** A cell as this file reads it. */
export interface NotebookCellText extends LineSource {
  /** 'markup': a markdown cell. */
  readonly kind: 'code' | 'markup';
  readonly languageId: string;
}

/** How a cell shows in another cell's prompt. */
export type CellForm = 'code' | 'comment' | 'fence' | 'skip';

/** The view of a notebook around one of its cells. */
export interface NotebookLines extends LineSource {
  /** The line of the view where the cell's line 0 is (the cell's lines follow, all of them). */
  readonly firstLine: number;
}

/** How `cell` shows in the prompt of a cell like `host`: as code when it is code in the host's
 *  language (or markdown in a markdown cell), else as the host's line comments, or as a fenced
 *  block in a markdown host; 'skip' when the host's language has no line comment. */
export function cellForm(
  cell: Pick<NotebookCellText, 'kind' | 'languageId'>,
  host: Pick<NotebookCellText, 'kind' | 'languageId'>,
): CellForm {
  if (isMarkdown(host)) return isMarkdown(cell) ? 'code' : 'fence';
  if (cell.kind === 'code' && cell.languageId === host.languageId) return 'code';
  return lineCommentFor(host.languageId) ? 'comment' : 'skip';
}

/** The notebook as the prompt of `cells[current]` reads it (see the top of this file). */
export function notebookLines(cells: readonly NotebookCellText[], current: number): NotebookLines {
  const host = cells[current];
  if (!host) throw new RangeError(`cell ${current} is not in a notebook of ${cells.length} cells`);
  const comment = lineCommentFor(host.languageId) ?? '';
  const parts: Part[] = [];
  let lineCount = 0;
  let firstLine = 0;
  cells.forEach((cell, index) => {
    const part = index === current ? wholeCell(cell) : otherCell(cell, cellForm(cell, host), comment);
    if (!part) return;
    if (parts.length > 0) lineCount++; // the blank line between two cells
    if (index === current) firstLine = lineCount;
    parts.push({ ...part, start: lineCount });
    lineCount += part.count;
  });
  return {
    lineCount,
    firstLine,
    lineText: (line) => {
      const part = partAt(parts, line);
      return part && line < part.start + part.count ? part.text(line - part.start) : '';
    },
  };
}

/** The notebook's path as a script of the cell's language (analysis.ipynb → analysis.py, as
 *  jupytext names it), for the prompt's file header; the path itself when the language has no
 *  known extension. */
export function notebookScriptPath(notebookPath: string, languageId: string): string {
  const extension = SCRIPT_EXTENSIONS[languageId];
  return extension && /\.ipynb$/iu.test(notebookPath) ? notebookPath.replace(/\.ipynb$/iu, `.${extension}`) : notebookPath;
}

const SCRIPT_EXTENSIONS: Readonly<Record<string, string>> = {
  python: 'py',
  r: 'R',
  julia: 'jl',
  scala: 'scala',
  csharp: 'cs',
  fsharp: 'fsx',
  javascript: 'js',
  typescript: 'ts',
  sql: 'sql',
  powershell: 'ps1',
  shellscript: 'sh',
  rust: 'rs',
  go: 'go',
  java: 'java',
  kotlin: 'kt',
  ruby: 'rb',
  cpp: 'cpp',
  c: 'c',
  haskell: 'hs',
  lua: 'lua',
  markdown: 'md',
};

interface Part {
  start: number;
  count: number;
  text(line: number): string;
}

function isMarkdown(cell: Pick<NotebookCellText, 'kind' | 'languageId'>): boolean {
  return cell.kind === 'markup' || cell.languageId === 'markdown';
}

/** The cursor's cell: every line as it is, so the view's lines map one to one onto the cell's. */
function wholeCell(cell: NotebookCellText): Omit<Part, 'start'> {
  return { count: cell.lineCount, text: (line) => cell.lineText(line) };
}

/** Another cell in its form, without its leading and trailing blank lines; none when blank. */
function otherCell(cell: NotebookCellText, form: CellForm, comment: string): Omit<Part, 'start'> | undefined {
  if (form === 'skip') return undefined;
  let first = 0;
  while (first < cell.lineCount && isBlank(cell.lineText(first))) first++;
  if (first === cell.lineCount) return undefined;
  let end = cell.lineCount;
  while (isBlank(cell.lineText(end - 1))) end--;
  const count = end - first;
  if (form === 'code') return { count, text: (line) => cell.lineText(first + line) };
  if (form === 'comment') {
    return {
      count,
      text: (line) => {
        const text = cell.lineText(first + line);
        return isBlank(text) ? comment : `${comment} ${text}`;
      },
    };
  }
  const language = cell.kind === 'markup' ? 'markdown' : cell.languageId;
  return {
    count: count + 2,
    text: (line) => (line === 0 ? `\`\`\`${language}` : line === count + 1 ? '```' : cell.lineText(first + line - 1)),
  };
}

/** The last part that starts at or before `line` (binary search). */
function partAt(parts: readonly Part[], line: number): Part | undefined {
  let low = 0;
  let high = parts.length - 1;
  let found: Part | undefined;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (parts[mid].start <= line) {
      found = parts[mid];
      low = mid + 1;
    } else high = mid - 1;
  }
  return found;
}

function isBlank(text: string): boolean {
  return text.trim().length === 0;
}
