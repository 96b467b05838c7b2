// "Tandem: Explain Selection" opens the webview panel and streams text; closing it stops the request;
// tandem.explain.modelPath loads a second model for it, and a broken one is reported once while
// completions go on.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { engineSpy } from './support/engineSpy';
import {
  EXTENSION_ID,
  NotificationSpy,
  activateTandem,
  closeAllEditors,
  describeCalls,
  freshSpot,
  openFixture,
  testModelPath,
  triggerAndWait,
  withSettings,
  writeScratch,
} from './support/helpers';

const COMMAND = 'tandem.explainSelection';

function explainTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputWebview && /tandem/i.test(t.input.viewType));
}

describe('Explain Selection', function () {
  this.timeout(120_000);
  before(activateTandem);
  afterEach(closeAllEditors);

  it('is contributed and registered', async () => {
    const contributed: { command: string }[] = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON?.contributes?.commands ?? [];
    assert.ok(
      contributed.some((c) => c.command === COMMAND),
      `${COMMAND} is in package.json contributes.commands`,
    );
    assert.ok((await vscode.commands.getCommands(true)).includes(COMMAND), `${COMMAND} is registered`);
  });

  async function selectAndExplain(): Promise<number> {
    const editor = await openFixture('src/shapes.ts');
    const text = editor.document.getText();
    const start = editor.document.positionAt(text.indexOf('export function area'));
    editor.selection = new vscode.Selection(start, editor.document.lineAt(editor.document.lineCount - 1).range.end);
    const since = Date.now();
    // the command resolves when the explanation ends; callers that stop it must not wait for that
    running = Promise.resolve(vscode.commands.executeCommand(COMMAND)).then(
      () => undefined,
      () => undefined,
    );
    return since;
  }
  let running: Promise<void> = Promise.resolve();
  afterEach(() => running);

  it('opens the panel and streams the explanation', async () => {
    const spy = engineSpy();
    // a short explanation: streaming is what is tested, and 512 tokens crawl on a loaded CI machine
    const restore = await withSettings({ 'tandem.explain.maxTokens': 64 });
    try {
      const since = await selectAndExplain();
      await spy.waitFor(() => explainTabs().length > 0, 20_000, 'the explain webview panel');
      const call = await spy
        .waitFor(() => spy.completions(since, 'explain').find((c) => c.result || c.error), 90_000, 'the explanation to finish')
        .catch((err) => {
          throw new Error(`${err.message}: ${describeCalls(spy.callsSince(since))}`);
        });
      assert.ok(!call.error, `explain error ${call.error?.code}: ${call.error?.message}`);
      assert.equal(call.params.request.maxTokens, 64);
      assert.ok(call.streamed.length >= 1, 'text was streamed to the panel');
      assert.ok(call.streamed.join('').length > 0);
    } finally {
      await restore();
    }
  });

  it('closing the panel (Stop) stops the running explanation in the engine', async () => {
    const spy = engineSpy();
    const restore = await withSettings({ 'tandem.explain.maxTokens': 4096 });
    try {
      const since = await selectAndExplain();
      // Close as soon as the request reaches the engine: a random-weight model's explanation can
      // end within a few tokens, so waiting for text would race its natural end.
      const call = await spy.waitFor(() => spy.completions(since, 'explain')[0], 60_000, 'the explain request to be sent');
      const tabs = await spy.waitFor(
        () => {
          const t = explainTabs();
          return t.length > 0 && t;
        },
        20_000,
        'the explain panel',
      );
      for (const tab of tabs) await vscode.window.tabGroups.close(tab);
      assert.equal(explainTabs().length, 0, 'the explain panel closed');
      await spy.waitFor(() => call.answeredAt, 30_000, 'the explain request to end');
      // sending the cancel is not enough: the engine's own answer must say it stopped for it (a
      // 4096-token explanation of a random-weight model does not end on its own this soon)
      assert.ok(call.cancelledAt, `a cancel was sent: ${describeCalls([call])}`);
      assert.ok(
        call.result?.stats?.stopReason === 'cancelled' || call.error?.code === 'ABORTED',
        `the engine stopped: ${describeCalls([call])}`,
      );
    } finally {
      await restore();
    }
  });

  it('tandem.explain.modelPath: the explanation runs on a second model loaded for it', async () => {
    const spy = engineSpy();
    // the test model again, as a file of its own: the engine loads it a second time, as the explain model
    const explainModel = writeScratch('explain-model.gguf', fs.readFileSync(testModelPath()));
    const restore = await withSettings({ 'tandem.explain.modelPath': explainModel, 'tandem.explain.maxTokens': 16 });
    let restored = false;
    try {
      const since = await selectAndExplain();
      const call = await spy
        .waitFor(() => spy.completions(since, 'explain').find((c) => c.result || c.error), 90_000, 'the explanation to finish')
        .catch((err) => {
          throw new Error(`${err.message}: ${describeCalls(spy.callsSince(since))}`);
        });
      assert.ok(!call.error, `explain error ${call.error?.code}: ${call.error?.message}`);
      assert.equal(call.params.role, 'explain', 'run on the explain model');
      const load = spy.callsSince(since, 'loadModel').find((c) => c.params.role === 'explain');
      assert.equal(load?.params.path, explainModel, 'the explain model was loaded on the first Explain');
      assert.ok(load?.result, `loaded: ${describeCalls([load])}`);
      await running;
      // setting cleared: the explain model is freed
      const cleared = Date.now();
      restored = true;
      await restore();
      await spy.waitFor(
        () => spy.callsSince(cleared, 'unloadModel').find((c) => c.params.role === 'explain' && c.answeredAt),
        20_000,
        'the explain model to be freed',
      );
    } finally {
      if (!restored) await restore();
      await running;
    }
  });

  it('a broken tandem.explain.modelPath: one error notification, and completions keep working', async () => {
    const notifications = new NotificationSpy();
    const broken = writeScratch('broken-instruct.gguf', 'not a GGUF file, just text that is long enough to have a header\n'.repeat(4));
    const restore = await withSettings({ 'tandem.explain.modelPath': broken });
    try {
      const t0 = Date.now();
      for (let i = 0; i < 2; i++) {
        await selectAndExplain();
        await running; // the command ends with the error in the panel
      }
      const errors = notifications.since(t0).filter((m) => /explain model/.test(m));
      assert.equal(errors.length, 1, `one notification for the broken explain model: ${JSON.stringify(notifications.since(t0))}`);
      assert.match(errors[0], /broken-instruct\.gguf|GGUF/);
      const editor = await openFixture('py/report.py');
      await freshSpot(editor); // a prompt no cached suggestion of an earlier test answers
      const call = await triggerAndWait(Date.now(), 60_000, 'a completion while the explain model is broken');
      assert.ok(!call.error && call.result, `completion: ${describeCalls([call])}`);
      assert.equal(call.params.role, undefined, 'completions use the completion model');
      assert.equal(vscode.workspace.getConfiguration('tandem').get('model.path'), testModelPath());
    } finally {
      notifications.dispose();
      await restore();
    }
  });
});
