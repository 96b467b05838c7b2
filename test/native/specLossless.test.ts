// Speculative decoding is lossless: every mode gives exactly the tokens and text of plain greedy
// decoding ('off') — over generated and real-code prompts, several tiny random models, stop
// strings that fall inside accepted drafts, maxTokens in the middle of a tree, cancellation during
// verification, KV reuse across requests after speculative steps, and generation ending on an EOG
// token inside an accepted draft that goes on past it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CompletionResult, ContextDocument, NativeModel, NativeSession, SpeculationMode } from '../../extension/engine/native';
import { addon, repoRoot, scratchDir, testModel, vocabPath } from './fixtures';

const MODES: SpeculationMode[] = ['pld', 'sam', 'ngram-simple', 'ngram-map-k', 'ngram-mod', 'ngram-cache', 'auto'];

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
      // 'off' has a session of its own (the reference never depends on speculative state); the
      // speculative modes share one, so each prompt is prefilled once and every request also
      // reuses KV left by another mode's speculative steps.
      let offSession: NativeSession;
      let specSession: NativeSession;
      const sessionFor = (mode: string) => (mode === 'off' ? offSession : specSession);
      before(async function () {
        model = await addon().loadModel(await testModel(opts));
        offSession = await model.createSession({ contextSize: 2048, threads: 2 });
        specSession = await model.createSession({ contextSize: 2048, threads: 2 });
      });
      after(async () => {
        await offSession?.dispose();
        await specSession?.dispose();
        await model?.dispose();
      });

      const run = (mode: string, prompt: string, documents: ContextDocument[], maxTokens: number, stop?: string[]) =>
        sessionFor(mode).complete({ prompt: [prompt], documents, speculation: mode as SpeculationMode, maxTokens, stop });

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
              assert.equal(r.stats.speculation.mode, mode);
              accepted += r.stats.speculation.acceptedTokens;
            }
          }
        }
        assert.ok(accepted > 0, 'some draft tokens were accepted (else the tree path is untested)');
      });

      it('stop strings inside accepted drafts end exactly where greedy ends', async function () {
        let stopped = 0;
        for (const p of prompts().slice(0, 4)) {
          const off = await run('off', p.prompt, p.documents, 40);
          if (off.text.length < 12) continue; // too short to hold a stop string in its middle
          const stop = off.text.slice(Math.floor(off.text.length / 2), Math.floor(off.text.length / 2) + 3);
          const offStop = await run('off', p.prompt, p.documents, 40, [stop]);
          assert.equal(offStop.stats.stopReason, 'stop', `off stops on ${JSON.stringify(stop)}`);
          stopped++;
          for (const mode of MODES) {
            const r = await run(mode, p.prompt, p.documents, 40, [stop]);
            assert.equal(r.text, offStop.text, `${mode} with stop ${JSON.stringify(stop)}`);
            assert.equal(r.stats.stopReason, offStop.stats.stopReason);
            assert.deepEqual(r.tokens, offStop.tokens);
          }
        }
        assert.ok(stopped > 0, 'some prompt gave greedy output long enough for a stop string');
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
        // The flag is set from the first streamed piece. Pieces reach JS asynchronously, so the
        // engine may have gone on by then, and a short request may even end before the flag is set:
        // each mode must be stopped mid-request by it on one of the first few prompts.
        const landed = new Set<SpeculationMode>();
        for (const p of prompts().slice(0, 3)) {
          const off = await run('off', p.prompt, p.documents, 64);
          for (const mode of MODES.filter((m) => !landed.has(m))) {
            const cancel = addon().createCancelFlag();
            const r = await sessionFor(mode).complete({
              prompt: [p.prompt], documents: p.documents, speculation: mode, maxTokens: 64, onText: () => cancel.cancel(),
            }, cancel);
            assert.ok(cancel.cancelled, `${mode}: text was streamed`);
            assert.deepEqual(r.tokens, off.tokens.slice(0, r.tokens.length), `${mode}: the output is a prefix of greedy`);
            if (r.stats.stopReason === 'cancelled') {
              // it landed within a step: the steps it finished are committed whole, and at most the
              // one it was in when the flag was seen was left unfinished (its verification aborted)
              const s = r.stats.speculation!;
              const finished = s.acceptedHistogram.reduce((sum, n) => sum + n, 0);
              assert.ok(s.steps - finished <= 1, `${mode}: ${s.steps} steps begun, ${finished} finished`);
              assert.equal(r.tokens.length, finished + s.acceptedTokens, `${mode}: whole steps committed`);
              assert.ok(r.tokens.length < off.tokens.length, `${mode}: stopped before greedy's end`);
              landed.add(mode);
            } else {
              assert.deepEqual(r.tokens, off.tokens, `${mode}: ended (${r.stats.stopReason}) before the cancel reached it`);
            }
            const again = await run(mode, p.prompt, p.documents, 64);
            assert.deepEqual(again.tokens, off.tokens, `${mode}: after a cancel`);
          }
        }
        for (const mode of MODES) assert.ok(landed.has(mode), `${mode}: the cancel stopped a request mid-way on one of the prompts`);
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

  it('rejects unknown modes with INVALID_ARGUMENT', async function () {
    await assert.rejects(session.complete({ prompt: ['x'], maxTokens: 2, speculation: 'warp' as SpeculationMode }), (e: Error & { code?: string }) => e.code === 'INVALID_ARGUMENT');
  });
});

/** A copy of `file` whose declared end-of-generation token (tokenizer.ggml.eos_token_id, a u32
 *  written in place) is `eos`. Weights and vocabulary are untouched, so greedy decoding runs
 *  exactly as before and stops at the first `eos` it emits. */
function withEosToken(file: string, eos: number, out: string): string {
  const bytes = fs.readFileSync(file);
  const key = Buffer.from('tokenizer.ggml.eos_token_id');
  const at = bytes.indexOf(key);
  assert.ok(at > 0 && bytes.indexOf(key, at + 1) < 0, 'one eos_token_id key');
  assert.equal(bytes.readUInt32LE(at + key.length), 4, 'eos_token_id is a u32');
  bytes.writeUInt32LE(eos, at + key.length + 4);
  fs.writeFileSync(out, bytes);
  return out;
}

/** Where greedy output repeats itself: a 3-gram at `from` seen again at `again` (> from). */
function firstRepeat(tokens: number[]): { from: number; again: number } | undefined {
  for (let again = 1; again + 3 <= tokens.length; again++) {
    for (let from = 0; from < again; from++) {
      if (tokens[from] === tokens[again] && tokens[from + 1] === tokens[again + 1] && tokens[from + 2] === tokens[again + 2]) return { from, again };
    }
  }
  return undefined;
}

describe('EOG inside an accepted draft', function () {
  // Random models never pick their EOG token, so the model declares another one: a token its
  // greedy output reaches while the drafters are copying a stretch that goes on past it. The prompt
  // is a real prompt plus the start of its own greedy continuation up to where that continuation
  // repeats itself, so the copy comes from the prompt (prompt lookup, suffix matching, n-grams).
  const DRAFTING = ['pld', 'sam'] as const; // copy from the prompt whatever the cost curve says
  const saved = process.env.TANDEM_COST_CURVE;
  before(() => { process.env.TANDEM_COST_CURVE = '1:10,128:11'; });
  after(() => {
    if (saved === undefined) delete process.env.TANDEM_COST_CURVE;
    else process.env.TANDEM_COST_CURVE = saved;
  });

  it('every mode stops on the EOG exactly where off does, with nothing after it; the drafts covered it', async function () {
    const base = await testModel();
    const original = await addon().loadModel(base);
    const plain = await original.createSession({ contextSize: 2048, threads: 2 });
    let covered = new Set<string>(); // modes whose draft covered the EOG, for the last prompt tried
    let tried = 0;
    try {
      for (const [i, p] of prompts().entries()) {
        const greedy = await plain.complete({ prompt: [p.prompt], maxTokens: 48, speculation: 'off' });
        const repeat = firstRepeat(greedy.tokens);
        if (greedy.stats.stopReason !== 'maxTokens' || !repeat) continue;
        const cut = repeat.again + 3; // the prompt ends inside the repeat
        const eosAt = cut + 2; // the EOG is the third generated token
        const eos = greedy.tokens[eosAt];
        if (eosAt >= greedy.tokens.length || greedy.tokens.slice(cut, eosAt).includes(eos)) continue;
        tried++;
        covered = new Set<string>();
        const prompt = [p.prompt, ...greedy.tokens.slice(0, cut)];
        const model = await addon().loadModel(withEosToken(base, eos, path.join(scratchDir('spec-eog'), `eos-${i}.gguf`)));
        const session = await model.createSession({ contextSize: 2048, threads: 2 });
        try {
          const off = await session.complete({ prompt, maxTokens: 40, speculation: 'off' });
          assert.equal(off.stats.stopReason, 'eog', 'off stops on the declared EOG');
          assert.equal(off.tokens[off.tokens.length - 1], eos);
          for (const mode of MODES) {
            const r = await session.complete({ prompt, maxTokens: 40, speculation: mode });
            assert.deepEqual(r.tokens, off.tokens, `${mode}: tokens`);
            assert.equal(r.text, off.text, `${mode}: text`);
            assert.equal(r.stats.stopReason, 'eog', `${mode}: stop reason`);
            const s = r.stats.speculation!;
            // Each step commits its accepted draft tokens plus the model's own next token; more
            // than were generated means the EOG was an accepted draft token with more after it.
            if (s.steps + s.acceptedTokens > r.stats.generatedTokens) covered.add(mode);
          }
        } finally {
          await session.dispose();
          await model.dispose();
        }
        if (DRAFTING.every((m) => covered.has(m))) break;
      }
    } finally {
      await plain.dispose();
      await original.dispose();
    }
    assert.ok(tried > 0, 'some prompt gave a repeating greedy continuation');
    for (const mode of DRAFTING) assert.ok(covered.has(mode), `${mode} verified a draft that covered the EOG (covered: ${[...covered].join(', ')})`);
  });
});
