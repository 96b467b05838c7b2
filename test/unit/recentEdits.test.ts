// The recent-edits ring (recentEdits.ts): places the user edited lately, as context sources.
import * as assert from 'node:assert/strict';
import { RecentEdits } from '../../extension/context/recentEdits';

describe('recent edits ring', () => {
  it('merges nearby edits, keeps the newest first, bounded, and skips what the prompt has', () => {
    const ring = new RecentEdits({ capacity: 3, radius: 2 });
    ring.record('a', 'a.ts', 10);
    ring.record('a', 'a.ts', 11); // merges with line 10
    ring.record('b', 'b.ts', 5);
    ring.record('c', 'c.ts', 1);
    ring.record('d', 'd.ts', 1);
    assert.deepEqual(
      ring.list().map((e) => e.documentId),
      ['d', 'c', 'b'],
    );
    const read: string[] = [];
    const sources = ring.sources((id, from, to) => (read.push(`${id}:${from}-${to}`), `${id} text`), {
      documentId: 'd',
      firstLine: 0,
      lastLine: 20,
    });
    assert.deepEqual(
      sources.map((s) => s.path),
      ['c.ts', 'b.ts'],
    );
    assert.deepEqual(read, [], 'text is read lazily');
    assert.equal(sources[1].text(), 'b text');
    assert.deepEqual(read, ['b:3-7']);
  });

  it('the version of edits elsewhere does not change while typing in one place', () => {
    const ring = new RecentEdits();
    ring.record('other', 'o.ts', 40);
    const here = { documentId: 'cur', firstLine: 0, lastLine: 100 };
    ring.record('cur', 'c.ts', 50);
    const v1 = ring.outside(here).version;
    ring.record('cur', 'c.ts', 50);
    ring.record('cur', 'c.ts', 51);
    assert.equal(ring.outside(here).version, v1);
    ring.record('other', 'o.ts', 400);
    assert.notEqual(ring.outside(here).version, v1);
  });
});
