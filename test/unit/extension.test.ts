// extension.ts: the extension activated in plain Node with a mocked `vscode` and the fake addon in
// a real engine host: the provider's prompt → engine → ghost text path, cancellation, settings changes,
// the one-time load error notification, and shutdown.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { readManifest } from './support/manifest';
import { CancellationTokenSource, Position, Range, TextDocument, createVscodeMock, installVscodeMock } from './support/vscodeMock';

const buildRoot = path.resolve(__dirname, '../..'); // out/test-build
const fakeAddon = path.resolve(__dirname, 'fixtures/fakeAddon.js');

describe('extension activation (mocked vscode, fake addon)', function () {
  this.timeout(10_000);
  let mock: ReturnType<typeof createVscodeMock>;
  let uninstall: () => void;
  let extension: { activate(context: unknown): void; deactivate(): Promise<void> };
  const subscriptions: { dispose(): void }[] = [];
  const savedAddon = process.env.TANDEM_ADDON;

  before(() => {
    process.env.TANDEM_ADDON = fakeAddon; // inherited by the engine host process
    mock = createVscodeMock();
    uninstall = installVscodeMock(mock.vscode);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    extension = require('../../extension/extension');
    extension.activate({
      subscriptions,
      globalStorageUri: { fsPath: path.join(buildRoot, 'global-storage') },
      asAbsolutePath: (p: string) =>
        p === 'out/engineHost.js' ? path.join(buildRoot, 'extension/engine/host.js') : path.join(buildRoot, p),
    });
  });
  after(async () => {
    await extension.deactivate();
    for (const s of subscriptions.reverse()) s.dispose();
    uninstall();
    if (savedAddon === undefined) delete process.env.TANDEM_ADDON;
    else process.env.TANDEM_ADDON = savedAddon;
  });

  const provide = (doc: TextDocument, pos: Position, token = new CancellationTokenSource().token) =>
    mock.providers[0].provideInlineCompletionItems(doc, pos, {}, token) as Promise<{ insertText: string }[] | undefined>;

  it('registers one provider, every command package.json contributes, and a status bar item showing "no model"', () => {
    assert.equal(mock.providers.length, 1);
    const manifest = readManifest<{ contributes: { commands: { command: string }[] } }>();
    const contributed = manifest.contributes.commands.map((c) => c.command).sort();
    assert.ok(contributed.includes('tandem.triggerCompletion') && contributed.includes('tandem.acceptNextLine'), contributed.join());
    assert.deepEqual([...mock.commands.keys()].sort(), contributed);
    assert.match(mock.statusItems[0].text, /no model/);
  });

  it('gives no completion (and starts nothing) without a model', async () => {
    assert.equal(await provide(new TextDocument('x = '), new Position(0, 4)), undefined);
    assert.equal(mock.logLines.length, 0);
  });

  it('completes at the end of a line (multi-line, bounded by maxTokens)', async () => {
    mock.setSetting('tandem.completion.maxTokens', 5);
    mock.setSetting('tandem.model.path', '/models/a.gguf');
    const items = await provide(new TextDocument('def f():\n    \n'), new Position(1, 4));
    assert.deepEqual(
      items?.map((i) => i.insertText),
      ['abcde'],
    );
    assert.match(mock.statusItems[0].tooltip, /Last completion: .* 5 tokens/);
  });

  it('with the suggest widget open: completes as if its selected item were accepted, over the same range', async () => {
    mock.setSetting('tandem.completion.maxTokens', 5);
    const doc = new TextDocument('def h():\n    r\n');
    const range = new Range(new Position(1, 4), new Position(1, 5));
    const context = { triggerKind: 1, selectedCompletionInfo: { range, text: 'return' } };
    const items = (await mock.providers[0].provideInlineCompletionItems(
      doc,
      new Position(1, 5),
      context,
      new CancellationTokenSource().token,
    )) as { insertText: string; range: Range }[] | undefined;
    assert.deepEqual(
      items?.map((i) => i.insertText),
      ['returnabcde'],
      'starts with the item (VS Code shows it only then)',
    );
    assert.equal(items?.[0].range, range);
    // an item spanning lines cannot be applied to the cursor line: nothing
    const multiLine = { triggerKind: 1, selectedCompletionInfo: { range: new Range(new Position(0, 0), new Position(1, 5)), text: 'x' } };
    assert.equal(
      await mock.providers[0].provideInlineCompletionItems(doc, new Position(1, 5), multiLine, new CancellationTokenSource().token),
      undefined,
    );
  });

  it('a cancelled request returns nothing and stops the engine: the next request is served', async () => {
    // 100,000 fake tokens take ~17 minutes: the next request is answered only if the abort reached the engine
    mock.setSetting('tandem.completion.maxTokens', 100_000);
    const source = new CancellationTokenSource();
    setTimeout(() => source.cancel(), 60);
    assert.equal(await provide(new TextDocument('x = '), new Position(0, 4), source.token), undefined);
    mock.setSetting('tandem.completion.maxTokens', 5);
    const items = await provide(new TextDocument('def g():\n    \n'), new Position(1, 4));
    assert.deepEqual(
      items?.map((i) => i.insertText),
      ['abcde'],
    );
  });

  it('a model that cannot load shows one notification with Open Settings / Show Log', async () => {
    mock.setSetting('tandem.model.path', '/models/missing.gguf');
    await new Promise((resolve) => setTimeout(resolve, 200)); // the engine runs: the change loads at once
    await provide(new TextDocument('x = '), new Position(0, 4));
    await provide(new TextDocument('y = '), new Position(0, 4));
    assert.equal(mock.errorMessages.length, 1, JSON.stringify(mock.errorMessages));
    assert.match(mock.errorMessages[0].message, /could not load the model: model file not found/);
    assert.deepEqual(mock.errorMessages[0].actions, ['Select Model', 'Open Settings', 'Show Log']);
    // the engine still holds the previous model, but the status bar must not claim "ready"
    assert.match(mock.statusItems[0].text, /\$\(error\)/);
    assert.match(mock.statusItems[0].tooltip, /could not load the model: model file not found/);
  });

  it('toggle turns completions off', async () => {
    mock.setSetting('tandem.model.path', '/models/a.gguf');
    // the new path loads at once; once it has, nothing of the old failure is left
    for (let i = 0; i < 100 && /\$\(error\)|loading/.test(mock.statusItems[0].text); i++) await new Promise((r) => setTimeout(r, 20));
    assert.doesNotMatch(mock.statusItems[0].text, /\$\(error\)/, `a new model path clears the load error: ${mock.statusItems[0].tooltip}`);
    await mock.vscode.commands.executeCommand('tandem.toggle');
    assert.equal(mock.settings.get('tandem.enable'), false);
    assert.equal(await provide(new TextDocument('x = '), new Position(0, 4)), undefined);
    assert.match(mock.statusItems[0].text, /circle-slash/);
  });
  it("hands the engine host the level of llama.cpp's lines from tandem.logLevel, at start and when it changes", async () => {
    const levels = () =>
      mock.logLines.filter((l) => l.includes('fake addon: llama.cpp log level')).map((l) => l.replace(/.*log level /, ''));
    const until = async (n: number) => {
      for (let i = 0; i < 300 && levels().length < n; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    mock.logLines.length = 0;
    mock.setSetting('tandem.logLevel', 'debug'); // llama.cpp's info lines only at debug
    await until(1);
    assert.deepEqual(levels(), ['info']);
    await mock.vscode.commands.executeCommand('tandem.restartEngine'); // a new host starts with the level
    await until(2);
    assert.deepEqual(levels(), ['info', 'info']);
    mock.setSetting('tandem.logLevel', 'info'); // the default: llama.cpp's warnings and errors
    await until(3);
    assert.deepEqual(levels(), ['info', 'info', 'warn']);
  });
});
