// Random-weight models for the benches, generated with the addon's make-test-model path and
// cached by a hash of their options (a second run reuses the file). Written under a temporary
// name and renamed, so an interrupted generation never leaves a truncated model in the cache.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MakeTestModelOptions, NativeAddon } from '../engine/native';

/** Generated random-weight model shapes (used when no --model is given). */
export const MODEL_SHAPES = ['0.5b', 'small', 'tiny'] as const;
export type ModelShape = (typeof MODEL_SHAPES)[number];
export const MODEL_TYPES = ['f32', 'f16', 'q8_0', 'q4_0'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

type Shape = Omit<MakeTestModelOptions, 'vocabPath' | 'out' | 'seed' | 'type'> & { vocab: 'qwen2' | 'deepseek-coder' };

export const MODEL_SHAPE_OPTIONS: Record<ModelShape, Shape> = {
  // Qwen2.5-Coder-0.5B: 24 blocks, d = 896, 14 heads, 2 KV heads, FFN 4864, Qwen2 vocab
  '0.5b': { arch: 'qwen2', layers: 24, embd: 896, heads: 14, kvHeads: 2, ffn: 4864, contextLength: 32768, vocab: 'qwen2' },
  small: { arch: 'qwen2', layers: 4, embd: 256, heads: 4, kvHeads: 2, ffn: 1024, contextLength: 4096, vocab: 'qwen2' },
  tiny: { arch: 'llama', layers: 2, embd: 64, heads: 4, kvHeads: 2, ffn: 128, contextLength: 4096, vocab: 'deepseek-coder' },
};

export interface BenchModelRequest {
  addon: NativeAddon;
  shape: ModelShape;
  type: ModelType;
  /** finds llama.cpp's ggml-vocab-NAME.gguf */
  vocabPath: (name: string) => Promise<string>;
  cacheDir: string;
  seed?: number;
}

export interface BenchModel {
  path: string;
  generated: boolean;
  /** how it was made, for the report */
  origin: string;
}

export async function ensureBenchModel(r: BenchModelRequest): Promise<BenchModel> {
  const { vocab, ...shape } = MODEL_SHAPE_OPTIONS[r.shape];
  const vocabPath = await r.vocabPath(vocab);
  const options = { ...shape, type: r.type, seed: r.seed ?? 1 };
  const key = crypto
    .createHash('sha256')
    .update(JSON.stringify({ ...options, vocab, vocabBytes: fs.statSync(vocabPath).size }))
    .digest('hex')
    .slice(0, 12);
  const out = path.join(r.cacheDir, `bench-${r.shape}-${r.type}-${key}.gguf`);
  const origin = `random weights, ${r.shape} shape (${shape.arch} ${shape.layers}×${shape.embd}, ${vocab} vocab), ${r.type}`;
  if (fs.existsSync(out)) return { path: out, generated: false, origin };
  fs.mkdirSync(r.cacheDir, { recursive: true });
  const partial = `${out}.partial-${process.pid}`;
  try {
    await r.addon.makeTestModel({ ...options, vocabPath, out: partial });
    fs.renameSync(partial, out);
  } finally {
    fs.rmSync(partial, { force: true });
  }
  return { path: out, generated: true, origin };
}
