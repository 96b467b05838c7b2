// The FIM check's VS Code wiring (extension/ui/fimCheckWarning.ts) through a mocked vscode: a real
// ActiveModel over a fake engine loads a model file (a real file, so its size and modification
// time are real); the check runs once after the load; a chatty answer shows one warning with the
// fix and its three buttons, a code answer none; the verdict lives in globalState, so neither a
// reload nor the next VS Code session checks or warns again.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CompleteOptions, ClientCompletionRequest, LoadedModel, LoadModelOptions } from '../../extension/engine/client';
import { Emitter } from '../../extension/common/emitter';
import type { EngineError } from '../../extension/engine/errors';
import type { CompletionResult, ModelInfo } from '../../extension/engine/native';
import { ActiveModel, ModelSettings } from '../../extension/models/activeModel';
import type * as FimCheckWarningModule from '../../extension/ui/fimCheckWarning';
import { FIM_MODEL } from './support/fimModel';
import { createVscodeMock, forgetModules, installVscodeMock, requireFresh } from './support/vscodeMock';

const CHATTY = "Sure! Here's the completed function:\n\n```python\ndef add(a, b):\n";
const CODE = '    return a + b\n';

/** Just enough of EngineClient: loads any path (as a Qwen2.5-Coder-Instruct-like model); completions
 *  answer `answer`. */
class FakeEngine {
  answer = CHATTY;
  readonly completions: { request: ClientCompletionRequest; options: CompleteOptions }[] = [];
  loadedModel: LoadedModel | undefined;
  state: { kind: 'stopped' | 'ready' } = { kind: 'stopped' };
  readonly gaveUp = new Emitter<{ path: string; error: EngineError }>();
  readonly onModelGaveUp = this.gaveUp.event;
  async loadModel(modelPath: string, options: LoadModelOptions = {}): Promise<ModelInfo> {
    this.state = { kind: 'ready' };
    const info: ModelInfo = { ...FIM_MODEL, path: modelPath, name: 'Qwen2.5 Coder 1.5B Instruct', chatTemplate: '{{ messages }}' };
    this.loadedModel = { params: { path: modelPath, contextSize: options.contextSize }, info };
    return info;
  }
  async complete(request: ClientCompletionRequest, options: CompleteOptions = {}): Promise<CompletionResult> {
    this.completions.push({ request, options });
    const stats = {
      promptTokens: 20,
      reusedTokens: 0,
      prefillMs: 1,
      generatedTokens: 12,
      decodeMs: 5,
      firstTokenMs: 2,
      stopReason: 'maxTokens' as const,
    };
    return { text: this.answer, tokens: [], stats };
  }
}

/** vscode.Memento over a Map (the extension's globalState, which outlives a session). */
class MapMemento {
  readonly values = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    this.values.set(key, value);
  }
}

async function until(what: string, condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('FIM check wiring (mocked vscode)', () => {
  let mock: ReturnType<typeof createVscodeMock>;
  let uninstall: () => void;
  let wiring: typeof FimCheckWarningModule;
  let dir: string;
  const warnings: { message: string; actions: string[] }[] = [];
  let warningAnswer: string | undefined;
  const logged: string[] = [];
  const log = {
    error: (m: string) => logged.push(`error ${m}`),
    warn: (m: string) => logged.push(`warn ${m}`),
    info: (m: string) => logged.push(`info ${m}`),
    debug: (m: string) => logged.push(`debug ${m}`),
    show: () => logged.push('show'),
  };

  before(() => {
    mock = createVscodeMock();
    Object.assign(mock.vscode.window, {
      showWarningMessage: async (message: string, ...actions: string[]) => {
        warnings.push({ message, actions });
        return warningAnswer;
      },
    });
    uninstall = installVscodeMock(mock.vscode);
    wiring = requireFresh(require.resolve('../../extension/ui/fimCheckWarning'), [require.resolve('../../extension/models/modelCommands')]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-fimcheck-'));
  });
  after(() => {
    forgetModules(require.resolve('../../extension/ui/fimCheckWarning'), require.resolve('../../extension/models/modelCommands'));
    uninstall();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    warnings.length = 0;
    logged.length = 0;
    warningAnswer = undefined;
  });

  function setUp(file: string, state = new MapMemento(), engine = new FakeEngine()) {
    if (!fs.existsSync(path.join(dir, file))) fs.writeFileSync(path.join(dir, file), 'GGUF stand-in');
    const settings: ModelSettings = {
      path: path.join(dir, file),
      contextSize: 2048,
      threads: 0,
      device: { prefill: 'auto', decode: 'auto' },
      documentCacheMB: 256,
    };
    const model = new ActiveModel(engine as never, () => settings);
    const registration = wiring.registerFimCheck({ model, engine, state, log });
    return { settings, model, engine, state, dispose: () => (registration.dispose(), model.dispose()) };
  }

  it('after a load: one low-priority check; a chatty answer gets one warning with the fix, Select Model runs', async () => {
    const ran: string[] = [];
    mock.vscode.commands.registerCommand('tandem.selectModel', () => ran.push('tandem.selectModel'));
    warningAnswer = 'Select Model';
    const session = setUp('qwen2.5-coder-1.5b-instruct-q8_0.gguf');
    try {
      await session.model.ensureLoaded();
      await until('the warning', () => warnings.length > 0);
      assert.equal(session.engine.completions.length, 1);
      assert.equal(session.engine.completions[0].options.session, 'explain');
      assert.deepEqual(warnings[0].actions, ['Select Model', 'Download Recommended Model', 'Show Log']);
      assert.match(warnings[0].message, /^Tandem: Qwen2\.5 Coder 1\.5B Instruct looks like an instruct\/chat model/);
      assert.match(warnings[0].message, /Fill-in-the-middle needs a base code model of the same family, e\.g\. Qwen2\.5 Coder 1\.5B \(not/);
      assert.ok(
        logged.some((l) => l.startsWith('warn Tandem: Qwen2.5 Coder 1.5B Instruct looks like') && l.includes(JSON.stringify(CHATTY))),
        logged.join('\n'),
      );
      await until('Select Model to run', () => ran.length > 0);

      // the same file loaded again (another context size): no second check, no second warning
      session.settings.contextSize = 4096;
      session.model.settingsChanged();
      await session.model.ensureLoaded();
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(session.engine.completions.length, 1);
      assert.equal(warnings.length, 1);
    } finally {
      session.dispose();
    }

    // the next VS Code session, same globalState: the file is known, nothing runs
    const next = setUp('qwen2.5-coder-1.5b-instruct-q8_0.gguf', session.state);
    try {
      await next.model.ensureLoaded();
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(next.engine.completions.length, 0);
      assert.equal(warnings.length, 1);
    } finally {
      next.dispose();
    }
  });

  it('a code answer gets no warning, only a log line', async () => {
    const engine = new FakeEngine();
    engine.answer = CODE;
    const session = setUp('qwen2.5-coder-1.5b-q8_0.gguf', new MapMemento(), engine);
    try {
      await session.model.ensureLoaded();
      await until('the log line', () => logged.some((l) => l.includes('fill-in-the-middle check')));
      assert.equal(engine.completions.length, 1);
      assert.match(logged.join('\n'), /^info fill-in-the-middle check of .*: no sign of an instruct\/chat model/m);
      assert.equal(warnings.length, 0);
    } finally {
      session.dispose();
    }
  });
});
