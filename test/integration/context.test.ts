// Other open documents reach the engine as context (draft corpus), and a closed one stops being sent.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { EngineCall } from './support/engineSpy';
import { activateTandem, freshSpot, closeAllEditors, openFixture, sleep, triggerAndWait } from './support/helpers';

const docsOf = (c: EngineCall): { id: string; source: string; text?: string }[] => c.params?.request?.documents ?? [];
const mentions = (c: EngineCall, file: string) => docsOf(c).some((d) => d.source === 'otherFile' && d.id.includes(file));

describe('context from other open documents', function () {
  this.timeout(120_000);
  before(activateTandem);
  afterEach(closeAllEditors);

  it('sends other open documents with the request, and the engine reports them in its corpus', async () => {
    await openFixture('src/shapes.ts', vscode.ViewColumn.Two);
    await openFixture('py/inventory.py', vscode.ViewColumn.Two);
    const editor = await openFixture('src/canvas.ts', vscode.ViewColumn.One);
    await freshSpot(editor, 'let best: Shape | undefined;');
    const call = await triggerAndWait(Date.now());
    assert.ok(
      mentions(call, 'shapes.ts'),
      `shapes.ts sent as otherFile context: ${JSON.stringify(docsOf(call).map((d) => [d.source, d.id]))}`,
    );
    assert.ok(
      !docsOf(call).some((d) => d.source === 'otherFile' && d.id.includes('canvas.ts')),
      'the current file is not sent as another file',
    );
    const spec = call.result?.stats?.speculation;
    if (spec && 'corpusDocuments' in spec) {
      assert.ok(spec.corpusDocuments >= 1, `engine corpus holds the documents (corpusDocuments ${spec.corpusDocuments})`);
      assert.ok(spec.corpusTokens > 0, `corpusTokens ${spec.corpusTokens}`);
    }
  });

  it('stops sending a document once it is closed', async () => {
    await openFixture('src/shapes.ts', vscode.ViewColumn.Two);
    let editor = await openFixture('src/canvas.ts', vscode.ViewColumn.One);
    await freshSpot(editor, 'let best: Shape | undefined;');
    const first = await triggerAndWait(Date.now());
    assert.ok(mentions(first, 'shapes.ts'), 'sent while open');
    // close its tab
    for (const group of vscode.window.tabGroups.all) {
      for (const tab of group.tabs) {
        if (tab.input instanceof vscode.TabInputText && tab.input.uri.fsPath.endsWith('shapes.ts'))
          await vscode.window.tabGroups.close(tab);
      }
    }
    editor = await vscode.window.showTextDocument(editor.document, vscode.ViewColumn.One);
    await freshSpot(editor, 'return best;');
    const deadline = Date.now() + 30_000;
    let last: EngineCall | undefined;
    do {
      last = await triggerAndWait(Date.now());
      if (!mentions(last, 'shapes.ts')) break;
      await sleep(1000);
    } while (Date.now() < deadline);
    assert.ok(
      last && !mentions(last, 'shapes.ts'),
      `closed shapes.ts no longer sent: ${JSON.stringify(docsOf(last).map((d) => [d.source, d.id]))}`,
    );
  });
});
