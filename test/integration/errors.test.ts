// A missing or corrupt model shows an error notification and leaves the editor usable; killing
// the engine host process recovers by itself.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { engineSpy } from './support/engineSpy';
import {
  NotificationSpy,
  activateTandem,
  freshSpot,
  closeAllEditors,
  describeCalls,
  openFixture,
  scratchDir,
  sleep,
  testModelPath,
  triggerAndWait,
  withSettings,
  writeScratch,
} from './support/helpers';

describe('errors and recovery', function () {
  this.timeout(150_000);
  let notifications: NotificationSpy;
  before(async () => {
    await activateTandem();
    notifications = new NotificationSpy();
  });
  after(() => notifications.dispose());
  afterEach(closeAllEditors);

  for (const [label, make, codes] of [
    ['missing', () => path.join(scratchDir(), 'does-not-exist.gguf'), ['MODEL_NOT_FOUND']],
    [
      'corrupt',
      () => writeScratch('corrupt.gguf', Buffer.from('this is not a GGUF model file\n'.repeat(100))),
      ['MODEL_NOT_GGUF', 'MODEL_TRUNCATED', 'MODEL_LOAD_FAILED'],
    ],
  ] as const) {
    it(`a ${label} model shows an error notification and the editor stays usable`, async () => {
      const spy = engineSpy();
      const since = Date.now();
      const bad = make();
      const restore = await withSettings({ 'tandem.model.path': bad });
      try {
        const editor = await openFixture('src/main.ts');
        await freshSpot(editor);
        await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
        const message = await spy
          .waitFor(() => notifications.since(since).find((m) => /tandem/i.test(m)), 30_000, 'an error notification from Tandem')
          .catch((err) => {
            throw new Error(`${err.message}; engine calls: ${describeCalls(spy.callsSince(since))}`);
          });
        assert.match(message, /model/i);
        const load = spy.callsSince(since, 'loadModel').find((c) => c.params?.path === bad);
        if (load) assert.ok(load.error && (codes as readonly string[]).includes(load.error.code), `load error code ${load.error?.code}`);
        // the editor still edits
        const before = editor.document.getText();
        await vscode.commands.executeCommand('type', { text: '\n// still typing' });
        assert.equal(editor.document.getText(), `${before}\n// still typing`);
        const ok = await editor.edit((b) => b.insert(new vscode.Position(0, 0), '// edit\n'));
        assert.equal(ok, true, 'TextEditor.edit applies');
        // no completion request with a bad model
        assert.equal(spy.completions(since).filter((c) => c.result && !c.error).length, 0, 'no completions from a bad model');
      } finally {
        await restore();
      }
      // back to the good model: completions work again
      const editor = await openFixture('src/canvas.ts');
      await freshSpot(editor, 'let best: Shape | undefined;');
      const call = await triggerAndWait(Date.now(), 60_000, 'a completion after restoring the good model');
      assert.ok(!call.error, `completion error ${call.error?.code}`);
      assert.equal(vscode.workspace.getConfiguration('tandem').get('model.path'), testModelPath());
    });
  }

  it('killing the engine host process recovers: a new host answers the next completion', async () => {
    const spy = engineSpy();
    const editor = await openFixture('src/canvas.ts');
    await freshSpot(editor, 'let best: Shape | undefined;');
    await triggerAndWait(Date.now());
    const victim = spy.current();
    assert.ok(victim?.pid, 'an engine host process is running');
    process.kill(victim.pid, 'SIGKILL');
    await spy.waitFor(() => victim.exited, 10_000, 'the engine host to exit');
    // the editor is not affected
    await vscode.commands.executeCommand('type', { text: ' ' });
    await sleep(200);
    await freshSpot(editor, 'let best: Shape | undefined;');
    const since = Date.now();
    const call = await spy.waitFor(
      () => {
        const c = spy.completions(since).find((x) => x.pid !== victim.pid && x.result && !x.error);
        if (!c) void vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
        return c;
      },
      60_000,
      'a completion from a restarted engine host',
    );
    assert.notEqual(call.pid, victim.pid);
    assert.ok(
      spy.processes.some((p) => p.pid === call.pid && !p.exited),
      'the new host is running',
    );
  });
});
