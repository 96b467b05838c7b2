// The first-run FIM check in the real VS Code, on the real engine: after a model file loads, one
// short request with the check's prompt runs on the engine's low-priority (explain) session, once
// per file. The generated test model answers gibberish, which must never warn — even when its file
// name says "instruct", so that only the answer decides (the name alone passes the metadata test).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EngineCall, engineSpy } from './support/engineSpy';
import {
  activateTandem,
  closeAllEditors,
  describeCalls,
  freshSpot,
  openFixture,
  scratchDir,
  sleep,
  testModelPath,
  triggerAndWait,
  withSettings,
} from './support/helpers';

/** Warning notifications shown through this extension's `vscode` API object (shared with Tandem). */
class WarningSpy implements vscode.Disposable {
  readonly messages: string[] = [];
  private readonly original = vscode.window.showWarningMessage;
  constructor() {
    (vscode.window as any).showWarningMessage = (message: string, ...rest: any[]) => {
      this.messages.push(message);
      return (this.original as any).call(vscode.window, message, ...rest);
    };
  }
  dispose(): void {
    (vscode.window as any).showWarningMessage = this.original;
  }
}

const isCheck = (c: EngineCall) => c.method === 'complete' && JSON.stringify(c.params?.request?.prompt ?? '').includes('def add(a, b):');

describe('first-run FIM check (real engine)', function () {
  this.timeout(180_000);
  before(activateTandem);
  afterEach(closeAllEditors);

  it('runs once per model file after it loads, at low priority; a random-weight model never warns', async () => {
    const spy = engineSpy();
    const warnings = new WarningSpy();
    // a new file (new path and mtime), named like an instruct model
    const model = path.join(scratchDir(), 'fim-check-coder-instruct.gguf');
    fs.copyFileSync(testModelPath(), model);
    const since = Date.now();
    const restore = await withSettings({ 'tandem.model.path': model });
    try {
      const editor = await openFixture('py/report.py');
      await freshSpot(editor);
      await triggerAndWait(Date.now()); // the engine runs and the model is loaded
      const check = await spy
        .waitFor(() => spy.callsSince(since, 'complete').find((c) => isCheck(c) && (c.result || c.error)), 60_000, 'the FIM check')
        .catch((err: Error) => {
          throw new Error(`${err.message}: ${describeCalls(spy.callsSince(since))}`);
        });
      assert.ok(!check.error, `check error ${check.error?.code}: ${check.error?.message}`);
      assert.equal(check.params.session, 'explain', 'the low-priority session');
      assert.equal(check.params.role ?? 'completion', 'completion', 'on the completion model');
      assert.ok(check.params.request.maxTokens <= 32, `a short answer (${check.params.request.maxTokens})`);
      assert.equal(typeof check.params.request.prompt[0], 'number', "the model's own FIM tokens");
      const load = spy.callsSince(since, 'loadModel').find((c) => c.params.path === model);
      assert.ok(load?.answeredAt && check.sentAt >= load.answeredAt, 'after the load');
      await sleep(1000);
      assert.deepEqual(
        warnings.messages.filter((m) => /instruct\/chat/.test(m)),
        [],
        `gibberish (${JSON.stringify(check.result?.text)}) is not a chat answer`,
      );

      // the same file again (another model in between): no second check
      const again = Date.now();
      const other = await withSettings({ 'tandem.model.path': testModelPath() });
      await spy.waitFor(
        () => spy.callsSince(again, 'loadModel').find((c) => c.params.path === testModelPath() && c.answeredAt),
        30_000,
        'the other model',
      );
      await sleep(1500); // the suite's model is checked too if this test runs alone: let that end
      await other();
      const reload = await spy.waitFor(
        () => spy.callsSince(again, 'loadModel').find((c) => c.params.path === model && c.answeredAt),
        30_000,
        'the checked model again',
      );
      await sleep(1500);
      const reloaded = reload.answeredAt ?? 0;
      assert.deepEqual(
        spy.callsSince(reloaded, 'complete').filter(isCheck).length,
        0,
        `no second check: ${describeCalls(spy.callsSince(again))}`,
      );
    } finally {
      warnings.dispose();
      await restore();
    }
  });
});
