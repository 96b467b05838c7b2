import * as assert from 'node:assert/strict';
import { wellFormed } from '../../extension/common/wellFormed';

describe('wellFormed', () => {
  it('replaces lone surrogates with U+FFFD and keeps pairs and everything else', () => {
    assert.equal(wellFormed('a\uD83D'), 'a\uFFFD');
    assert.equal(wellFormed('\uDE00b'), '\uFFFDb');
    assert.equal(wellFormed('x\uDE00\uD83Dy'), 'x\uFFFD\uFFFDy'); // reversed: two lone halves
    assert.equal(wellFormed('ok 😀 é'), 'ok 😀 é');
    const plain = 'no surrogates at all';
    assert.equal(wellFormed(plain), plain);
  });
});
