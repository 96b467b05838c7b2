// registration.ts, cursor-move cancel (mocked vscode, scripted engine): a selection change in the
// editor whose request is in flight aborts that request's engine call at once when the new
// position cannot be served (a click or arrow key elsewhere, a selection), and leaves it alone
// while the user types into it.
import * as assert from 'node:assert/strict';
import type { ClientCompletionRequest, CompleteOptions } from '../../extension/engine/client';
import type { CompletionResult } from '../../extension/engine/native';
import { CancellationTokenSource, Position, Range, Selection, TextDocument, TextEditor } from './support/vscodeMock';
import { FIM_MODEL as MODEL } from './support/fimModel';
import { useRegistrationModule } from './support/registrationModule';

const KEYBOARD = 1;
const MOUSE = 2;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Streams "abcdef…" slowly until its signal aborts; records each call's signal. */
class SlowEngine {
  readonly calls: { signal?: AbortSignal; ended: boolean }[] = [];
  async complete(_request: ClientCompletionRequest, options: CompleteOptions = {}): Promise<CompletionResult> {
    const call = { signal: options.signal, ended: false };
    this.calls.push(call);
    let text = '';
    for (let i = 0; i < 500 && !options.signal?.aborted; i++) {
      await sleep(10);
      const piece = String.fromCharCode(97 + (i % 26));
      text += piece;
      options.onText?.(piece);
    }
    call.ended = true;
    const stopReason = options.signal?.aborted ? 'cancelled' : 'maxTokens';
    return {
      text,
      tokens: [],
      stats: { promptTokens: 1, reusedTokens: 0, prefillMs: 0, generatedTokens: text.length, decodeMs: 0, firstTokenMs: 0, stopReason },
    };
  }
}

describe('registration: cursor-move cancel (mocked vscode, scripted engine)', () => {
  const loaded = useRegistrationModule();
  let mock: ReturnType<typeof loaded.mock>;
  let registration: ReturnType<typeof loaded.registration>;
  beforeEach(() => {
    mock = loaded.mock();
    registration = loaded.registration();
    mock.settings.set('tandem.model.path', '/m.gguf');
  });

  function start(text = 'const x = \nconst y = 2;\n') {
    const engine = new SlowEngine();
    const registered = registration.registerInlineCompletions({
      engine,
      model: { ensureLoaded: async () => MODEL },
      settings: loaded.settings().readSettings,
      activity: { started: () => undefined, finished: () => undefined },
      log: () => undefined,
    });
    const provider = mock.providers[mock.providers.length - 1];
    const document = mock.openDocument(new TextDocument(text, 'typescript', '/work/a.ts'));
    const editor = new TextEditor(document);
    /** A selection change as VS Code reports it (kind: 1 keyboard, 2 mouse). */
    const moveTo = (anchor: Position, active = anchor, kind = KEYBOARD) => {
      for (const listener of [...mock.selectionListeners]) {
        listener({ textEditor: editor, selections: [new Selection(anchor, active)], kind });
      }
    };
    // an explicit trigger (no debounce) at the end of line 0 (with the suggest widget's item, if given)
    const request = async (at = new Position(0, 10), selectedCompletionInfo?: { range: Range; text: string }) => {
      const answer = provider.provideInlineCompletionItems(
        document,
        at,
        { triggerKind: 0, selectedCompletionInfo },
        new CancellationTokenSource().token,
      );
      for (let i = 0; i < 300 && engine.calls.length === 0; i++) await sleep(5);
      assert.equal(engine.calls.length, 1, 'the request reached the engine');
      return { answer };
    };
    return { engine, registered, moveTo, request, document };
  }

  it('a click on another line aborts the running request in the engine at once', async () => {
    const t = start();
    const { answer } = await t.request();
    assert.equal(t.engine.calls[0].ended, false);
    t.moveTo(new Position(1, 3), undefined, MOUSE);
    assert.equal(t.engine.calls[0].signal?.aborted, true, 'aborted synchronously, inside the selection event');
    assert.equal(await answer, undefined);
    assert.equal(t.registered.controller.runningCount, 0);
    t.registered.dispose();
  });

  it('the same position, or typing into the suggestion, keeps it; an arrow key left aborts it', async () => {
    const t = start();
    const { answer } = await t.request();
    t.moveTo(new Position(0, 10)); // where the request was made: it still serves here
    assert.equal(t.engine.calls[0].signal?.aborted, false);
    await sleep(30); // some of "abc…" has streamed (or not yet: either way "a" agrees with it)
    mock.editDocument(t.document, 'const x = a\nconst y = 2;\n');
    t.moveTo(new Position(0, 11)); // typed "a", which the generation starts with
    assert.equal(t.engine.calls[0].signal?.aborted, false);
    t.moveTo(new Position(0, 9));
    assert.equal(t.engine.calls[0].signal?.aborted, true);
    assert.equal(await answer, undefined);
    t.registered.dispose();
  });

  it('with the suggest widget open: typing on into its item keeps the request; a key the item lacks, or an arrow key, aborts it', async () => {
    for (const [typedOn, keeps] of [
      ['re', true],
      ['rx', false],
      ['', false],
    ] as const) {
      const t = start('const x = r\nconst y = 2;\n');
      const { answer } = await t.request(new Position(0, 11), {
        range: new Range(new Position(0, 10), new Position(0, 11)),
        text: 'result',
      });
      mock.editDocument(t.document, `const x = ${typedOn}\nconst y = 2;\n`);
      t.moveTo(new Position(0, 10 + typedOn.length));
      assert.equal(t.engine.calls[0].signal?.aborted, !keeps, `typed on to ${JSON.stringify(typedOn)}`);
      if (keeps) t.registered.controller.cancelDocument(t.document.uri.toString());
      assert.equal(await answer, undefined);
      t.registered.dispose();
    }
  });

  it('selecting text aborts the running request', async () => {
    const t = start();
    const { answer } = await t.request();
    t.moveTo(new Position(0, 0), new Position(0, 5));
    assert.equal(t.engine.calls[0].signal?.aborted, true);
    assert.equal(await answer, undefined);
    t.registered.dispose();
  });

  it('no request in flight: a cursor move reads nothing and aborts nothing', async () => {
    const t = start();
    let reads = 0;
    const lineAt = t.document.lineAt.bind(t.document);
    t.document.lineAt = (line: number) => {
      reads++;
      return lineAt(line);
    };
    t.moveTo(new Position(1, 0));
    assert.equal(reads, 0);
    assert.equal(t.engine.calls.length, 0);
    t.registered.dispose();
  });
});
