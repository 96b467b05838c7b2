// VS Code adapter of notebookContext.ts: the notebook a cell's document belongs to (a cell is a
// TextDocument whose URI has the vscode-notebook-cell scheme; its notebook is the open
// NotebookDocument that lists it among its cells) and that notebook as the cell's prompt reads it.
// Documents of other schemes cost one comparison. Cells are read through the API, no file I/O.
import * as vscode from 'vscode';
import { NotebookCellText, NotebookLines, notebookLines } from './notebookContext';

const CELL_SCHEME = 'vscode-notebook-cell';

export interface CellOfNotebook {
  notebook: vscode.NotebookDocument;
  /** The cell's index in the notebook. */
  index: number;
}

/** The notebook view a cell's prompt is cut from, with the notebook's id (its URI: the prompt
 *  anchor and the engine's KV are kept per notebook, shared by its cells). */
export interface NotebookView extends NotebookLines {
  readonly id: string;
}

/** The open notebook that holds `document` as a cell; undefined for any other document. */
export function notebookOfCell(document: vscode.TextDocument): CellOfNotebook | undefined {
  if (document.uri.scheme !== CELL_SCHEME) return undefined;
  const id = document.uri.toString();
  for (const notebook of vscode.workspace.notebookDocuments) {
    if (notebook.isClosed) continue;
    const index = notebook.getCells().findIndex((cell) => cell.document.uri.toString() === id);
    if (index >= 0) return { notebook, index };
  }
  return undefined;
}

/** The notebook around a cell's document as its prompt reads it; undefined when it is no cell. */
export function notebookViewOf(document: vscode.TextDocument): NotebookView | undefined {
  const cell = notebookOfCell(document);
  if (!cell) return undefined;
  const cells = cell.notebook.getCells().map(cellText);
  return { ...notebookLines(cells, cell.index), id: cell.notebook.uri.toString() };
}

function cellText(cell: vscode.NotebookCell): NotebookCellText {
  const { document } = cell;
  return {
    kind: cell.kind === vscode.NotebookCellKind.Markup ? 'markup' : 'code',
    languageId: document.languageId,
    lineCount: document.lineCount,
    lineText: (line) => document.lineAt(line).text,
  };
}
