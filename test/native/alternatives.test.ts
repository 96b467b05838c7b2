// Completion alternatives (CompletionRequest.alternatives): the greedy result stays exactly what it
// is without them, in every speculation mode; each alternative is a real greedy continuation of a
// sibling token, differs from the greedy text and from the others, is never empty; cancelling and
// the time budget stop them; the KV cache the next request reuses is the greedy one, exact.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CompletionResult, ContextDocument, NativeModel, NativeSession, SpeculationMode } from '../../extension/engine/native';
import { addon, repoRoot, testModel } from './fixtures';

const PROMPTS = [
  'function add(a, b) {\n  return a + b;\n}\n\nfunction mul(a, b) {\n',
  'const values = [1, 2, 3];\nfor (const v of values) {\n  total += v;\n}\nfor (const v of values) {\n',
  'class Point {\n  constructor(x, y) {\n    this.x = x;\n',
  'import * as fs from "node:fs";\nimport * as path from "node:path";\n',
];

/** What the editor shows, as the engine compares it (shownText): surrounding ASCII whitespace off. */
const shown = (text: string) => text.replace(/^[ \t\r\n\v\f]+|[ \t\r\n\v\f]+$/g, '');

/** The fields of a result that alternatives must leave exactly as they are. */
function greedyPart(r: CompletionResult) {
  const { promptTokens, reusedTokens, generatedTokens, stopReason } = r.stats;
  return { text: r.text, tokens: r.tokens, pendingBytes: r.pendingBytes, promptTokens, reusedTokens, generatedTokens, stopReason };
}

function assertDistinct(r: CompletionResult, what: string): void {
  const seen = [shown(r.text)];
  for (const alternative of r.alternatives ?? []) {
    assert.ok(shown(alternative) !== '', `${what}: an empty alternative`);
    assert.ok(!seen.includes(shown(alternative)), `${what}: ${JSON.stringify(alternative)} repeats what is shown already`);
    seen.push(shown(alternative));
  }
}

/** Proves an alternative is what greedy decoding gives after a branch off `greedy`: finds the
 *  branch (the longest greedy token prefix the alternative starts with, then the next token of
 *  the rest) and decodes prompt + that prefix + the sibling plainly on `session`. */
async function branchOf(model: NativeModel, session: NativeSession, prompt: number[], greedy: CompletionResult, alternative: string, maxTokens: number) {
  for (let p = greedy.tokens.length - 1; p >= 0; p--) {
    const head = await model.detokenize(greedy.tokens.slice(0, p));
    if (!alternative.startsWith(head)) continue;
    const [sibling] = await model.tokenize(alternative.slice(head.length), { addSpecial: false });
    if (sibling === undefined || sibling === greedy.tokens[p]) continue;
    const room = maxTokens - p - 1;
    const rest = room > 0 ? (await session.complete({ prompt: [...prompt, ...greedy.tokens.slice(0, p), sibling], maxTokens: room })).text : '';
    if (head + (await model.detokenize([sibling])) + rest === alternative) return p;
  }
  return undefined;
}

describe('completion alternatives', function () {
  const savedCurve = process.env.TANDEM_COST_CURVE;
  let model: NativeModel;
  let session: NativeSession;
  let cold: NativeSession;

  // One thread per session: on a busy shared machine, ggml's threads waiting for each other make a
  // tiny model's forward pass hundreds of times slower.
  before(async function () {
    // A flat (GPU-like) curve: the cost-aware drafter verifies big trees, so the top choices of many
    // tokens come out of one verification batch.
    process.env.TANDEM_COST_CURVE = '1:10,128:11';
    model = await addon().loadModel(await testModel());
    session = await model.createSession({ contextSize: 2048, threads: 1 });
    cold = await model.createSession({ contextSize: 2048, threads: 1 });
  });
  after(async () => {
    if (savedCurve === undefined) delete process.env.TANDEM_COST_CURVE;
    else process.env.TANDEM_COST_CURVE = savedCurve;
    await session?.dispose();
    await cold?.dispose();
    await model?.dispose();
  });

  /** A request on a session that holds nothing (no reuse either way). */
  async function coldly(request: Parameters<NativeSession['complete']>[0]): Promise<CompletionResult> {
    await cold.reset();
    return cold.complete(request);
  }

  it('leave the greedy result exactly as it is, in every mode; each differs, none is empty, each is a real branch', async function () {
    // Repetitive code with itself as a document: drafts get accepted, so many tokens' top choices
    // come from the rows of accepted draft nodes in a verification batch.
    const repetitive = [0, 1].map((i) => {
      const body = Array.from({ length: 6 }, (_, j) => `  const v${j} = compute(${i}, ${j});\n`).join('');
      const documents: ContextDocument[] = [{ id: `gen${i}`, version: 1, source: 'otherFile', text: body.repeat(3) }];
      return { text: `function f${i}() {\n${body}${body}  const v`, documents };
    });
    let offered = 0;
    let accepted = 0;
    for (const { text, documents } of [...PROMPTS.map((p) => ({ text: p, documents: undefined })), ...repetitive]) {
      const prompt = await model.tokenize(text);
      const reference = await coldly({ prompt, maxTokens: 32 });
      assert.equal(reference.alternatives, undefined);
      assert.equal(reference.stats.alternativesMs, undefined);
      let offAlternatives: string[] | undefined;
      for (const speculation of ['off', 'auto', 'pld'] as SpeculationMode[]) {
        await session.reset();
        const r = await session.complete({ prompt, documents, maxTokens: 32, alternatives: 2, speculation });
        accepted += r.stats.speculation?.acceptedTokens ?? 0;
        assert.deepEqual(greedyPart(r), greedyPart(reference), `${speculation}: the greedy result changed`);
        assert.ok(r.alternatives, `${speculation}: alternatives were asked for`);
        assert.ok(r.alternatives.length <= 2);
        assertDistinct(r, speculation);
        assert.ok(r.stats.alternativesMs !== undefined && r.stats.alternativesMs >= 0);
        assert.ok((r.stats.alternativeTokens ?? 0) >= r.alternatives.length);
        // The choices come from the verification batches in speculative modes: the same branches.
        if (offAlternatives) assert.deepEqual(r.alternatives, offAlternatives, `${speculation} branched elsewhere than off`);
        else offAlternatives = r.alternatives;
        offered += r.alternatives.length;
      }
      for (const alternative of offAlternatives ?? []) {
        const p = await branchOf(model, cold, prompt, reference, alternative, 32);
        assert.ok(p !== undefined, `${JSON.stringify(alternative)} is not greedy decoding after a sibling of a token of ${JSON.stringify(reference.text)}`);
      }
    }
    assert.ok(offered >= 3 * (PROMPTS.length + repetitive.length), `only ${offered} alternatives offered`);
    assert.ok(accepted >= 20, `${accepted} draft tokens accepted: the rows of accepted nodes are hardly tested`);
  });

  it('drop an alternative that shows nothing (whitespace, half a UTF-8 character) and try the next branch', async function () {
    // One-token completions of real code: the siblings alone are the alternatives, and some of them
    // are whitespace or the start of a character.
    const code = fs.readFileSync(path.join(repoRoot, 'node_modules', 'mocha', 'lib', 'runner.js'), 'utf8');
    let dropped = 0;
    for (let at = 200; at < code.length && dropped < 3; at += 97) {
      const r = await session.complete({ prompt: [code.slice(at - 200, at)], maxTokens: 1, alternatives: 2 });
      assertDistinct(r, `at ${at}`);
      const tried = r.stats.alternativeTokens ?? 0;
      assert.ok(tried >= (r.alternatives?.length ?? 0));
      if (tried > (r.alternatives?.length ?? 0)) dropped++;
    }
    assert.equal(dropped, 3, 'some alternatives were dropped (else dropping is untested)');
  });

  it('ask for 1 and get at most 1; ask for 0 and get no field', async function () {
    const prompt = await model.tokenize(PROMPTS[0]);
    const one = await session.complete({ prompt, maxTokens: 16, alternatives: 1 });
    assert.equal(one.alternatives?.length, 1);
    const two = await coldly({ prompt, maxTokens: 16, alternatives: 2 });
    assert.equal(one.alternatives[0], two.alternatives?.[0], 'the most likely alternative comes first');
    const none = await session.complete({ prompt, maxTokens: 16, alternatives: 0 });
    assert.equal(none.alternatives, undefined);
    assert.equal(none.stats.alternativeTokens, undefined);
  });

  it('leave the KV cache to the greedy tokens: the next request reuses them and gives the text of a cold one', async function () {
    for (const speculation of ['off', 'auto'] as SpeculationMode[]) {
      const prompt = await model.tokenize(PROMPTS[1]);
      await session.reset();
      const plain = await coldly({ prompt, maxTokens: 24, speculation });
      const plainCache = cold.cachedTokens();
      const r = await session.complete({ prompt, maxTokens: 24, alternatives: 2, speculation });
      assert.ok((r.alternatives?.length ?? 0) > 0);
      assert.deepEqual(session.cachedTokens(), plainCache, `${speculation}: the cache differs from a request without alternatives`);

      // typing through the greedy suggestion: its tokens are reused
      const typed = [...prompt, ...r.tokens.slice(0, 6)];
      const next = await session.complete({ prompt: typed, maxTokens: 16, speculation });
      assert.equal(next.stats.reusedTokens, typed.length - 1);
      assert.deepEqual(next.tokens, (await coldly({ prompt: typed, maxTokens: 16 })).tokens);

      // an edit inside the prompt, after another alternatives request
      await session.complete({ prompt: typed, maxTokens: 16, alternatives: 2, speculation });
      const edited = [...prompt.slice(0, prompt.length - 3), ...(await model.tokenize(' count++;\n', { addSpecial: false }))];
      const held = session.cachedTokens();
      assert.deepEqual(held.slice(0, typed.length), typed);
      let common = 0;
      while (common < held.length && held[common] === edited[common]) common++;
      const after = await session.complete({ prompt: edited, maxTokens: 16, speculation });
      assert.equal(after.stats.reusedTokens, Math.min(common, edited.length - 1));
      assert.deepEqual(after.tokens, (await coldly({ prompt: edited, maxTokens: 16 })).tokens);
      assert.equal(plain.text, r.text);
    }
  });

  it('reject anything but a whole number from 0 to 2 with INVALID_ARGUMENT; the session stays usable', async function () {
    const prompt = [PROMPTS[0]];
    for (const alternatives of [-1, 3, 1.5, Number.NaN, Infinity, '1', true]) {
      await assert.rejects(session.complete({ prompt, maxTokens: 4, alternatives: alternatives as number }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'INVALID_ARGUMENT', `alternatives ${String(alternatives)}`);
        assert.match(err.message, /alternatives must be a whole number from 0 to 2/);
        return true;
      });
    }
    const ok = await session.complete({ prompt, maxTokens: 4, alternatives: 2 });
    assert.equal(ok.stats.stopReason, 'maxTokens');
  });

  it('fit in a context that the greedy completion filled: what fits, and the next request is exact', async function () {
    const small = await model.createSession({ contextSize: 48, threads: 1 });
    try {
      const prompt = await model.tokenize(PROMPTS[1]);
      assert.ok(prompt.length < 40, `prompt of ${prompt.length} tokens`);
      const r = await small.complete({ prompt, maxTokens: 48, alternatives: 2 });
      assert.equal(r.stats.stopReason, 'contextFull');
      assertDistinct(r, 'contextFull');
      assert.ok((r.alternatives?.length ?? 0) > 0);
      const reference = await coldly({ prompt, maxTokens: 48 - prompt.length });
      assert.deepEqual(r.tokens.slice(0, reference.tokens.length), reference.tokens);
      const next = await small.complete({ prompt: [...prompt, ...r.tokens.slice(0, 2)], maxTokens: 4 });
      assert.deepEqual(next.tokens, (await coldly({ prompt: [...prompt, ...r.tokens.slice(0, 2)], maxTokens: 4 })).tokens);
    } finally {
      await small.dispose();
    }
  });

  describe('on a model whose forward pass takes measurable time', function () {
    let slowModel: NativeModel;
    let slow: NativeSession;
    before(async function () {
      slowModel = await addon().loadModel(await testModel({ layers: 4, embd: 256, heads: 8, kvHeads: 4, ffn: 1024 }));
      slow = await slowModel.createSession({ contextSize: 1024, threads: 1 });
    });
    after(async () => {
      await slow?.dispose();
      await slowModel?.dispose();
    });

    it('cancelling stops them within a few tokens, the greedy result intact', async function () {
      const prompt = await slowModel.tokenize(PROMPTS[1]); // its alternatives branch early: long ones
      const request = { prompt, maxTokens: 96, alternatives: 2 };
      await slow.reset();
      const full = await slow.complete(request);
      assert.equal(full.stats.stopReason, 'maxTokens');
      const fullTokens = full.stats.alternativeTokens ?? 0;
      assert.ok(fullTokens >= 60, `the alternatives of this prompt are too short to cancel in the middle (${fullTokens} tokens)`);

      // The flag is set once the whole greedy text has streamed: the engine is past the greedy
      // completion by then (it ends on maxTokens, after its last piece), into the alternatives.
      await slow.reset();
      const flag = addon().createCancelFlag();
      let streamed = '';
      const r = await slow.complete(
        {
          ...request,
          onText: (piece) => {
            streamed += piece;
            if (streamed === full.text) flag.cancel();
          },
        },
        flag,
      );
      assert.ok(flag.cancelled, 'the greedy text streamed');
      assert.deepEqual(greedyPart(r), greedyPart(full));
      const tokens = r.stats.alternativeTokens ?? 0;
      assert.ok(tokens < fullTokens / 2, `${tokens} of ${fullTokens} alternative tokens decoded after the cancel`);
      assert.ok((r.alternatives?.length ?? 0) < (full.alternatives?.length ?? 0) || tokens === 0);
      assertDistinct(r, 'cancelled');

      // and the session is exact afterwards
      const again = await slow.complete({ prompt, maxTokens: 8 });
      assert.deepEqual(again.tokens, full.tokens.slice(0, 8));
    });

    it('the time budget covers them: a greedy completion cut by it gets none', async function () {
      const prompt = await slowModel.tokenize(PROMPTS[2]);
      await slow.reset();
      const r = await slow.complete({ prompt, maxTokens: 64, alternatives: 2, timeBudgetMs: 1 });
      assert.equal(r.stats.stopReason, 'timeBudget');
      assert.deepEqual(r.alternatives, []);
      assert.equal(r.stats.alternativeTokens, 0);
    });
  });
});
