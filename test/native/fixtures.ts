// Small generated models for the native tests: made once with addon.makeTestModel and cached
// under .tandem/test-models/ (git-ignored), keyed by a hash of the options.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CompletionRequest, CompletionResult, loadAddon, MakeTestModelOptions, NativeAddon, NativeModel, SessionOptions,
} from '../../extension/engine/native';

export const repoRoot = path.resolve(__dirname, '..', '..', ...(path.basename(path.resolve(__dirname, '..', '..')) === 'test-build' ? ['..', '..'] : []));

let addonInstance: NativeAddon | undefined;
export function addon(): NativeAddon {
  if (!addonInstance) {
    addonInstance = loadAddon();
    addonInstance.setLogLevel(process.env.TANDEM_LOG_LEVEL ?? 'none');
  }
  return addonInstance;
}

/** Folder with llama.cpp's vocab-only GGUFs: $LLAMA_CPP_DIR/models, else native/deps/llama.cpp/models. */
export function vocabDir(): string {
  const candidates = [
    process.env.LLAMA_CPP_DIR && path.join(process.env.LLAMA_CPP_DIR, 'models'),
    path.join(repoRoot, 'native', 'deps', 'llama.cpp', 'models'),
  ].filter((p): p is string => !!p);
  for (const dir of candidates) if (fs.existsSync(path.join(dir, 'ggml-vocab-qwen2.gguf'))) return dir;
  throw new Error(`llama.cpp's vocab GGUFs were not found in: ${candidates.join(', ')} (run npm run fetch:llama)`);
}

/** Path of models/ggml-vocab-<name>.gguf, e.g. vocabPath('qwen2'), vocabPath('deepseek-coder'). */
export function vocabPath(name: 'qwen2' | 'deepseek-coder' | string): string {
  return path.join(vocabDir(), `ggml-vocab-${name}.gguf`);
}

export const testModelDir = path.join(repoRoot, '.tandem', 'test-models');

const pending = new Map<string, Promise<string>>();

/** A small random-weight model (default: llama arch, 2 layers × 64, deepseek-coder vocab, f32). */
export async function testModel(opts: Partial<MakeTestModelOptions> = {}): Promise<string> {
  const options: Omit<MakeTestModelOptions, 'out'> = {
    arch: 'llama',
    layers: 2,
    embd: 64,
    heads: 4,
    kvHeads: 2,
    ffn: 128,
    contextLength: 4096,
    vocabPath: vocabPath('deepseek-coder'),
    seed: 1234,
    type: 'f32',
    ...opts,
  };
  const vocabStat = fs.statSync(options.vocabPath);
  const key = crypto.createHash('sha256')
    .update(JSON.stringify({ ...options, vocabPath: path.basename(options.vocabPath), vocabBytes: vocabStat.size, v: 2 }))
    .digest('hex').slice(0, 16);
  const out = opts.out ?? path.join(testModelDir, `${options.arch}-${options.layers}x${options.embd}-${options.type}-${key}.gguf`);
  if (fs.existsSync(out)) return out;
  let job = pending.get(out);
  if (!job) {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    job = addon().makeTestModel({ ...options, out }).then((r) => r.path);
    pending.set(out, job);
  }
  return job;
}

/** Writes a minimal GGUF (v3) by hand: string/uint32 keys and f32 tensors. For malformed-file tests. */
export function writeGguf(file: string, kv: Record<string, string | number>, tensors: { name: string; shape: number[] }[]): void {
  const parts: Buffer[] = [];
  const u32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b; };
  const u64 = (v: number) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); return b; };
  const str = (s: string) => { const b = Buffer.from(s, 'utf8'); return Buffer.concat([u64(b.length), b]); };
  parts.push(Buffer.from('GGUF'), u32(3), u64(tensors.length), u64(Object.keys(kv).length));
  for (const [key, value] of Object.entries(kv)) {
    parts.push(str(key));
    if (typeof value === 'string') parts.push(u32(8), str(value));
    else parts.push(u32(4), u32(value));
  }
  const alignment = 32;
  const pad = (n: number) => (alignment - (n % alignment)) % alignment;
  let offset = 0;
  const sizes: number[] = [];
  for (const t of tensors) {
    parts.push(str(t.name), u32(t.shape.length), ...t.shape.map(u64), u32(0 /* f32 */), u64(offset));
    const bytes = t.shape.reduce((a, b) => a * b, 1) * 4;
    sizes.push(bytes);
    offset += bytes + pad(bytes);
  }
  let header = Buffer.concat(parts);
  header = Buffer.concat([header, Buffer.alloc(pad(header.length))]);
  const data = sizes.map((n) => Buffer.alloc(n + pad(n)));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, Buffer.concat([header, ...data]));
}

/** A scratch folder for files a test writes (under .tandem/, git-ignored). */
export function scratchDir(name: string): string {
  const dir = path.join(repoRoot, '.tandem', 'test-scratch', name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** What a fresh session (nothing cached) completes for `request`: the reference that warm-cache
 *  paths (prefix reuse, restored document KV, prefill) must match token for token. */
export async function coldCompletion(model: NativeModel, request: CompletionRequest, options: SessionOptions = {}): Promise<CompletionResult> {
  const session = await model.createSession({ contextSize: 2048, threads: 2, ...options });
  try {
    return await session.complete(request);
  } finally {
    await session.dispose();
  }
}
