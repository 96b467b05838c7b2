// Inline completions through the real VS Code API: ghost text at the cursor, commit, and
// cancellation of superseded requests and of requests the cursor moved away from.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { engineSpy, EngineCall } from './support/engineSpy';
import {
  activateTandem,
  freshSpot,
  closeAllEditors,
  describeCalls,
  cursorAfter,
  openFixture,
  sleep,
  testModelPath,
  triggerAndWait,
  withSettings,
} from './support/helpers';

describe('inline completions', function () {
  this.timeout(120_000);

  before(async () => {
    await activateTandem();
  });
  afterEach(closeAllEditors);

  it('activates with the fixture settings and registers its commands', async () => {
    const ext = await activateTandem();
    assert.equal(ext.isActive, true);
    const commands = await vscode.commands.getCommands(true);
    for (const c of ['tandem.toggle', 'tandem.restartEngine', 'tandem.selectModel']) assert.ok(commands.includes(c), `${c} registered`);
    assert.equal(vscode.workspace.getConfiguration('tandem').get('model.path'), testModelPath());
  });

  it('shows a completion at the cursor, and commit inserts it into the document', async () => {
    const editor = await openFixture('src/canvas.ts');
    const pos = await freshSpot(editor, 'let best: Shape | undefined;');
    const before = editor.document.getText();
    // retry a few times: a random-weight model may answer with nothing usable at one spot
    const deadline = Date.now() + 90_000;
    let inserted = '';
    let call;
    let attempt = 0;
    while (!inserted && Date.now() < deadline) {
      const since = Date.now();
      call = await triggerAndWait(since);
      assert.ok(!call.error, `engine error: ${call.error?.message}`);
      await sleep(300); // VS Code renders the ghost text after the provider resolves
      await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
      await sleep(200);
      const after = editor.document.getText();
      if (after !== before) {
        const offset = editor.document.offsetAt(pos);
        assert.equal(after.slice(0, offset), before.slice(0, offset), 'text before the cursor unchanged');
        inserted = after.slice(offset, offset + after.length - before.length);
        assert.equal(after.slice(offset + inserted.length), before.slice(offset), 'text after the cursor unchanged');
      } else if (++attempt % 2 === 0) {
        // move to another spot and try again
        const line = Math.max(0, pos.line - attempt);
        const p = editor.document.lineAt(line).range.end;
        editor.selection = new vscode.Selection(p, p);
      }
    }
    assert.ok(inserted, 'a committed inline completion changed the document');
    assert.ok(call, 'a completion was answered');
    // what was inserted is what the engine generated (ghost text is a cleaned prefix of it)
    const generated: string = call.result.text;
    assert.ok(
      generated.replace(/\s+/g, '').startsWith(inserted.replace(/\s+/g, '').slice(0, 8)) || generated.includes(inserted.trim().slice(0, 8)),
      `inserted ${JSON.stringify(inserted)} comes from the engine output ${JSON.stringify(generated)}`,
    );
    assert.ok(call.result.stats.generatedTokens > 0, 'stats report generated tokens');
  });

  it('a second keystroke cancels the first request; the last suggestion is for the latest text', async () => {
    const spy = engineSpy();
    // long generations, so there is something to cancel
    const restore = await withSettings({ 'tandem.completion.maxTokens': 1024 });
    try {
      const editor = await openFixture('py/report.py');
      cursorAfter(editor); // end of file: an empty line in a block → multi-line plan
      await triggerAndWait(Date.now()); // model loaded, session warm
      const since = Date.now();
      // On an empty line (multi-line plan, up to 1024 tokens) start a request, and type while the
      // engine is still generating it. A random-weight model may end a generation early (EOS), so
      // allow a few rounds until one is caught in flight.
      let cancelled: EngineCall | undefined;
      let typed = '';
      for (let round = 0; round < 6 && !cancelled; round++) {
        const roundStart = Date.now();
        await vscode.commands.executeCommand('type', { text: '\n' });
        void vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
        const first = await spy.waitFor(() => spy.completions(roundStart)[0], 20_000, 'a request to start');
        if (first.answeredAt) continue; // finished before we could type
        typed = `r${round}x`;
        await vscode.commands.executeCommand('type', { text: typed });
        await spy.waitFor(() => first.answeredAt, 30_000, 'the superseded request to end');
        if (first.cancelledAt !== undefined || first.result?.stats?.stopReason === 'cancelled' || first.error?.code === 'ABORTED')
          cancelled = first;
      }
      assert.ok(cancelled, `a superseded request was cancelled in the engine: ${describeCalls(spy.completions(since))}`);
      assert.equal(
        cancelled.result?.stats?.stopReason ?? cancelled.error?.code,
        cancelled.result ? 'cancelled' : 'ABORTED',
        'the engine reports the abort in its stats',
      );
      // the final suggestion: a request built from the latest text, run to the end
      const last = await triggerAndWait(Date.now(), 60_000, 'a completion for the latest text');
      assert.ok(editor.document.getText().includes(typed), 'the keystrokes reached the document');
      const promptText = JSON.stringify(last.params.request.prompt);
      assert.ok(promptText.includes(typed), `the last request was built from the latest text (${typed})`);
      assert.notEqual(last.result?.stats?.stopReason, 'cancelled', 'the latest request ran to completion');
    } finally {
      await restore();
    }
  });

  // In real VS Code: a request in flight ends cancelled in the engine once the cursor moves away.
  // VS Code's own provider cancellation (plus the controller's abandon grace) would also end it,
  // so this does not prove the abort comes from the selection event itself; the unit test
  // test/unit/registration.cursorMove.test.ts proves that (aborted synchronously, inside the event).
  it('moving the cursor away from a request in flight ends it cancelled inside the engine', async () => {
    const spy = engineSpy();
    const restore = await withSettings({ 'tandem.completion.maxTokens': 1024 });
    try {
      const editor = await openFixture('py/report.py');
      await freshSpot(editor); // a prompt no cached suggestion answers
      await triggerAndWait(Date.now()); // model loaded, session warm
      let cancelled: EngineCall | undefined;
      let movedAt = 0;
      // as above: a random-weight model may end a generation early, so allow a few rounds
      for (let round = 0; round < 6 && !cancelled; round++) {
        cursorAfter(editor);
        const roundStart = Date.now();
        // a unique comment line, then an empty line: a fresh multi-line request each round
        await vscode.commands.executeCommand('type', { text: `\n# round ${round}\n` });
        void vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
        const call = await spy.waitFor(() => spy.completions(roundStart)[0], 20_000, 'a request to start');
        if (call.answeredAt) continue;
        movedAt = Date.now();
        const top = new vscode.Position(0, 0);
        editor.selection = new vscode.Selection(top, top); // a click at the top of the file
        await spy.waitFor(() => call.answeredAt, 30_000, 'the request to end');
        if (call.result?.stats?.stopReason === 'cancelled' || call.error?.code === 'ABORTED') cancelled = call;
      }
      assert.ok(cancelled, `a request in flight was cancelled after the cursor moved: ${describeCalls(spy.completions(movedAt))}`);
      assert.ok(cancelled.cancelledAt !== undefined && cancelled.cancelledAt >= movedAt, 'the extension sent the cancel after the move');
      // a figure for the report, not an assertion: the cancel follows the move without waiting
      // for VS Code to cancel the provider call (or for the abandon grace period)
      console.log(`      cancel sent ${cancelled.cancelledAt - movedAt} ms after the cursor moved`);
    } finally {
      await restore();
    }
  });
});
