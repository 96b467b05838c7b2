import * as assert from 'node:assert/strict';
import { AnchorBudgets, PromptAnchors, WINDOW_FILL } from '../../extension/context/promptAnchor';
import { estimateTokens } from '../../extension/context/tokenEstimate';

/** A document with a cursor, edited the way a user types. */
class Editor {
  lines: string[];
  line: number;
  character: number;

  /** `text` holds one `█`: the cursor. */
  constructor(text: string) {
    const at = text.indexOf('█');
    const before = text.slice(0, at).split('\n');
    this.lines = (text.slice(0, at) + text.slice(at + 1)).split('\n');
    this.line = before.length - 1;
    this.character = before[before.length - 1].length;
  }
  get lineCount() {
    return this.lines.length;
  }
  lineText(line: number) {
    return this.lines[line];
  }
  type(text: string) {
    for (const ch of text) {
      const l = this.lines[this.line];
      if (ch === '\n') {
        this.lines.splice(this.line, 1, l.slice(0, this.character), l.slice(this.character));
        this.line++;
        this.character = 0;
      } else {
        this.lines[this.line] = l.slice(0, this.character) + ch + l.slice(this.character);
        this.character++;
      }
    }
  }
  backspace() {
    const l = this.lines[this.line];
    if (this.character > 0) {
      this.lines[this.line] = l.slice(0, this.character - 1) + l.slice(this.character);
      this.character--;
    } else {
      this.character = this.lines[this.line - 1].length;
      this.lines.splice(this.line - 1, 2, this.lines[this.line - 1] + l);
      this.line--;
    }
  }
  moveTo(line: number, character: number) {
    this.line = line;
    this.character = character;
  }
  /** Inserts a line at `line` without moving the cursor's place in the text. */
  insertLine(line: number, text: string) {
    this.lines.splice(line, 0, text);
    if (line <= this.line) this.line++;
  }
}

const BIG: AnchorBudgets = { prefixTokens: 4000, suffixTokens: 1000, contextTokens: 0, middleTokens: 200 };
const body = Array.from({ length: 30 }, (_, i) => `  const v${i} = compute(${i}, "value ${i}");`).join('\n');
const source = `function main() {\n${body}\n  █\n  return v0;\n}\n`;
const place = (anchors: PromptAnchors, e: Editor, budgets = BIG, cold?: AnchorBudgets) =>
  anchors.place('doc', e, e.line, e.character, budgets, cold);
const fullText = (e: Editor) => e.lines.join('\n');
const cursorOffset = (e: Editor) => e.lines.slice(0, e.line).join('\n').length + (e.line > 0 ? 1 : 0) + e.character;

describe('prompt anchors', () => {
  it('first use: the anchor is the cursor line start; prefix + middle + suffix are the text around the cursor', () => {
    const e = new Editor(source);
    const a = place(new PromptAnchors(), e);
    assert.equal(a.change, 'new');
    assert.equal(a.anchorLine, 31);
    assert.equal(a.middle, '  ');
    assert.equal(a.prefix + a.middle, fullText(e).slice(0, cursorOffset(e)));
    assert.equal(a.suffix, fullText(e).slice(cursorOffset(e)));
  });

  it('typing forward — characters, Enter, Backspace — keeps the anchor, the prefix and the suffix', () => {
    const anchors = new PromptAnchors();
    const e = new Editor(source);
    const first = place(anchors, e);
    const steps: (() => void)[] = [
      () => e.type('c'),
      () => e.type('onst total = v1'),
      () => e.backspace(),
      () => e.type('2 + v3;'),
      () => e.type('\n  '),
      () => e.type('if (total'),
      () => e.backspace(),
      () => e.backspace(),
      () => e.type('l > 3) {'),
      () => e.type('\n    log(total);\n  }'),
      () => e.backspace(),
    ];
    for (const step of steps) {
      step();
      const a = place(anchors, e);
      assert.equal(a.change, 'kept', `after ${JSON.stringify(a.middle)}`);
      assert.equal(a.prefix, first.prefix);
      assert.equal(a.suffix, first.suffix);
      assert.equal(a.prefix + a.middle, fullText(e).slice(0, cursorOffset(e)));
    }
  });

  it('moves on a jump before it, an edit before it and a change after the cursor — keeping the window when its code is intact', () => {
    const anchors = new PromptAnchors();
    const e = new Editor(source);
    const first = place(anchors, e);
    e.type('x');
    e.moveTo(10, 2); // a click higher up: the code from the window start to there is unchanged
    const jump = place(anchors, e);
    assert.equal(jump.change, 'moved');
    assert.equal(jump.reason, 'jump');
    assert.equal(jump.window, first.window);
    assert.equal(jump.anchorLine, 10);
    assert.ok(first.prefix.startsWith(jump.prefix));

    e.lines[10] = `${e.lines[10]} // edited after the cursor`;
    const changed = place(anchors, e);
    assert.equal(changed.change, 'moved');
    assert.equal(changed.reason, 'suffixChanged');
    assert.equal(changed.window, first.window);

    e.insertLine(3, '  // a line added above the anchor');
    const edited = place(anchors, e);
    assert.equal(edited.change, 'window');
    assert.equal(edited.reason, 'editBefore');
    assert.notEqual(edited.window, first.window);
    assert.equal(edited.prefix + edited.middle, fullText(e).slice(0, cursorOffset(e)));
  });

  it('moves to the cursor line once the written middle passes its limit, in the same window', () => {
    const anchors = new PromptAnchors();
    const e = new Editor(source);
    const budgets = { ...BIG, middleTokens: 30 };
    const first = place(anchors, e, budgets);
    let moved;
    for (let i = 0; i < 20 && !moved; i++) {
      e.type(`const w${i} = v${i} * 2;\n  `);
      const a = place(anchors, e, budgets);
      if (a.change !== 'kept') moved = a;
      else assert.ok(estimateTokens(a.middle) <= 30);
    }
    assert.ok(moved, 'the anchor moved');
    assert.equal(moved.change, 'moved');
    assert.equal(moved.reason, 'middleLimit');
    assert.equal(moved.window, first.window);
    assert.equal(moved.anchorLine, e.line);
    assert.ok(moved.prefix.startsWith(first.prefix)); // the engine re-uses the KV up to the old anchor
  });

  it('the window start moves only when the prefix outgrows its limit, and then far (hysteresis)', () => {
    const anchors = new PromptAnchors();
    const e = new Editor(source);
    const budgets: AnchorBudgets = { prefixTokens: 300, suffixTokens: 50, contextTokens: 0, middleTokens: 20 };
    const starts: number[] = [];
    for (let i = 0; i < 60; i++) {
      e.type(`const w${i} = v${i % 30} * 2;\n  `);
      const a = place(anchors, e, budgets);
      assert.ok(estimateTokens(a.prefix) <= 300, 'the prefix stays within its limit');
      if (starts[starts.length - 1] !== a.window.startLine) starts.push(a.window.startLine);
    }
    const moves = starts.length - 1;
    assert.ok(moves >= 1 && moves <= 4, `the window moved ${moves} times in 60 lines: ${starts.join(', ')}`);
    for (let i = 1; i < starts.length; i++) assert.ok(starts[i] - starts[i - 1] >= 5, `a move of ${starts[i] - starts[i - 1]} lines`);
  });

  it('moves in the same window only when that re-reads no more than a new cold window would', () => {
    const cold: AnchorBudgets = { prefixTokens: 60, suffixTokens: 10, contextTokens: 0, middleTokens: 200 };
    const anchors = new PromptAnchors();
    const e = new Editor(source);
    e.moveTo(5, 2);
    const first = place(anchors, e, BIG, cold);
    e.moveTo(6, 2); // a line down: re-reads one line and the short suffix
    assert.equal(place(anchors, e, BIG, cold).change, 'moved');
    e.moveTo(25, 2); // far down: re-reading 19 lines costs more than a cold window
    const far = place(anchors, e, BIG, cold);
    assert.equal(far.change, 'window');
    assert.notEqual(far.window, first.window);
    const roomy = new PromptAnchors(); // on a machine that prefills the full budgets in time
    e.moveTo(5, 2);
    place(roomy, e);
    e.moveTo(25, 2);
    assert.equal(place(roomy, e).change, 'moved');
  });

  it('a new window made with cold budgets is cut down to them, and keeps the full limit to grow into', () => {
    const e = new Editor(source);
    const cold: AnchorBudgets = { prefixTokens: 40, suffixTokens: 10, contextTokens: 5, middleTokens: 200 };
    const a = place(new PromptAnchors(), e, { ...BIG, contextTokens: 100 }, cold);
    assert.equal(a.window.reduced, true);
    assert.ok(estimateTokens(a.prefix) <= 40);
    assert.ok(estimateTokens(a.suffix) <= 10 + 2);
    assert.equal(a.window.contextTokens, 5);
    assert.equal(a.window.prefixLimit, BIG.prefixTokens);
    const full = place(new PromptAnchors(), e);
    assert.equal(full.window.reduced, false);
    assert.ok(estimateTokens(full.prefix) <= BIG.prefixTokens * WINDOW_FILL);
  });

  it('plan() changes nothing until apply(); apply() of a stale plan is refused; planFresh() makes a full window', () => {
    const anchors = new PromptAnchors();
    const e = new Editor(source);
    const cold: AnchorBudgets = { prefixTokens: 40, suffixTokens: 10, contextTokens: 0, middleTokens: 200 };
    place(anchors, e, BIG, cold);
    const fresh = anchors.planFresh('doc', e, e.line, e.character, BIG);
    assert.equal(fresh.text.window.reduced, false);
    assert.equal(anchors.anchorOf('doc')?.window.reduced, true, 'not applied yet');
    e.type('y');
    place(anchors, e, BIG, cold); // kept: the same anchor, so the fresh plan still applies
    assert.equal(fresh.apply(), true);
    assert.equal(anchors.anchorOf('doc')?.window, fresh.text.window);
    const stale = anchors.planFresh('doc', e, e.line, e.character, BIG);
    e.moveTo(2, 0);
    place(anchors, e);
    assert.equal(stale.apply(), false);
  });

  it('forget() drops a document: its next prompt starts anew', () => {
    const anchors = new PromptAnchors();
    const e = new Editor(source);
    place(anchors, e);
    anchors.forget('doc');
    assert.equal(place(anchors, e).change, 'new');
  });
});
