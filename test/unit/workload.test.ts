import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cursorLines, makeWorkload, prng } from '../../extension/bench/workload';

function sampleFile(name: string, body: string[]): string {
  const lines = [`// ${name}`, `export function ${name}(items) {`];
  for (let i = 0; i < 60; i++) lines.push(...body.map((b) => `  ${b.replace('$i', String(i))}`));
  lines.push('}');
  return lines.join('\n') + '\n';
}

describe('benchmark workload', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-workload-'));
    fs.mkdirSync(path.join(dir, 'pkg'));
    fs.writeFileSync(path.join(dir, 'pkg', 'a.js'), sampleFile('alpha', ['const v$i = items[$i] * 2;', 'total += v$i;']));
    fs.writeFileSync(path.join(dir, 'pkg', 'b.js'), sampleFile('beta', ['if (items.length > $i) {', '  count++;', '}']));
    fs.writeFileSync(path.join(dir, 'pkg', 'min.js'), 'x'.repeat(3000)); // one long line: generated
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prng is deterministic per seed', () => {
    const a = prng(7),
      b = prng(7),
      c = prng(8);
    const sa = [a(), a(), a()],
      sb = [b(), b(), b()],
      sc = [c(), c(), c()];
    assert.deepEqual(sa, sb);
    assert.notDeepEqual(sa, sc);
    assert.ok(sa.every((x) => x >= 0 && x < 1));
  });

  it('cursor lines are indented code lines after code, never comments or blank lines', () => {
    const lines = ['function f() {', '  const a = 1;', '', '  // note', '  return a;', '}', 'x'];
    assert.deepEqual(cursorLines(lines, 1), [1, 4]);
  });

  it('cuts the reference out between prefix and suffix, with sibling files as context', () => {
    const traces = makeWorkload({ sources: [dir], seed: 3, count: 10, prefixChars: 1e9, suffixChars: 1e9 });
    assert.equal(traces.length, 10);
    for (const t of traces) {
      const original = fs.readFileSync(path.join(dir, t.file), 'utf8');
      assert.equal(t.prefix + t.reference + t.suffix, original);
      assert.equal(t.reference.split('\n').length, 5); // 4 lines + trailing newline
      assert.ok(!t.file.endsWith('min.js'));
      assert.ok(t.context.length === 1 && t.context[0].file !== t.file);
      assert.ok(t.overlap >= 0 && t.overlap <= 1);
    }
  });

  it('gives the same traces for the same seed and different ones for another', () => {
    const key = (s: number) => makeWorkload({ sources: [dir], seed: s, count: 5 }).map((t) => `${t.file}:${t.line}`);
    assert.deepEqual(key(11), key(11));
    assert.notDeepEqual(key(11), key(12));
  });

  it('says clearly when there is nothing to cut traces from', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-empty-'));
    try {
      assert.throws(() => makeWorkload({ sources: [empty] }), /no source files/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
