// The editing `tandem bench typing` replays: deterministic per seed, made of the files' own lines
// (typing a place to the end gives the file back), bursts labelled by how they begin.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TypingStep, makeTypingWorkload } from '../../extension/bench/typingWorkload';

function sampleFile(name: string): string {
  const lines = [`// ${name}`, `export function ${name}(items) {`, '  let total = 0;'];
  for (let i = 0; i < 150; i++) lines.push(`  const ${name}${i} = items[${i}] * ${i + 1};`);
  lines.push('  return total;', '}');
  return lines.join('\n') + '\n';
}

/** Applies the steps to the files as an editor would (the bench's BenchDocument does the same). */
function replay(files: string[][], steps: TypingStep[]): string[][] {
  let file = 0;
  let line = 0;
  let character = 0;
  for (const step of steps) {
    const lines = files[file];
    if (step.kind === 'place') {
      file = step.file;
      if (step.remove > 0) files[file].splice(step.line, step.remove, '');
      line = step.line;
      character = step.character;
    } else if (step.kind === 'char') {
      lines[line] = lines[line].slice(0, character) + step.text + lines[line].slice(character);
      character += step.text.length;
    } else if (step.kind === 'enter') {
      lines.splice(line, 1, lines[line].slice(0, character), lines[line].slice(character));
      line++;
      character = 0;
    } else {
      lines[line] = lines[line].slice(0, character - 1) + lines[line].slice(character);
      character--;
    }
  }
  return files;
}

describe('typing bench workload', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-typing-'));
    fs.mkdirSync(path.join(dir, 'pkg'));
    for (const name of ['alpha', 'beta', 'gamma']) fs.writeFileSync(path.join(dir, 'pkg', `${name}.js`), sampleFile(name));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is the same for the same seed, and another for another', () => {
    const a = makeTypingWorkload({ sources: [dir], seed: 4, bursts: 10 });
    assert.deepEqual(makeTypingWorkload({ sources: [dir], seed: 4, bursts: 10 }), a);
    assert.notDeepEqual(makeTypingWorkload({ sources: [dir], seed: 5, bursts: 10 }).steps, a.steps);
    assert.equal(a.files.length, 3);
    assert.equal(a.steps.filter((s) => s.kind === 'place').length, 10);
    assert.equal(a.keystrokes, a.steps.filter((s) => s.kind !== 'place').length);
  });

  it("types the files' own lines: places typed to the end give the file back; typos are fixed", () => {
    const w = makeTypingWorkload({ sources: [dir], seed: 2, bursts: 40, typoRate: 0.05 });
    assert.ok(w.steps.some((s) => s.kind === 'backspace'));
    const after = replay(
      w.files.map((f) => f.text.split('\n')),
      w.steps,
    );
    for (const [i, f] of w.files.entries()) {
      const original = f.text.split('\n');
      // every line now in the file is one of its lines or the empty line of a place left unfinished
      for (const line of after[i]) assert.ok(line === '' || original.includes(line), `${JSON.stringify(line)} is not a line of ${f.path}`);
    }
  });

  it("labels bursts: a file's first place is open, a new place is jump, going back to a left-off place is switch", () => {
    const w = makeTypingWorkload({ sources: [dir], seed: 3, bursts: 30 });
    const places = w.steps.filter((s): s is Extract<TypingStep, { kind: 'place' }> => s.kind === 'place');
    const seen = new Set<number>();
    for (const p of places) {
      if (p.start === 'open') assert.ok(!seen.has(p.file), 'open only the first time');
      else assert.ok(seen.has(p.file), `${p.start} into a file seen before`);
      if (p.start === 'switch') assert.equal(p.remove, 0, 'a switch goes back where the user left off');
      else assert.ok(p.remove >= 3, 'a new place takes out the lines to be typed');
      seen.add(p.file);
    }
    assert.deepEqual([...new Set(places.map((p) => p.start))].sort(), ['jump', 'open', 'switch']);
  });
});
