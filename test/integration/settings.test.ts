// Settings changes take effect without a reload.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { engineSpy } from './support/engineSpy';
import {
  EXTENSION_ID,
  activateTandem,
  freshSpot,
  closeAllEditors,
  openFixture,
  scratchDir,
  testModelPath,
  triggerAndWait,
  withSettings,
} from './support/helpers';

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
      assert.ok(call.sentAt >= load.sentAt && !call.error, 'the completion ran on it');
    } finally {
      await restore();
    }
  });

  it('tandem.completion.speculation reaches the engine', async () => {
    const key = 'tandem.completion.speculation';
    const contributed = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON?.contributes?.configuration?.properties ?? {};
    assert.ok(key in contributed, `${key} is contributed`);
    for (const mode of ['off', 'pld']) {
      const restore = await withSettings({ [key]: mode });
      try {
        const editor = await openFixture('src/canvas.ts');
        await freshSpot(editor, 'let best: Shape | undefined;');
        const call = await triggerAndWait(Date.now());
        assert.equal(call.params.request.speculation, mode);
      } finally {
        await restore();
      }
    }
  });
});

describe('a workspace cannot point Tandem at another model, host or size', function () {
  this.timeout(120_000);
  before(activateTandem);
  afterEach(closeAllEditors);

  it("the fixture workspace's .vscode/settings.json values for machine and application settings are ignored", async () => {
    const hostile = JSON.parse(process.env.TANDEM_IT_HOSTILE_SETTINGS ?? '{}') as Record<string, unknown>;
    assert.ok(Object.keys(hostile).length >= 4, 'runTests.js wrote hostile workspace settings');
    const config = vscode.workspace.getConfiguration();
    for (const [key, value] of Object.entries(hostile)) assert.notDeepEqual(config.get(key), value, `${key} took the workspace's value`);
    assert.equal(config.get('tandem.model.path'), testModelPath(), "the user's model");
    // the workspace asks for a llama-server: Tandem stays on the local engine (the completion
    // below is answered by it), and reads the user's values only
    assert.equal(config.get('tandem.engine.kind'), 'local', "the engine kind is the user's");
    assert.equal(hostile['tandem.engine.kind'], 'server', 'runTests.js tried to switch Tandem to a server');
    // and the engine was asked to load the user's model only
    const spy = engineSpy();
    const since = Date.now();
    const editor = await openFixture('src/canvas.ts');
    await freshSpot(editor, 'let best: Shape | undefined;');
    await triggerAndWait(since);
    for (const load of spy.callsSince(0, 'loadModel')) {
      assert.notEqual(load.params.path, hostile['tandem.model.path']);
      assert.ok(!load.params.contextSize || load.params.contextSize <= 131072, `contextSize ${load.params.contextSize}`);
    }
  });
});
