// registration.ts with the settings reader over a mocked vscode and a recording engine: what a
// request looks like under the per-document settings ("[language]" overrides), the battery modes
// (reduced: longer debounce, half the tokens, no prefetch or pre-warm; paused: manual only) and
// the manual trigger (completes with tandem.enable off), and what the status bar is told.
import * as assert from 'node:assert/strict';
import type { ClientCompletionRequest, CompleteOptions } from '../../extension/engine/client';
import type { CompletionResult } from '../../extension/engine/native';
import { PowerSource, PowerState, windowsPowerStateOf } from '../../extension/completion/powerSource';
import { CancellationTokenSource, Position, Selection, TextDocument, TextEditor } from './support/vscodeMock';
import { FIM_MODEL as MODEL } from './support/fimModel';
import { useRegistrationModule } from './support/registrationModule';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const AUTOMATIC = { triggerKind: 1 };
const INVOKE = { triggerKind: 0 };

class RecordingEngine {
  requests: ClientCompletionRequest[] = [];
  prefills = 0;
  async complete(request: ClientCompletionRequest, options: CompleteOptions = {}): Promise<CompletionResult> {
    this.requests.push(request);
    options.onText?.('x + 1;');
    return {
      text: 'x + 1;',
      tokens: [],
      stats: { promptTokens: 1, reusedTokens: 0, prefillMs: 0, generatedTokens: 1, decodeMs: 0, firstTokenMs: 0, stopReason: 'eog' },
    };
  }
  async prefill(): Promise<never> {
    this.prefills++;
    return new Promise(() => undefined);
  }
}

describe('registration: per-document settings, battery modes, manual trigger (mocked vscode)', function () {
  this.timeout(10_000);
  const loaded = useRegistrationModule();
  let mock: ReturnType<typeof loaded.mock>;
  let registration: ReturnType<typeof loaded.registration>;
  beforeEach(() => {
    mock = loaded.mock();
    registration = loaded.registration();
    mock.settings.clear();
    mock.settings.set('tandem.model.path', '/m.gguf');
    mock.settings.set('tandem.completion.maxTokens', 40);
    mock.settings.set('tandem.completion.prefetch', 'off');
  });

  function start(power: PowerState = 'ac') {
    const engine = new RecordingEngine();
    const batteryModes: string[] = [];
    const powerSource = new PowerSource(async () => power);
    const registered = registration.registerInlineCompletions({
      engine,
      model: { ensureLoaded: async () => MODEL, loadedInfo: MODEL },
      settings: loaded.settings().readSettings,
      activity: { started: () => undefined, finished: () => undefined, setBatteryMode: (mode) => batteryModes.push(mode) },
      log: () => undefined,
      power: powerSource,
    });
    const provider = mock.providers[mock.providers.length - 1] as {
      provideInlineCompletionItems: (...a: unknown[]) => Promise<{ insertText: string }[] | undefined>;
    };
    const open = (languageId: string, file: string) =>
      mock.openDocument(new TextDocument('function f(x) {\n  return \n}\n', languageId, file));
    const ask = async (document: TextDocument, context: { triggerKind: number }) => {
      const t0 = Date.now();
      const items = await provider.provideInlineCompletionItems(document, new Position(1, 9), context, new CancellationTokenSource().token);
      return { items, ms: Date.now() - t0 };
    };
    const ready = async () => {
      powerSource.current(); // the first read starts in the background
      await powerSource.settled();
    };
    return { engine, registered, open, ask, ready, batteryModes };
  }

  it('a "[language]" override reaches the request: maxTokens and speculation per language', async () => {
    mock.settings.set('[python]', { 'tandem.completion.maxTokens': 7, 'tandem.completion.speculation': 'off' });
    const t = start();
    try {
      await t.ask(t.open('python', '/work/a.py'), AUTOMATIC);
      await t.ask(t.open('typescript', '/work/b.ts'), AUTOMATIC);
      assert.equal(t.engine.requests.length, 2);
      assert.equal(t.engine.requests[0].maxTokens, 7, 'python: its override');
      assert.equal(t.engine.requests[0].speculation, 'off');
      assert.ok(t.engine.requests[1].maxTokens > 7, `typescript: the general value (${t.engine.requests[1].maxTokens})`);
      assert.equal(t.engine.requests[1].speculation, 'auto');
    } finally {
      t.registered.dispose();
    }
  });

  it('a "[language]" override of tandem.enable turns automatic completions off there only', async () => {
    mock.settings.set('[markdown]', { 'tandem.enable': false });
    const t = start();
    try {
      assert.equal((await t.ask(t.open('markdown', '/work/a.md'), AUTOMATIC)).items, undefined);
      assert.equal(t.engine.requests.length, 0);
      await t.ask(t.open('typescript', '/work/b.ts'), AUTOMATIC);
      assert.equal(t.engine.requests.length, 1);
    } finally {
      t.registered.dispose();
    }
  });

  it('tandem.enable off: automatic requests give nothing, a manual trigger (Invoke) still completes', async () => {
    mock.settings.set('tandem.enable', false);
    const t = start();
    try {
      const document = t.open('typescript', '/work/a.ts');
      assert.equal((await t.ask(document, AUTOMATIC)).items, undefined);
      assert.equal(t.engine.requests.length, 0);
      const manual = await t.ask(document, INVOKE);
      assert.equal(manual.items?.[0]?.insertText, 'x + 1;');
      assert.equal(t.engine.requests.length, 1);
    } finally {
      t.registered.dispose();
    }
  });

  it('the Tandem: Trigger Completion command asks VS Code for an inline suggestion', async () => {
    const t = start();
    try {
      const asked: string[] = [];
      mock.commands.set(registration.COMMAND_TRIGGER_INLINE, () => asked.push('trigger'));
      await mock.vscode.commands.executeCommand(registration.COMMAND_TRIGGER_COMPLETION);
      assert.deepEqual(asked, ['trigger']);
    } finally {
      t.registered.dispose();
    }
  });

  it('on battery, reduced: half the tokens, a longer debounce, no pre-warm; the status bar is told', async () => {
    mock.settings.set('tandem.completion.onBattery', 'reduced');
    const onAc = start('ac');
    let acMs = 0;
    try {
      await onAc.ready();
      acMs = (await onAc.ask(onAc.open('typescript', '/work/a.ts'), AUTOMATIC)).ms;
      assert.equal(onAc.engine.requests[0].maxTokens, 40, 'on mains power: as set');
      assert.deepEqual(onAc.batteryModes, []);
    } finally {
      onAc.registered.dispose();
    }
    const t = start('battery');
    try {
      await t.ready();
      const document = t.open('typescript', '/work/b.ts');
      const { ms } = await t.ask(document, AUTOMATIC);
      assert.equal(t.engine.requests[0].maxTokens, 20, 'half of 40');
      assert.ok(ms >= 2 * 150 - 20, `debounce doubled: ${ms} ms (on AC ${acMs} ms)`);
      assert.deepEqual(t.batteryModes, ['reduced']);
    } finally {
      t.registered.dispose();
    }
  });

  it('on battery, paused: no automatic completions; a manual trigger completes at full length', async () => {
    mock.settings.set('tandem.completion.onBattery', 'paused');
    const t = start('battery');
    try {
      await t.ready();
      const document = t.open('typescript', '/work/a.ts');
      assert.equal((await t.ask(document, AUTOMATIC)).items, undefined);
      assert.equal(t.engine.requests.length, 0);
      assert.deepEqual(t.batteryModes, ['paused']);
      const manual = await t.ask(document, INVOKE);
      assert.equal(manual.items?.[0]?.insertText, 'x + 1;');
      assert.equal(t.engine.requests.length, 1);
    } finally {
      t.registered.dispose();
    }
  });

  it('on battery, reduced or paused: the cursor coming to rest pre-warms nothing', async () => {
    for (const mode of ['reduced', 'paused', 'normal'] as const) {
      mock.settings.set('tandem.completion.onBattery', mode);
      const t = start('battery');
      try {
        await t.ready();
        const document = t.open('typescript', `/work/${mode}.ts`);
        const editor = new TextEditor(document, new Selection(new Position(1, 9), new Position(1, 9)));
        (mock.vscode.window as { activeTextEditor: unknown }).activeTextEditor = editor;
        for (const l of [...mock.activeEditorListeners]) l(editor);
        await sleep(registration.PREWARM_REST_MS + 100);
        assert.equal(t.engine.prefills, mode === 'normal' ? 1 : 0, mode);
      } finally {
        t.registered.dispose();
      }
    }
  });
});

describe('powerSource: Windows battery status (Win32_Battery.BatteryStatus)', () => {
  it('discharging, low and critical are battery; AC, charged and charging are mains; no battery is a desktop', () => {
    for (const s of ['1', '4', '5', ' 1\r\n']) assert.equal(windowsPowerStateOf(s), 'battery', JSON.stringify(s));
    for (const s of ['2', '3', '6', '7', '8', '9', '11', '2\r\n']) assert.equal(windowsPowerStateOf(s), 'ac', s);
    assert.equal(windowsPowerStateOf(''), 'ac');
    assert.equal(windowsPowerStateOf('\r\n'), 'ac');
    assert.equal(windowsPowerStateOf('10'), 'unknown');
    assert.equal(windowsPowerStateOf('Get-CimInstance : Access denied'), 'unknown');
  });
});
