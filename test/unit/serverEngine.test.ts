// The server engine (engine/server/serverEngine.ts) against a real HTTP server on 127.0.0.1 that
// speaks llama-server's API (a small stand-in, so every failure can be produced on cue: down,
// slow, 4xx/5xx, a dropped stream, a model without FIM tokens). The real llama-server is exercised
// by test/integration/server.test.ts.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { HttpTransport } from '../../extension/engine/server/httpTransport';
import { ServerEngine, ServerState } from '../../extension/engine/server/serverEngine';
import { ServerError } from '../../extension/engine/server/serverErrors';
import { parseServerUrl } from '../../extension/engine/server/serverUrl';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../extension/cli/main';
import { buildFimPrompt } from '../../extension/context/fimPrompt';
import { captureCliIo } from '../support/cliIo';

// ── a stand-in llama-server ─────────────────────────────────────────────────────────────────────

/** Control tokens of the stand-in's vocabulary (Qwen2.5-Coder's names); other text is one token
 *  per character, id 1000 + code point. */
const CONTROL: Record<string, number> = {
  '<|endoftext|>': 4,
  '<|fim_prefix|>': 1,
  '<|fim_suffix|>': 2,
  '<|fim_middle|>': 3,
  '<|fim_pad|>': 7,
  '<|repo_name|>': 8,
  '<|file_sep|>': 9,
  '<|im_start|>': 5,
  '<|im_end|>': 6,
};

function tokenize(text: string, parseSpecial: boolean, controls: Record<string, number>): number[] {
  const ids: number[] = [];
  for (let i = 0; i < text.length;) {
    const special = parseSpecial ? Object.keys(controls).find((c) => text.startsWith(c, i)) : undefined;
    if (special) {
      ids.push(controls[special]);
      i += special.length;
    } else {
      const cp = text.codePointAt(i)!;
      ids.push(1000 + cp);
      i += cp > 0xffff ? 2 : 1;
    }
  }
  return ids;
}

interface Reply {
  pieces: string[];
  stopType?: 'eos' | 'word' | 'limit';
  /** ms before the first piece (the headers come with it, as llama-server sends them) */
  firstDelayMs?: number;
  /** ms between pieces */
  pieceDelayMs?: number;
  /** destroy the socket after this many pieces */
  dropAfter?: number;
}

interface Recorded {
  path: string;
  body: any;
  authorization?: string;
  /** the client closed the connection before the answer was complete */
  closedEarly: boolean;
}

class FakeLlamaServer {
  readonly requests: Recorded[] = [];
  controls: Record<string, number> = { ...CONTROL };
  reply: (body: any) => Reply = () => ({ pieces: ['ok'] });
  /** answer every request with this status (and llama-server's error body) */
  failStatus?: number;
  /** never answer (headers never come) */
  hang = false;
  apiKey?: string;
  private server?: http.Server;
  private readonly sockets = new Set<import('node:net').Socket>();
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  count(path: string): number {
    return this.requests.filter((r) => r.path === path).length;
  }

  async start(port = 0): Promise<void> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const record: Recorded = {
        path: req.url ?? '',
        body: text ? JSON.parse(text) : undefined,
        authorization: req.headers.authorization,
        closedEarly: false,
      };
      this.requests.push(record);
      res.on('close', () => {
        if (!res.writableFinished) record.closedEarly = true;
      });
      if (this.hang) return;
      if (this.apiKey && req.headers.authorization !== `Bearer ${this.apiKey}`) return this.error(res, 401, 'Invalid API Key');
      if (this.failStatus) return this.error(res, this.failStatus, 'the server failed on purpose');
      this.route(record, res);
    });
  }

  private error(res: http.ServerResponse, status: number, message: string): void {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: { code: status, message, type: 'server_error' } }));
  }

  private json(res: http.ServerResponse, value: unknown): void {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(value));
  }

  private route(record: Recorded, res: http.ServerResponse): void {
    const body = record.body;
    switch (record.path) {
      case '/props':
        return this.json(res, {
          default_generation_settings: { n_ctx: 2048, params: { 'speculative.types': 'none' } },
          total_slots: 2,
          model_path: '/models/qwen2.5-coder-0.5b-q8_0.gguf',
          chat_template: '{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}',
          bos_token: '',
          eos_token: '<|endoftext|>',
        });
      case '/v1/models':
        return this.json(res, { data: [{ id: 'qwen', meta: { n_vocab: 151936, n_ctx_train: 32768, n_embd: 896, n_params: 494032768 } }] });
      case '/tokenize':
        return this.json(res, { tokens: tokenize(String(body.content), body.parse_special !== false, this.controls) });
      case '/apply-template':
        return this.json(res, {
          prompt:
            (body.messages as { role: string; content: string }[]).map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join('') +
            '<|im_start|>assistant\n',
        });
      case '/completion':
        return this.stream(body, res);
      default:
        return this.error(res, 404, 'File Not Found');
    }
  }

  private stream(body: any, res: http.ServerResponse): void {
    const reply = body.n_predict === 0 ? { pieces: [] } : this.reply(body);
    let i = 0;
    const send = () => {
      if (res.destroyed) return;
      if (!res.headersSent) res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      if (reply.dropAfter !== undefined && i >= reply.dropAfter) return void res.socket?.destroy();
      if (i < reply.pieces.length) {
        const piece = reply.pieces[i++];
        res.write(`data: ${JSON.stringify({ content: piece, tokens: tokenize(piece, false, {}), stop: false })}\n\n`);
        setTimeout(send, reply.pieceDelayMs ?? 0);
        return;
      }
      const final = {
        content: '',
        stop: true,
        stop_type: reply.stopType ?? 'eos',
        model: 'qwen',
        tokens_evaluated: (body.prompt as number[]).length,
        timings: {
          cache_n: 3,
          prompt_n: (body.prompt as number[]).length - 3,
          prompt_ms: 12.5,
          predicted_n: reply.pieces.length,
          predicted_ms: 40,
        },
      };
      res.end(`data: ${JSON.stringify(final)}\n\n`);
    };
    setTimeout(send, reply.firstDelayMs ?? 0);
  }
}

// ── the tests ───────────────────────────────────────────────────────────────────────────────────

describe('server engine (a stand-in llama-server on 127.0.0.1)', function () {
  this.timeout(10_000);
  let fake: FakeLlamaServer;
  let engine: ServerEngine;
  let clock = 0;
  const failures: ServerError[] = [];
  const states: ServerState['kind'][] = [];

  function makeEngine(options: Partial<ConstructorParameters<typeof ServerEngine>[0]> = {}): ServerEngine {
    engine?.dispose();
    failures.length = 0;
    states.length = 0;
    engine = new ServerEngine({
      target: parseServerUrl(fake.url),
      now: () => clock,
      retry: { firstMs: 1000, maxMs: 4000, setupMs: 30_000 },
      ...options,
    });
    engine.onDidFail((e) => failures.push(e));
    engine.onDidChangeState((s) => states.push(s.kind));
    return engine;
  }

  beforeEach(async () => {
    clock = 0;
    fake = new FakeLlamaServer();
    await fake.start();
    makeEngine();
  });
  afterEach(async () => {
    engine.dispose();
    await fake.stop();
  });

  async function fimPrompt(code = 'const x = 1;') {
    const model = await engine.ensureCompletionModel();
    return buildFimPrompt(model, { prefix: code, suffix: '\n' }, null);
  }

  it("reads the server's model: FIM token ids and family from /tokenize probes, slots and slot context from /props", async () => {
    const model = await engine.ensureCompletionModel();
    assert.deepEqual(model.fim, { prefix: 1, suffix: 2, middle: 3, pad: 7, repo: 8, sep: 9 });
    assert.equal(model.fimText.prefix, '<|fim_prefix|>');
    assert.equal(model.eos, 4);
    assert.equal(model.bos, -1);
    assert.equal(model.addBos, false);
    assert.equal(model.slots, 2);
    assert.equal(model.slotContext, 2048);
    assert.equal(model.vocabSize, 151936);
    assert.equal(model.serverModel, 'qwen2.5-coder-0.5b-q8_0.gguf');
    assert.match(model.name, new RegExp(`on 127\\.0\\.0\\.1:${fake.port}`));
    assert.equal(engine.state.kind, 'ready');
  });

  it('sends the prompt as token ids: special-token text in code stays text, template text is parsed', async () => {
    const code = 'x = "<|endoftext|><|fim_middle|>"';
    const prompt = await fimPrompt(code);
    await engine.complete({ prompt, maxTokens: 8 });
    const sent = fake.requests.find((r) => r.path === '/completion')!.body;
    assert.ok(Array.isArray(sent.prompt) && sent.prompt.every((t: unknown) => typeof t === 'number'), 'token ids only');
    assert.deepEqual(sent.prompt, [1, ...tokenize(code, false, {}), 2, 1000 + 10, 3]);
    assert.ok(!sent.prompt.slice(1, -3).some((t: number) => t < 1000), 'no control token from the code');
    // a rendered chat template (parseSpecial) becomes control tokens
    await engine.complete({ prompt: [{ text: '<|im_start|>user\n', parseSpecial: true }, 'hi <|im_end|>'], maxTokens: 4 });
    const chat = fake.requests.filter((r) => r.path === '/completion')[1].body.prompt;
    assert.deepEqual(chat, [5, ...tokenize('user\n', false, {}), ...tokenize('hi <|im_end|>', false, {})]);
  });

  it('asks llama-server for a greedy, cached, streamed completion with the stop strings and limits', async () => {
    await engine.complete({ prompt: await fimPrompt(), maxTokens: 24, stop: ['\n'], timeBudgetMs: 5000 });
    const body = fake.requests.find((r) => r.path === '/completion')!.body;
    assert.equal(body.cache_prompt, true);
    assert.equal(body.stream, true);
    assert.equal(body.temperature, 0);
    assert.equal(body.n_predict, 24);
    assert.deepEqual(body.stop, ['\n']);
    assert.equal(body.t_max_predict_ms, 5000);
    assert.equal(body.id_slot, undefined, 'no slot pinned: llama-server picks by prompt similarity');
  });

  it("streams the pieces to onText and maps the server's timings into the stats", async () => {
    fake.reply = () => ({ pieces: ['return ', 'a + b', ';'], stopType: 'word' });
    const pieces: string[] = [];
    const prompt = await fimPrompt();
    const result = await engine.complete({ prompt, maxTokens: 16 }, { onText: (p) => pieces.push(p) });
    assert.deepEqual(pieces, ['return ', 'a + b', ';']);
    assert.equal(result.text, 'return a + b;');
    const s = result.stats;
    assert.equal(s.stopReason, 'stop');
    assert.equal(s.promptTokens, fake.requests.find((r) => r.path === '/completion')!.body.prompt.length);
    assert.equal(s.reusedTokens, 3);
    assert.equal(s.prefillMs, 12.5);
    assert.equal(s.generatedTokens, 3);
    assert.equal(s.decodeMs, 40);
    assert.match(s.prefillDevice ?? '', /llama-server at 127\.0\.0\.1/);
    fake.reply = () => ({ pieces: ['a'], stopType: 'eos' });
    assert.equal((await engine.complete({ prompt, maxTokens: 16 })).stats.stopReason, 'eog');
    fake.reply = () => ({ pieces: ['a', 'b'], stopType: 'limit' });
    assert.equal((await engine.complete({ prompt, maxTokens: 2 })).stats.stopReason, 'maxTokens');
  });

  it('tokenizes each text part once: the next keystroke sends only the changed part to /tokenize', async () => {
    const model = await engine.ensureCompletionModel();
    const probes = fake.count('/tokenize');
    const prefix = 'function add(a, b) {\n  '.repeat(20);
    await engine.complete({ prompt: buildFimPrompt(model, { prefix, middle: 'ret', suffix: '\n}' }, null), maxTokens: 4 });
    const first = fake.count('/tokenize') - probes;
    await engine.complete({ prompt: buildFimPrompt(model, { prefix, middle: 'retu', suffix: '\n}' }, null), maxTokens: 4 });
    assert.equal(first, 3, 'prefix, suffix, middle');
    assert.equal(fake.count('/tokenize') - probes - first, 1, 'only the middle part again');
  });

  it('aborting stops the request on the server: the connection closes, the result is cancelled with the text so far', async () => {
    fake.reply = () => ({ pieces: Array.from({ length: 200 }, (_, i) => `t${i} `), pieceDelayMs: 10 });
    const abort = new AbortController();
    let got = '';
    const pending = engine.complete(
      { prompt: await fimPrompt(), maxTokens: 200 },
      {
        signal: abort.signal,
        onText: (p) => {
          got += p;
          if (got.length > 10) abort.abort();
        },
      },
    );
    const result = await pending;
    assert.equal(result.stats.stopReason, 'cancelled');
    assert.equal(result.text, got);
    await waitFor(() => fake.requests.find((r) => r.path === '/completion')!.closedEarly, 'the server saw the connection close');
    assert.equal(engine.state.kind, 'ready', 'a cancellation is not a failure');
    assert.equal(failures.length, 0);
  });

  it('a time budget ends a slow stream in time, with the text so far and stop reason timeBudget', async () => {
    fake.reply = () => ({ pieces: Array.from({ length: 100 }, () => 'x'), pieceDelayMs: 30 });
    const t0 = Date.now();
    const result = await engine.complete({ prompt: await fimPrompt(), maxTokens: 100, timeBudgetMs: 300 });
    const took = Date.now() - t0;
    assert.equal(result.stats.stopReason, 'timeBudget');
    assert.ok(result.text.length > 0 && result.text.length < 100, `text ${result.text.length}`);
    assert.ok(took >= 280 && took < 800, `took ${took} ms`);
    await waitFor(() => fake.requests.find((r) => r.path === '/completion')!.closedEarly, 'the server saw the connection close');
  });

  it('a server that does not answer times out within the request budget, as one "slow" failure', async () => {
    const prompt = await fimPrompt();
    fake.hang = true;
    const t0 = Date.now();
    await assert.rejects(engine.complete({ prompt, maxTokens: 8, timeBudgetMs: 400 }), (err: unknown) => {
      assert.ok(err instanceof ServerError && err.kind === 'timeout', String(err));
      assert.match(err.message, /did not start answering within 400 ms/);
      return true;
    });
    assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
    assert.equal(engine.state.kind, 'error');
    assert.equal(failures.length, 1);
  });

  it('server down: one failure, requests fail at once until the retry time, then the server coming back is the recovery', async () => {
    const prompt = await fimPrompt();
    const port = fake.port;
    await fake.stop();
    await assert.rejects(engine.complete({ prompt, maxTokens: 4 }), (e: unknown) => e instanceof ServerError && e.kind === 'unreachable');
    assert.equal(engine.state.kind, 'error');
    assert.match((engine.state as { error: Error }).error.message, new RegExp(`127\\.0\\.0\\.1:${port}: connection refused`));
    // more keystrokes while it is down: no new notification, no network call before the retry time
    fake = new FakeLlamaServer();
    await fake.start(port);
    for (let i = 0; i < 5; i++) await assert.rejects(engine.ensureCompletionModel(), (e: unknown) => e instanceof ServerError);
    assert.equal(fake.requests.length, 0, 'nothing sent while waiting to retry');
    assert.equal(failures.length, 1, 'one notification for the outage');
    clock += 1000;
    const result = await engine.complete({
      prompt: buildFimPrompt(await engine.ensureCompletionModel(), { prefix: 'a', suffix: '' }, null),
      maxTokens: 4,
    });
    assert.equal(result.text, 'ok');
    assert.equal(engine.state.kind, 'ready');
    assert.ok(fake.count('/props') >= 1, 'the model was read again after the outage');
    // a new outage after the recovery is a new failure worth telling
    await fake.stop();
    await assert.rejects(engine.complete({ prompt, maxTokens: 4 }));
    assert.equal(failures.length, 2);
  });

  it('the retry time grows while the server stays down (1 s, 2 s, 4 s, at most maxMs)', async () => {
    await engine.ensureCompletionModel();
    await fake.stop();
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      await assert.rejects(engine.ensureModel().then(() => engine.complete({ prompt: [1], maxTokens: 1 })));
      const state = engine.state as { retryAt: number };
      waits.push(state.retryAt - clock);
      clock = state.retryAt;
    }
    assert.deepEqual(waits, [1000, 2000, 4000, 4000]);
    assert.equal(failures.length, 1);
  });

  it('a connection dropped mid-stream is a clear failure, not a hang or a silent empty completion', async () => {
    fake.reply = () => ({ pieces: ['a', 'b', 'c'], dropAfter: 1 });
    await assert.rejects(engine.complete({ prompt: await fimPrompt(), maxTokens: 8 }), (e: unknown) => {
      assert.ok(e instanceof ServerError && e.kind === 'dropped', String(e));
      assert.match(e.message, /dropped|closed/);
      return true;
    });
    assert.equal(engine.state.kind, 'error');
  });

  it("5xx: a failure with the server's message; 4xx about one request fails only that request", async () => {
    const prompt = await fimPrompt();
    fake.failStatus = 500;
    await assert.rejects(engine.complete({ prompt, maxTokens: 4 }), (e: unknown) => {
      assert.ok(e instanceof ServerError && e.kind === 'http' && e.status === 500);
      assert.match(e.message, /HTTP 500: the server failed on purpose/);
      return true;
    });
    assert.equal(engine.state.kind, 'error');
    clock += 1000;
    fake.failStatus = 400;
    const other = makeEngine();
    await other.ensureModel().catch(() => undefined); // a 400 on /props: not an outage either
    assert.equal(failures.length, 0);
  });

  it('sends the API key as a bearer token; a refused key says how to set it', async () => {
    fake.apiKey = 'sekrit';
    makeEngine({ apiKey: () => 'wrong' });
    await assert.rejects(engine.ensureModel(), (e: unknown) => {
      assert.ok(e instanceof ServerError && e.kind === 'auth');
      assert.match(e.message, /401.*Invalid API Key.*Set Server API Key/);
      return true;
    });
    makeEngine({ apiKey: () => 'sekrit' });
    await engine.complete({ prompt: await fimPrompt(), maxTokens: 4 });
    assert.ok(fake.requests.filter((r) => r.authorization === 'Bearer sekrit').length >= 3);
  });

  it('a model without FIM tokens: one clear "cannot fill in the middle" failure, however many keystrokes', async () => {
    fake.controls = { '<|endoftext|>': 4, '<|im_start|>': 5, '<|im_end|>': 6 };
    makeEngine();
    for (let i = 0; i < 5; i++) {
      await assert.rejects(engine.ensureCompletionModel(), (e: unknown) => {
        assert.ok(e instanceof ServerError && e.kind === 'model');
        assert.match(e.message, /qwen2\.5-coder-0\.5b-q8_0\.gguf on 127\.0\.0\.1:\d+ cannot fill in the middle/);
        return true;
      });
    }
    assert.equal(failures.length, 1);
    assert.equal(fake.count('/props'), 1, 'not read again on every keystroke');
    // Explain can still use it (it needs a chat template, not FIM)
    assert.ok(await engine.ensureModel());
  });

  it('declined consent: nothing at all is sent to the host, and the engine says why', async () => {
    let asked = 0;
    makeEngine({
      consent: async (target) => {
        asked++;
        assert.match(target.host, /^127\.0\.0\.1:\d+$/);
        return false;
      },
    });
    for (let i = 0; i < 3; i++) {
      await assert.rejects(
        engine.complete({ prompt: [1, 'x'], maxTokens: 4 }),
        (e: unknown) => e instanceof ServerError && e.kind === 'declined',
      );
    }
    assert.equal(asked, 1, 'asked once');
    assert.equal(fake.requests.length, 0, 'no request reached the server');
    assert.equal(engine.state.kind, 'declined');
    assert.deepEqual(await engine.prefill({ prompt: [1, 'x'] }).then((r) => r.cancelled), true);
  });

  it('consent granted: asked once for concurrent first requests, then requests flow', async () => {
    let asked = 0;
    makeEngine({
      consent: async () => {
        asked++;
        await new Promise((r) => setTimeout(r, 20));
        return true;
      },
    });
    await Promise.all([engine.ensureModel(), engine.ensureModel(), engine.ensureCompletionModel()]);
    assert.equal(asked, 1);
    assert.equal(fake.count('/props'), 1, 'one probe for concurrent callers');
  });

  it('pre-warm: n_predict 0 with cache_prompt, never before the model is known', async () => {
    const skipped = await engine.prefill({ prompt: [1, 'abc'] });
    assert.equal(skipped.cancelled, true);
    assert.equal(fake.requests.length, 0, 'a pre-warm never opens the connection');
    await engine.ensureCompletionModel();
    const result = await engine.prefill({ prompt: [1, 'abc', 2, 3] });
    assert.equal(result.cancelled, false);
    const body = fake.requests.find((r) => r.path === '/completion')!.body;
    assert.equal(body.n_predict, 0);
    assert.equal(body.cache_prompt, true);
    assert.equal(result.reusedTokens, 3);
  });

  it("renders chat templates with the server's /apply-template", async () => {
    const prompt = await engine.applyChatTemplate([{ role: 'user', content: 'explain' }]);
    assert.equal(prompt, '<|im_start|>user\nexplain<|im_end|>\n<|im_start|>assistant\n');
    assert.equal(fake.requests.find((r) => r.path === '/apply-template')!.body.add_generation_prompt, true);
  });

  it('not a llama-server (no /props): a clear protocol failure', async () => {
    const other = http.createServer((_, res) => {
      res.writeHead(404);
      res.end('nope');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    try {
      makeEngine({ target: parseServerUrl(`http://127.0.0.1:${(other.address() as AddressInfo).port}`) });
      await assert.rejects(engine.ensureModel(), (e: unknown) => {
        assert.ok(e instanceof ServerError && e.kind === 'protocol');
        assert.match(e.message, /no \/props \(404\).*llama-server/);
        return true;
      });
    } finally {
      engine.dispose();
      await new Promise((r) => other.close(r));
    }
  });
});

describe('tandem complete --server (a stand-in llama-server)', function () {
  this.timeout(10_000);
  let fake: FakeLlamaServer;
  let dir: string;
  before(async () => {
    fake = new FakeLlamaServer();
    await fake.start();
    fake.reply = () => ({ pieces: ['return ', 'x'], stopType: 'eos' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-cli-server-'));
    fs.writeFileSync(path.join(dir, 'a.py'), 'def f(x):\n    \n');
  });
  after(async () => {
    await fake.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const noAddon = () => {
    throw new Error('--server must not load the addon');
  };
  const args = (...more: string[]) => ['complete', '--server', fake.url, '--file', 'a.py', '--line', '2', '--column', '5', ...more];

  it('streams the text to stdout and the stats to stderr, as with --model, and sends $TANDEM_SERVER_API_KEY', async () => {
    const c = captureCliIo({ cwd: dir, env: { TANDEM_SERVER_API_KEY: 'k1' }, loadAddon: noAddon });
    assert.equal(await runCli(args('--max-tokens', '8'), c.io), 0, c.stderr());
    assert.equal(c.stdout(), 'return x');
    assert.match(c.stderr(), /tandem: \d+ prompt tokens \(3 reused\), prefill 13 ms, 2 tokens at .* stop: eog/);
    assert.match(c.stderr(), /tandem: prefill on llama-server at 127\.0\.0\.1:\d+, decode on llama-server/);
    const completion = fake.requests.filter((r) => r.path === '/completion').at(-1)!;
    assert.equal(completion.body.n_predict, 8);
    assert.equal(completion.authorization, 'Bearer k1');
  });

  it('--json prints one object with the text, stats, model and server', async () => {
    const c = captureCliIo({ cwd: dir, env: {}, loadAddon: noAddon });
    assert.equal(await runCli(args('--json'), c.io), 0, c.stderr());
    const result = JSON.parse(c.stdout());
    assert.equal(result.text, 'return x');
    assert.equal(result.stats.stopReason, 'eog');
    assert.equal(result.server.slots, 2);
    assert.equal(result.server.model, 'qwen2.5-coder-0.5b-q8_0.gguf');
    assert.equal(result.model.vocabSize, 151936);
  });

  it('a server it cannot reach, or a URL it must not use: exit 1 with the reason', async () => {
    const c = captureCliIo({ cwd: dir, env: {}, loadAddon: noAddon });
    assert.equal(await runCli(['complete', '--server', 'http://127.0.0.1:9', '--file', 'a.py', '--line', '1', '--column', '1'], c.io), 1);
    assert.match(c.stderr(), /tandem: error \[SERVER_UNREACHABLE\]: Cannot reach the server at 127\.0\.0\.1:9: connection refused/);
    const d = captureCliIo({ cwd: dir, env: {}, loadAddon: noAddon });
    assert.equal(await runCli(['complete', '--server', 'http://8.8.8.8:8012', '--file', 'a.py', '--line', '1', '--column', '1'], d.io), 1);
    assert.match(d.stderr(), /\[SERVER_URL\].*use https:\/\/8\.8\.8\.8:8012/);
  });

  it('--model and --server: exactly one; local-only options are refused with --server', async () => {
    for (const [argv, message] of [
      [['complete', '--file', 'a.py', '--line', '1', '--column', '1'], /--model FILE \(a local model\) or --server URL/],
      [['complete', '--model', 'm.gguf', ...args().slice(1)], /one of the two/],
      [args('--device', 'gpu'), /--device is for a local model/],
      [args('--spec', 'auto'), /--spec is for a local model/],
    ] as const) {
      const c = captureCliIo({ cwd: dir, env: {}, loadAddon: noAddon });
      assert.equal(await runCli([...argv], c.io), 2);
      assert.match(c.stderr(), message);
    }
  });
});

describe('server transport: TLS errors are clear, redirects are not followed', function () {
  this.timeout(10_000);
  // a self-signed certificate for 127.0.0.1, valid until 2126 (openssl req -x509 -newkey ec …)
  const key = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgoR4Z40mWZsGWhKMx
VO315LCvP2IwIzB9untojRcj/oihRANCAASTP/L1VE/iwORsNrwCWkrE92n0bBGC
zgtPASSwzYnACYf25Fj9T8e1pXT94d+ZgXTgdFeE/kD4I5NHdNTYMQ9M
-----END PRIVATE KEY-----`;
  const cert = `-----BEGIN CERTIFICATE-----
MIIBkDCCATagAwIBAgIURD88EM3X6uE5n/N6lfZbGzkHjSkwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTIwMzA3NDYxNVoYDzIxMjYxMTA5
MDc0NjE1WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAASTP/L1VE/iwORsNrwCWkrE92n0bBGCzgtPASSwzYnACYf25Fj9T8e1
pXT94d+ZgXTgdFeE/kD4I5NHdNTYMQ9Mo2QwYjAdBgNVHQ4EFgQUKVTzPicdiy4O
O8AdvZ/s4dJGLvswHwYDVR0jBBgwFoAUKVTzPicdiy4OO8AdvZ/s4dJGLvswDwYD
VR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0gAMEUC
IHCmGIgybwkuyvnoXhes1oM6b7JMp/jckDX/Bo+GLBKhAiEAvdV4kygsDuvhNbJs
zQK6l0pHxINRqdvYLtuN64idbrg=
-----END CERTIFICATE-----`;
  const limits = { headersTimeoutMs: 3000, idleTimeoutMs: 3000 };

  async function listen(server: http.Server | https.Server): Promise<number> {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as AddressInfo).port;
  }

  it('a self-signed certificate: names the host and the reason, and says certificate checks are not skipped', async () => {
    const server = https.createServer({ key, cert }, (_, res) => res.end('{}'));
    const port = await listen(server);
    const transport = new HttpTransport(parseServerUrl(`https://127.0.0.1:${port}`));
    try {
      await assert.rejects(transport.getJson('/props', limits), (e: unknown) => {
        assert.ok(e instanceof ServerError && e.kind === 'tls', String(e));
        assert.match(e.message, new RegExp(`TLS connection to 127\\.0\\.0\\.1:${port} failed: its certificate is self-signed`));
        assert.match(e.message, /does not skip certificate checks/);
        return true;
      });
    } finally {
      transport.dispose();
      server.close();
    }
  });

  it('https to a plain-http server: says the port does not speak TLS', async () => {
    const server = http.createServer((_, res) => res.end('{}'));
    const port = await listen(server);
    const transport = new HttpTransport(parseServerUrl(`https://127.0.0.1:${port}`));
    try {
      await assert.rejects(transport.getJson('/props', limits), (e: unknown) => {
        assert.ok(e instanceof ServerError && e.kind === 'tls', String(e));
        assert.match(e.message, /serving https on that port.*http:\/\/ URL/);
        return true;
      });
    } finally {
      transport.dispose();
      server.close();
    }
  });

  it('a redirect is reported, not followed', async () => {
    let hits = 0;
    const server = http.createServer((req, res) => {
      hits++;
      res.writeHead(302, { Location: 'http://203.0.113.9/props' });
      res.end();
    });
    const port = await listen(server);
    const transport = new HttpTransport(parseServerUrl(`http://127.0.0.1:${port}`));
    try {
      await assert.rejects(
        transport.getJson('/props', limits),
        /redirects \(302 to http:\/\/203\.0\.113\.9\/props\).*does not follow redirects/,
      );
      assert.equal(hits, 1);
    } finally {
      transport.dispose();
      server.close();
    }
  });

  it('a server that stalls mid-answer times out (idle limit), not hangs', async () => {
    const server = http.createServer((_, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"tok'); // and nothing more
    });
    const port = await listen(server);
    const transport = new HttpTransport(parseServerUrl(`http://127.0.0.1:${port}`));
    const t0 = Date.now();
    try {
      await assert.rejects(transport.getJson('/props', { headersTimeoutMs: 2000, idleTimeoutMs: 200 }), (e: unknown) => {
        assert.ok(e instanceof ServerError && e.kind === 'timeout');
        assert.match(e.message, /stopped answering for 0\.2 s/);
        return true;
      });
      assert.ok(Date.now() - t0 < 1500);
    } finally {
      transport.dispose();
      server.closeAllConnections();
      server.close();
    }
  });
});

async function waitFor(condition: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
