// The engine host's draft-document store on its own: texts kept while referenced, filled in for a
// session that lacks a version, stripped where it has it.
import * as assert from 'node:assert/strict';
import { DocumentStore, SessionDocuments } from '../../extension/engine/documentStore';
import type { ContextDocument } from '../../extension/engine/native';
import { MAX_DOCUMENT_TEXT_CHARS } from '../../extension/engine/protocol';

const doc = (id: string, version: number, text?: string): ContextDocument =>
  text === undefined ? { id, version, source: 'otherFile' } : { id, version, source: 'otherFile', text };

function setup() {
  const sessions = [new SessionDocuments(), new SessionDocuments()];
  const store = new DocumentStore(() => sessions);
  /** Runs a request on a session; returns the documents the native session was given. */
  const run = async (session: SessionDocuments, listed: ContextDocument[], missing: string[] = []) => {
    let given: ContextDocument[] | undefined;
    await store.runOn(
      session,
      listed,
      async (documents) => {
        given = documents;
        return missing;
      },
      (m) => m,
    );
    return given;
  };
  return { sessions, store, run };
}

describe('DocumentStore', () => {
  it('fills in text a session lacks, strips text it has, and gives another session the stored text', async () => {
    const {
      sessions: [a, b],
      store,
      run,
    } = setup();
    const ids = store.receive([doc('x', 1, 'X1')]);
    assert.deepEqual(await run(a, [doc('x', 1, 'X1')]), [doc('x', 1, 'X1')]);
    store.release(ids);
    assert.deepEqual(await run(a, [doc('x', 1)]), [doc('x', 1)], 'the session has it');
    assert.deepEqual(await run(b, [doc('x', 1)]), [doc('x', 1, 'X1')], 'the other session gets the stored text');
  });

  it('a newer stored version wins over an older one listed; a document reported missing gets its text again', async () => {
    const {
      sessions: [a],
      store,
      run,
    } = setup();
    store.receive([doc('x', 1, 'X1')]);
    await run(a, [doc('x', 1, 'X1')]);
    store.receive([doc('x', 2, 'X2')]); // a later request, not run yet
    assert.deepEqual(await run(a, [doc('x', 1)]), [doc('x', 2, 'X2')]);
    await run(a, [doc('x', 2)], ['x']);
    assert.deepEqual(await run(a, [doc('x', 2)]), [doc('x', 2, 'X2')]);
  });

  it('keeps a text while a pending request refers to it or a session lists it, then drops it', async () => {
    const {
      sessions: [a, b],
      store,
      run,
    } = setup();
    const first = store.receive([doc('x', 1, 'X1')]);
    const second = store.receive([doc('x', 1)]);
    store.release(first);
    assert.deepEqual(store.ids(), ['x'], 'still referenced by a pending request');
    await run(b, [doc('x', 1)]);
    store.release(second);
    assert.deepEqual(store.ids(), ['x'], 'session b lists it');
    await run(b, []);
    assert.deepEqual(store.ids(), [], 'nobody lists it any more');
    assert.equal(a.given.size, 0);
  });

  it('a failed request leaves the session with nothing known (everything is sent next time)', async () => {
    const {
      sessions: [a],
      store,
      run,
    } = setup();
    store.receive([doc('x', 1, 'X1')]);
    await run(a, [doc('x', 1)]);
    await assert.rejects(
      store.runOn(
        a,
        [doc('x', 1)],
        async () => {
          throw new Error('native failure');
        },
        () => [],
      ),
    );
    assert.deepEqual(await run(a, [doc('x', 1)]), [doc('x', 1, 'X1')]);
  });

  it('keeps no more text than the engine reads', () => {
    const { store } = setup();
    const big = doc('x', 1, 'y'.repeat(MAX_DOCUMENT_TEXT_CHARS + 10));
    store.receive([big]);
    assert.equal(big.text?.length, MAX_DOCUMENT_TEXT_CHARS);
  });
});
