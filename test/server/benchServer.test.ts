// `tandem bench server` in-process, at a size that runs in seconds: editors typing at once against
// a real llama-server (started and stopped by the bench) and the local-engine baseline through the
// real engine host and addon. Checked: the JSON contract, that requests ran on both engines without
// errors, the server's own counts (prompt cache, generated tokens), the report files, and the
// usage errors. No speed is asserted (the bench reports speed; the test checks mechanics).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_SERVER_EDITORS, parseBench } from '../../extension/cli/benchArgs';
import { runCli } from '../../extension/cli/main';
import { addon, repoRoot, scratchDir } from '../native/fixtures';
import { captureCliIo } from '../support/cliIo';
import { llamaServerBinary, serverTestModel } from '../support/llamaServer';

async function tandem(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const c = captureCliIo({ cwd: repoRoot, env, loadAddon: addon });
  const code = await runCli(args, c.io);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

describe('tandem bench server (a real llama-server and the local engine)', function () {
  this.timeout(180_000);

  it('runs 1 and 2 editors against llama-server and the local baseline: the JSON contract, requests, server work', async () => {
    const out = scratchDir('bench-server');
    const model = await serverTestModel();
    const env = { ...process.env, TANDEM_LLAMA_SERVER: llamaServerBinary() };
    const r = await tandem(
      [
        'bench',
        'server',
        '--model',
        model,
        '--editors',
        '1,2',
        '--slots',
        '2',
        '--bursts',
        '2',
        '--speed',
        '4',
        '--rest-ms',
        '200',
        '--max-tokens',
        '8',
        '--ctx-size',
        '2048',
        '--threads',
        '1',
        '--out',
        out,
        '--json',
      ],
      env,
    );
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1, 'exactly one JSON object on stdout');
    const json = JSON.parse(lines[0]);
    assert.equal(json.suite, 'server');
    assert.equal(json.slots, 2);
    assert.deepEqual(Object.keys(json.runs), [
      'local engine · 1 editor',
      'llama-server, 2 slots · 1 editor',
      'llama-server, 2 slots · 2 editors',
    ]);
    for (const [label, run] of Object.entries<any>(json.runs)) {
      assert.deepEqual(run.errorSamples, [], label);
      assert.equal(run.errors, 0, label);
      assert.ok(run.requests >= 3, `${label}: ${run.requests} requests`);
      assert.ok(run.completed >= 1, `${label}: ${run.completed} completed`);
      assert.equal(run.requests, run.completed + run.aborted, `${label}: every request completed or was aborted`);
      assert.equal(typeof run.ttftMs.p50, 'number', label);
      assert.ok(run.ttftMs.p50 <= run.ttftMs.p95, label);
      assert.ok(run.receivedTokens > 0, label);
    }
    for (const label of ['llama-server, 2 slots · 1 editor', 'llama-server, 2 slots · 2 editors']) {
      const s = json.runs[label].server;
      assert.ok(s.promptTokensEvaluated > 0 && s.tokensGenerated > 0, `${label}: ${JSON.stringify(s)}`);
      assert.ok(s.promptTokensCached > s.promptTokensEvaluated, `${label}: typing reuses the slot's cached prompt: ${JSON.stringify(s)}`);
      assert.ok(
        s.tokensGenerated >= json.runs[label].receivedTokens - 2,
        `${label}: editors cannot receive more than the server generated`,
      );
    }
    assert.equal(json.runs['llama-server, 2 slots · 2 editors'].editors, 2);
    for (const ext of ['json', 'md', 'svg']) assert.ok(fs.statSync(path.join(out, `server.${ext}`)).size > 0, ext);
    assert.match(fs.readFileSync(path.join(out, 'server.md'), 'utf8'), /\| llama-server, 2 slots · 2 editors \|/);
  });

  it('parses its options: defaults, editor counts in the order given, --server, --no-local', () => {
    const plain = parseBench(['server']);
    assert.ok(plain !== 'overview' && !('help' in plain) && plain.suite === 'server');
    assert.deepEqual(plain.editors, DEFAULT_SERVER_EDITORS);
    assert.deepEqual([plain.slots, plain.contextSize, plain.bursts, plain.maxTokens, plain.speed, plain.local], [4, 4096, 4, 16, 1, true]);
    assert.deepEqual(plain.model, { file: undefined, shape: 'small', type: 'q8_0' });
    const given = parseBench(['server', '--editors', '8,2,2', '--server', 'http://127.0.0.1:8012', '--no-local', '--slots', '2']);
    assert.ok(given !== 'overview' && !('help' in given) && given.suite === 'server');
    assert.deepEqual([given.editors, given.serverUrl, given.local, given.slots], [[8, 2], 'http://127.0.0.1:8012', false, 2]);
  });

  it('rejects bad editor counts and a missing llama-server with a clear message', async () => {
    const zero = await tandem(['bench', 'server', '--editors', '0,2']);
    assert.equal(zero.code, 2);
    assert.match(zero.stderr, /--editors takes counts from 1 to 64 like 1,2,4,8; got "0,2"/);
    const missing = await tandem(['bench', 'server', '--llama-server', '/nonexistent/llama-server', '--editors', '1']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /--llama-server: \/nonexistent\/llama-server does not exist/);
    const url = await tandem(['bench', 'server', '--server', 'http://203.0.113.9:8012', '--editors', '1']);
    assert.notEqual(url.code, 0);
    assert.match(url.stderr, /not a loopback or LAN address/);
  });
});
