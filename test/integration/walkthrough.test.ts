// Getting started in the real VS Code: "Tandem: Get Started" opens VS Code's walkthrough editor
// on Tandem's walkthrough (package.json contributes.walkthroughs), and "Tandem: Open a Sample File
// to Try Completions" opens an untitled Python file with the cursor in an empty function body,
// where a completion request reaches the engine.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { engineSpy } from './support/engineSpy';
import { activateTandem, closeAllEditors, describeCalls } from './support/helpers';

const allTabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs);

describe('getting started: walkthrough and sample file', function () {
  this.timeout(120_000);
  before(activateTandem);
  afterEach(closeAllEditors);

  it("Tandem: Get Started opens VS Code's walkthrough editor, whose registry holds Tandem's walkthrough", async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['tandem.openWalkthrough', 'tandem.openSample']) assert.ok(commands.includes(id), `${id} is registered`);
    await closeAllEditors();
    await vscode.commands.executeCommand('tandem.openWalkthrough');
    const tab = await engineSpy()
      .waitFor(() => vscode.window.tabGroups.activeTabGroup.activeTab, 20_000, 'an active tab')
      .catch((err: Error) => {
        throw new Error(`${err.message}; tabs: ${JSON.stringify(allTabs().map((t) => t.label))}`);
      });
    // the walkthrough editor: titled "Welcome" (or "Walkthrough: Tandem"), neither text nor webview
    assert.match(tab.label, /^(Welcome|Walkthrough: Tandem)$/);
    assert.ok(
      !(tab.input instanceof vscode.TabInputText) && !(tab.input instanceof vscode.TabInputWebview),
      "VS Code's own walkthrough editor",
    );
    // The extension API cannot see which walkthrough the editor shows (an unknown id opens the
    // generic Welcome page, under the same title), so ask VS Code's walkthrough registry: its
    // step commands throw for a step it does not know.
    for (const step of ['chooseModel', 'tryCompletion', 'explain', 'statusAndLog']) {
      await vscode.commands.executeCommand('welcome.markStepIncomplete', `tandem-dev.tandem#gettingStarted#${step}`);
    }
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('welcome.markStepIncomplete', 'tandem-dev.tandem#gettingStarted#noSuchStep')),
      /does not exist/,
      'an unknown step is refused (so the loop above can fail)',
    );
  });

  it('Tandem: Open a Sample File opens an untitled Python file, cursor in an empty body, and a completion is asked for there', async () => {
    const spy = engineSpy();
    const since = Date.now();
    await vscode.commands.executeCommand('tandem.openSample');
    const editor = vscode.window.activeTextEditor;
    assert.ok(editor, 'an editor is active');
    assert.equal(editor.document.isUntitled, true);
    assert.equal(editor.document.languageId, 'python');
    const cursor = editor.selection.active;
    assert.ok(editor.selection.isEmpty);
    assert.equal(editor.document.lineAt(cursor.line).text, '    ');
    assert.equal(cursor.character, 4);
    assert.match(editor.document.lineAt(cursor.line - 2).text, /^def total_price\(/);
    const call = await spy
      .waitFor(
        () =>
          spy.completions(since).find((c) => (c.result || c.error) && JSON.stringify(c.params.request.prompt).includes('def total_price(')),
        60_000,
        'a completion request for the sample',
      )
      .catch((err: Error) => {
        throw new Error(`${err.message}: ${describeCalls(spy.callsSince(since))}`);
      });
    assert.ok(!call.error, `completion error ${call.error?.code}: ${call.error?.message}`);
    // untitled and dirty: closing it as a user would asks to save; the test discards it
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    assert.ok(!vscode.workspace.textDocuments.some((d) => d === editor.document && !d.isClosed && d.isDirty), 'the sample was discarded');
  });
});
