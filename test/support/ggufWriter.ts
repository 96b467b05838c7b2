// Writes small synthetic GGUF headers for tests of code that reads GGUF metadata (no tensor data:
// enough for header readers, not for llama.cpp).
import * as fs from 'node:fs';

export type GgufValue = string | number | boolean | string[] | { u32: number };

export function ggufBytes(metadata: Record<string, GgufValue>, tensorCount = 1): Buffer {
  const parts: Buffer[] = [];
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    parts.push(b);
  };
  const u64 = (v: number) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    parts.push(b);
  };
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    u64(b.length);
    parts.push(b);
  };
  parts.push(Buffer.from('GGUF'));
  u32(3);
  u64(tensorCount);
  u64(Object.keys(metadata).length);
  for (const [k, v] of Object.entries(metadata)) {
    str(k);
    if (typeof v === 'string') {
      u32(8);
      str(v);
    } else if (typeof v === 'boolean') {
      u32(7);
      parts.push(Buffer.from([v ? 1 : 0]));
    } else if (typeof v === 'number') {
      u32(6);
      const b = Buffer.alloc(4);
      b.writeFloatLE(v);
      parts.push(b);
    } else if (Array.isArray(v)) {
      u32(9);
      u32(8);
      u64(v.length);
      v.forEach(str);
    } else {
      u32(4);
      u32(v.u32);
    }
  }
  return Buffer.concat(parts);
}

export function writeGguf(file: string, metadata: Record<string, GgufValue>, tensorCount = 1): void {
  fs.writeFileSync(file, ggufBytes(metadata, tensorCount));
}
