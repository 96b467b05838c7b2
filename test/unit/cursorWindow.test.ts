// The cursor window (cursorWindow.ts): the text around the cursor, read line by line.
import * as assert from 'node:assert/strict';
import { readCursorWindow } from '../../extension/context/cursorWindow';

const lines = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i)).join('\n');

describe('cursor window', () => {
  it('reads the cursor window line by line, keeping the whole cursor line', () => {
    const doc = lines(5000, (i) => `line ${i} of the file with some words`);
    const all = doc.split('\n');
    let reads = 0;
    const source = { lineCount: all.length, lineText: (l: number) => (reads++, all[l]) };
    const w = readCursorWindow(source, 2500, 4, 200, 50);
    assert.equal(w.linePrefix, 'line');
    assert.equal(w.lineSuffix, ' 2500 of the file with some words');
    assert.ok(w.prefix.endsWith('line 2499 of the file with some words\nline'));
    assert.ok(w.suffix.startsWith(' 2500 of the file') && w.suffix.includes('line 2501'));
    assert.ok(reads < 200, `read ${reads} lines, not the whole document`);
    assert.equal(w.prefixAtDocumentStart, false);
    const top = readCursorWindow(source, 1, 0, 200, 50);
    assert.equal(top.prefixAtDocumentStart, true);
    assert.equal(top.prefix, 'line 0 of the file with some words\n');
  });
});
