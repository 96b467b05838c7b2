// Splits a document at a cursor given as 1-based line and column, the way editors show them.
// Columns count UTF-16 code units (as VS Code's Position.character + 1); a line ends before its
// "\n" or "\r\n".

/** The line or column is not inside the document. */
export class CursorPositionError extends Error {
  readonly code = 'INVALID_POSITION' as const;
  constructor(message: string) {
    super(message);
    this.name = 'CursorPositionError';
  }
}

export interface CursorSplit {
  prefix: string;
  suffix: string;
  /** Text of the cursor's line before and after the cursor. */
  linePrefix: string;
  lineSuffix: string;
}

export function splitAtCursor(text: string, line: number, column: number): CursorSplit {
  if (!Number.isInteger(line) || line < 1) throw new CursorPositionError(`Line must be an integer ≥ 1, got ${line}.`);
  if (!Number.isInteger(column) || column < 1) throw new CursorPositionError(`Column must be an integer ≥ 1, got ${column}.`);
  let lineStart = 0;
  for (let n = 1; n < line; n++) {
    const newline = text.indexOf('\n', lineStart);
    if (newline < 0) {
      throw new CursorPositionError(`Line ${line} is past the end of the document, which has ${n} line${n === 1 ? '' : 's'}.`);
    }
    lineStart = newline + 1;
  }
  const newline = text.indexOf('\n', lineStart);
  let lineEnd = newline < 0 ? text.length : newline;
  if (lineEnd > lineStart && text[lineEnd - 1] === '\r') lineEnd--;
  const lineLength = lineEnd - lineStart;
  if (column > lineLength + 1) {
    throw new CursorPositionError(
      `Column ${column} is past the end of line ${line}, which has ${lineLength} character${lineLength === 1 ? '' : 's'} (the last valid column is ${lineLength + 1}).`,
    );
  }
  const offset = lineStart + column - 1;
  return {
    prefix: text.slice(0, offset),
    suffix: text.slice(offset),
    linePrefix: text.slice(lineStart, offset),
    lineSuffix: text.slice(offset, lineEnd),
  };
}
