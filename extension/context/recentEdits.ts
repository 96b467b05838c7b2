// A small ring of places the user edited recently (any file), as llama.vscode keeps one: the
// lines around each edit become prompt context and a draft source. Recording an edit only notes
// where it was; the text is read when a prompt is built, and only for entries that changed.
import type { ChunkSource } from './contextChunks';

export interface RecentEdit {
  documentId: string;
  path: string;
  line: number;
  /** Bumped each time the same place is edited again (the chunk index re-reads it then). */
  version: number;
}

export interface RecentEditsOptions {
  capacity: number;
  /** Lines above and below an edit that belong to it (edits closer than this merge). */
  radius: number;
}

export const DEFAULT_RECENT_EDITS: RecentEditsOptions = { capacity: 16, radius: 8 };

export class RecentEdits {
  private entries: RecentEdit[] = [];
  private nextVersion = 1;

  constructor(private readonly options: RecentEditsOptions = DEFAULT_RECENT_EDITS) {}

  /** An edit at `line` of a document. */
  record(documentId: string, path: string, line: number): void {
    const at = this.entries.findIndex((e) => e.documentId === documentId && Math.abs(e.line - line) <= this.options.radius);
    if (at >= 0) this.entries.splice(at, 1);
    this.entries.unshift({ documentId, path, line, version: this.nextVersion++ });
    if (this.entries.length > this.options.capacity) this.entries.length = this.options.capacity;
  }

  forgetDocument(documentId: string): void {
    this.entries = this.entries.filter((e) => e.documentId !== documentId);
  }

  /** Most recent first. */
  list(): readonly RecentEdit[] {
    return this.entries;
  }

  /** Chunk sources for the entries, except those inside `exclude` (the lines already in the
   *  prompt). `readLines` returns the text of lines [from, to] of a document, or undefined. */
  sources(
    readLines: (documentId: string, from: number, to: number) => string | undefined,
    exclude?: { documentId: string; firstLine: number; lastLine: number },
  ): ChunkSource[] {
    const r = this.options.radius;
    const out: ChunkSource[] = [];
    for (const edit of this.outside(exclude).edits) {
      out.push({
        id: `edit:${edit.documentId}:${edit.version}`,
        version: edit.version,
        path: edit.path,
        source: 'recentEdit',
        text: () => readLines(edit.documentId, Math.max(0, edit.line - r), edit.line + r) ?? '',
      });
    }
    return out;
  }

  /** Edits outside `exclude`, and a version that changes only when one of those does — so
   *  typing in one place does not change the draft document of the other places. */
  outside(exclude?: { documentId: string; firstLine: number; lastLine: number }): { edits: RecentEdit[]; version: number } {
    const r = this.options.radius;
    const edits = this.entries.filter(
      (edit) =>
        !(exclude && edit.documentId === exclude.documentId && edit.line + r >= exclude.firstLine && edit.line - r <= exclude.lastLine),
    );
    let version = 0;
    for (const e of edits) version = (version * 31 + e.version) >>> 0;
    return { edits, version };
  }

  get radius(): number {
    return this.options.radius;
  }
}
