// VS Code adapter of the context stage: which other documents are open, where the user edited
// recently, what is on the clipboard — as prompt chunks (Jaccard-selected, see contextChunks.ts)
// and as the engine's draft corpus (sent incrementally by version, see EngineClient). Skips
// files.exclude matches, huge and binary documents, and everything but the current file in an
// untrusted workspace. Listeners only note events; text is read when a prompt is built.
// In a notebook cell the notebook is the current file: its other cells are draft sources (each a
// document of its own, so an edit re-sends one cell), and the prompt names the notebook.
import * as vscode from 'vscode';
import { DisposableStore } from '../common/disposable';
import type { OutgoingDocument } from '../engine/client';
import { ChunkIndex, ChunkSource, chunksForCursor } from './contextChunks';
import type { CursorWindow } from './cursorWindow';
import type { ContextChunk } from './fimPrompt';
import { GlobSet } from './globMatch';
import { CellOfNotebook, notebookOfCell } from './notebookCells';
import { notebookScriptPath } from './notebookContext';
import { RecentEdits } from './recentEdits';

/** Documents longer than this are neither context nor draft source. */
export const MAX_CONTEXT_DOCUMENT_CHARS = 1_000_000;
/** All draft documents together stay below this. */
export const MAX_DRAFT_CORPUS_CHARS = 4_000_000;
const MAX_CLIPBOARD_CHARS = 8_000;
const CLIPBOARD_MAX_AGE_MS = 2_000;
/** The current file's own snapshot as a draft document is refreshed at most this often. */
const SAME_FILE_REFRESH_MS = 30_000;
const SCHEMES = new Set(['file', 'untitled', 'vscode-remote', 'vscode-vfs']);

export interface ContextRequest {
  chunks: () => ContextChunk[];
  documents: () => OutgoingDocument[];
  path: string;
  repoName?: string;
}

interface Eligibility {
  version: number;
  ok: boolean;
  chars: number;
}

export class WorkspaceContext implements vscode.Disposable {
  private readonly store = new DisposableStore();
  private readonly chunkIndex = new ChunkIndex();
  private readonly recentEdits = new RecentEdits();
  private readonly eligibility = new Map<string, Eligibility>();
  private excluded?: GlobSet;
  private clipboard = { text: '', version: 0, readAt: -Infinity, reading: false };
  private sameFile = new Map<string, { version: number; snapshotVersion: number; takenAt: number; text?: string }>();
  private readonly closedListeners: ((documentId: string) => void)[] = [];

  constructor(private readonly clipboardEnabled: () => boolean) {
    this.store.add(
      vscode.workspace.onDidChangeTextDocument((event) => {
        const change = event.contentChanges[0];
        if (!change || !this.isCandidate(event.document)) return;
        const id = event.document.uri.toString();
        this.recentEdits.record(id, this.pathOf(event.document.uri), change.range.start.line);
      }),
    );
    this.store.add(
      vscode.workspace.onDidCloseTextDocument((document) => {
        const id = document.uri.toString();
        this.eligibility.delete(id);
        this.sameFile.delete(id);
        this.recentEdits.forgetDocument(id);
        for (const listener of this.closedListeners) listener(id);
      }),
    );
    this.store.add(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('files.exclude')) {
          this.excluded = undefined;
          this.eligibility.clear();
        }
      }),
    );
  }

  /** Called with a document id when it closes. */
  onDidCloseDocument(listener: (documentId: string) => void): void {
    this.closedListeners.push(listener);
  }

  /** Prompt chunks and draft documents for a completion at `window` in `document`. */
  forCursor(document: vscode.TextDocument, window: CursorWindow, contextTokens: number): ContextRequest {
    const id = document.uri.toString();
    const cell = notebookOfCell(document);
    const fileUri = cell ? cell.notebook.uri : document.uri;
    const path = cell ? notebookScriptPath(this.pathOf(fileUri), document.languageId) : this.pathOf(fileUri);
    const repoName = vscode.workspace.getWorkspaceFolder(fileUri)?.name;
    const trusted = vscode.workspace.isTrusted;
    const exclude = { documentId: id, firstLine: window.firstLine, lastLine: window.lastLine };
    return {
      path,
      repoName,
      chunks: () => {
        if (!trusted || contextTokens <= 0) return [];
        const sources = this.chunkSources(document, exclude);
        const chunks = chunksForCursor(this.chunkIndex, window, sources, contextTokens);
        this.chunkIndex.retain(new Set(sources.map((s) => s.id)));
        return chunks;
      },
      documents: () => (trusted ? this.draftDocuments(document, exclude, cell) : []),
    };
  }

  dispose(): void {
    this.store.dispose();
  }

  // ── sources ────────────────────────────────────────────────────────────────────────────────

  private otherDocuments(current: vscode.TextDocument): vscode.TextDocument[] {
    const openUris = openTabUris();
    return vscode.workspace.textDocuments.filter(
      (d) => d !== current && !d.isClosed && openUris.has(d.uri.toString()) && this.eligible(d).ok,
    );
  }

  private chunkSources(current: vscode.TextDocument, exclude: { documentId: string; firstLine: number; lastLine: number }): ChunkSource[] {
    const sources: ChunkSource[] = this.otherDocuments(current).map((d) => ({
      id: d.uri.toString(),
      version: d.version,
      path: this.pathOf(d.uri),
      source: 'otherFile',
      text: () => d.getText(),
    }));
    sources.push(...this.recentEdits.sources((documentId, from, to) => this.readLines(documentId, from, to), exclude));
    const clip = this.clipboardText();
    if (clip)
      sources.push({ id: 'tandem:clipboard', version: this.clipboard.version, path: 'clipboard', source: 'clipboard', text: () => clip });
    return sources;
  }

  private draftDocuments(
    current: vscode.TextDocument,
    exclude: { documentId: string; firstLine: number; lastLine: number },
    cell: CellOfNotebook | undefined,
  ): OutgoingDocument[] {
    const out: OutgoingDocument[] = [];
    let budget = MAX_DRAFT_CORPUS_CHARS;
    const same = cell ? undefined : this.sameFileSnapshot(current);
    if (same) {
      out.push({
        id: `${current.uri.toString()}#snapshot`,
        version: same.snapshotVersion,
        source: 'sameFile',
        readText: () => same.text ?? '',
      });
      budget -= this.eligible(current).chars;
    }
    if (cell) budget = this.notebookDrafts(cell, out, budget);
    for (const d of this.otherDocuments(current)) {
      const chars = this.eligible(d).chars;
      if (chars > budget) continue;
      budget -= chars;
      out.push({ id: d.uri.toString(), version: d.version, source: 'otherFile', readText: () => d.getText() });
    }
    const edits = this.recentEdits.outside(exclude);
    if (edits.edits.length > 0) {
      const r = this.recentEdits.radius;
      out.push({
        id: 'tandem:recent-edits',
        version: edits.version,
        source: 'recentEdit',
        readText: () => edits.edits.map((e) => this.readLines(e.documentId, Math.max(0, e.line - r), e.line + r) ?? '').join('\n'),
      });
    }
    const clip = this.clipboardText();
    if (clip) out.push({ id: 'tandem:clipboard', version: this.clipboard.version, source: 'clipboard', text: clip });
    return out;
  }

  /** The notebook's other cells, nearest first, as 'sameFile' drafts (the notebook is the current
   *  file); blank cells and cells that are no context (huge, binary, the notebook excluded) are
   *  left out. The cursor's own cell is in the prompt already. Returns the budget left. */
  private notebookDrafts(cell: CellOfNotebook, out: OutgoingDocument[], budget: number): number {
    const notebookPath = this.pathOf(cell.notebook.uri);
    const cells = cell.notebook.getCells();
    const order = cells.map((_, index) => index).filter((index) => index !== cell.index);
    order.sort((a, b) => Math.abs(a - cell.index) - Math.abs(b - cell.index) || a - b);
    for (const index of order) {
      const d = cells[index].document;
      const eligibility = this.eligible(d, notebookPath);
      if (!eligibility.ok || eligibility.chars > budget || isBlank(d)) continue;
      budget -= eligibility.chars;
      out.push({ id: d.uri.toString(), version: d.version, source: 'sameFile', readText: () => d.getText() });
    }
    return budget;
  }

  /** The current document as it was at most SAME_FILE_REFRESH_MS ago (a stable version, so it
   *  is not re-sent on every keystroke). */
  private sameFileSnapshot(document: vscode.TextDocument): { snapshotVersion: number; text?: string } | undefined {
    if (!this.eligible(document).ok) return undefined;
    const id = document.uri.toString();
    const now = Date.now();
    let entry = this.sameFile.get(id);
    if (!entry || (entry.version !== document.version && now - entry.takenAt > SAME_FILE_REFRESH_MS)) {
      entry = { version: document.version, snapshotVersion: document.version, takenAt: now, text: undefined };
      this.sameFile.set(id, entry);
    }
    const snapshot = entry;
    return {
      snapshotVersion: snapshot.snapshotVersion,
      get text() {
        snapshot.text ??= document.getText(); // read once per snapshot, only if the engine lacks it
        return snapshot.text;
      },
    };
  }

  private readLines(documentId: string, from: number, to: number): string | undefined {
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === documentId);
    if (!document || from >= document.lineCount) return undefined;
    const last = Math.min(to, document.lineCount - 1);
    const lines: string[] = [];
    for (let line = from; line <= last; line++) lines.push(document.lineAt(line).text);
    return lines.join('\n');
  }

  /** The clipboard as last read; a read starts in the background when it is stale. In a browser
   *  workbench (code-server, vscode.dev) a read needs the page's clipboard permission and shows
   *  the user an error toast without it, so the clipboard is not read there. */
  private clipboardText(): string {
    if (!this.clipboardEnabled() || vscode.env.uiKind === vscode.UIKind.Web) return '';
    const clip = this.clipboard;
    if (!clip.reading && Date.now() - clip.readAt > CLIPBOARD_MAX_AGE_MS) {
      clip.reading = true;
      vscode.env.clipboard
        .readText()
        .then(
          (text) => {
            const usable = text.length <= MAX_CLIPBOARD_CHARS && !text.includes('\0') && text.trim().length > 0 ? text : '';
            if (usable !== clip.text) {
              clip.text = usable;
              clip.version++;
            }
          },
          () => undefined,
        )
        .then(
          () => {
            clip.reading = false;
            clip.readAt = Date.now();
          },
          () => undefined,
        );
    }
    return clip.text;
  }

  // ── eligibility ────────────────────────────────────────────────────────────────────────────

  private isCandidate(document: vscode.TextDocument): boolean {
    return SCHEMES.has(document.uri.scheme);
  }

  /** Whether a document may be context, decided once per version. A notebook cell is judged by
   *  its notebook's path (`notebookPath`). */
  private eligible(document: vscode.TextDocument, notebookPath?: string): Eligibility {
    const id = document.uri.toString();
    const known = this.eligibility.get(id);
    if (known && known.version === document.version) return known;
    let ok = notebookPath !== undefined || this.isCandidate(document);
    let chars = 0;
    if (ok) {
      const lastLine = document.lineCount - 1;
      chars = document.offsetAt(new vscode.Position(lastLine, document.lineAt(lastLine).text.length));
      ok =
        chars <= MAX_CONTEXT_DOCUMENT_CHARS &&
        !document.lineAt(0).text.includes('\0') &&
        !this.excludedPath(notebookPath ?? this.pathOf(document.uri));
    }
    const result = { version: document.version, ok, chars };
    this.eligibility.set(id, result);
    return result;
  }

  private excludedPath(path: string): boolean {
    this.excluded ??= new GlobSet(vscode.workspace.getConfiguration('files').get<Record<string, unknown>>('exclude'));
    return this.excluded.matches(path);
  }

  private pathOf(uri: vscode.Uri): string {
    return vscode.workspace.asRelativePath(uri, false);
  }
}

/** Nothing but whitespace (an empty cell); reads at most the first non-blank line. */
function isBlank(document: vscode.TextDocument): boolean {
  for (let line = 0; line < document.lineCount; line++) if (document.lineAt(line).text.trim()) return false;
  return true;
}

/** Uris of the text editors open in tabs. */
function openTabUris(): Set<string> {
  const uris = new Set<string>();
  for (const group of vscode.window.tabGroups.all) {
    for (const tab of group.tabs) {
      const input = tab.input as { uri?: vscode.Uri } | undefined;
      if (input?.uri) uris.add(input.uri.toString());
    }
  }
  return uris;
}
