// The `server` engine kind in the real VS Code host, against a real llama-server (the pinned
// llama.cpp's, built by native/scripts/build-llama-server.js; started here with
// test/support/llamaServer.ts on the suite's generated model). A recording proxy sits between
// Tandem and the server: it shows what Tandem sent and when it closed a connection, and can refuse
// connections as a dead server does. What the server itself did is read from its /slots and
// /metrics. Covered: a workspace cannot redirect Tandem; consent is asked once, naming the host;
// completions and Explain through the server; a cancelled completion stops generating on the
// server; the server killed and restarted mid-session (one notification, then recovery); the API
// key lives in SecretStorage, never in settings.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type * as LlamaServerHarness from '../support/llamaServer';
import { engineSpy } from './support/engineSpy';
import {
  NotificationSpy,
  activateTandem,
  closeAllEditors,
  cursorAfter,
  freshSpot,
  openFixture,
  sleep,
  testModelPath,
  triggerAndWait,
} from './support/helpers';

type LlamaServer = Awaited<ReturnType<typeof LlamaServerHarness.startLlamaServer>>;

/** The repository (the harness and the CLI are used from there; runTests.js passes it). */
function repoRoot(): string {
  const root = process.env.TANDEM_IT_REPO;
  if (!root || !fs.existsSync(path.join(root, 'package.json')))
    throw new Error('TANDEM_IT_REPO is not set: run the suite with test/integration/runTests.js');
  return root;
}

function harness(): typeof LlamaServerHarness {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(repoRoot(), 'out', 'test-build', 'test', 'support', 'llamaServer.js')) as typeof LlamaServerHarness;
}

/** A model that generates slowly enough on llama-server for a cancellation to land mid-stream
 *  (4 × 256, the deepseek-coder vocabulary of the suite's model), made once with the CLI. */
async function slowerModel(): Promise<string> {
  const out = path.join(repoRoot(), '.tandem', 'test-models', 'server-it-llama-4x256-deepseek.gguf');
  if (fs.existsSync(out)) return out;
  const tmp = `${out}.tmp-${process.pid}`;
  const args = [
    'make-test-model',
    '--arch',
    'llama',
    '--layers',
    '4',
    '--embd',
    '256',
    '--vocab',
    'deepseek-coder',
    '--ctx',
    '8192',
    '--out',
    tmp,
  ];
  const child = spawn(process.execPath, [path.join(repoRoot(), 'out', 'cli.js'), ...args], {
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`make-test-model failed (exit ${code}): ${stderr}`);
  fs.renameSync(tmp, out);
  return out;
}

// ── a recording proxy in front of llama-server ──────────────────────────────────────────────────

interface Proxied {
  at: number;
  method: string;
  path: string;
  body: any;
  authorization?: string;
  status?: number;
  /** the SSE events of a /completion answer */
  events: any[];
  finished: boolean;
  /** Tandem closed the connection before the answer was complete */
  closedByClient: boolean;
}

class RecordingProxy {
  readonly requests: Proxied[] = [];
  private server?: http.Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(public upstream: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  since(t: number, route?: string): Proxied[] {
    return this.requests.filter((r) => r.at >= t && (!route || r.path === route));
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => this.forward(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Refuses connections from now on, as a dead server does (the port closes). */
  async pause(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise((r) => server.close(r));
  }

  async stop(): Promise<void> {
    await this.pause();
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const record: Proxied = {
        at: Date.now(),
        method: req.method ?? 'GET',
        path: (req.url ?? '').split('?')[0],
        body: raw.length ? safeJson(raw.toString('utf8')) : undefined,
        authorization: req.headers.authorization,
        events: [],
        finished: false,
        closedByClient: false,
      };
      this.requests.push(record);
      const up = http.request(
        `${this.upstream}${req.url ?? '/'}`,
        { method: req.method, headers: { ...req.headers, host: new URL(this.upstream).host }, agent: false },
        (upRes) => {
          record.status = upRes.statusCode;
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          let sse = '';
          upRes.on('data', (chunk: Buffer) => {
            if (record.path === '/completion') {
              sse += chunk.toString('utf8');
              for (let i = sse.indexOf('\n\n'); i >= 0; i = sse.indexOf('\n\n')) {
                const data = sse.slice(0, i).replace(/^data: /, '');
                sse = sse.slice(i + 2);
                if (data.startsWith('{')) record.events.push(safeJson(data));
              }
            }
            res.write(chunk);
          });
          upRes.on('end', () => {
            record.finished = true;
            res.end();
          });
        },
      );
      up.on('error', () => res.socket?.destroy());
      res.on('close', () => {
        if (!res.writableFinished) {
          record.closedByClient = true;
          up.destroy(); // the connection to llama-server closes as Tandem's did
        }
      });
      up.end(raw);
    });
  }
}

function safeJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function until<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** The end of Tandem's output channel (code-server writes it under the user data folder), for
 *  failure messages. */
function tandemLogTail(lines = 40): string {
  const logs = path.join(path.dirname(process.env.TANDEM_IT_WORKSPACE ?? ''), 'user-data', 'logs');
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/Tandem\.log$/.test(e.name)) found.push(p);
    }
  };
  walk(logs);
  return found.map((f) => fs.readFileSync(f, 'utf8').split('\n').slice(-lines).join('\n')).join('\n') || `(no Tandem log under ${logs})`;
}

// ── the tests ───────────────────────────────────────────────────────────────────────────────────

const config = () => vscode.workspace.getConfiguration();

describe('server engine kind (a real llama-server)', function () {
  this.timeout(180_000);
  let llama: LlamaServer;
  let proxy: RecordingProxy;
  let notifications: NotificationSpy;
  const consentQuestions: { message: string; modal: boolean }[] = [];
  let inputBoxAnswer: string | undefined;
  const original = { showWarningMessage: vscode.window.showWarningMessage, showInputBox: vscode.window.showInputBox };

  before(async () => {
    await activateTandem();
    // one thread: on a busy machine (CI, 2 cores) llama.cpp's thread pool would wait on the others
    llama = await harness().startLlamaServer({ model: testModelPath(), slots: 2, contextSize: 4096, threads: 1 });
    proxy = new RecordingProxy(llama.url);
    await proxy.start();
    // Tandem's consent question and API key prompt, answered here (the extension and the tests
    // share this vscode API object)
    (vscode.window as any).showWarningMessage = (message: string, ...rest: any[]) => {
      if (/^Send your code to /.test(message)) {
        consentQuestions.push({ message, modal: !!rest[0]?.modal });
        return Promise.resolve('Send Code');
      }
      return (original.showWarningMessage as any).call(vscode.window, message, ...rest);
    };
    (vscode.window as any).showInputBox = () => Promise.resolve(inputBoxAnswer);
    notifications = new NotificationSpy();
  });

  after(async () => {
    await config().update('tandem.engine.kind', undefined, vscode.ConfigurationTarget.Global);
    await config().update('tandem.engine.serverUrl', undefined, vscode.ConfigurationTarget.Global);
    (vscode.window as any).showWarningMessage = original.showWarningMessage;
    (vscode.window as any).showInputBox = original.showInputBox;
    notifications?.dispose();
    await proxy?.stop();
    await llama?.stop();
  });
  afterEach(closeAllEditors);

  async function useServer(url: string): Promise<void> {
    await config().update('tandem.engine.kind', 'server', vscode.ConfigurationTarget.Global);
    await config().update('tandem.engine.serverUrl', url, vscode.ConfigurationTarget.Global);
    await sleep(100);
  }

  /** Triggers at the cursor until a /completion through the proxy after `since` finished (or, with
   *  `streamed`, at least streamed some text: on a loaded machine one may run out of its budget). */
  async function completionThroughServer(
    since: number,
    timeoutMs = 60_000,
    streamed = false,
    /** every 6 s: something new to complete (typing), besides the triggers */
    nudge?: () => Promise<unknown>,
  ): Promise<Proxied> {
    let lastTrigger = 0;
    let lastNudge = Date.now();
    try {
      return await until(
        'a completion answered by llama-server',
        async () => {
          if (nudge && Date.now() - lastNudge > 6000) {
            lastNudge = Date.now();
            await nudge();
          }
          if (Date.now() - lastTrigger > 3000) {
            lastTrigger = Date.now();
            await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
          }
          return proxy
            .since(since, '/completion')
            .find((r) => r.body?.n_predict > 0 && (r.finished || (streamed && r.events.some((e) => e.content))));
        },
        timeoutMs,
        100,
      );
    } catch (err) {
      const seen = proxy
        .since(since)
        .map((r) => `${r.path} ${r.status ?? '-'}${r.finished ? ' done' : ''}${r.closedByClient ? ' closed' : ''}`);
      console.log(`      Tandem's log, last lines:\n${tandemLogTail()}`);
      throw new Error(
        `${(err as Error).message}; requests through the proxy since: ${seen.join('; ') || '(none)'}; notifications: ${JSON.stringify(notifications.since(since))}`,
      );
    }
  }

  it("a workspace's settings cannot point Tandem at a server: completions stay local, nothing reaches it", async () => {
    const file = path.join(process.env.TANDEM_IT_WORKSPACE ?? '', '.vscode', 'settings.json');
    const saved = fs.readFileSync(file, 'utf8');
    try {
      const hostile = { ...JSON.parse(saved), 'tandem.engine.kind': 'server', 'tandem.engine.serverUrl': proxy.url };
      fs.writeFileSync(file, JSON.stringify(hostile, null, 2));
      await until(
        'VS Code to read the workspace settings',
        () => config().inspect('tandem.completion.maxTokens')?.workspaceValue !== undefined,
        10_000,
      );
      await sleep(500);
      assert.equal(config().get('tandem.engine.kind'), 'local', 'VS Code ignores the workspace value of an application setting');
      const since = Date.now();
      const editor = await openFixture('src/canvas.ts');
      await freshSpot(editor, 'let best: Shape | undefined;');
      const call = await triggerAndWait(since);
      assert.ok(call.result, 'the local engine answered');
      assert.equal(proxy.requests.length, 0, 'nothing was sent to the server the workspace named');
      assert.equal(consentQuestions.length, 0, 'and nobody was asked about it');
    } finally {
      fs.writeFileSync(file, saved);
    }
  });

  it('asks once, naming the host, then completes through llama-server (the local engine is not asked)', async () => {
    const spy = engineSpy();
    await useServer(proxy.url);
    const since = Date.now();
    const editor = await openFixture('src/canvas.ts');
    let pos = await freshSpot(editor, 'let best: Shape | undefined;');
    let before = editor.document.getText();
    const request = await completionThroughServer(since);
    assert.deepEqual(consentQuestions, [{ message: `Send your code to 127.0.0.1:${proxy.port} for completions?`, modal: true }]);
    assert.equal(request.body.cache_prompt, true);
    assert.equal(request.body.stream, true);
    assert.ok(
      Array.isArray(request.body.prompt) && request.body.prompt.every((t: unknown) => Number.isInteger(t)),
      'the prompt is token ids',
    );
    assert.equal(spy.completions(since).length, 0, 'no completion reached the local engine');
    const final = request.events.at(-1);
    assert.equal(final?.stop, true);
    assert.ok(final?.timings?.prompt_n + final?.timings?.cache_n > 0, 'the server reports its timings');
    // the ghost text is the server's text: commit it (a random model may answer with nothing
    // usable at one spot, so a few tries)
    let inserted = '';
    for (let attempt = 0; attempt < 6 && !inserted; attempt++) {
      if (attempt > 0) {
        pos = await freshSpot(editor, 'let best: Shape | undefined;');
        before = editor.document.getText();
        await completionThroughServer(Date.now());
      }
      await sleep(300);
      await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
      await sleep(200);
      const after = editor.document.getText();
      if (after !== before) {
        const offset = editor.document.offsetAt(pos);
        inserted = after.slice(offset, offset + after.length - before.length);
      }
    }
    const streamed = proxy.since(since, '/completion').map((r) =>
      r.events
        .map((e) => e.content ?? '')
        .join('')
        .replace(/\s+/g, ''),
    );
    const head = inserted.replace(/\s+/g, '').slice(0, 8);
    assert.ok(
      streamed.some((text) => text.includes(head)),
      `${JSON.stringify(inserted)} is text llama-server streamed`,
    );
    assert.ok(inserted, 'a completion from the server was committed');
  });

  it('Explain Selection runs on the server: /apply-template, then a streamed /completion', async () => {
    const spy = engineSpy();
    await useServer(proxy.url);
    const since = Date.now();
    const editor = await openFixture('src/shapes.ts');
    const text = editor.document.getText();
    const start = editor.document.positionAt(text.indexOf('export function area'));
    editor.selection = new vscode.Selection(start, editor.document.lineAt(editor.document.lineCount - 1).range.end);
    const restoreMax = config().inspect('tandem.explain.maxTokens')?.workspaceValue;
    await config().update('tandem.explain.maxTokens', 48, vscode.ConfigurationTarget.Workspace);
    try {
      const state = await vscode.commands.executeCommand<{
        status: string;
        markdown: string;
        message?: string;
        stats?: { prefillDevice?: string; generatedTokens: number };
      }>('tandem.explainSelection');
      assert.equal(state.status, 'done', `explain: ${state.status} ${state.message ?? ''}`);
      assert.match(state.stats?.prefillDevice ?? '', new RegExp(`llama-server at 127\\.0\\.0\\.1:${proxy.port}`));
      assert.ok((state.stats?.generatedTokens ?? 0) > 0);
      assert.ok(proxy.since(since, '/apply-template').length >= 1, 'the chat template was rendered by the server');
      const completion = proxy.since(since, '/completion').find((r) => r.finished && r.body?.n_predict === 48);
      assert.ok(completion, 'the explanation was generated by the server');
      assert.equal(spy.completions(since, 'explain').length, 0, 'not by the local engine');
    } finally {
      await config().update('tandem.explain.maxTokens', restoreMax, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('a cancelled completion stops generating on the server: the slot is freed and no more tokens are predicted', async () => {
    // a model slow enough to be caught mid-stream, on its own server
    const slow = await harness().startLlamaServer({ model: await slowerModel(), slots: 1, contextSize: 4096, threads: 1 });
    const restoreMax = config().inspect('tandem.completion.maxTokens')?.workspaceValue;
    try {
      proxy.upstream = slow.url;
      await useServer(proxy.url);
      await vscode.commands.executeCommand('tandem.restartEngine'); // a fresh connection reads the new model
      await config().update('tandem.completion.maxTokens', 1000, vscode.ConfigurationTarget.Workspace);
      const editor = await openFixture('py/report.py');
      let caught: Proxied | undefined;
      let movedAt = 0;
      let predictedBefore = 0;
      for (let round = 0; round < 6 && !caught; round++) {
        cursorAfter(editor);
        predictedBefore = (await slow.metrics())['llamacpp:tokens_predicted_total'] ?? 0;
        const roundStart = Date.now();
        await vscode.commands.executeCommand('type', { text: `\n# round ${round}\n` }); // an empty line: up to 1000 tokens
        void vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
        const request = await until('a long completion to stream', () =>
          proxy.since(roundStart, '/completion').find((r) => r.body?.n_predict === 1000 && r.events.length >= 2),
        );
        if (request.finished) continue; // it ended (EOS) before we could move
        const slots = await slow.slots();
        if (!slots.some((s) => s.is_processing)) continue;
        movedAt = Date.now();
        // a selection elsewhere: Tandem aborts the request (and, unlike a click, starts no pre-warm there)
        editor.selection = new vscode.Selection(new vscode.Position(0, 0), new vscode.Position(0, 3));
        caught = request;
      }
      assert.ok(caught, 'a completion was caught generating');
      await until('Tandem to close the connection', () => caught.closedByClient, 5000, 10);
      const freedAt = await until(
        'the server to free the slot',
        async () => !(await slow.slots()).some((s) => s.is_processing) && Date.now(),
        5000,
        20,
      );
      // the server counts a request's tokens when it ends: read its total once settled, then again
      await sleep(300);
      const predicted = (await slow.metrics())['llamacpp:tokens_predicted_total'];
      await sleep(1000);
      assert.equal((await slow.metrics())['llamacpp:tokens_predicted_total'], predicted, 'no tokens were predicted after the abort');
      assert.ok(!caught.finished, 'the generation never ran to its end');
      assert.ok(
        predicted - predictedBefore < 1000,
        `the server predicted ${predicted - predictedBefore} tokens in all this round, not the 1000 asked`,
      );
      const streamed = caught.events.reduce((n, e) => n + (e.tokens?.length ?? 1), 0);
      console.log(
        `      slot freed ${freedAt - movedAt} ms after the cursor moved (${streamed} tokens streamed, ${predicted - predictedBefore} predicted)`,
      );
    } finally {
      await config().update('tandem.completion.maxTokens', restoreMax, vscode.ConfigurationTarget.Workspace);
      proxy.upstream = llama.url;
      await vscode.commands.executeCommand('tandem.restartEngine');
      await slow.stop();
    }
  });

  it('the server killed and restarted mid-session: one notification, then completions again without a restart', async () => {
    await useServer(proxy.url);
    const editor = await openFixture('src/canvas.ts');
    await freshSpot(editor, 'let best: Shape | undefined;');
    await completionThroughServer(Date.now()); // connected and answering
    // for a failure message: whether VS Code asks inline completion providers at all meanwhile
    const asked: number[] = [];
    const watcher = vscode.languages.registerInlineCompletionItemProvider(
      { pattern: '**' },
      {
        provideInlineCompletionItems: () => {
          asked.push(Date.now());
          return undefined;
        },
      },
    );
    try {
      const killedAt = Date.now();
      await llama.kill();
      await proxy.pause(); // the port refuses connections, as a dead server's does
      for (let i = 0; i < 5; i++) {
        await freshSpot(editor, 'let best: Shape | undefined;');
        await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
        await sleep(700);
      }
      const down = notifications.since(killedAt).filter((m) => m.includes(`127.0.0.1:${proxy.port}`));
      assert.equal(down.length, 1, `one notification for the outage: ${JSON.stringify(notifications.since(killedAt))}`);
      assert.match(down[0], /connection refused|closed by the server|dropped/);
      await llama.restart();
      await proxy.start(); // the same port again
      const back = Date.now();
      await freshSpot(editor, 'let best: Shape | undefined;');
      const request = await completionThroughServer(back, 60_000, true, () => freshSpot(editor, 'let best: Shape | undefined;')).catch(
        (err: Error) => {
          throw new Error(`${err.message}; VS Code asked providers ${asked.filter((t) => t >= back).length} times since the restart`);
        },
      );
      assert.ok(request.events.length > 0, 'answered after the restart');
      assert.equal(notifications.since(back).length, 0, 'the recovery itself is silent');
    } finally {
      watcher.dispose();
      if (llama.exited) await llama.restart();
      if (!proxy.listening) await proxy.start();
    }
  });

  it('the API key: refused without it (one notification), set with the command into SecretStorage, never in settings', async () => {
    const key = `tandem-it-key-${Date.now()}`;
    const guarded = await harness().startLlamaServer({
      model: testModelPath(),
      slots: 1,
      contextSize: 2048,
      threads: 1,
      extraArgs: ['--api-key', key],
    });
    try {
      proxy.upstream = guarded.url;
      await useServer(proxy.url);
      await vscode.commands.executeCommand('tandem.restartEngine');
      const since = Date.now();
      const editor = await openFixture('src/canvas.ts');
      await freshSpot(editor, 'let best: Shape | undefined;');
      await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
      const refused = await until(
        'the refusal to be reported',
        () => notifications.since(since).find((m) => /refused the request \(401/.test(m)),
        20_000,
      );
      assert.match(refused, /Set Server API Key/);
      inputBoxAnswer = key;
      await vscode.commands.executeCommand('tandem.setServerApiKey');
      const withKey = Date.now();
      await freshSpot(editor, 'let best: Shape | undefined;');
      const request = await completionThroughServer(withKey);
      assert.equal(request.authorization, `Bearer ${key}`);
      // nowhere in the settings files: user, machine (code-server), workspace
      const runDir = path.dirname(process.env.TANDEM_IT_WORKSPACE ?? '');
      for (const file of [
        path.join(runDir, 'user-data', 'User', 'settings.json'),
        path.join(runDir, 'user-data', 'Machine', 'settings.json'),
        path.join(process.env.TANDEM_IT_WORKSPACE ?? '', '.vscode', 'settings.json'),
      ]) {
        if (fs.existsSync(file)) assert.ok(!fs.readFileSync(file, 'utf8').includes(key), `${file} holds the key`);
      }
      assert.ok(!JSON.stringify(config().get('tandem')).includes(key), 'no setting holds the key');
    } finally {
      inputBoxAnswer = '';
      await vscode.commands.executeCommand('tandem.setServerApiKey'); // removes it
      proxy.upstream = llama.url;
      await guarded.stop();
    }
  });
});
