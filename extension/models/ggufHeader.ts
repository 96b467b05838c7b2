// Reads a GGUF file's header (version, tensor count, scalar metadata) without loading the model,
// so model pickers can show architecture, name and quantization of many files cheaply. Arrays
// (the tokenizer's vocabulary) are skipped, not kept. Async reads only.
import * as fs from 'node:fs';

export interface GgufHeader {
  version: number;
  tensorCount: number;
  /** scalar metadata (numbers, strings, booleans); arrays are recorded as their length */
  metadata: Map<string, string | number | boolean | bigint>;
}

export class GgufHeaderError extends Error {
  override name = 'GgufHeaderError';
}

// GGUF value types
/** GGUF value types (gguf.h), as the numbers the file holds. */
const T = { U8: 0, I8: 1, U16: 2, I16: 3, U32: 4, I32: 5, F32: 6, BOOL: 7, STRING: 8, ARRAY: 9, U64: 10, I64: 11, F64: 12 } as const;
const SCALAR_SIZE: Record<number, number> = {
  [T.U8]: 1,
  [T.I8]: 1,
  [T.U16]: 2,
  [T.I16]: 2,
  [T.U32]: 4,
  [T.I32]: 4,
  [T.F32]: 4,
  [T.BOOL]: 1,
  [T.U64]: 8,
  [T.I64]: 8,
  [T.F64]: 8,
};

/** llama_ftype → the quantization name people use (llama.h) */
const FILE_TYPES: Record<number, string> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  7: 'Q8_0',
  8: 'Q5_0',
  9: 'Q5_1',
  10: 'Q2_K',
  11: 'Q3_K_S',
  12: 'Q3_K_M',
  13: 'Q3_K_L',
  14: 'Q4_K_S',
  15: 'Q4_K_M',
  16: 'Q5_K_S',
  17: 'Q5_K_M',
  18: 'Q6_K',
  19: 'IQ2_XXS',
  20: 'IQ2_XS',
  21: 'Q2_K_S',
  22: 'IQ3_XS',
  23: 'IQ3_XXS',
  24: 'IQ1_S',
  25: 'IQ4_NL',
  26: 'IQ3_S',
  27: 'IQ3_M',
  28: 'IQ2_S',
  29: 'IQ2_M',
  30: 'IQ4_XS',
  31: 'IQ1_M',
  32: 'BF16',
  36: 'TQ1_0',
  37: 'TQ2_0',
  38: 'MXFP4_MOE',
  39: 'NVFP4',
  40: 'Q1_0',
  41: 'Q2_0',
};

export function quantizationName(fileType: number | undefined): string | undefined {
  return fileType === undefined ? undefined : (FILE_TYPES[fileType] ?? `type ${fileType}`);
}

/** Buffered sequential reader over a file handle. */
class Reader {
  private buf = Buffer.alloc(0);
  private bufPos = 0; // file offset of buf[0]
  private pos = 0;
  constructor(
    private readonly fh: fs.promises.FileHandle,
    private readonly size: number,
    private readonly file: string,
  ) {}

  private async ensure(n: number): Promise<void> {
    if (this.pos + n <= this.bufPos + this.buf.length) return;
    if (this.pos + n > this.size) {
      throw new GgufHeaderError(`${this.file}: truncated GGUF header (needs byte ${this.pos + n}, file has ${this.size})`);
    }
    const len = Math.max(n, 1 << 20);
    const buf = Buffer.alloc(Math.min(len, this.size - this.pos));
    const { bytesRead } = await this.fh.read(buf, 0, buf.length, this.pos);
    this.buf = buf.subarray(0, bytesRead);
    this.bufPos = this.pos;
    if (bytesRead < n) throw new GgufHeaderError(`${this.file}: short read at ${this.pos}`);
  }
  private at(): number {
    return this.pos - this.bufPos;
  }

  async u32(): Promise<number> {
    await this.ensure(4);
    const v = this.buf.readUInt32LE(this.at());
    this.pos += 4;
    return v;
  }
  async u64(): Promise<bigint> {
    await this.ensure(8);
    const v = this.buf.readBigUInt64LE(this.at());
    this.pos += 8;
    return v;
  }
  async count(what: string): Promise<number> {
    const v = await this.u64();
    if (v > BigInt(this.size)) throw new GgufHeaderError(`${this.file}: implausible ${what} ${v} (file has ${this.size} bytes)`);
    return Number(v);
  }
  async string(): Promise<string> {
    const n = await this.count('string length');
    await this.ensure(n);
    const s = this.buf.toString('utf8', this.at(), this.at() + n);
    this.pos += n;
    return s;
  }
  skip(n: number): void {
    if (this.pos + n > this.size) throw new GgufHeaderError(`${this.file}: truncated GGUF header`);
    this.pos += n;
  }
  async scalar(type: number): Promise<string | number | boolean | bigint> {
    const size = SCALAR_SIZE[type];
    if (size === undefined) throw new GgufHeaderError(`${this.file}: unknown GGUF value type ${type}`);
    await this.ensure(size);
    const b = this.buf,
      o = this.at();
    this.pos += size;
    switch (type) {
      case T.U8:
        return b.readUInt8(o);
      case T.I8:
        return b.readInt8(o);
      case T.U16:
        return b.readUInt16LE(o);
      case T.I16:
        return b.readInt16LE(o);
      case T.U32:
        return b.readUInt32LE(o);
      case T.I32:
        return b.readInt32LE(o);
      case T.F32:
        return b.readFloatLE(o);
      case T.BOOL:
        return b.readUInt8(o) !== 0;
      case T.U64: {
        const v = b.readBigUInt64LE(o);
        return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      }
      case T.I64: {
        const v = b.readBigInt64LE(o);
        return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      }
      default:
        return b.readDoubleLE(o);
    }
  }
}

export async function readGgufHeader(file: string): Promise<GgufHeader> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const { size } = await fh.stat();
    const r = new Reader(fh, size, file);
    if (size < 24) throw new GgufHeaderError(`${file}: ${size === 0 ? 'empty file' : 'too small to be a GGUF model'}`);
    const magic = await r.u32();
    if (magic !== 0x46554747) throw new GgufHeaderError(`${file}: not a GGUF file (magic 0x${magic.toString(16)})`);
    const version = await r.u32();
    if (version < 2 || version > 3) throw new GgufHeaderError(`${file}: unsupported GGUF version ${version}`);
    const tensorCount = await r.count('tensor count');
    const kvCount = await r.count('metadata count');
    const metadata = new Map<string, string | number | boolean | bigint>();
    for (let i = 0; i < kvCount; i++) {
      const key = await r.string();
      const type = await r.u32();
      if (type === T.STRING) metadata.set(key, await r.string());
      else if (type === T.ARRAY) {
        const itemType = await r.u32();
        const n = await r.count('array length');
        if (itemType === T.STRING) for (let j = 0; j < n; j++) r.skip(await r.count('string length'));
        else if (SCALAR_SIZE[itemType] !== undefined) r.skip(n * SCALAR_SIZE[itemType]);
        else throw new GgufHeaderError(`${file}: unsupported array item type ${itemType} in ${key}`);
        metadata.set(key, n);
      } else metadata.set(key, await r.scalar(type));
    }
    return { version, tensorCount, metadata };
  } finally {
    await fh.close();
  }
}

/** What a model picker shows about a GGUF. */
export interface GgufSummary {
  architecture?: string;
  name?: string;
  quantization?: string;
  contextLength?: number;
  tensorCount: number;
}

export function summarize(h: GgufHeader): GgufSummary {
  const str = (k: string) => {
    const v = h.metadata.get(k);
    return typeof v === 'string' ? v : undefined;
  };
  const num = (k: string) => {
    const v = h.metadata.get(k);
    return typeof v === 'number' ? v : undefined;
  };
  const architecture = str('general.architecture');
  return {
    architecture,
    name: str('general.name'),
    quantization: quantizationName(num('general.file_type')),
    contextLength: architecture ? num(`${architecture}.context_length`) : undefined,
    tensorCount: h.tensorCount,
  };
}
