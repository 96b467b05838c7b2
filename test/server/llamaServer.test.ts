// The test harness's real llama-server (test/support/llamaServer.ts over extension/bench/
// serverProcess.ts), and the llama-server behaviour Tandem's `server` engine kind relies on:
// the pinned llama.cpp's server on a generated FIM model, its endpoints and fields, that an aborted
// stream really stops the work on the server, and kill/restart mid-session.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot, scratchDir } from '../native/fixtures';
import {
  CompletionEvent,
  LlamaServer,
  getJson,
  postJson,
  serverTestModel,
  startLlamaServer,
  streamCompletion,
} from '../support/llamaServer';
import { isAlive } from '../support/processes';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds (or fails after `ms`). */
async function until<T>(what: string, ms: number, probe: () => Promise<T>, check: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (check(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms (last: ${JSON.stringify(v)})`);
    await sleep(50);
  }
}

// deepseek-coder's FIM tokens (the test model's vocabulary)
const FIM = { begin: '<｜fim▁begin｜>', hole: '<｜fim▁hole｜>', end: '<｜fim▁end｜>' };

describe('llama-server (the pinned llama.cpp) on a generated FIM model', function () {
  this.timeout(120_000);
  let server: LlamaServer;
  let fim: { begin: number; hole: number; end: number };

  before(async () => {
    server = await startLlamaServer({ slots: 2, contextSize: 4096 });
    const ids = async (text: string) =>
      (await postJson(server.url, '/tokenize', { content: text, add_special: false, parse_special: true })).json.tokens as number[];
    const [begin, hole, end] = await Promise.all([ids(FIM.begin), ids(FIM.hole), ids(FIM.end)]);
    assert.equal(begin.length, 1, 'the FIM begin token is one control token');
    fim = { begin: begin[0], hole: hole[0], end: end[0] };
  });
  after(() => server?.stop());

  it('listens on 127.0.0.1 only, on the port it was given', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(server.args.slice(0, 4), ['--host', '127.0.0.1', '--port', String(server.port)]);
    assert.equal((await getJson(server.url, '/health')).status, 200);
  });

  it('completes a mixed prompt of token ids and text in the slot it is asked for, and caches the prompt', async () => {
    const prompt = [fim.begin, 'function add(a, b) {\n  return ', fim.hole, '\n}\n', fim.end];
    const body = { prompt, n_predict: 6, temperature: 0, cache_prompt: true, id_slot: 1, ignore_eos: true };
    const first = await postJson(server.url, '/completion', body);
    assert.equal(first.status, 200, JSON.stringify(first.json));
    assert.equal(typeof first.json.content, 'string');
    assert.equal(first.json.tokens_predicted, 6);
    assert.equal(first.json.id_slot, 1);
    // the ids went in as ids: the rendered prompt has the FIM tokens and no BOS before them
    assert.ok((first.json.prompt as string).startsWith(FIM.begin), first.json.prompt);
    const again = await postJson(server.url, '/completion', body);
    assert.equal(again.json.content, first.json.content, 'greedy: the same text again');
    assert.ok(
      again.json.timings.cache_n >= first.json.tokens_evaluated - 1,
      `the prompt came from the slot's cache: ${JSON.stringify(again.json.timings)}`,
    );
  });

  it('stops at a stop string and streams pieces, then a final event with timings', async () => {
    const prompt = [fim.begin, 'const x = ', fim.hole, ';\n', fim.end];
    const free = await postJson(server.url, '/completion', { prompt, n_predict: 12, temperature: 0, ignore_eos: true });
    const text = free.json.content as string;
    // a stop string from the middle of what greedy decoding produces
    const stop = text.slice(Math.floor(text.length / 2), Math.floor(text.length / 2) + 2);
    assert.ok(stop.length > 0, `the model produced text: ${JSON.stringify(text)}`);
    const events: CompletionEvent[] = [];
    const streamed = await streamCompletion(server.url, { prompt, n_predict: 12, temperature: 0, ignore_eos: true, stop: [stop] }, (e) =>
      events.push(e),
    );
    await streamed.done;
    assert.equal(streamed.status, 200);
    const final = events[events.length - 1];
    assert.equal(final.stop, true);
    assert.equal(final.stop_type, 'word');
    const whole = events.map((e) => e.content).join('');
    assert.equal(whole, text.slice(0, text.indexOf(stop)), 'the text ends before the stop string');
    assert.ok(events.length >= 2, 'pieces, then the final event');
    assert.equal(typeof final.timings?.prompt_ms, 'number');
  });

  it('answers /props, /slots, /metrics, /v1/chat/completions and /apply-template', async () => {
    const props = (await getJson(server.url, '/props')).json;
    assert.equal(props.total_slots, 2);
    assert.equal(props.default_generation_settings.n_ctx, 4096, 'each slot has the context it was given');
    assert.match(props.build_info, /de3ff81/, 'the pinned llama.cpp');
    const slots = await server.slots();
    assert.deepEqual(
      slots.map((s) => [s.id, s.n_ctx]),
      [
        [0, 4096],
        [1, 4096],
      ],
    );
    const metrics = await server.metrics();
    assert.ok(metrics['llamacpp:tokens_predicted_total'] > 0, JSON.stringify(metrics));
    const chat = await postJson(server.url, '/v1/chat/completions', {
      messages: [{ role: 'user', content: 'Explain x++' }],
      max_tokens: 4,
    });
    assert.equal(chat.status, 200, JSON.stringify(chat.json));
    assert.equal(typeof chat.json.choices[0].message.content, 'string');
    const template = await postJson(server.url, '/apply-template', { messages: [{ role: 'user', content: 'Explain x++' }] });
    assert.match(template.json.prompt, /Explain x\+\+/);
  });

  it('stops generating on the server when the client aborts a streamed completion', async () => {
    const before = (await server.metrics())['llamacpp:tokens_predicted_total'];
    const nPredict = 3500;
    let received = 0;
    let abort = () => undefined as void;
    const gotTen = new Promise<void>((resolve) => {
      void streamCompletion(
        server.url,
        { prompt: [fim.begin, 'let s = ', fim.hole, '', fim.end], n_predict: nPredict, temperature: 0, ignore_eos: true, id_slot: 0 },
        () => {
          if (++received === 10) resolve();
        },
      ).then((s) => (abort = s.abort));
    });
    await gotTen;
    const busy = await server.slots();
    assert.equal(busy[0].is_processing, true, 'slot 0 is generating');
    abort();
    await until(
      'slot 0 idle',
      30_000,
      () => server.slots(),
      (s) => !s[0].is_processing,
    );
    const generated = (await server.metrics())['llamacpp:tokens_predicted_total'] - before;
    assert.ok(generated < nPredict / 2, `the server stopped after ${generated} of ${nPredict} tokens`);
    assert.ok(generated >= 10);
  });

  it('with return_progress, stops reading an aborted prompt at the next batch even while another slot streams', async () => {
    // small batches (-b 16): the prompt is read 16 tokens per server step; slot 1 streams the whole time
    const batched = await startLlamaServer({ slots: 2, contextSize: 4096, extraArgs: ['-b', '16', '-ub', '16'] });
    try {
      const other = await streamCompletion(batched.url, { prompt: 'hello', n_predict: 3000, ignore_eos: true, temperature: 0, id_slot: 1 });
      const code = 'def f(x):\n    return x\n'.repeat(300);
      const total = ((await postJson(batched.url, '/tokenize', { content: code, add_special: true })).json.tokens as number[]).length;
      const reading = await streamCompletion(batched.url, {
        prompt: code,
        n_predict: 8,
        temperature: 0,
        id_slot: 0,
        cache_prompt: true,
        return_progress: true,
      });
      await until(
        'slot 0 reading the prompt',
        30_000,
        () => batched.slots(),
        (s) => s[0].is_processing,
      );
      await sleep(300); // about a quarter of the prompt (~1,700 tokens/s here, 16 per step)
      reading.abort();
      const slot = (
        await until(
          'slot 0 idle',
          30_000,
          () => batched.slots(),
          (s) => !s[0].is_processing,
        )
      )[0];
      other.abort();
      assert.ok(slot.n_prompt_tokens! < total / 2, `the server read ${slot.n_prompt_tokens} of ${total} prompt tokens after the abort`);
    } finally {
      await batched.stop();
    }
  });
});

describe('llama-server harness: kill, restart, failures, no orphans', function () {
  this.timeout(120_000);

  it('a server killed mid-session serves again after restart, on the same URL', async () => {
    const server = await startLlamaServer({ slots: 1, contextSize: 2048 });
    try {
      const body = { prompt: 'int main() {', n_predict: 4, temperature: 0, ignore_eos: true };
      const before = await postJson(server.url, '/completion', body);
      assert.equal(before.status, 200);
      const firstPid = server.pid;
      await server.kill('SIGKILL');
      assert.equal(server.exited, true);
      assert.equal(isAlive(firstPid), false);
      await assert.rejects(postJson(server.url, '/completion', body), /ECONNREFUSED/);
      await server.restart();
      assert.notEqual(server.pid, firstPid);
      const after = await postJson(server.url, '/completion', body);
      assert.equal(after.status, 200);
      assert.equal(after.json.content, before.json.content, 'the same model answers the same way');
    } finally {
      await server.stop();
    }
    assert.equal(server.exited, true);
  });

  it('a model llama-server cannot load fails the start with its own message', async () => {
    const bad = path.join(scratchDir('llama-server'), 'not-a-model.gguf');
    fs.writeFileSync(bad, 'this is not a GGUF file');
    await assert.rejects(startLlamaServer({ slots: 1, contextSize: 512, model: bad }), (err: Error) => {
      assert.match(err.message, /llama-server exited \(exit code \d+\) before it was ready/);
      assert.match(err.message, /not-a-model\.gguf/, 'its output names the file');
      return true;
    });
  });

  for (const ending of ['an uncaught error', 'SIGTERM'] as const) {
    it(`leaves no llama-server behind when its process ends by ${ending}`, async () => {
      const harness = path.join(repoRoot, 'out', 'test-build', 'test', 'support', 'llamaServer.js');
      const model = await serverTestModel();
      // a test process that starts a server, then fails (or is told to end)
      const script =
        `require(${JSON.stringify(harness)}).startLlamaServer({ model: ${JSON.stringify(model)}, slots: 1, contextSize: 512 })` +
        `.then((s) => { console.log('pid ' + s.pid); ${ending === 'SIGTERM' ? 'setInterval(() => {}, 1000);' : "setTimeout(() => { throw new Error('a failing test'); }, 10);"} });`;
      const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const pid = Number(
        (
          await until(
            'the server pid',
            60_000,
            async () => out,
            (o) => /pid \d+/.test(o) || child.exitCode !== null,
          )
        ).match(/pid (\d+)/)?.[1],
      );
      assert.ok(pid > 0, out);
      try {
        if (ending === 'SIGTERM') child.kill('SIGTERM');
        await exited;
        await until(
          `llama-server ${pid} gone`,
          5000,
          async () => isAlive(pid),
          (alive) => !alive,
        );
      } finally {
        if (isAlive(pid)) process.kill(pid, 'SIGKILL'); // the orphan this test found
      }
    });
  }
});
