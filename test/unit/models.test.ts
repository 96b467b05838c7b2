import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { discoverModels, searchRoots } from '../../extension/models/discovery';
import { GgufHeaderError, readGgufHeader, summarize } from '../../extension/models/ggufHeader';
import { modelUrl, RECOMMENDED_MODELS, recommendedModel } from '../../extension/models/recommended';
import { ggufBytes, writeGguf } from '../support/ggufWriter';

const coderMeta = (name: string, fileType: number) => ({
  'general.architecture': 'qwen2', 'general.name': name, 'general.file_type': { u32: fileType },
  'qwen2.context_length': { u32: 32768 }, 'tokenizer.ggml.tokens': ['<|fim_prefix|>', 'a', 'b'],
});

describe('GGUF header reader', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-gguf-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads architecture, name, quantization and context length, skipping arrays', async () => {
    const f = path.join(dir, 'm.gguf');
    writeGguf(f, coderMeta('Qwen2.5 Coder 0.5B', 7), 5);
    const h = await readGgufHeader(f);
    assert.equal(h.tensorCount, 5);
    assert.equal(h.metadata.get('tokenizer.ggml.tokens'), 3);
    assert.deepEqual(summarize(h), {
      architecture: 'qwen2', name: 'Qwen2.5 Coder 0.5B', quantization: 'Q8_0', contextLength: 32768, tensorCount: 5,
    });
  });

  it('explains what is wrong with files that are not GGUF models', async () => {
    const cases: [string, Buffer, RegExp][] = [
      ['empty.gguf', Buffer.alloc(0), /empty file/],
      ['text.gguf', Buffer.from('this is not a model at all, just some text'), /not a GGUF file/],
      ['cut.gguf', ggufBytes(coderMeta('x', 2)).subarray(0, 60), /truncated GGUF header/],
    ];
    for (const [name, bytes, msg] of cases) {
      const f = path.join(dir, name);
      fs.writeFileSync(f, bytes);
      await assert.rejects(readGgufHeader(f), (e: unknown) => e instanceof GgufHeaderError && msg.test(e.message));
    }
  });
});

describe('local model discovery', () => {
  let home: string;
  before(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-home-'));
    const mk = (rel: string, meta = coderMeta(path.basename(rel), 15), tensors = 10) => {
      const f = path.join(home, rel);
      fs.mkdirSync(path.dirname(f), { recursive: true });
      writeGguf(f, meta, tensors);
      return f;
    };
    // Hugging Face cache: snapshot entries are symlinks into blobs/
    const blob = mk('.cache/huggingface/hub/models--ggml-org--Qwen2.5-Coder-0.5B-Q8_0-GGUF/blobs/abc123', coderMeta('hf', 7));
    const snap = path.join(home, '.cache/huggingface/hub/models--ggml-org--Qwen2.5-Coder-0.5B-Q8_0-GGUF/snapshots/rev1');
    fs.mkdirSync(snap, { recursive: true });
    fs.symlinkSync(blob, path.join(snap, 'qwen2.5-coder-0.5b-q8_0.gguf'));
    mk('.lmstudio/models/lmstudio-community/Coder-GGUF/coder-Q4_K_M.gguf');
    // Ollama: manifest names the model blob
    const digest = 'sha256-' + 'd'.repeat(64);
    mk(`.ollama/models/blobs/${digest}`, coderMeta('ollama', 2));
    const manifest = path.join(home, '.ollama/models/manifests/registry.ollama.ai/library/qwen2.5-coder/1.5b');
    fs.mkdirSync(path.dirname(manifest), { recursive: true });
    fs.writeFileSync(manifest, JSON.stringify({ layers: [
      { mediaType: 'application/vnd.ollama.image.license', digest: 'sha256:' + 'e'.repeat(64) },
      { mediaType: 'application/vnd.ollama.image.model', digest: 'sha256:' + 'd'.repeat(64) },
    ] }));
    mk('.cache/llama.cpp/ggml-org_model.gguf');
    mk('work/models/mine.gguf');
    mk('work/models/vocab-only.gguf', coderMeta('vocab', 0), 0);
    fs.writeFileSync(path.join(home, 'work/models/broken.gguf'), 'not a model');
    mk('work/node_modules/pkg/hidden.gguf');
  });
  after(() => fs.rmSync(home, { recursive: true, force: true }));

  it('finds models of every tool, named as people know them', async () => {
    const found = await discoverModels({ home, env: {}, platform: 'linux', folders: [path.join(home, 'work')] });
    const byLabel = Object.fromEntries(found.map((m) => [m.label, m]));
    assert.deepEqual(Object.keys(byLabel).sort(), [
      'ggml-org/Qwen2.5-Coder-0.5B-Q8_0-GGUF/qwen2.5-coder-0.5b-q8_0.gguf',
      'ggml-org_model.gguf',
      'lmstudio-community/Coder-GGUF/coder-Q4_K_M.gguf',
      'mine.gguf',
      'qwen2.5-coder:1.5b',
    ]);
    assert.equal(byLabel['qwen2.5-coder:1.5b'].source, 'ollama');
    assert.equal(byLabel['qwen2.5-coder:1.5b'].quantization, 'Q4_0');
    assert.equal(byLabel['ggml-org/Qwen2.5-Coder-0.5B-Q8_0-GGUF/qwen2.5-coder-0.5b-q8_0.gguf'].quantization, 'Q8_0');
    assert.ok(found.every((m) => m.sizeBytes > 0 && m.architecture === 'qwen2'));
  });

  it('honours the tools\' environment overrides', () => {
    const roots = searchRoots({ home: '/h', platform: 'linux', env: { HF_HOME: '/hf', OLLAMA_MODELS: '/om', LLAMA_CACHE: '/lc' } });
    const dirs = roots.map((r) => `${r.source}:${r.dir}`);
    assert.ok(dirs.includes('huggingface:/hf/hub'));
    assert.ok(dirs.includes('ollama:/om'));
    assert.ok(dirs.includes('llama.cpp:/lc'));
  });
});

describe('recommended models', () => {
  it('picks the larger model only with enough memory', () => {
    assert.equal(recommendedModel(32 * 1024 ** 3).id, 'qwen2.5-coder-1.5b-q8_0');
    assert.equal(recommendedModel(8 * 1024 ** 3).id, 'qwen2.5-coder-0.5b-q8_0');
  });
  it('builds hub URLs and accepts a mirror', () => {
    const m = RECOMMENDED_MODELS[1];
    assert.equal(modelUrl(m), 'https://huggingface.co/ggml-org/Qwen2.5-Coder-0.5B-Q8_0-GGUF/resolve/main/qwen2.5-coder-0.5b-q8_0.gguf');
    assert.equal(modelUrl(m, 'http://127.0.0.1:9/'), 'http://127.0.0.1:9/ggml-org/Qwen2.5-Coder-0.5B-Q8_0-GGUF/resolve/main/qwen2.5-coder-0.5b-q8_0.gguf');
  });
});
