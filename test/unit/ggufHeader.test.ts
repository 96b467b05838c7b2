import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GgufHeaderError, readGgufHeader, summarize } from '../../extension/models/ggufHeader';
import { ggufBytes, writeGguf } from '../support/ggufWriter';

const coderMeta = (name: string, fileType: number) => ({
  'general.architecture': 'qwen2',
  'general.name': name,
  'general.file_type': { u32: fileType },
  'qwen2.context_length': { u32: 32768 },
  'tokenizer.ggml.tokens': ['<|fim_prefix|>', 'a', 'b'],
});

describe('GGUF header reader', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-gguf-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads architecture, name, quantization and context length, skipping arrays', async () => {
    const f = path.join(dir, 'm.gguf');
    writeGguf(f, coderMeta('Qwen2.5 Coder 0.5B', 7), 5);
    const h = await readGgufHeader(f);
    assert.equal(h.tensorCount, 5);
    assert.equal(h.metadata.get('tokenizer.ggml.tokens'), 3);
    assert.deepEqual(summarize(h), {
      architecture: 'qwen2',
      name: 'Qwen2.5 Coder 0.5B',
      quantization: 'Q8_0',
      contextLength: 32768,
      tensorCount: 5,
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
