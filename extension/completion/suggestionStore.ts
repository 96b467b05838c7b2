// Where suggestions live between keystrokes: finished ones in a small cache, the running one as a
// Generation that later keystrokes can attach to. Both are found by an anchor: the text just
// before the cursor when the request was made (plus the start of the text after it). A later
// cursor context matches when its prefix is that anchor followed by what the user typed since,
// and the suggestion starts with what was typed — then the rest is served with no engine call.
import type { CompletionStats } from '../engine/native';

/** Characters of prefix that identify where a suggestion was asked for. */
export const ANCHOR_CHARS = 256;
/** Characters of suffix that must be unchanged. */
export const SUFFIX_KEY_CHARS = 128;
/** Most characters typed through a suggestion that still match it. */
export const MAX_TYPED_CHARS = 1024;

/** The part of a cursor context that anchors are matched against. */
export interface AnchorContext {
  documentId: string;
  /** Text before the cursor (windowed; at least ANCHOR_CHARS + MAX_TYPED_CHARS when the
   *  document has that much). */
  prefix: string;
  /** True when `prefix` starts at the start of the document. */
  prefixAtDocumentStart: boolean;
  suffix: string;
}

export interface SuggestionAnchor {
  documentId: string;
  anchor: string;
  /** The anchor is the whole text before the cursor (near the start of the document). */
  anchorAtStart: boolean;
  suffixKey: string;
}

export function anchorOf(context: AnchorContext, typedAfter = ''): SuggestionAnchor {
  const prefix = context.prefix + typedAfter;
  const atStart = context.prefixAtDocumentStart && prefix.length <= ANCHOR_CHARS;
  return {
    documentId: context.documentId,
    anchor: atStart ? prefix : prefix.slice(-ANCHOR_CHARS),
    anchorAtStart: atStart,
    suffixKey: context.suffix.slice(0, SUFFIX_KEY_CHARS),
  };
}

/** What was typed after `anchor` to reach `context`, or undefined when the context is elsewhere. */
export function typedSince(anchor: SuggestionAnchor, context: AnchorContext): string | undefined {
  if (anchor.documentId !== context.documentId) return undefined;
  if (context.suffix.slice(0, SUFFIX_KEY_CHARS) !== anchor.suffixKey) return undefined;
  const prefix = context.prefix;
  if (anchor.anchorAtStart) {
    if (!context.prefixAtDocumentStart || !prefix.startsWith(anchor.anchor)) return undefined;
    const typed = prefix.slice(anchor.anchor.length);
    return typed.length <= MAX_TYPED_CHARS ? typed : undefined;
  }
  const searchFrom = Math.max(0, prefix.length - anchor.anchor.length - MAX_TYPED_CHARS);
  const at = prefix.lastIndexOf(anchor.anchor);
  if (at < searchFrom) return undefined;
  return prefix.slice(at + anchor.anchor.length);
}

export interface CachedSuggestion extends SuggestionAnchor {
  /** Raw model output from the anchor on. */
  text: string;
  multiline: boolean;
  /** Other completions from the same anchor (raw), when the request asked for them. */
  alternatives?: string[];
}

/** Finished suggestions, most recent first, bounded. */
export class SuggestionCache {
  private entries: CachedSuggestion[] = [];

  constructor(private readonly capacity = 64) {}

  add(entry: CachedSuggestion): void {
    this.entries = this.entries.filter(
      (e) => !(e.documentId === entry.documentId && e.anchor === entry.anchor && e.suffixKey === entry.suffixKey),
    );
    this.entries.unshift(entry);
    if (this.entries.length > this.capacity) this.entries.length = this.capacity;
  }

  /** The most recent suggestion that the context types through, and what remains of it. */
  lookup(context: AnchorContext): { entry: CachedSuggestion; typed: string; rest: string } | undefined {
    for (const entry of this.entries) {
      const typed = typedSince(entry, context);
      if (typed === undefined || !entry.text.startsWith(typed) || entry.text.length === typed.length) continue;
      return { entry, typed, rest: entry.text.slice(typed.length) };
    }
    return undefined;
  }

  forgetDocument(documentId: string): void {
    this.entries = this.entries.filter((e) => e.documentId !== documentId);
  }

  get size(): number {
    return this.entries.length;
  }
}

/** A completion the engine is producing: its text grows as pieces stream in. */
export class Generation {
  readonly abort = new AbortController();
  text = '';
  done = false;
  failed?: Error;
  stats?: CompletionStats;
  /** Other whole completions (raw, from the anchor), when asked for: set when it finishes. */
  alternatives?: string[];
  /** Provider calls waiting on it now. */
  subscribers = 0;
  /** Keep running with no subscriber: part of it is on screen, or it is a prefetch. */
  keepAlive: boolean;
  /** A first line of it was shown before it finished (so the rest is shown once it does). */
  shownPartially = false;
  readonly startedAt: number;
  private waiters: (() => void)[] = [];

  constructor(
    readonly anchor: SuggestionAnchor,
    readonly multiline: boolean,
    readonly prefetch: boolean,
    now: number,
  ) {
    this.keepAlive = prefetch;
    this.startedAt = now;
  }

  append(piece: string): void {
    this.text += piece;
    this.notify();
  }

  finish(text: string, stats?: CompletionStats, alternatives?: string[]): void {
    this.text = text;
    this.stats = stats;
    this.alternatives = alternatives;
    this.done = true;
    this.notify();
  }

  fail(error: Error): void {
    this.failed = error;
    this.done = true;
    this.notify();
  }

  /** Resolves on the next change (new text, finished, failed) or when `signal` aborts. */
  changed(signal: AbortSignal): Promise<void> {
    if (this.done || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        signal.removeEventListener('abort', wake);
        this.waiters = this.waiters.filter((w) => w !== wake);
        resolve();
      };
      this.waiters.push(wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** The leading lines of streamed text up to and including the first complete non-blank line, or
 *  undefined while that line is still being written. */
export function firstCompleteLine(text: string): string | undefined {
  let start = 0;
  for (;;) {
    const newline = text.indexOf('\n', start);
    if (newline < 0) return undefined;
    if (text.slice(start, newline).trim()) return text.slice(0, newline);
    start = newline + 1;
  }
}
