// Speculative decoding is lossless: every mode gives exactly the tokens and text of plain greedy
// decoding ('off') — over generated and real-code prompts, several tiny random models, stop
// strings that fall inside accepted drafts, maxTokens in the middle of a tree, cancellation during
// verification, and KV reuse across requests after speculative steps.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CompletionResult, ContextDocument, NativeModel, NativeSession, SpeculationMode } from '../../extension/engine/native';
import { addon, repoRoot, testModel, vocabPath } from './fixtures';

const MODES: SpeculationMode[] = ['pld', 'sam', 'auto'];

function realCode(): string[] {
  const dir = path.join(repoRoot, 'node_modules', 'mocha', 'lib');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.js')).sort().slice(0, 4);
  return files.map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
}

function prompts(): { prompt: string; documents: ContextDocument[] }[] {
  const code = realCode();
  const out: { prompt: string; documents: ContextDocument[] }[] = [];
  // generated: repetitive code, so drafts get accepted by the model's own repeats too
  for (let i = 0; i < 3; i++) {
    const body = Array.from({ length: 6 }, (_, j) => `  const v${j} = compute(${i}, ${j});\n`).join('');
    out.push({ prompt: `function f${i}() {\n${body}${body}  const v`, documents: [{ id: `gen${i}`, version: 1, source: 'otherFile', text: body.repeat(3) }] });
  }
  // real code: a cut from a file, its siblings as documents
  for (let i = 0; i < code.length; i++) {
    const text = code[i];
    const at = Math.floor(text.length * (0.3 + 0.1 * i));
    out.push({
      prompt: text.slice(Math.max(0, at - 1500), at),
      documents: [
        { id: `same${i}`, version: 1, source: 'sameFile', text },
        { id: `other${i}`, version: 1, source: 'otherFile', text: code[(i + 1) % code.length].slice(0, 6000) },
      ],
    });
  }
  return out;
}

const MODELS = [
  {},
  { arch: 'qwen2' as const, layers: 3, embd: 64, heads: 4, kvHeads: 2, ffn: 128, vocabPath: vocabPath('qwen2'), seed: 7 },
  { layers: 4, embd: 128, heads: 4, kvHeads: 4, ffn: 256, seed: 99 },
];

describe('speculative decoding is lossless', function () {
  const saved = process.env.TANDEM_COST_CURVE;
  before(() => {
    // A flat (GPU-like) curve makes the cost-aware drafter verify big trees: the hardest case.
    process.env.TANDEM_COST_CURVE = '1:10,128:11';
  });
  after(() => {
    if (saved === undefined) delete process.env.TANDEM_COST_CURVE;
    else process.env.TANDEM_COST_CURVE = saved;
  });

  for (const [mi, opts] of MODELS.entries()) {
    describe(`model ${mi}`, function () {
      let model: NativeModel;
      const sessions = new Map<string, NativeSession>();
      before(async function () {
        model = await addon().loadModel(await testModel(opts));
        for (const mode of ['off', ...MODES]) sessions.set(mode, await model.createSession({ contextSize: 2048, threads: 2 }));
      });
      after(async () => {
        for (const s of sessions.values()) await s.dispose();
        await model?.dispose();
      });

      const run = (mode: string, prompt: string, documents: ContextDocument[], maxTokens: number, stop?: string[]) =>
        sessions.get(mode)!.complete({ prompt: [prompt], documents, speculation: mode as SpeculationMode, maxTokens, stop });

      it('every mode equals off on generated and real-code prompts, with drafts accepted', async function () {
        let accepted = 0;
        for (const p of prompts()) {
          for (const maxTokens of [40, 7]) {
            const off = await run('off', p.prompt, p.documents, maxTokens);
            for (const mode of MODES) {
              const r = await run(mode, p.prompt, p.documents, maxTokens);
              assert.deepEqual(r.tokens, off.tokens, `${mode} tokens differ (maxTokens ${maxTokens})`);
              assert.equal(r.text, off.text);
              assert.equal(r.stats.stopReason, off.stats.stopReason);
              assert.ok(r.stats.speculation, 'speculation stats present');
              assert.equal(r.stats.speculation!.mode, mode);
              accepted += r.stats.speculation!.acceptedTokens;
            }
          }
        }
        assert.ok(accepted > 0, 'some draft tokens were accepted (else the tree path is untested)');
      });

      it('stop strings inside accepted drafts end exactly where greedy ends', async function () {
        for (const p of prompts().slice(0, 4)) {
          const off = await run('off', p.prompt, p.documents, 40);
          if (off.text.length < 12) continue;
          const stop = off.text.slice(Math.floor(off.text.length / 2), Math.floor(off.text.length / 2) + 3);
          const offStop = await run('off', p.prompt, p.documents, 40, [stop]);
          for (const mode of MODES) {
            const r = await run(mode, p.prompt, p.documents, 40, [stop]);
            assert.equal(r.text, offStop.text, `${mode} with stop ${JSON.stringify(stop)}`);
            assert.equal(r.stats.stopReason, offStop.stats.stopReason);
            assert.deepEqual(r.tokens, offStop.tokens);
          }
        }
      });

      it('KV reuse across requests after speculative steps stays exact', async function () {
        const p = prompts()[0];
        let promptOff = p.prompt;
        let promptSpec = p.prompt;
        for (let i = 0; i < 3; i++) {
          const off = await run('off', promptOff, p.documents, 24);
          const spec = await run('auto', promptSpec, p.documents, 24);
          assert.deepEqual(spec.tokens, off.tokens, `request ${i}`);
          if (i > 0) assert.ok(spec.stats.reusedTokens > 0, 'prefix reused');
          promptOff += off.text + '\n';
          promptSpec += spec.text + '\n';
        }
      });

      it('cancel during verification lands within a step; the session stays exact', async function () {
        const p = prompts()[3];
        const off = await run('off', p.prompt, p.documents, 64);
        for (const mode of MODES) {
          const cancel = addon().createCancelFlag();
          const r = await sessions.get(mode)!.complete({
            prompt: [p.prompt], documents: p.documents, speculation: mode, maxTokens: 64, onText: () => cancel.cancel(),
          }, cancel);
          assert.ok(off.tokens.join(',').startsWith(r.tokens.join(',')), `${mode}: cancelled output is a prefix of greedy`);
          if (r.stats.stopReason === 'cancelled') assert.ok(r.tokens.length < off.tokens.length || off.tokens.length === 0);
          const again = await run(mode, p.prompt, p.documents, 64);
          assert.deepEqual(again.tokens, off.tokens, `${mode}: after a cancel`);
        }
      });
    });
  }
});

describe('draft corpus: bad input', function () {
  let model: NativeModel;
  let session: NativeSession;
  before(async function () {
    model = await addon().loadModel(await testModel());
    session = await model.createSession({ contextSize: 1024, threads: 2 });
  });
  after(async () => {
    await session?.dispose();
    await model?.dispose();
  });

  it('enormous documents are cut (bounded memory) and the cut is reported', async function () {
    const huge = 'let x = 1;\n'.repeat(300_000); // 3.3 MB
    const r: CompletionResult = await session.complete({
      prompt: ['let y = 2;\n'], maxTokens: 4, speculation: 'auto', documents: [{ id: 'huge', version: 1, source: 'otherFile', text: huge }],
    });
    const s = r.stats.speculation!;
    assert.ok(s.truncatedDocuments! >= 1, JSON.stringify(s));
    assert.ok(s.corpusTokens <= 262_144 + 4096, `corpus tokens ${s.corpusTokens}`);
    assert.ok(s.corpusBytes < 8 * 2 ** 20);
  });

  it('empty, binary-looking and thousands of documents work; missing ones are reported', async function () {
    const docs: ContextDocument[] = [
      { id: 'empty', version: 1, source: 'otherFile', text: '' },
      { id: 'bin', version: 1, source: 'otherFile', text: '\u0000\u0001\u0002\uFFFD\u0007'.repeat(1000) },
      ...Array.from({ length: 3000 }, (_, i) => ({ id: `d${i}`, version: 1, source: 'otherFile' as const, text: `const a${i} = ${i};\n` })),
      { id: 'never-sent', version: 3, source: 'otherFile' },
    ];
    const r = await session.complete({ prompt: ['const a1 = '], maxTokens: 4, speculation: 'auto', documents: docs });
    const s = r.stats.speculation!;
    assert.ok(s.corpusDocuments <= 256);
    assert.ok(s.truncatedDocuments! > 0);
    const r2 = await session.complete({
      prompt: ['const a1 = '], maxTokens: 4, speculation: 'auto', documents: [{ id: 'empty', version: 1, source: 'otherFile' }, { id: 'gone', version: 1, source: 'otherFile' }],
    });
    assert.equal(r2.stats.speculation!.corpusDocuments, 1);
    assert.deepEqual(r2.stats.speculation!.missingDocuments, ['gone']);
  });

  it('rejects unknown modes and unbuilt modes with INVALID_ARGUMENT', async function () {
    await assert.rejects(session.complete({ prompt: ['x'], maxTokens: 2, speculation: 'warp' as SpeculationMode }), (e: Error & { code?: string }) => e.code === 'INVALID_ARGUMENT');
  });
});
