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
export function vocabPath(name: string): string {
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

/** A metadata value for copyGgufWithMetadata, typed as GGUF stores it. */
export type GgufValue = { u32: number } | { i32: number } | { f32: number } | { str: string } | { strings: string[] } | { i32s: number[] };

const GGUF_TYPE = { u32: 4, i32: 5, f32: 6, str: 8, arr: 9 } as const;
const GGUF_SCALAR_BYTES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

interface GgufEntry { key: string; type: number; value: Buffer }  // value: encoded, as after the type field

/** Splits a GGUF file into its metadata entries, tensor descriptions and tensor data. */
function parseGguf(file: Buffer): { entries: GgufEntry[]; prefix: Buffer; tensorInfo: Buffer; data: Buffer } {
  let pos = 24;  // magic, version, tensor count, entry count
  const tensorCount = Number(file.readBigUInt64LE(8));
  const entryCount = Number(file.readBigUInt64LE(16));
  const skipString = () => { pos += 8 + Number(file.readBigUInt64LE(pos)); };
  const skipValue = (type: number): void => {
    if (type === GGUF_TYPE.str) skipString();
    else if (type === GGUF_TYPE.arr) {
      const element = file.readUInt32LE(pos);
      const n = Number(file.readBigUInt64LE(pos + 4));
      pos += 12;
      for (let i = 0; i < n; i++) skipValue(element);
    } else pos += GGUF_SCALAR_BYTES[type];
  };
  const entries: GgufEntry[] = [];
  for (let i = 0; i < entryCount; i++) {
    const keyLength = Number(file.readBigUInt64LE(pos));
    const key = file.subarray(pos + 8, pos + 8 + keyLength).toString('utf8');
    pos += 8 + keyLength;
    const type = file.readUInt32LE(pos);
    pos += 4;
    const start = pos;
    skipValue(type);
    entries.push({ key, type, value: file.subarray(start, pos) });
  }
  const tensorStart = pos;
  for (let i = 0; i < tensorCount; i++) {
    skipString();
    pos += 4 + 8 * file.readUInt32LE(pos) + 4 + 8;
  }
  const alignmentEntry = entries.find((e) => e.key === 'general.alignment' && e.type === GGUF_TYPE.u32);
  const alignment = alignmentEntry ? alignmentEntry.value.readUInt32LE(0) : 32;
  return { entries, prefix: file.subarray(0, 24), tensorInfo: file.subarray(tensorStart, pos), data: file.subarray(Math.ceil(pos / alignment) * alignment) };
}

function encodeGgufValue(v: GgufValue): { type: number; value: Buffer } {
  const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n >>> 0); return b; };
  const str = (s: string) => { const b = Buffer.from(s, 'utf8'); const n = Buffer.alloc(8); n.writeBigUInt64LE(BigInt(b.length)); return Buffer.concat([n, b]); };
  const count = (n: number) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(n)); return b; };
  if ('u32' in v) return { type: GGUF_TYPE.u32, value: u32(v.u32) };
  if ('i32' in v) { const b = Buffer.alloc(4); b.writeInt32LE(v.i32); return { type: GGUF_TYPE.i32, value: b }; }
  if ('f32' in v) { const b = Buffer.alloc(4); b.writeFloatLE(v.f32); return { type: GGUF_TYPE.f32, value: b }; }
  if ('str' in v) return { type: GGUF_TYPE.str, value: str(v.str) };
  if ('strings' in v) return { type: GGUF_TYPE.arr, value: Buffer.concat([u32(GGUF_TYPE.str), count(v.strings.length), ...v.strings.map(str)]) };
  const ints = Buffer.alloc(4 * v.i32s.length);
  v.i32s.forEach((n, i) => ints.writeInt32LE(n, 4 * i));
  return { type: GGUF_TYPE.arr, value: Buffer.concat([u32(GGUF_TYPE.i32), count(v.i32s.length), ints]) };
}

/** Where the tensor data of a GGUF file starts (bytes from the beginning of the file). */
export function ggufDataOffset(file: string): number {
  const bytes = fs.readFileSync(file);
  return bytes.length - parseGguf(bytes).data.length;
}

/** The strings of a string-array metadata entry (e.g. tokenizer.ggml.tokens) of a GGUF file. */
export function readGgufStrings(file: string, key: string): string[] {
  const entry = parseGguf(fs.readFileSync(file)).entries.find((e) => e.key === key);
  if (!entry || entry.type !== GGUF_TYPE.arr || entry.value.readUInt32LE(0) !== GGUF_TYPE.str) throw new Error(`${file} has no string array ${key}`);
  const out: string[] = [];
  let pos = 12;
  for (let i = 0, n = Number(entry.value.readBigUInt64LE(4)); i < n; i++) {
    const length = Number(entry.value.readBigUInt64LE(pos));
    out.push(entry.value.subarray(pos + 8, pos + 8 + length).toString('utf8'));
    pos += 8 + length;
  }
  return out;
}

/** Copies a GGUF model with metadata entries changed (null removes one; a new key is appended),
 *  its tensors unchanged, the header padded to the alignment a reader will then use
 *  (general.alignment when it is a power of two, else 32). For damaged-model tests. */
export function copyGgufWithMetadata(source: string, target: string, changes: Record<string, GgufValue | null>): void {
  const { entries, prefix, tensorInfo, data } = parseGguf(fs.readFileSync(source));
  const kept = entries.filter((e) => changes[e.key] !== null);
  for (const [key, change] of Object.entries(changes)) {
    if (change === null) continue;
    const encoded = encodeGgufValue(change);
    const existing = kept.find((e) => e.key === key);
    if (existing) Object.assign(existing, encoded);
    else kept.push({ key, ...encoded });
  }
  const header = Buffer.from(prefix);
  header.writeBigUInt64LE(BigInt(kept.length), 16);
  const parts: Buffer[] = [header];
  for (const e of kept) {
    const key = Buffer.from(e.key, 'utf8');
    const keyLength = Buffer.alloc(8);
    keyLength.writeBigUInt64LE(BigInt(key.length));
    const type = Buffer.alloc(4);
    type.writeUInt32LE(e.type);
    parts.push(keyLength, key, type, e.value);
  }
  parts.push(tensorInfo);
  const alignmentEntry = kept.find((e) => e.key === 'general.alignment' && e.type === GGUF_TYPE.u32);
  const wanted = alignmentEntry ? alignmentEntry.value.readUInt32LE(0) : 32;
  const alignment = wanted > 0 && (wanted & (wanted - 1)) === 0 ? wanted : 32;
  const length = parts.reduce((n, b) => n + b.length, 0);
  parts.push(Buffer.alloc((alignment - (length % alignment)) % alignment), data);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, Buffer.concat(parts));
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
