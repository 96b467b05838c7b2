// "Tandem: Explain Selection" through a mocked vscode and a fake engine: the webview's HTML (CSP,
// nonce, local resources only), streaming, Stop reaching the engine call, one reused panel, Copy,
// the plain-prompt path, and the command's handling of an empty selection.
import * as assert from 'node:assert/strict';
import type { CompleteOptions, EngineClient } from '../../extension/engine/client';
import type { CompletionResult, CompletionStats, ModelInfo } from '../../extension/engine/native';

type WireCompletionRequest = Parameters<EngineClient['complete']>[0];
import type * as ExplainPanelModule from '../../extension/explain/explainPanel';
import type { ExplainState } from '../../extension/explain/explainController';
import { ExplainController } from '../../extension/explain/explainController';
import { contentSecurityPolicy, explainHtml, makeNonce } from '../../extension/explain/webviewHtml';
import {
  MockWebviewPanel,
  Position,
  Selection,
  TextDocument,
  Uri,
  createVscodeMock,
  forgetModules,
  installVscodeMock,
  requireFresh,
} from './support/vscodeMock';

const stats = (over: Partial<CompletionStats> = {}): CompletionStats => ({
  promptTokens: 50,
  reusedTokens: 0,
  prefillMs: 5,
  generatedTokens: 3,
  decodeMs: 30,
  firstTokenMs: 8,
  stopReason: 'eog',
  ...over,
});

interface Call {
  request: WireCompletionRequest;
  options: CompleteOptions;
  abortedInEngine: boolean;
}

/** Streams `pieces` one per tick (or one per `gapMs`); an abort ends the call like the engine
 *  does (text so far, stopReason 'cancelled'). `hold` keeps it going until aborted. */
class FakeEngine {
  readonly calls: Call[] = [];
  constructor(
    private readonly pieces: string[],
    private readonly hold = false,
    private readonly gapMs = 0,
  ) {}
  async complete(request: WireCompletionRequest, options: CompleteOptions = {}): Promise<CompletionResult> {
    const call: Call = { request, options, abortedInEngine: false };
    this.calls.push(call);
    let text = '';
    const aborted = () => {
      if (options.signal?.aborted) call.abortedInEngine = true;
      return call.abortedInEngine;
    };
    for (const piece of this.pieces) {
      await new Promise((r) => (this.gapMs ? setTimeout(r, this.gapMs) : setImmediate(r)));
      if (aborted()) return { text, tokens: [], stats: stats({ stopReason: 'cancelled' }) };
      text += piece;
      options.onText?.(piece);
    }
    const until = Date.now() + 5000; // a failing test must not leave this running
    while (this.hold && !aborted() && Date.now() < until) await new Promise((r) => setTimeout(r, 2));
    if (aborted()) return { text, tokens: [], stats: stats({ stopReason: 'cancelled' }) };
    return { text, tokens: [], stats: stats() };
  }
}

const chatModel = { chatTemplate: '<|im_start|>{{x}}', name: 'coder-instruct' } as Partial<ModelInfo> as ModelInfo;
const baseModel = { chatTemplate: null, name: 'coder-base', bos: -1, addBos: false } as Partial<ModelInfo> as ModelInfo;
const input = { code: 'a + b', languageId: 'typescript', fileName: 'a.ts', before: '', after: '' };

describe('explain: webview HTML', () => {
  it('has a nonce-based CSP, no inline or remote resources, and local media URIs', () => {
    const nonce = makeNonce();
    assert.match(nonce, /^[A-Za-z0-9]{16,}$/);
    assert.notEqual(makeNonce(), nonce);
    const html = explainHtml({
      cspSource: 'https://x.vscode-cdn.net',
      nonce,
      scriptUri: 'https://x/media/explain.js',
      styleUri: 'https://x/media/explain.css',
    });
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    assert.equal(csp, contentSecurityPolicy('https://x.vscode-cdn.net', nonce));
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, new RegExp(`script-src 'nonce-${nonce}'(;|$)`));
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.equal(scripts.length, 1);
    assert.equal(scripts[0][1], ` nonce="${nonce}" src="https://x/media/explain.js"`);
    assert.equal(scripts[0][2], '', 'no inline script');
    assert.doesNotMatch(html, /<style|style="|\son\w+=/);
    assert.doesNotMatch(html, /https?:\/\/(?!x\/|x\.vscode-cdn\.net)/, 'nothing remote');
  });
});

describe('explain: controller (fake engine)', () => {
  it('streams Markdown on the explain session and renders it safely', async () => {
    const engine = new FakeEngine(['## Sum\n', 'Adds `a` and <b>b</b>', '.']);
    const states: ExplainState[] = [];
    const controller = new ExplainController({ engine, model: { ensureLoaded: async () => chatModel }, renderIntervalMs: 0 }, (s) =>
      states.push(s),
    );
    const final = await controller.explain(input, 'a.ts:1');
    assert.equal(engine.calls[0].options.session, 'explain');
    assert.equal(engine.calls[0].request.maxTokens, 512);
    assert.deepEqual(
      states.map((s) => s.status).filter((s, i, a) => s !== a[i - 1]),
      ['loading', 'generating', 'done'],
    );
    assert.equal(final.markdown, '## Sum\nAdds `a` and <b>b</b>.');
    assert.equal(final.html, '<h2>Sum</h2>\n<p>Adds <code>a</code> and &lt;b&gt;b&lt;/b&gt;.</p>');
    assert.ok(
      states.some((s) => s.status === 'generating' && s.markdown === '## Sum'),
      'partial text is shown while streaming',
    );
  });

  it('Stop aborts the signal given to the engine call; the text so far stays', async () => {
    const engine = new FakeEngine(['First part. '], true);
    const controller = new ExplainController(
      { engine, model: { ensureLoaded: async () => chatModel }, renderIntervalMs: 0 },
      () => undefined,
    );
    const done = controller.explain(input, 't');
    while (!controller.state?.markdown) await new Promise((r) => setImmediate(r));
    assert.equal(controller.running, true);
    controller.stop();
    const final = await done;
    assert.equal(engine.calls[0].options.signal?.aborted, true);
    assert.equal(engine.calls[0].abortedInEngine, true);
    assert.equal(final.status, 'stopped');
    assert.equal(final.markdown, 'First part.');
    assert.equal(controller.running, false);
  });

  it('a base model gets the plain prompt; leaving the comment ends the explanation (not "stopped")', async () => {
    const engine = new FakeEngine([' Adds a and b.\n', '// Returns the sum.\n', 'function next() {', ' return 1; }']);
    const controller = new ExplainController(
      { engine, model: { ensureLoaded: async () => baseModel }, renderIntervalMs: 0 },
      () => undefined,
    );
    const final = await controller.explain(input, 't');
    const request = engine.calls[0].request;
    assert.equal(request.prompt[request.prompt.length - 1], '// Explanation of the code above:\n//');
    assert.deepEqual(request.stop, ['\n\n']);
    assert.equal(engine.calls[0].abortedInEngine, true, 'generation stops once the model writes code again');
    assert.equal(final.status, 'done');
    assert.equal(final.markdown, 'Adds a and b.\nReturns the sum.');
    assert.match(final.message ?? '', /plain prompt/);
  });

  it('an engine error is shown, and reported to the activity', async () => {
    const finished: (Error | undefined)[] = [];
    const controller = new ExplainController(
      {
        engine: {
          complete: async () => {
            throw Object.assign(new Error('context overflow'), { code: 'CONTEXT_OVERFLOW' });
          },
        },
        model: { ensureLoaded: async () => chatModel },
        activity: { started: () => undefined, finished: (_s, e) => finished.push(e) },
        log: { info: () => undefined, error: () => undefined },
      },
      () => undefined,
    );
    const final = await controller.explain(input, 't');
    assert.equal(final.status, 'error');
    assert.equal(final.message, 'context overflow');
    assert.equal(finished[0]?.message, 'context overflow');
  });

  it('a render error, on the streaming timer or at the end, shows the text with a note and ends the run', async () => {
    // the timer path (renderIntervalMs > 0, pieces slower than it) is where errors used to escape
    const engine = new FakeEngine(['<b>one</b> ', 'two ', 'three'], false, 15);
    const states: ExplainState[] = [];
    const errors: string[] = [];
    const finished: (Error | undefined)[] = [];
    let renders = 0;
    const controller = new ExplainController(
      {
        engine,
        model: { ensureLoaded: async () => chatModel },
        renderIntervalMs: 5,
        renderMarkdown: () => {
          renders++;
          throw new RangeError('Maximum call stack size exceeded');
        },
        log: { info: () => undefined, error: (line) => errors.push(line) },
        activity: { started: () => undefined, finished: (_s, e) => finished.push(e) },
      },
      (s) => states.push(s),
    );
    const final = await controller.explain(input, 't');
    assert.ok(renders >= 2, `${renders} renders`);
    assert.ok(
      states.some((s) => s.status === 'generating' && s.renderError),
      'a streaming update carried the note',
    );
    assert.equal(final.status, 'done');
    assert.equal(controller.running, false);
    assert.equal(final.markdown, '<b>one</b> two three');
    assert.equal(final.html, '<pre>&lt;b&gt;one&lt;/b&gt; two three</pre>', 'the text, escaped, as plain text');
    assert.match(final.renderError ?? '', /could not be formatted.*Maximum call stack size exceeded/);
    assert.equal(states[states.length - 1], final);
    assert.equal(errors.length, 1, 'logged once per explanation');
    assert.deepEqual(finished, [undefined]);
  });

  it('throttles view updates while streaming (and leaves no timer behind)', async () => {
    const engine = new FakeEngine(Array.from({ length: 40 }, (_, i) => `w${i} `));
    let updates = 0;
    const controller = new ExplainController(
      { engine, model: { ensureLoaded: async () => chatModel }, renderIntervalMs: 1000 },
      () => updates++,
    );
    const final = await controller.explain(input, 't');
    assert.ok(updates <= 5, `${updates} updates`);
    assert.match(final.html, /w39/);
  });
});

describe('explain: panel and command (mocked vscode)', function () {
  this.timeout(10_000);
  let mock: ReturnType<typeof createVscodeMock>;
  let uninstall: () => void;
  let explain: typeof ExplainPanelModule;

  before(() => {
    mock = createVscodeMock();
    uninstall = installVscodeMock(mock.vscode);
    explain = requireFresh(require.resolve('../../extension/explain/explainPanel'));
  });
  after(() => {
    forgetModules(require.resolve('../../extension/explain/explainPanel'));
    uninstall();
  });

  const context = { extensionUri: Uri.file('/ext') } as never;
  const lastState = (panel: MockWebviewPanel) => [...panel.posted].reverse().find((m) => m.type === 'state')?.state;

  it('opens one panel with local media, CSP and a nonce; Stop in the webview cancels the engine call', async () => {
    const engine = new FakeEngine(['Working on it'], true);
    const panel = new explain.ExplainPanel(context, { engine, model: { ensureLoaded: async () => chatModel }, renderIntervalMs: 0 });
    const done = panel.explain(input, 'a.ts:1');
    const webview = mock.panels[0];
    assert.equal(mock.panels.length, 1);
    assert.deepEqual((webview.options as { localResourceRoots: Uri[] }).localResourceRoots.map(String), ['file:///ext/media']);
    assert.equal((webview.options as { enableScripts: boolean }).enableScripts, true);
    const nonce = /script-src 'nonce-([^']+)'/.exec(webview.webview.html)?.[1];
    assert.ok(nonce);
    assert.match(webview.webview.html, new RegExp(`<script nonce="${nonce}" src="https:///ext/media/explain.js"></script>`));
    assert.match(webview.webview.html, /<link rel="stylesheet" href="https:\/\/\/ext\/media\/explain.css">/);

    while (engine.calls.length === 0 || !lastState(webview)?.hasText) await new Promise((r) => setTimeout(r, 1));
    assert.equal(lastState(webview).status, 'generating');
    webview.receive({ type: 'stop' });
    const final = await done;
    assert.equal(engine.calls[0].abortedInEngine, true);
    assert.equal(final.status, 'stopped');
    assert.equal(lastState(webview).status, 'stopped');

    // a reloaded webview ("ready") gets the current state again
    webview.posted.length = 0;
    webview.receive({ type: 'ready' });
    assert.equal(lastState(webview).html, '<p>Working on it</p>');
    // junk from the webview is ignored
    webview.receive('nope');
    webview.receive({ type: 'eval', code: 'x' });
    panel.dispose();
  });

  it('reuses the panel: a new explanation replaces (and cancels) the one running', async () => {
    mock.panels.length = 0;
    const first = new FakeEngine(['old '], true);
    let engine: FakeEngine = first;
    const panel = new explain.ExplainPanel(context, {
      engine: { complete: (r, o) => engine.complete(r, o) },
      model: { ensureLoaded: async () => chatModel },
      renderIntervalMs: 0,
    });
    const one = panel.explain(input, 'a.ts:1');
    while (!first.calls.length) await new Promise((r) => setTimeout(r, 1));
    engine = new FakeEngine(['new explanation']);
    const two = await panel.explain({ ...input, code: 'a * b' }, 'a.ts:2');
    const old = await one;
    assert.equal(first.calls[0].abortedInEngine, true, 'the old request was cancelled in the engine');
    assert.equal(old.status, 'stopped');
    assert.equal(two.status, 'done');
    assert.equal(mock.panels.length, 1, 'one panel');
    assert.equal(mock.panels[0].title, 'Explain: a.ts:2');
    assert.ok(mock.panels[0].revealed >= 1);
    assert.equal(lastState(mock.panels[0]).html, '<p>new explanation</p>', 'the old run posts nothing after the new one started');

    // Copy puts the Markdown on the clipboard
    mock.panels[0].receive({ type: 'copy' });
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(mock.clipboard.text, 'new explanation');
    assert.deepEqual(mock.panels[0].posted[mock.panels[0].posted.length - 1], { type: 'copied' });

    // closing the panel cancels; the next explanation opens a new one
    const slow = new FakeEngine(['x'], true);
    engine = slow;
    const three = panel.explain(input, 'a.ts:3');
    while (!slow.calls.length) await new Promise((r) => setTimeout(r, 1));
    mock.panels[0].dispose();
    assert.equal((await three).status, 'stopped');
    assert.equal(slow.calls[0].abortedInEngine, true);
    engine = new FakeEngine(['again']);
    await panel.explain(input, 'a.ts:4');
    assert.equal(mock.panels.length, 2);
    panel.dispose();
  });

  it('10,000 nested quotes stream into the panel, which ends its busy state', async () => {
    // the old renderer recursed per quote level: the stack overflowed in the 50 ms re-render timer
    // and again at the end, and the panel stayed on "Explaining…"
    mock.panels.length = 0;
    const engine = new FakeEngine(['>'.repeat(5_000), '>'.repeat(5_000), ' deep'], false, 15);
    const panel = new explain.ExplainPanel(context, { engine, model: { ensureLoaded: async () => chatModel }, renderIntervalMs: 5 });
    const final = await panel.explain(input, 'a.ts:1');
    assert.equal(final.status, 'done');
    const shown = lastState(mock.panels[0]);
    assert.equal(shown.status, 'done');
    assert.equal(shown.html.split('<blockquote>').length - 1, 10_000);
    assert.ok(mock.panels[0].posted.filter((m) => m.type === 'state' && m.state.status === 'generating' && m.state.hasText).length >= 1);
    panel.dispose();
  });

  it('a render error reaches the panel as a note, and the panel ends its busy state', async () => {
    mock.panels.length = 0;
    const engine = new FakeEngine(['Some ', 'text'], false, 15);
    const panel = new explain.ExplainPanel(context, {
      engine,
      model: { ensureLoaded: async () => chatModel },
      renderIntervalMs: 5,
      renderMarkdown: () => {
        throw new Error('renderer broke');
      },
      log: { info: () => undefined, error: () => undefined },
    });
    await panel.explain(input, 'a.ts:1');
    const shown = lastState(mock.panels[0]);
    assert.equal(shown.status, 'done');
    assert.equal(shown.html, '<pre>Some text</pre>');
    assert.match(shown.message, /could not be formatted \(renderer broke\)/);
    panel.dispose();
  });

  it('the command explains the active selection with its language, file and surrounding code', async () => {
    mock.panels.length = 0;
    const engine = new FakeEngine(['ok']);
    const disposables = explain.registerExplain(context, { engine, model: { ensureLoaded: async () => chatModel }, renderIntervalMs: 0 });
    const doc = new TextDocument('import os\n\ndef f(x):\n    return x * 2\n\nprint(f(2))\n', 'python', '/ws/pkg/mod.py');
    mock.vscode.window.activeTextEditor = { document: doc, selection: new Selection(new Position(2, 0), new Position(4, 0)) };
    const state = (await mock.vscode.commands.executeCommand(explain.COMMAND_EXPLAIN_SELECTION)) as ExplainState;
    assert.equal(state.status, 'done');
    assert.equal(state.title, 'mod.py:3-4');
    const user = engine.calls[0].request.prompt.filter((p): p is string => typeof p === 'string').join('\n');
    assert.match(user, /Explain the following python code from `(ws\/pkg\/)?mod\.py`/);
    assert.match(user, /```python\ndef f\(x\):\n    return x \* 2\n```/);
    assert.match(user, /import os\n\n\/\* <selection> \*\/\n\nprint\(f\(2\)\)/);

    // nothing selected: a hint, no request
    mock.vscode.window.activeTextEditor = { document: doc, selection: new Selection(new Position(1, 0), new Position(1, 0)) };
    assert.equal(await mock.vscode.commands.executeCommand(explain.COMMAND_EXPLAIN_SELECTION), undefined);
    assert.deepEqual(mock.infoMessages, ['Select some code to explain first.']);
    assert.equal(engine.calls.length, 1);
    for (const d of disposables) d.dispose();
  });
});
