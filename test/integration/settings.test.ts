// Settings changes take effect without a reload.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { engineSpy } from './support/engineSpy';
import { EXTENSION_ID, activateTandem, freshSpot, closeAllEditors, cursorAfter, openFixture, scratchDir, testModelPath, triggerAndWait, withSettings } from './support/helpers';

/** The contributed setting whose name matches, e.g. the speculation mode (landing). */
function contributedSetting(re: RegExp): string | undefined {
  const props = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON?.contributes?.configuration?.properties ?? {};
  return Object.keys(props).find((k) => re.test(k));
}

describe('settings apply without a reload', function () {
  this.timeout(120_000);
  before(activateTandem);
  afterEach(closeAllEditors);

  it('tandem.completion.maxTokens bounds the next request', async () => {
    const restore = await withSettings({ 'tandem.completion.maxTokens': 3 });
    try {
      const editor = await openFixture('py/report.py');
      await freshSpot(editor);
      const call = await triggerAndWait(Date.now());
      assert.ok(call.params.request.maxTokens <= 3, `request maxTokens ${call.params.request.maxTokens}`);
      assert.ok(call.result.stats.generatedTokens <= 3, `generated ${call.result.stats.generatedTokens}`);
    } finally {
      await restore();
    }
  });

  it('tandem.model.path switches the loaded model', async () => {
    const spy = engineSpy();
    const other = path.join(scratchDir(), 'other-model.gguf');
    fs.copyFileSync(testModelPath(), other);
    const since = Date.now();
    const restore = await withSettings({ 'tandem.model.path': other });
    try {
      const editor = await openFixture('src/canvas.ts');
      await freshSpot(editor, 'let best: Shape | undefined;');
      const call = await triggerAndWait(Date.now());
      const load = spy.callsSince(since, 'loadModel').find((c) => c.params.path === other);
      assert.ok(load?.result, 'the new model was loaded');
      assert.ok(call.sentAt >= load!.sentAt && !call.error, 'the completion ran on it');
    } finally {
      await restore();
    }
  });

  it('the speculation mode setting reaches the engine', async function () {
    const key = contributedSetting(/speculation/i);
    if (!key) this.skip(); // landing: no speculation setting contributed yet
    const restore = await withSettings({ [key!]: 'off' });
    try {
      const editor = await openFixture('src/canvas.ts');
      await freshSpot(editor, 'let best: Shape | undefined;');
      const call = await triggerAndWait(Date.now());
      assert.equal(call.params.request.speculation, 'off');
    } finally {
      await restore();
    }
  });
});
