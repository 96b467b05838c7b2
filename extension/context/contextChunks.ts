// Extra prompt context from other open files, recent edits and the clipboard, chosen by how much
// they resemble the code at the cursor (Jaccard similarity of identifier sets over line windows,
// as llama.vscode's ring buffer and Copilot's neighbouring tabs do). Chunking a document happens
// once per version and is cached; scoring on the keystroke path is set intersections only.
import type { DocumentSource } from '../engine/native';
import type { ContextChunk } from './fimPrompt';
import { estimateTokens } from './tokenEstimate';

/** A text the chunker may draw from. `text()` is called only when the version is new. */
export interface ChunkSource {
  id: string;
  version: number;
  path: string;
  source: DocumentSource;
  text(): string;
}

interface IndexedChunk {
  text: string;
  words: ReadonlySet<string>;
  tokens: number;
}

export interface ChunkOptions {
  /** Lines per window. */
  windowLines: number;
  /** Lines between window starts (windowLines / 2 gives half-overlapping windows). */
  strideLines: number;
  /** Windows of a document beyond this many are not indexed (huge files). */
  maxWindowsPerDocument: number;
}

export const DEFAULT_CHUNK_OPTIONS: ChunkOptions = { windowLines: 24, strideLines: 12, maxWindowsPerDocument: 400 };

const WORD = /[A-Za-z_$][A-Za-z0-9_$]{1,}/gu;

/** Identifiers (two characters or more) of a text. */
export function wordsOf(text: string): Set<string> {
  const words = new Set<string>();
  for (const match of text.matchAll(WORD)) words.add(match[0]);
  return words;
}

export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let shared = 0;
  for (const w of small) if (large.has(w)) shared++;
  return shared / (a.size + b.size - shared);
}

export interface SelectOptions {
  /** Token budget for all chosen chunks together. */
  maxTokens: number;
  maxChunks: number;
  /** Chunks scoring below this are not worth their tokens. */
  minScore: number;
}

export const DEFAULT_SELECT_OPTIONS: SelectOptions = { maxTokens: 512, maxChunks: 4, minScore: 0.05 };

/** Indexes sources by version and picks the chunks most like a query. */
export class ChunkIndex {
  private readonly indexed = new Map<string, { version: number; chunks: IndexedChunk[] }>();

  constructor(private readonly options: ChunkOptions = DEFAULT_CHUNK_OPTIONS) {}

  /** Chunks of one source (indexed once per version). */
  chunksOf(source: ChunkSource): readonly IndexedChunk[] {
    const cached = this.indexed.get(source.id);
    if (cached && cached.version === source.version) return cached.chunks;
    const chunks = this.chunk(source.text());
    this.indexed.set(source.id, { version: source.version, chunks });
    return chunks;
  }

  /** Forgets sources that are gone (closed files). */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.indexed.keys()) if (!ids.has(id)) this.indexed.delete(id);
  }

  get size(): number {
    return this.indexed.size;
  }

  /** The best chunks for `query` within the budget, ordered least to most relevant (the most
   *  relevant ends up nearest the cursor in the prompt). */
  select(query: string, sources: readonly ChunkSource[], options: SelectOptions = DEFAULT_SELECT_OPTIONS): ContextChunk[] {
    const queryWords = wordsOf(query);
    if (queryWords.size === 0) return [];
    const scored: { score: number; chunk: IndexedChunk; source: ChunkSource }[] = [];
    for (const source of sources) {
      for (const chunk of this.chunksOf(source)) {
        const score = jaccard(queryWords, chunk.words);
        if (score >= options.minScore) scored.push({ score, chunk, source });
      }
    }
    scored.sort((a, b) => b.score - a.score);
    const chosen: typeof scored = [];
    const seenTexts = new Set<string>();
    let tokens = 0;
    for (const candidate of scored) {
      if (chosen.length >= options.maxChunks) break;
      if (tokens + candidate.chunk.tokens > options.maxTokens) continue;
      if (seenTexts.has(candidate.chunk.text)) continue;
      seenTexts.add(candidate.chunk.text);
      chosen.push(candidate);
      tokens += candidate.chunk.tokens;
    }
    return chosen.reverse().map(({ chunk, source }) => ({ path: source.path, text: chunk.text, source: source.source }));
  }

  private chunk(text: string): IndexedChunk[] {
    const lines = text.split('\n');
    const { windowLines, strideLines, maxWindowsPerDocument } = this.options;
    const chunks: IndexedChunk[] = [];
    for (let start = 0; start < lines.length && chunks.length < maxWindowsPerDocument; start += strideLines) {
      const windowText = lines.slice(start, start + windowLines).join('\n');
      if (windowText.trim()) chunks.push({ text: windowText, words: wordsOf(windowText), tokens: estimateTokens(windowText) });
      if (start + windowLines >= lines.length) break;
    }
    return chunks;
  }
}

/** Selection at a cursor: the code around it (1,500 characters before, 500 after) is the query. */
export const CURSOR_SELECT_OPTIONS: Omit<SelectOptions, 'maxTokens'> = { maxChunks: 6, minScore: 0.05 };

/** The chunks for a cursor window within `maxTokens`, as the extension chooses them. */
export function chunksForCursor(
  index: ChunkIndex,
  window: { prefix: string; suffix: string },
  sources: readonly ChunkSource[],
  maxTokens: number,
): ContextChunk[] {
  const query = window.prefix.slice(-1500) + window.suffix.slice(0, 500);
  return index.select(query, sources, { ...CURSOR_SELECT_OPTIONS, maxTokens });
}
