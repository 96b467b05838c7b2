// A document the typing benches edit: lines, a cursor and a version, as VS Code keeps them, and
// the replay of one typing step (typingWorkload.ts) on it, and the context the extension would add
// from the other open documents. Used by `bench typing` and `bench server`.
import type { DocumentView } from '../completion/cursorContextReader';
import { ChunkIndex, ChunkSource, chunksForCursor } from '../context/contextChunks';
import type { CursorWindow } from '../context/cursorWindow';
import type { OutgoingDocument } from '../engine/client';
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

/** The extension's context for `document`: chunks of the other open documents and the draft
 *  documents (its own snapshot, the others), as WorkspaceContext.forCursor gives them. */
export function benchSources(document: BenchDocument, open: readonly BenchDocument[], chunkIndex: ChunkIndex) {
  const others = open.filter((d) => d !== document);
  const chunkSources: ChunkSource[] = others.map((d) => ({
    id: d.id,
    version: d.version,
    path: d.path,
    source: 'otherFile',
    text: () => d.text(),
  }));
  return (window: CursorWindow, contextTokens: number) => ({
    path: document.path,
    repoName: 'bench',
    chunks: () => chunksForCursor(chunkIndex, window, chunkSources, contextTokens),
    documents: (): OutgoingDocument[] => [
      { id: `${document.id}#snapshot`, version: document.snapshot.version, source: 'sameFile', readText: () => document.snapshot.text },
      ...others.map((d): OutgoingDocument => ({ id: d.id, version: d.version, source: 'otherFile', readText: () => d.text() })),
    ],
  });
}
