// A document the typing benches edit: lines, a cursor and a version, as VS Code keeps them, and
// the replay of one typing step (typingWorkload.ts) on it. Used by `bench typing` and `bench server`.
import type { DocumentView } from '../completion/cursorContextReader';
import type { TypingStep } from './typingWorkload';

/** A document being edited. */
export class BenchDocument implements DocumentView {
  version = 1;
  line = 0;
  character = 0;
  /** version of the last snapshot sent as the 'sameFile' draft document */
  snapshot = { version: 1, text: '' };

  constructor(
    readonly id: string,
    readonly path: string,
    readonly languageId: string,
    public lines: string[],
  ) {
    this.snapshot.text = this.text();
  }
  get lineCount() {
    return this.lines.length;
  }
  lineText(line: number) {
    return this.lines[line];
  }
  text() {
    return this.lines.join('\n');
  }

  apply(step: TypingStep): void {
    const l = this.lines[this.line];
    switch (step.kind) {
      case 'place':
        if (step.remove > 0) this.lines.splice(step.line, step.remove, '');
        this.line = step.line;
        this.character = step.character;
        break;
      case 'char':
        this.lines[this.line] = l.slice(0, this.character) + step.text + l.slice(this.character);
        this.character += step.text.length;
        break;
      case 'enter':
        this.lines.splice(this.line, 1, l.slice(0, this.character), l.slice(this.character));
        this.line++;
        this.character = 0;
        break;
      case 'backspace':
        if (this.character > 0) {
          this.lines[this.line] = l.slice(0, this.character - 1) + l.slice(this.character);
          this.character--;
        }
        break;
    }
    if (step.kind !== 'place' || step.remove > 0) this.version++;
  }
}
