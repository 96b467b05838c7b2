// Disabling Tandem (globally or per language) stops all engine calls.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { engineSpy } from './support/engineSpy';
import {
  activateTandem,
  freshSpot,
  closeAllEditors,
  describeCalls,
  openFixture,
  sleep,
  triggerAndWait,
  withSettings,
} from './support/helpers';

/** Types (VS Code asks for inline completions automatically as you type) and asserts no
 *  completion request reached the engine for `ms`. (An explicit trigger would complete: that is
 *  the manual-only mode, keys.test.ts.) */
async function expectNoEngineCalls(ms: number): Promise<void> {
  const spy = engineSpy();
  const since = Date.now();
  for (const ch of 'ab') {
    await vscode.commands.executeCommand('type', { text: ch });
    await sleep(ms / 2);
  }
  const calls = spy.callsSince(since, 'complete');
  assert.equal(calls.length, 0, `no completion requests while disabled: ${describeCalls(calls)}`);
}

describe('disabling Tandem', function () {
  this.timeout(120_000);
  before(activateTandem);
  afterEach(closeAllEditors);

  it('tandem.enable = false stops all engine calls; true brings them back', async () => {
    const editor = await openFixture('src/canvas.ts');
    await freshSpot(editor, 'let best: Shape | undefined;');
    await triggerAndWait(Date.now()); // works before
    const restore = await withSettings({ 'tandem.enable': false });
    try {
      await expectNoEngineCalls(2000);
    } finally {
      await restore();
    }
    await freshSpot(editor, 'let best: Shape | undefined;');
    await triggerAndWait(Date.now(), 30_000, 'a completion after re-enabling');
  });

  it('tandem.disabledLanguages turns one language off and leaves the others on', async () => {
    const restore = await withSettings({ 'tandem.disabledLanguages': ['python'] });
    try {
      const py = await openFixture('py/report.py');
      await freshSpot(py);
      await expectNoEngineCalls(2000);
      const ts = await openFixture('src/canvas.ts');
      await freshSpot(ts, 'let best: Shape | undefined;');
      await triggerAndWait(Date.now(), 30_000, 'a TypeScript completion while Python is disabled');
    } finally {
      await restore();
    }
  });
});
