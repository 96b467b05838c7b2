import * as assert from 'node:assert/strict';
import { DocumentSync, OutgoingDocument } from '../../extension/engine/documentSync';
import { MAX_DOCUMENT_TEXT_CHARS } from '../../extension/engine/protocol';

describe('DocumentSync', () => {
  it('sends a text once per version, reads it lazily, forgets unlisted documents, and starts over for a new process', () => {
    const sync = new DocumentSync();
    let reads = 0;
    const doc = (version: number): OutgoingDocument => ({
      id: 'a',
      version,
      source: 'otherFile',
      readText: () => (reads++, 'x'.repeat(10)),
    });
    assert.equal(sync.sync([doc(1)])[0].text?.length, 10);
    assert.deepEqual(sync.sync([doc(1)]), [{ id: 'a', version: 1, source: 'otherFile' }]);
    assert.equal(reads, 1);
    sync.sync([doc(2)]);
    sync.sync([]);
    assert.equal(sync.sync([doc(2)])[0].text?.length, 10, 'dropped by the host when unlisted: sent again');
    assert.equal(sync.bytesSent, 30);
    sync.reset();
    assert.equal(sync.bytesSent, 0);
    assert.equal(sync.sync([doc(2)])[0].text?.length, 10);
  });

  it('sends well-formed text, no more than the engine reads', () => {
    const sync = new DocumentSync();
    const [big, broken] = sync.sync([
      { id: 'big', version: 1, source: 'otherFile', text: 'y'.repeat(MAX_DOCUMENT_TEXT_CHARS + 5) },
      { id: 'broken', version: 1, source: 'clipboard', text: 'a\ud800b' },
    ]);
    assert.equal(big.text?.length, MAX_DOCUMENT_TEXT_CHARS);
    assert.equal(broken.text, 'a\ufffdb');
  });
});
