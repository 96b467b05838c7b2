import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { discoverModels, searchRoots } from '../../extension/models/discovery';
import { writeGguf } from '../support/ggufWriter';

const coderMeta = (name: string, fileType: number) => ({
  'general.architecture': 'qwen2',
  'general.name': name,
  'general.file_type': { u32: fileType },
  'qwen2.context_length': { u32: 32768 },
  'tokenizer.ggml.tokens': ['<|fim_prefix|>', 'a', 'b'],
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
    fs.writeFileSync(
      manifest,
      JSON.stringify({
        layers: [
          { mediaType: 'application/vnd.ollama.image.license', digest: 'sha256:' + 'e'.repeat(64) },
          { mediaType: 'application/vnd.ollama.image.model', digest: 'sha256:' + 'd'.repeat(64) },
        ],
      }),
    );
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

  it("honours the tools' environment overrides", () => {
    const roots = searchRoots({ home: '/h', platform: 'linux', env: { HF_HOME: '/hf', OLLAMA_MODELS: '/om', LLAMA_CACHE: '/lc' } });
    const dirs = roots.map((r) => `${r.source}:${r.dir}`);
    assert.ok(dirs.includes('huggingface:/hf/hub'));
    assert.ok(dirs.includes('ollama:/om'));
    assert.ok(dirs.includes('llama.cpp:/lc'));
  });
});
