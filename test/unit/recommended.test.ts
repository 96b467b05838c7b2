import * as assert from 'node:assert/strict';
import { modelUrl, RECOMMENDED_MODELS, recommendedModel } from '../../extension/models/recommended';

describe('recommended models', () => {
  it('picks the larger model only with enough memory', () => {
    assert.equal(recommendedModel(32 * 1024 ** 3).id, 'qwen2.5-coder-1.5b-q8_0');
    assert.equal(recommendedModel(8 * 1024 ** 3).id, 'qwen2.5-coder-0.5b-q8_0');
  });
  it('builds hub URLs and accepts a mirror', () => {
    const m = RECOMMENDED_MODELS[1];
    assert.equal(modelUrl(m), 'https://huggingface.co/ggml-org/Qwen2.5-Coder-0.5B-Q8_0-GGUF/resolve/main/qwen2.5-coder-0.5b-q8_0.gguf');
    assert.equal(
      modelUrl(m, 'http://127.0.0.1:9/'),
      'http://127.0.0.1:9/ggml-org/Qwen2.5-Coder-0.5B-Q8_0-GGUF/resolve/main/qwen2.5-coder-0.5b-q8_0.gguf',
    );
  });
});
