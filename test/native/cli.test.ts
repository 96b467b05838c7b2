// The bundled `tandem` CLI (out/cli.js) as a user runs it, on the real addon.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot, scratchDir } from './fixtures';

const cliJs = path.join(repoRoot, 'out', 'cli.js');

function tandem(...args: string[]) {
  const r = spawnSync(process.execPath, [cliJs, ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('tandem CLI (real addon)', function () {
  this.timeout(180_000);
  let dir: string;
  let model: string;
  let source: string;

  before(function () {
    if (!fs.existsSync(cliJs) || !fs.existsSync(path.join(repoRoot, 'out', 'tandem.node'))) {
      const built = spawnSync(process.execPath, [path.join(repoRoot, 'esbuild.js')], { cwd: repoRoot, encoding: 'utf8' });
      assert.equal(built.status, 0, `node esbuild.js failed: ${built.stderr}`);
    }
    dir = scratchDir('cli');
    model = path.join(dir, 'cli-test-model.gguf');
    source = path.join(dir, 'sample.js');
    fs.writeFileSync(source, 'function add(a, b) {\n  return a + b;\n}\n\nfunction mul(a, b) {\n  return \n}\n');
  });

  it('make-test-model --json writes a model and describes it', () => {
    const r = tandem('make-test-model', '--arch', 'llama', '--layers', '2', '--embd', '64', '--vocab', 'deepseek-coder', '--out', model, '--json');
    assert.equal(r.code, 0, r.stderr);
    const made = JSON.parse(r.stdout);
    assert.equal(made.path, model);
    assert.ok(made.parameters > 0 && made.bytes > 0);
    assert.equal(made.options.heads, 1); // embd / 64
    assert.ok(fs.statSync(model).size > 0);
  });

  it('complete --json prints one JSON object with text and stats', () => {
    const r = tandem('complete', '--model', model, '--file', source, '--line', '6', '--column', '10', '--max-tokens', '8', '--context', source, '--json');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1, r.stdout);
    const result = JSON.parse(lines[0]);
    assert.equal(typeof result.text, 'string');
    assert.ok(result.stats.generatedTokens > 0 && result.stats.generatedTokens <= 8);
    assert.ok(result.stats.promptTokens > 0);
    assert.equal(result.model.architecture, 'llama');
    assert.equal(result.context.documents, 1);
  });

  it('complete without --json streams the text to stdout and stats to stderr', () => {
    const json = JSON.parse(tandem('complete', '--model', model, '--file', source, '--line', '6', '--column', '10', '--max-tokens', '8', '--json').stdout);
    const r = tandem('complete', '--model', model, '--file', source, '--line', '6', '--column', '10', '--max-tokens', '8');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, json.text);
    assert.match(r.stderr, /prompt tokens .* tokens\/s/);
  });

  it('complete --alternatives prints the alternatives after the text, in --json too', () => {
    const args = ['complete', '--model', model, '--file', source, '--line', '6', '--column', '10', '--max-tokens', '8', '--alternatives', '2'];
    const json = JSON.parse(tandem(...args, '--json').stdout);
    assert.ok(Array.isArray(json.alternatives) && json.alternatives.length === 2, JSON.stringify(json.alternatives));
    assert.ok(json.stats.alternativeTokens >= 2);
    const r = tandem(...args);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${json.text}\n--- alternative 1 ---\n${json.alternatives[0]}\n--- alternative 2 ---\n${json.alternatives[1]}`);
    assert.match(r.stderr, /2 alternatives in \d+ ms \(\d+ tokens\)/);
    const bad = tandem(...args.slice(0, -1), '3');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--alternatives must be from 0 to 2, got 3/);
  });

  it('a missing model file exits 1 with the addon code', () => {
    const r = tandem('complete', '--model', path.join(dir, 'nope.gguf'), '--file', source, '--line', '1', '--column', '1');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[MODEL_NOT_FOUND\]/);
    assert.equal(r.stdout, '');
  });

  it('a line past the end of the file exits 2 with a clear message', () => {
    const r = tandem('complete', '--model', model, '--file', source, '--line', '99', '--column', '1', '--json');
    assert.equal(r.code, 2);
    assert.match(JSON.parse(r.stderr).error.message, /Line 99 is past the end of the document, which has 8 lines/);
  });

  it('an unknown --spec value exits 2 and lists the modes there are', () => {
    const r = tandem('complete', '--model', model, '--file', source, '--line', '1', '--column', '1', '--spec', 'ngram-map-k4v');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--spec "ngram-map-k4v" is not a speculation mode; use one of off, pld, sam, ngram-simple, ngram-map-k, ngram-mod, ngram-cache, auto/);
  });

  it('--spec with each of llama.cpp\'s n-gram drafters gives the text of --spec off', () => {
    const run = (spec: string) => {
      const r = tandem('complete', '--model', model, '--file', source, '--line', '2', '--column', '1', '--max-tokens', '12', '--spec', spec, '--json');
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    const off = run('off');
    for (const spec of ['ngram-simple', 'ngram-map-k', 'ngram-mod', 'ngram-cache']) {
      const r = run(spec);
      assert.equal(r.text, off.text, spec);
      assert.equal(r.stats.speculation.mode, spec);
    }
  });

  it('--spec auto with --context gives the text of --spec off and reports speculation stats', () => {
    const run = (spec: string) => {
      const r = tandem('complete', '--model', model, '--file', source, '--line', '2', '--column', '1',
        '--context', source, '--max-tokens', '12', '--spec', spec, '--json');
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    const off = run('off');
    const auto = run('auto');
    assert.equal(auto.text, off.text);
    assert.equal(auto.stats.speculation.mode, 'auto');
    assert.ok(auto.stats.speculation.corpusDocuments >= 1, JSON.stringify(auto.stats.speculation));
  });

  it('devices --json lists the CPU', () => {
    const r = tandem('devices', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(JSON.parse(r.stdout).devices.some((d: { type: string }) => d.type === 'cpu'));
  });
});
