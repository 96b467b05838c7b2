// registration.ts, pre-warm (mocked vscode, recording engine): the place where the cursor comes to
// rest is prefilled once — a newly active editor, a click — but typing never starts
// background work, a keystroke stops a running pre-warm, and an idle editor sends nothing more.
import * as assert from 'node:assert/strict';
import type { ClientCompletionRequest, ClientPrefillRequest, CompleteOptions } from '../../extension/engine/client';
import type { CompletionResult, PrefillResult } from '../../extension/engine/native';
import { CancellationTokenSource, Position, Selection, TextDocument, TextEditor } from './support/vscodeMock';
import { estimateTokens } from '../../extension/context/tokenEstimate';
import { FIM_MODEL as MODEL } from './support/fimModel';
import { useRegistrationModule } from './support/registrationModule';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class RecordingEngine {
  prefills: { request: ClientPrefillRequest; signal?: AbortSignal; cancelled?: boolean }[] = [];
  completions = 0;
  prefillMs = 5;
  async complete(_request: ClientCompletionRequest, options: CompleteOptions = {}): Promise<CompletionResult> {
    this.completions++;
    options.onText?.('x');
    return {
      text: 'x',
      tokens: [],
      stats: { promptTokens: 1, reusedTokens: 0, prefillMs: 0, generatedTokens: 1, decodeMs: 0, firstTokenMs: 0, stopReason: 'maxTokens' },
    };
  }
  async prefill(request: ClientPrefillRequest, options: { signal?: AbortSignal } = {}): Promise<PrefillResult> {
    const entry: (typeof this.prefills)[number] = { request, signal: options.signal };
    this.prefills.push(entry);
    const started = Date.now();
    while (Date.now() - started < this.prefillMs && !options.signal?.aborted) await sleep(2);
    entry.cancelled = !!options.signal?.aborted;
    return {
      promptTokens: 100,
      reusedTokens: 0,
      restoredTokens: 0,
      prefillMs: 10,
      kvSwitchMs: 0,
      cancelled: entry.cancelled,
      documentKv: { documents: 0, bytes: 0, limitBytes: 0, maxDocuments: 0 },
    };
  }
}

describe('registration: pre-warm (mocked vscode, recording engine)', function () {
  this.timeout(10_000);
  const loaded = useRegistrationModule();
  let mock: ReturnType<typeof loaded.mock>;
  let registration: ReturnType<typeof loaded.registration>;
  beforeEach(() => {
    mock = loaded.mock();
    registration = loaded.registration();
    mock.settings.set('tandem.model.path', '/m.gguf');
    mock.settings.set('tandem.completion.maxTokens', 16);
  });

  function start(modelLoaded = true, lines = 60) {
    const engine = new RecordingEngine();
    const registered = registration.registerInlineCompletions({
      engine,
      model: { ensureLoaded: async () => MODEL, loadedInfo: modelLoaded ? MODEL : undefined },
      settings: loaded.settings().readSettings,
      activity: { started: () => undefined, finished: () => undefined },
      log: () => undefined,
    });
    const text = Array.from({ length: lines }, (_, i) => `const v${i} = f(${i});`).join('\n');
    const document = mock.openDocument(new TextDocument(text, 'typescript', '/work/a.ts'));
    const editor = new TextEditor(document, new Selection(new Position(10, 0), new Position(10, 0)));
    const place = (line: number, character: number) => {
      const at = new Position(line, character);
      editor.selection = new Selection(at, at);
    };
    const activate = () => {
      (mock.vscode.window as { activeTextEditor: unknown }).activeTextEditor = editor;
      for (const l of [...mock.activeEditorListeners]) l(editor);
    };
    const selectionChanged = () => {
      for (const l of [...mock.selectionListeners]) l({ textEditor: editor, selections: editor.selections, kind: 2 });
    };
    const typeAt = (line: number, character: number, ch: string) => {
      const lines = document.getText().split('\n');
      lines[line] = lines[line].slice(0, character) + ch + lines[line].slice(character);
      mock.editDocument(document, lines.join('\n'), line);
      place(line, character + 1);
      selectionChanged();
    };
    return { engine, registered, document, editor, place, activate, selectionChanged, typeAt };
  }

  it('prefills where the cursor comes to rest (an editor becoming active, a click), once per place', async () => {
    const t = start();
    try {
      t.activate();
      await sleep(registration.PREWARM_REST_MS + 100);
      assert.equal(t.engine.prefills.length, 1, 'the newly active editor');
      assert.equal(t.engine.prefills[0].request.kvKey, t.document.uri.toString());
      t.selectionChanged(); // the same place again: nothing new to prefill
      await sleep(registration.PREWARM_REST_MS + 100);
      assert.equal(t.engine.prefills.length, 1);
      t.place(40, 5);
      t.selectionChanged(); // a click elsewhere
      await sleep(registration.PREWARM_REST_MS + 100);
      assert.equal(t.engine.prefills.length, 2);
      await sleep(600);
      assert.equal(t.engine.prefills.length, 2, 'idle: nothing more');
    } finally {
      t.registered.dispose();
    }
  });

  it('prompts fit tandem.engine.contextSize: the prompt budgets are scaled down to it', async () => {
    const promptTokens: number[] = [];
    try {
      for (const contextSize of [4096, 512]) {
        mock.settings.set('tandem.engine.contextSize', contextSize);
        const t = start(true, 2000);
        try {
          t.place(1500, 0);
          t.activate();
          await sleep(registration.PREWARM_REST_MS + 100);
          const prompt = t.engine.prefills[0]?.request.prompt ?? [];
          promptTokens.push(estimateTokens(prompt.filter((p) => typeof p === 'string').join('')));
        } finally {
          t.registered.dispose();
        }
      }
    } finally {
      mock.settings.delete('tandem.engine.contextSize');
    }
    assert.ok(promptTokens[1] <= 512 * 0.9 - 16, `with 512: fitted (${promptTokens.join(' vs ')} tokens)`);
    assert.ok(promptTokens[0] > 2 * promptTokens[1], `with 4096: the full budgets (${promptTokens.join(' vs ')} tokens)`);
  });

  it('typing never starts a pre-warm, even when it pauses', async () => {
    const t = start();
    try {
      t.place(20, 3);
      t.activate();
      t.selectionChanged();
      await sleep(registration.PREWARM_REST_MS + 100);
      const before = t.engine.prefills.length;
      for (let i = 0; i < 4; i++) {
        t.typeAt(20, 3 + i, 'x');
        await sleep(registration.PREWARM_REST_MS + 100); // a pause between words
      }
      assert.equal(t.engine.prefills.length, before);
    } finally {
      t.registered.dispose();
    }
  });

  it('a keystroke stops a running pre-warm; without a loaded model nothing is sent', async () => {
    const t = start();
    try {
      t.engine.prefillMs = 5_000;
      t.activate();
      await sleep(registration.PREWARM_REST_MS + 100);
      assert.equal(t.engine.prefills.length, 1);
      const provider = mock.providers[mock.providers.length - 1] as { provideInlineCompletionItems: (...a: unknown[]) => Promise<unknown> };
      await provider.provideInlineCompletionItems(t.document, new Position(10, 0), { triggerKind: 0 }, new CancellationTokenSource().token);
      await sleep(20);
      assert.equal(t.engine.prefills[0].cancelled, true);
    } finally {
      t.registered.dispose();
    }
    const idle = start(false);
    try {
      idle.activate();
      await sleep(registration.PREWARM_REST_MS + 100);
      assert.equal(idle.engine.prefills.length, 0);
    } finally {
      idle.registered.dispose();
    }
  });
});
