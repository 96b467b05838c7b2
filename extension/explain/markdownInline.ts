// Inline Markdown of one line for the Explain renderer (markdown.ts): code spans, links, emphasis.
// Linear in the line's length whatever it holds (the model's text, re-rendered every ~50 ms while
// it streams): each part is a hand-written scanner; see markdown.ts for the safety rules.
import { escapeHtml, isSpaceAt, isSpaceCode, isTerminatorCode, isWordAt, runEnd, safeLinkTarget, skipSpace } from './markdownText';

/** Inline Markdown of one line: code spans, links, emphasis. */
export function renderInline(text: string): string {
  let out = '';
  let last = 0;
  for (const span of codeSpans(text)) {
    out += renderLinks(text.slice(last, span.start));
    out += `<code>${escapeHtml(trimCodeContent(span.content))}</code>`;
    last = span.end;
  }
  return out + renderLinks(text.slice(last));
}

interface CodeSpan {
  /** Where its opening backticks start. */
  start: number;
  end: number;
  content: string;
}

interface BacktickRun {
  start: number;
  length: number;
}

/**
 * Code spans by the rule of `(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)`: a span closes at the next run
 * of exactly as many backticks. Where a run of n has no such partner, the regex went on to the
 * run's tail (n-1 backticks, then n-2, ...), leaving the skipped ones as text; so does this, in
 * time linear in the text: runs are listed once, by length, and each length's list is walked
 * forward only.
 */
function codeSpans(text: string): CodeSpan[] {
  const runs = backtickRuns(text);
  const partners = new RunsByLength(runs);
  const spans: CodeSpan[] = [];
  for (let r = 0; r < runs.length; r++) {
    const { start, length } = runs[r];
    for (let skip = 0; skip < length; skip++) {
      const closer = partners.next(length - skip, r);
      if (closer === undefined) continue;
      const close = runs[closer];
      spans.push({ start: start + skip, end: close.start + close.length, content: text.slice(start + length, close.start) });
      r = closer;
      break;
    }
  }
  return spans;
}

function backtickRuns(text: string): BacktickRun[] {
  const runs: BacktickRun[] = [];
  for (let i = text.indexOf('`'); i !== -1; i = text.indexOf('`', i)) {
    const end = runEnd(text, i, '`');
    runs.push({ start: i, length: end - i });
    i = end;
  }
  return runs;
}

/** The runs of each length, each list with a cursor that only moves forward. */
class RunsByLength {
  private readonly lists = new Map<number, { runs: number[]; cursor: number }>();

  constructor(runs: BacktickRun[]) {
    runs.forEach((run, index) => {
      const list = this.lists.get(run.length);
      if (list) list.runs.push(index);
      else this.lists.set(run.length, { runs: [index], cursor: 0 });
    });
  }

  /** The first run of `length` after run `after` (calls must not go back in `after`). */
  next(length: number, after: number): number | undefined {
    const list = this.lists.get(length);
    if (!list) return undefined;
    while (list.cursor < list.runs.length && list.runs[list.cursor] <= after) list.cursor++;
    return list.runs[list.cursor];
  }
}

/** One space is taken from both ends of a code span's content (`^ (.*) $`) unless it is all
 *  spaces. */
function trimCodeContent(content: string): string {
  if (!content.trim() || content.length < 2 || content[0] !== ' ' || content[content.length - 1] !== ' ') return content;
  for (let i = 1; i < content.length - 1; i++) if (isTerminatorCode(content.charCodeAt(i))) return content;
  return content.slice(1, -1);
}

interface LinkDestination {
  url: string;
  /** Just past the closing parenthesis. */
  end: number;
}

/**
 * Links `[label](url "title")` by the rule of
 * `\[([^\]\n]+)\]\(\s*<?([^()\s<>]*)>?(?:\s+"[^"]*")?\s*\)`, scanned in linear time: the label
 * runs to the first `]`, whose destination is parsed once however many `[` share it.
 */
function renderLinks(text: string): string {
  let out = '';
  let last = 0;
  let close = -1; // the first `]` after the current `[`
  let newline = -1; // the first line break after it (text.length: none)
  let parsedFor = -1;
  let destination: LinkDestination | undefined;
  for (let open = text.indexOf('['); open !== -1; open = text.indexOf('[', open + 1)) {
    if (close <= open) close = text.indexOf(']', open + 1);
    if (close === -1) break; // no label can close any more
    if (newline <= open) newline = indexOrEnd(text, '\n', open + 1);
    if (close === open + 1 || newline < close || text[close + 1] !== '(') continue;
    if (parsedFor !== close) {
      parsedFor = close;
      destination = linkDestination(text, close + 2);
    }
    if (!destination) continue;
    out += renderEmphasis(escapeHtml(text.slice(last, open)));
    const label = renderEmphasis(escapeHtml(text.slice(open + 1, close)));
    const target = safeLinkTarget(destination.url);
    out += target ? `<a href="${escapeHtml(target)}">${label}</a>` : label;
    last = destination.end;
    open = last - 1;
  }
  return out + renderEmphasis(escapeHtml(text.slice(last)));
}

function indexOrEnd(text: string, search: string, from: number): number {
  const i = text.indexOf(search, from);
  return i === -1 ? text.length : i;
}

/** What follows `](`: spaces, an optional `<`, the URL, an optional `>`, an optional title after
 *  spaces, spaces, `)`. Failing that, the regex could also give the spaces to the title, with an
 *  empty URL: `( "a title")`. */
function linkDestination(text: string, from: number): LinkDestination | undefined {
  const afterSpace = skipSpace(text, from);
  let i = afterSpace;
  if (text[i] === '<') i++;
  const urlStart = i;
  while (i < text.length && isUrlCode(text.charCodeAt(i))) i++;
  const url = text.slice(urlStart, i);
  if (text[i] === '>') i++;
  const end = closingParen(text, titleEnd(text, i) ?? i);
  if (end !== undefined) return { url, end };
  if (afterSpace === from) return undefined;
  const titled = titleEnd(text, from);
  const titledEnd = titled === undefined ? undefined : closingParen(text, titled);
  return titledEnd === undefined ? undefined : { url: '', end: titledEnd };
}

/** `[^()\s<>]` */
function isUrlCode(c: number): boolean {
  return c !== 40 && c !== 41 && c !== 60 && c !== 62 && !isSpaceCode(c);
}

/** `\s+"[^"]*"` at `i`: where it ends. */
function titleEnd(text: string, i: number): number | undefined {
  if (!isSpaceAt(text, i)) return undefined;
  const quote = skipSpace(text, i);
  if (text[quote] !== '"') return undefined;
  const closing = text.indexOf('"', quote + 1);
  return closing === -1 ? undefined : closing + 1;
}

/** `\s*\)` at `i`: where it ends. */
function closingParen(text: string, i: number): number | undefined {
  const paren = skipSpace(text, i);
  return text[paren] === ')' ? paren + 1 : undefined;
}

/** Emphasis on already-escaped text (entities contain no `*`, `_` or `~`), in the order the old
 *  regexes applied: each pass sees the previous one's output. */
function renderEmphasis(escaped: string): string {
  let html = strong(escaped, '*', 'strong', false); // \*\*(?=\S)([\s\S]*?\S)\*\*
  html = strong(html, '_', 'strong', true); // (^|[^\w])__(?=\S)([\s\S]*?\S)__(?!\w)
  html = strong(html, '~', 'del', false); // ~~(?=\S)([\s\S]*?\S)~~
  html = em(html, '*'); // (^|[^*\w])\*(?=[^\s*])([^*]*?[^\s*])\*(?!\*)
  return em(html, '_'); // (^|[^\w])_(?=[^\s_])([^_]*?[^\s_])_(?!\w)
}

/**
 * Doubled delimiters (`**x**`, `__x__`, `~~x~~`): an opener followed by a non-space, closed by
 * the first later pair that follows a non-space. `wordBound`: the `__` rule, where the opener
 * must not follow a word character and the closer must not precede one. Linear: the nearest
 * closer at or after each position is precomputed.
 */
function strong(text: string, ch: string, tag: string, wordBound: boolean): string {
  if (!text.includes(ch + ch)) return text;
  const closers = nextPositions(
    text,
    (q) => text[q] === ch && text[q + 1] === ch && q > 0 && !isSpaceAt(text, q - 1) && !(wordBound && isWordAt(text, q + 2)),
  );
  let out = '';
  let last = 0;
  for (let p = 0; p < text.length; p++) {
    const open = openerAt(
      text,
      p,
      (o) => text[o] === ch && text[o + 1] === ch && o + 2 < text.length && !isSpaceAt(text, o + 2),
      wordBound ? (i) => !isWordAt(text, i) : undefined,
    );
    if (open === undefined) continue;
    const close = closers[open + 3];
    if (close === -1) continue;
    out += `${text.slice(last, open)}<${tag}>${text.slice(open + 2, close)}</${tag}>`;
    last = close + 2;
    p = last - 1;
  }
  return out + text.slice(last);
}

/**
 * Single delimiters (`*x*`, `_x_`): the opener must not follow a word character or the same
 * delimiter, nor be followed by a space or the delimiter; the content holds no delimiter, so the
 * closer is the next one, which must follow a non-space and must not precede another `*` (for
 * `*`) or a word character (for `_`).
 */
function em(text: string, ch: string): string {
  if (!text.includes(ch)) return text;
  let out = '';
  let last = 0;
  for (let p = 0; p < text.length; p++) {
    const open = openerAt(
      text,
      p,
      (o) => text[o] === ch && o + 1 < text.length && text[o + 1] !== ch && !isSpaceAt(text, o + 1),
      (i) => text[i] !== ch && !isWordAt(text, i),
    );
    if (open === undefined) continue;
    const close = text.indexOf(ch, open + 1);
    if (close === -1 || isSpaceAt(text, close - 1) || (ch === '*' ? text[close + 1] === '*' : isWordAt(text, close + 1))) continue;
    out += `${text.slice(last, open)}<em>${text.slice(open + 1, close)}</em>`;
    last = close + 1;
    p = last - 1;
  }
  return out + text.slice(last);
}

/**
 * Where a match tried at `p` would put its opener: `p` itself, or — for rules that start with
 * `(^|[^…])` — `p` at the start of the text (`^`), else `p + 1` after a `before` character at `p`.
 */
function openerAt(text: string, p: number, opens: (o: number) => boolean, before?: (i: number) => boolean): number | undefined {
  if (!before) return opens(p) ? p : undefined;
  if (p === 0 && opens(0)) return 0;
  return p + 1 < text.length && before(p) && opens(p + 1) ? p + 1 : undefined;
}

/** For each index i, the first q >= i with `matches(q)` (-1: none); one pass from the end. */
function nextPositions(text: string, matches: (q: number) => boolean): Int32Array {
  const next = new Int32Array(text.length + 4).fill(-1);
  for (let q = text.length - 1; q >= 0; q--) next[q] = matches(q) ? q : next[q + 1];
  return next;
}
