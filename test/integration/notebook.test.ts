// Notebooks in the real VS Code host: a completion in a Jupyter notebook cell (VS Code's built-in
// ipynb serializer) gets the notebook's earlier cells before the cursor — markdown as comments —
// and its later cells after it, the other cells as draft documents and the notebook as KV key;
// typing on in the cell only appends to the prompt, so the engine reads the earlier cells once.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EngineCall } from './support/engineSpy';
import { activateTandem, closeAllEditors, describeCalls, triggerAndWait, withSettings, workspaceDir } from './support/helpers';
import { engineSpy } from './support/engineSpy';

const CELLS: { cell_type: 'markdown' | 'code'; source: string }[] = [
  { cell_type: 'markdown', source: '# Sales report\nTotals per region, from the monthly export.' },
  { cell_type: 'code', source: 'import pandas as pd\n\nsales = pd.read_csv("monthly_sales.csv")' },
  { cell_type: 'code', source: 'by_region = sales.groupby("region")\n' },
  { cell_type: 'code', source: 'chart = totals.plot(kind="bar", title="Totals per region")' },
];

/** A .ipynb file in the workspace (nbformat 4, Python): VS Code opens it with its ipynb serializer. */
function writeNotebook(rel: string): vscode.Uri {
  const file = path.join(workspaceDir(), rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const lines = (source: string) => source.split(/(?<=\n)/u);
  const cells = CELLS.map((c) =>
    c.cell_type === 'code'
      ? { cell_type: 'code', source: lines(c.source), metadata: {}, execution_count: null, outputs: [] }
      : { cell_type: 'markdown', source: lines(c.source), metadata: {} },
  );
  const metadata = { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' }, language_info: { name: 'python' } };
  fs.writeFileSync(file, JSON.stringify({ cells, metadata, nbformat: 4, nbformat_minor: 5 }, null, 1));
  return vscode.Uri.file(file);
}

/** The prompt's text parts (token ids left out), in order. */
const textParts = (call: EngineCall): string[] => (call.params?.request?.prompt ?? []).filter((p: unknown) => typeof p === 'string');

describe('notebooks', function () {
  this.timeout(180_000);
  let restore: () => Promise<void>;
  before(async () => {
    await activateTandem();
    // the full prompt budgets from the first keystroke (a cold prompt is otherwise cut to what a slow
    // CPU prefills in a second, a few lines)
    restore = await withSettings({ 'tandem.completion.coldStartMs': 0 });
  });
  after(() => restore());
  afterEach(closeAllEditors);

  it("a cell's request carries the earlier cells before the cursor, the later ones after it, and the others as drafts", async () => {
    const notebook = await vscode.workspace.openNotebookDocument(writeNotebook('notebooks/sales.ipynb'));
    await vscode.window.showNotebookDocument(notebook);
    assert.equal(notebook.cellCount, CELLS.length);
    assert.equal(notebook.cellAt(0).kind, vscode.NotebookCellKind.Markup);
    const cell = notebook.cellAt(2);
    assert.equal(cell.document.languageId, 'python');
    // the cell's own editor, focused (VS Code shows a cell document inside its notebook editor)
    const editor = await vscode.window.showTextDocument(cell.document);
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), cell.document.uri.toString(), 'the cell editor is active');
    const end = cell.document.lineAt(1).range.end;
    editor.selection = new vscode.Selection(end, end);
    await vscode.commands.executeCommand('type', { text: 'totals = by_region["amount"].sum(' });

    const first = await triggerAndWait(Date.now());
    assert.ok(!first.error, `engine error: ${first.error?.message}`);
    const parts = textParts(first);
    const earlier = parts.findIndex((p) => p.includes('sales = pd.read_csv("monthly_sales.csv")'));
    const later = parts.findIndex((p) => p.includes('chart = totals.plot('));
    assert.ok(earlier >= 0, `the earlier cell's code is in the prompt: ${JSON.stringify(parts)}`);
    assert.ok(later > earlier, `the later cell's code is in a part after it: ${JSON.stringify(parts)}`);
    const prefix = parts[earlier];
    assert.ok(prefix.includes('# # Sales report\n# Totals per region, from the monthly export.\n'), `markdown as comments: ${prefix}`);
    assert.ok(prefix.indexOf('# # Sales report') < prefix.indexOf('import pandas as pd'), 'cells in notebook order');
    assert.ok(!prefix.includes('chart = totals.plot('), 'the later cell is not before the cursor');
    assert.ok(!parts[later].includes('import pandas'), 'the earlier cells are not after the cursor');
    assert.ok(parts.at(-1)?.endsWith('totals = by_region["amount"].sum('), 'the typed line ends the prompt');
    assert.equal(first.params.request.kvKey, notebook.uri.toString(), 'the notebook is the KV key');

    const drafts: string[] = (first.params.request.documents ?? []).map((d: { id: string }) => d.id);
    for (const i of [0, 1, 3]) {
      assert.ok(drafts.includes(notebook.cellAt(i).document.uri.toString()), `cell ${i} is a draft document: ${JSON.stringify(drafts)}`);
    }
    assert.ok(!drafts.includes(cell.document.uri.toString()), 'the cursor cell is in the prompt, not a draft');

    // typing on in the cell: the same prefix, and the engine re-uses its KV (the earlier cells are
    // not read again)
    await vscode.commands.executeCommand('type', { text: 'n' });
    const second = await triggerAndWait(Date.now());
    const again = textParts(second);
    assert.equal(again[earlier], prefix, 'the prefix is unchanged');
    const stats = second.result?.stats;
    const firstTokens: number = first.result?.stats?.promptTokens ?? 0;
    assert.ok(
      stats && stats.reusedTokens >= firstTokens - 4,
      `re-used ${stats?.reusedTokens} of the first prompt's ${firstTokens} tokens (${describeCalls(engineSpy().callsSince(first.sentAt))})`,
    );
  });
});
