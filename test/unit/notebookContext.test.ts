// A notebook cell's prompt (notebookContext.ts through cursorContextReader.ts): the notebook's other
// cells around the cell — code of the cell's language as code, markdown and other languages as its
// comments, fenced in a markdown cell — within the prompt budgets, nearest cells first; the anchor
// and the KV key are the notebook's, so typing in a cell only appends and moving to the next cell
// keeps the prompt window.
import * as assert from 'node:assert/strict';
import { CursorContextReader, DocumentView, ReaderSettings } from '../../extension/completion/cursorContextReader';
import { NotebookCellText, cellForm, notebookLines, notebookScriptPath } from '../../extension/context/notebookContext';

const cell = (kind: 'code' | 'markup', languageId: string, text: string): NotebookCellText & { lines: string[] } => {
  const lines = text.split('\n');
  return {
    kind,
    languageId,
    lines,
    get lineCount() {
      return lines.length;
    },
    lineText: (n) => lines[n],
  };
};
const textOf = (view: { lineCount: number; lineText(n: number): string }) =>
  Array.from({ length: view.lineCount }, (_, n) => view.lineText(n)).join('\n');

const NOTEBOOK = 'file:///work/sales.ipynb';
const SETTINGS: ReaderSettings = { promptLayout: 'anchored', prefixTokens: 2000, suffixTokens: 500, contextTokens: 0, coldStartMs: 0 };

/** A notebook open in an editor: its cells, and a view of the cell at `current` as the provider makes it. */
class Notebook {
  constructor(readonly cells: (NotebookCellText & { lines: string[] })[]) {}
  view(current: number, version = 1): DocumentView {
    const c = this.cells[current];
    return {
      id: `${NOTEBOOK}#cell${current}`,
      version,
      languageId: c.languageId,
      lineCount: c.lineCount,
      lineText: (n) => c.lineText(n),
      enclosing: { ...notebookLines(this.cells, current), id: NOTEBOOK },
    };
  }
  type(current: number, line: number, text: string) {
    const lines = this.cells[current].lines;
    lines[line] += text;
  }
}

function salesNotebook(): Notebook {
  return new Notebook([
    cell('markup', 'markdown', '# Sales report\nTotals per region.'),
    cell('code', 'python', 'import pandas as pd\n\ndf = pd.read_csv("sales.csv")\n'),
    cell('code', 'python', 'by_region = df.groupby("region")\ntotal = '),
    cell('code', 'sql', 'SELECT region, SUM(amount) FROM sales GROUP BY region'),
    cell('code', 'python', 'print(total)'),
  ]);
}

const read = (reader: CursorContextReader, nb: Notebook, current: number, line: number, character: number, settings = SETTINGS) =>
  reader.read({ document: nb.view(current), line, character, settings, indentUnit: () => '    ' });

describe('notebook context', () => {
  it('shows code of the cell language as code, markdown and other languages as its comments, fenced in markdown', () => {
    const py = { kind: 'code', languageId: 'python' } as const;
    const md = { kind: 'markup', languageId: 'markdown' } as const;
    assert.equal(cellForm(py, py), 'code');
    assert.equal(cellForm(md, py), 'comment');
    assert.equal(cellForm({ kind: 'code', languageId: 'sql' }, py), 'comment');
    assert.equal(cellForm(md, { kind: 'code', languageId: 'json' }), 'skip', 'JSON has no line comment');
    assert.equal(cellForm(py, { kind: 'code', languageId: 'json' }), 'skip');
    assert.equal(cellForm(py, md), 'fence');
    assert.equal(cellForm(md, md), 'code');
  });

  it('lays the notebook out as a script around the cell: blank cells out, cells trimmed, one blank line between', () => {
    const nb = new Notebook([
      cell('markup', 'markdown', '# Sales report\n\nTotals per region.'),
      cell('code', 'python', '\nimport pandas as pd\n\n'),
      cell('code', 'python', '   \n'),
      cell('code', 'python', 'total = \n'),
      cell('code', 'sql', 'SELECT 1'),
      cell('markup', 'markdown', ''),
    ]);
    const view = notebookLines(nb.cells, 3);
    assert.equal(
      textOf(view),
      ['# # Sales report', '#', '# Totals per region.', '', 'import pandas as pd', '', 'total = ', '', '', '# SELECT 1'].join('\n'),
    );
    assert.equal(view.firstLine, 6);
    // the cursor's cell maps line for line, its blank lines too
    assert.equal(view.lineText(view.firstLine), 'total = ');
    assert.equal(view.lineText(view.firstLine + 1), '');
    // an empty cell is still there to complete in
    const empty = notebookLines(nb.cells, 2);
    assert.equal(empty.lineText(empty.firstLine), '   ');
    // JavaScript comments for a JavaScript cell
    const js = notebookLines([cell('markup', 'markdown', 'Load it'), cell('code', 'javascript', 'const x = ')], 1);
    assert.equal(textOf(js), '// Load it\n\nconst x = ');
  });

  it('fences the code cells in a markdown cell', () => {
    const nb = new Notebook([
      cell('code', 'python', 'df = load()'),
      cell('markup', 'markdown', 'The frame '),
      cell('code', 'python', 'df.plot()'),
    ]);
    assert.equal(textOf(notebookLines(nb.cells, 1)), '```python\ndf = load()\n```\n\nThe frame \n\n```python\ndf.plot()\n```');
  });

  it('names the notebook as a script of the cell language', () => {
    assert.equal(notebookScriptPath('analysis/sales.ipynb', 'python'), 'analysis/sales.py');
    assert.equal(notebookScriptPath('sales.ipynb', 'julia'), 'sales.jl');
    assert.equal(notebookScriptPath('sales.ipynb', 'cobol'), 'sales.ipynb');
    assert.equal(notebookScriptPath('Untitled-1', 'python'), 'Untitled-1');
  });

  it('puts the earlier cells before the cursor and the later ones after it; the cursor window stays the cell', () => {
    const nb = salesNotebook();
    const context = read(new CursorContextReader({ kvKeys: true }), nb, 2, 1, 'total = '.length);
    const prompt = context.promptText!;
    assert.equal(
      prompt.prefix,
      '# # Sales report\n# Totals per region.\n\nimport pandas as pd\n\ndf = pd.read_csv("sales.csv")\n\nby_region = df.groupby("region")\n',
    );
    assert.equal(prompt.middle, 'total = ');
    assert.equal(prompt.suffix, '\n\n# SELECT region, SUM(amount) FROM sales GROUP BY region\n\nprint(total)');
    assert.equal(context.kvKey, NOTEBOOK, 'one KV key for the notebook');
    assert.equal(context.documentId, `${NOTEBOOK}#cell2`, 'the cell is the document');
    assert.equal(context.prefix, 'by_region = df.groupby("region")\ntotal = ', 'the type-through window is the cell alone');
    assert.equal(context.suffix, '');
    // the classic layout cuts its prompt from the notebook too
    const classic = read(new CursorContextReader({ kvKeys: false }), nb, 2, 1, 'total = '.length, { ...SETTINGS, promptLayout: 'classic' });
    assert.ok(classic.promptText!.prefix.startsWith('# # Sales report\n') && classic.promptText!.prefix.endsWith('\ntotal = '));
    assert.ok(classic.promptText!.suffix.endsWith('print(total)'));
    assert.equal(classic.kvKey, undefined);
  });

  it('keeps to the budgets, nearest cells first', () => {
    const far = Array.from({ length: 40 }, (_, i) => `far_${i} = ${i}`).join('\n');
    const nb = new Notebook([
      cell('code', 'python', far),
      cell('code', 'python', 'near = 1'),
      cell('code', 'python', 'x = '),
      cell('code', 'python', 'after_near = 2'),
      cell('code', 'python', far.replace(/far/gu, 'later')),
    ]);
    const settings: ReaderSettings = { ...SETTINGS, prefixTokens: 60, suffixTokens: 30 };
    const { promptText } = read(new CursorContextReader({ kvKeys: true }), nb, 2, 0, 4, settings);
    assert.ok(promptText!.prefix.endsWith('far_39 = 39\n\nnear = 1\n\n'), promptText!.prefix);
    assert.ok(!promptText!.prefix.includes('far_0 '), 'the far cell is cut');
    assert.ok(promptText!.suffix.startsWith('\n\nafter_near = 2\n\nlater_0 = 0'), promptText!.suffix);
    assert.ok(!promptText!.suffix.includes('later_39'), 'the far later cell is cut');
  });

  it('typing in a cell only appends; the next cell keeps the window, and the anchor is the notebook', () => {
    const nb = salesNotebook();
    const reader = new CursorContextReader({ kvKeys: true });
    const first = read(reader, nb, 2, 1, 'total = '.length).promptText!;
    assert.equal(first.anchor!.change, 'new');
    nb.type(2, 1, 'by_');
    const typed = read(reader, nb, 2, 1, 'total = by_'.length).promptText!;
    assert.equal(typed.anchor!.change, 'kept', 'the earlier cells are not read again');
    assert.equal(typed.prefix, first.prefix);
    assert.equal(typed.suffix, first.suffix);
    assert.equal(typed.middle, 'total = by_');
    assert.equal(reader.anchorOf(NOTEBOOK)?.window.startLine, 0);

    const next = read(reader, nb, 4, 0, 'print('.length).promptText!;
    assert.equal(next.anchor!.change, 'moved', 'the same window: the engine re-uses the KV up to the old anchor');
    assert.ok(next.prefix.startsWith(first.prefix), 'the new prefix continues the old one');
    assert.ok(next.prefix.includes('total = by_\n'), 'the cell before is in the prefix');
    assert.equal(next.suffix, 'total)');
  });

  it('applies the suggest widget item at the cell line inside the notebook', () => {
    const nb = salesNotebook();
    const context = new CursorContextReader({ kvKeys: true }).read({
      document: nb.view(2),
      line: 1,
      character: 'total = df.sum'.length,
      cursorLine: 'total = df.sum',
      settings: SETTINGS,
      indentUnit: () => '    ',
    });
    assert.equal(context.promptText!.middle, 'total = df.sum');
    assert.ok(context.promptText!.prefix.startsWith('# # Sales report'));
  });

  it('forgets the notebook anchor when its last cell closes, not when one cell does', () => {
    const nb = salesNotebook();
    const reader = new CursorContextReader({ kvKeys: true });
    read(reader, nb, 2, 1, 1);
    read(reader, nb, 4, 0, 1);
    reader.forget(`${NOTEBOOK}#cell2`);
    assert.ok(reader.anchorOf(NOTEBOOK), 'another cell of the notebook was read');
    reader.forget(`${NOTEBOOK}#cell4`);
    assert.equal(reader.anchorOf(NOTEBOOK), undefined);
  });
});
