// Where suggestions live between keystrokes (suggestionStore.ts): anchors (anchorOf, typedSince),
// the cache of finished suggestions (SuggestionCache) and the running one (Generation).
import * as assert from 'node:assert/strict';
import {
  ANCHOR_CHARS,
  AnchorContext,
  CachedSuggestion,
  Generation,
  MAX_TYPED_CHARS,
  SUFFIX_KEY_CHARS,
  SuggestionCache,
  anchorOf,
  firstCompleteLine,
  typedSince,
} from '../../extension/completion/suggestionStore';

const at = (prefix: string, suffix = '\n}\n', documentId = 'a', prefixAtDocumentStart = true): AnchorContext => ({
  documentId,
  prefix,
  suffix,
  prefixAtDocumentStart,
});
const suggestion = (context: AnchorContext, text: string, multiline = false): CachedSuggestion => ({
  ...anchorOf(context),
  text,
  multiline,
});
const long = 'x'.repeat(ANCHOR_CHARS * 3);

describe('suggestion anchors: anchorOf and typedSince', () => {
  it('near the start of a document the anchor is the whole prefix; further down its last ANCHOR_CHARS', () => {
    const near = anchorOf(at('const a = '));
    assert.deepEqual([near.anchor, near.anchorAtStart], ['const a = ', true]);
    const far = anchorOf(at(`${long}const a = `, '\n', 'a', false));
    assert.equal(far.anchorAtStart, false);
    assert.equal(far.anchor, `${long}const a = `.slice(-ANCHOR_CHARS));
    const longFromStart = anchorOf(at(`${long}const a = `));
    assert.deepEqual([longFromStart.anchor, longFromStart.anchorAtStart], [far.anchor, false], 'a prefix from the start, but a long one');
    assert.equal(anchorOf(at('x', 'y'.repeat(SUFFIX_KEY_CHARS * 2))).suffixKey.length, SUFFIX_KEY_CHARS);
    assert.equal(anchorOf(at('const a = '), '42').anchor, 'const a = 42', 'with text typed after it (a prefetch)');
  });

  it('what was typed since the anchor', () => {
    const anchor = anchorOf(at('const a = '));
    assert.equal(typedSince(anchor, at('const a = ')), '');
    assert.equal(typedSince(anchor, at('const a = 4')), '4');
    assert.equal(typedSince(anchor, at('const a = fetch(')), 'fetch(');
    const far = anchorOf(at(`${long}let b = `, '\n', 'a', false));
    assert.equal(typedSince(far, at(`${long}let b = [1,`, '\n', 'a', false)), '[1,');
  });

  it('elsewhere: another document, another suffix, text changed before the cursor, or too much typed', () => {
    const anchor = anchorOf(at('const a = '));
    assert.equal(typedSince(anchor, at('const a = 4', '\n}\n', 'b')), undefined, 'another document');
    assert.equal(typedSince(anchor, at('const a = 4', '\nfoo()\n')), undefined, 'the code after the cursor changed');
    assert.equal(typedSince(anchor, at('const b = 4')), undefined, 'an edit before the anchor');
    assert.equal(typedSince(anchor, at('const a')), undefined, 'deleted back into the anchor');
    assert.equal(typedSince(anchor, at(`const a = ${'y'.repeat(MAX_TYPED_CHARS + 1)}`)), undefined, 'too much typed');
    const far = anchorOf(at(`${long}let b = `, '\n', 'a', false));
    assert.equal(typedSince(far, at(`${long}let b = ${'y'.repeat(MAX_TYPED_CHARS + 1)}`, '\n', 'a', false)), undefined);
  });
});

describe('SuggestionCache', () => {
  it('serves what remains of a suggestion the user types through', () => {
    const cache = new SuggestionCache();
    cache.add(suggestion(at('const a = '), 'fetch(url);'));
    const hit = cache.lookup(at('const a = fet'));
    assert.deepEqual([hit?.typed, hit?.rest], ['fet', 'ch(url);']);
    assert.equal(cache.lookup(at('const a = fax')), undefined, 'typed something else');
    assert.equal(cache.lookup(at('const a = fetch(url);')), undefined, 'typed all of it: nothing left to show');
    assert.equal(cache.lookup(at('const a = fet', '\n', 'b')), undefined, 'another document');
  });

  it('the most recent suggestion wins; one per anchor', () => {
    const cache = new SuggestionCache();
    cache.add(suggestion(at('x = '), 'old'));
    cache.add(suggestion(at('x = '), 'new'));
    assert.equal(cache.size, 1);
    assert.equal(cache.lookup(at('x = '))?.rest, 'new');
    cache.add(suggestion(at('x = n'), 'ewer'));
    assert.equal(cache.lookup(at('x = n'))?.rest, 'ewer', 'newest first');
    assert.equal(cache.size, 2);
  });

  it('is bounded, dropping the oldest; forgets a document', () => {
    const cache = new SuggestionCache(3);
    for (let i = 0; i < 5; i++) cache.add(suggestion(at(`v${i} = `), `${i};`));
    assert.equal(cache.size, 3);
    assert.equal(cache.lookup(at('v0 = ')), undefined);
    assert.equal(cache.lookup(at('v4 = '))?.rest, '4;');
    cache.add(suggestion(at('w = ', '\n', 'b'), '1;'));
    cache.forgetDocument('a');
    assert.equal(cache.size, 1);
    assert.equal(cache.lookup(at('w = ', '\n', 'b'))?.rest, '1;');
  });
});

describe('Generation', () => {
  it('grows with streamed pieces and wakes its waiters on each change', async () => {
    const generation = new Generation(anchorOf(at('x = ')), true, false, 5);
    assert.deepEqual([generation.startedAt, generation.keepAlive, generation.done], [5, false, false]);
    const signal = new AbortController().signal;
    const woken = generation.changed(signal);
    generation.append('ab');
    await woken;
    generation.append('c');
    assert.equal(generation.text, 'abc');
    const finished = generation.changed(signal);
    generation.finish('abcd', {
      promptTokens: 1,
      reusedTokens: 0,
      prefillMs: 0,
      generatedTokens: 4,
      decodeMs: 0,
      firstTokenMs: 0,
      stopReason: 'maxTokens',
    });
    await finished;
    assert.deepEqual([generation.text, generation.done, generation.stats?.generatedTokens], ['abcd', true, 4]);
    await generation.changed(signal); // done: resolves at once
  });

  it('a failure ends it; an aborted waiter stops waiting; a prefetch keeps running unwatched', async () => {
    const generation = new Generation(anchorOf(at('x = ')), false, false, 0);
    const abort = new AbortController();
    const waiting = generation.changed(abort.signal);
    abort.abort();
    await waiting;
    assert.equal(generation.done, false, 'the waiter gave up, the generation did not');
    const failing = generation.changed(new AbortController().signal);
    generation.fail(new Error('engine gone'));
    await failing;
    assert.deepEqual([generation.done, generation.failed?.message], [true, 'engine gone']);
    assert.equal(new Generation(anchorOf(at('y = ')), true, true, 0).keepAlive, true);
  });
});

describe('firstCompleteLine', () => {
  it('the leading lines up to the first complete non-blank one', () => {
    assert.equal(firstCompleteLine('abc'), undefined, 'still being written');
    assert.equal(firstCompleteLine('abc\ndef'), 'abc');
    assert.equal(firstCompleteLine('\n  \n  return 1;\n  }'), '\n  \n  return 1;');
    assert.equal(firstCompleteLine('\n  \n'), undefined);
  });
});
