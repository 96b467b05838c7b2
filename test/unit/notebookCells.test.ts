// Notebook cells through a mocked vscode: the notebook a cell's document belongs to and its view
// (notebookCells.ts), and the workspace context of a cell (workspaceContext.ts): the notebook's
// other cells are draft sources, nearest first, the prompt names the notebook as a script.
import * as assert from 'node:assert/strict';
import type { CursorWindow } from '../../extension/context/cursorWindow';
import { TextDocument, Uri, createVscodeMock, forgetModules, installVscodeMock, requireFresh } from './support/vscodeMock';

/** A cell's document: a vscode-notebook-cell URI of its own (VS Code puts the cell in the fragment). */
class CellDocument extends TextDocument {
  constructor(
    text: string,
    languageId: string,
    private readonly cellUri: Uri,
  ) {
    super(text, languageId, cellUri.path);
  }
  override get uri(): Uri {
    return this.cellUri;
  }
}

const KIND = { markup: 1, code: 2 } as const;

function mockNotebook(path: string, cells: [keyof typeof KIND, string, string][]) {
  const uri = Uri.file(path);
  const documents = cells.map(
    ([, languageId, text], i) => new CellDocument(text, languageId, uri.with({ scheme: 'vscode-notebook-cell', path: `${path}/cell${i}` })),
  );
  const notebook = {
    uri,
    isClosed: false,
    getCells: () => cells.map(([kind], i) => ({ kind: KIND[kind], document: documents[i], index: i })),
  };
  return { notebook, documents };
}

const window: CursorWindow = {
  prefix: '',
  suffix: '',
  linePrefix: '',
  lineSuffix: '',
  prefixAtDocumentStart: true,
  firstLine: 0,
  lastLine: 0,
};

describe('notebook cells (mocked vscode)', () => {
  let mock: ReturnType<typeof createVscodeMock>;
  let uninstall: () => void;
  let cells: typeof import('../../extension/context/notebookCells');
  let WorkspaceContext: typeof import('../../extension/context/workspaceContext').WorkspaceContext;
  const cellsPath = require.resolve('../../extension/context/notebookCells');
  const contextPath = require.resolve('../../extension/context/workspaceContext');

  beforeEach(() => {
    mock = createVscodeMock();
    uninstall = installVscodeMock(mock.vscode);
    cells = requireFresh(cellsPath);
    ({ WorkspaceContext } = requireFresh<typeof import('../../extension/context/workspaceContext')>(contextPath, [cellsPath]));
  });
  afterEach(() => {
    uninstall();
    forgetModules(contextPath, cellsPath);
  });

  const sales = () =>
    mockNotebook('/work/sales.ipynb', [
      ['markup', 'markdown', '# Sales'],
      ['code', 'python', 'import pandas as pd'],
      ['code', 'python', ''],
      ['code', 'python', 'total = '],
      ['code', 'python', 'print(total)'],
      ['code', 'python', 'df.plot()'],
    ]);

  it('finds the notebook of a cell and views the notebook around it', () => {
    const { notebook, documents } = sales();
    const other = mockNotebook('/work/other.ipynb', [['code', 'python', 'x = 1']]);
    mock.vscode.workspace.notebookDocuments.push(other.notebook, notebook);
    assert.equal(cells.notebookOfCell(documents[3] as never)?.index, 3);
    assert.equal(cells.notebookOfCell(new TextDocument('x', 'python', '/work/x.py') as never), undefined, 'a file is no cell');
    const view = cells.notebookViewOf(documents[3] as never)!;
    assert.equal(view.id, 'file:///work/sales.ipynb');
    assert.equal(view.lineText(view.firstLine), 'total = ');
    assert.equal(view.lineText(0), '# # Sales');
    assert.equal(view.lineText(view.firstLine + 2), 'print(total)');
    notebook.isClosed = true;
    assert.equal(cells.notebookViewOf(documents[3] as never), undefined, 'a closed notebook is no context');
  });

  it('sends the other cells as drafts, nearest first, and names the notebook as a script', () => {
    const { notebook, documents } = sales();
    mock.vscode.workspace.notebookDocuments.push(notebook);
    mock.openDocument(new TextDocument('def helper():\n    pass\n', 'python', '/work/helper.py'));
    const context = new WorkspaceContext(() => false);
    try {
      const request = context.forCursor(documents[3] as never, window, 512);
      assert.equal(request.path, 'work/sales.py');
      const drafts = request.documents();
      assert.deepEqual(
        drafts.map((d) => [d.id, d.source]),
        [
          [documents[4].uri.toString(), 'sameFile'],
          [documents[1].uri.toString(), 'sameFile'],
          [documents[5].uri.toString(), 'sameFile'],
          [documents[0].uri.toString(), 'sameFile'],
          ['file:///work/helper.py', 'otherFile'],
        ],
        'the blank cell and the cursor cell are left out',
      );
      assert.equal(drafts[0].readText?.(), 'print(total)');
      mock.setSetting('files.exclude', { '**/sales.ipynb': true });
      assert.deepEqual(
        context
          .forCursor(documents[3] as never, window, 512)
          .documents()
          .map((d) => d.id),
        ['file:///work/helper.py'],
        'an excluded notebook is no draft source',
      );
    } finally {
      context.dispose();
    }
  });
});
