// The inline completion provider (inlineProvider.ts) through a mocked vscode, with a stand-in
// controller: when it completes (settings, language, editor.inlineSuggest.enabled), and what it
// hands the controller (an explicit trigger skips the debounce).
import * as assert from 'node:assert/strict';
import type * as InlineProviderModule from '../../extension/completion/inlineProvider';
import type * as SettingsModule from '../../extension/ui/settings';
import {
  CancellationTokenSource,
  Position,
  TextDocument,
  createVscodeMock,
  forgetModules,
  installVscodeMock,
  requireFresh,
} from './support/vscodeMock';

const providerPath = require.resolve('../../extension/completion/inlineProvider');
const settingsPath = require.resolve('../../extension/ui/settings');
const vscodeModules = ['../../extension/completion/languageGate', '../../extension/completion/abortOnCancel'].map((m) =>
  require.resolve(m),
);

describe('inline provider (mocked vscode, stand-in controller)', function () {
  this.timeout(10_000);
  let mock: ReturnType<typeof createVscodeMock>;
  let uninstall: () => void;
  let providerModule: typeof InlineProviderModule;
  let settingsModule: typeof SettingsModule;

  beforeEach(() => {
    mock = createVscodeMock();
    uninstall = installVscodeMock(mock.vscode);
    settingsModule = requireFresh(settingsPath);
    providerModule = requireFresh(providerPath, vscodeModules);
    mock.setSetting('tandem.model.path', '/m.gguf');
  });
  afterEach(() => {
    forgetModules(providerPath, settingsPath, ...vscodeModules);
    uninstall();
  });

  function setup() {
    const calls: { languageId: string; explicit: boolean }[] = [];
    const controller = {
      provide: async (ctx: { languageId: string }, _signal: AbortSignal, explicit: boolean) => {
        calls.push({ languageId: ctx.languageId, explicit });
        return { text: 'x', source: 'engine', partial: false };
      },
      prefillRate: { tokensPerMs: () => undefined },
    };
    const { readSettings } = settingsModule;
    const provider = new providerModule.TandemInlineCompletionProvider({
      controller: controller as never,
      settings: readSettings,
      completionSettings: () => readSettings().completion,
    });
    const provide = (languageId: string, triggerKind = mock.vscode.InlineCompletionTriggerKind.Automatic) =>
      provider.provideInlineCompletionItems(
        new TextDocument('a = ', languageId, `/w/a.${languageId}`) as never,
        new Position(0, 4) as never,
        { triggerKind } as never,
        new CancellationTokenSource().token,
      );
    return { calls, provide };
  }

  it('follows tandem.disabledLanguages / enabledLanguages and editor.inlineSuggest.enabled', async () => {
    const { calls, provide } = setup();
    assert.equal((await provide('python'))?.length, 1);
    mock.setSetting('tandem.disabledLanguages', ['markdown']);
    assert.equal(await provide('markdown'), undefined);
    mock.setSetting('tandem.enabledLanguages', ['python']);
    assert.equal(await provide('go'), undefined);
    assert.equal((await provide('python'))?.length, 1);
    mock.setSetting('editor.inlineSuggest.enabled', false);
    assert.equal(await provide('python'), undefined);
    assert.deepEqual(
      calls.map((c) => c.languageId),
      ['python', 'python'],
    );
  });

  it('completes nothing when turned off (tandem.enable) or without a model (tandem.model.path)', async () => {
    const { calls, provide } = setup();
    mock.setSetting('tandem.enable', false);
    assert.equal(await provide('python'), undefined);
    mock.setSetting('tandem.enable', true);
    mock.setSetting('tandem.model.path', '');
    assert.equal(await provide('python'), undefined);
    assert.equal(calls.length, 0);
  });

  it('an explicit trigger (InlineCompletionTriggerKind.Invoke) is explicit for the controller (no debounce); typing is not', async () => {
    const { calls, provide } = setup();
    await provide('python', mock.vscode.InlineCompletionTriggerKind.Invoke);
    await provide('python', mock.vscode.InlineCompletionTriggerKind.Automatic);
    assert.deepEqual(
      calls.map((c) => c.explicit),
      [true, false],
    );
  });
});
