// A small, safe Markdown renderer for model output shown in the Explain webview.
// Safety by construction: every character of the input is HTML-escaped; the only tags in the
// output are the fixed ones this renderer writes (p, h1-h6, pre, code, ul, ol, li, blockquote, hr,
// strong, em, del, a, br), and their only attributes are `class="language-…"` on code (from a
// strict character set) and `href` on links, which are written only for http(s) URLs. So raw
// HTML, event handlers and javascript:/data: links in the model's text come out as inert text.
// Streaming-friendly: an unterminated code fence renders as code up to the end of the text.
// Hostile-input safe: the text is the model's, and the panel re-renders it every ~50 ms while it
// streams, so rendering is linear in the text's length and uses no recursion. Lines are
// classified and inline Markdown parsed by hand-written scanners (the regexes left match single
// characters or a fixed prefix, so they cannot backtrack), and nested block quotes are a chain of
// blocks fed one line at a time, not nested calls. The scanners keep the rules of the regexes
// this renderer used to have (quoted at each function), so its output is unchanged.
// No vscode, no DOM: unit-tested in Node.
import { renderInline } from './markdownInline';
import { escapeHtml, isSpaceAt, isSpaceCode, isTerminatorCode, runEnd, skipIndent, skipSpace } from './markdownText';

export { escapeHtml, safeLinkTarget } from './markdownText';
export { renderInline } from './markdownInline';

// ---------------------------------------------------------------------------------------------
// Lines

/** One source line, with what the block rules ask of any of its suffixes precomputed, so that
 *  each block-quote level costs O(1) instead of a rescan or copy of the rest of the line. */
class SourceLine {
  /** Index of the last non-space character (-1: blank). */
  readonly lastNonSpace: number;
  /** Index of the last line terminator (U+2028 / U+2029), -1 when none. */
  readonly lastTerminator: number;

  constructor(readonly text: string) {
    let lastNonSpace = text.length - 1;
    while (lastNonSpace >= 0 && isSpaceCode(text.charCodeAt(lastNonSpace))) lastNonSpace--;
    this.lastNonSpace = lastNonSpace;
    this.lastTerminator = Math.max(text.lastIndexOf('\u2028'), text.lastIndexOf('\u2029'));
  }
}

/** The part of a line a block sees: from `start` on (enclosing quotes took the markers before). */
interface View {
  line: SourceLine;
  start: number;
}

function viewText(view: View): string {
  return view.line.text.slice(view.start);
}

function isBlank(view: View): boolean {
  return view.line.lastNonSpace < view.start;
}

/** Whether `[from, end)` of the line holds no line terminator (regex `.` could cross it). */
function noTerminator(line: SourceLine, from: number, end = line.text.length): boolean {
  if (line.lastTerminator < from) return true;
  for (let i = from; i < end; i++) if (isTerminatorCode(line.text.charCodeAt(i))) return false;
  return true;
}

interface FenceOpen {
  marker: string;
  language: string;
}

/** An opening fence: `^( {0,3})(`{3,}|~{3,})\s*([^`\s]*)[^`]*$` — up to three spaces, three or
 *  more backticks or tildes, then no backtick anywhere; the language is the first word after. */
function fenceOpen(view: View): FenceOpen | undefined {
  const text = view.line.text;
  const at = skipIndent(text, view.start);
  const ch = text[at];
  if (ch !== '`' && ch !== '~') return undefined;
  const end = runEnd(text, at, ch);
  if (end - at < 3 || text.indexOf('`', end) !== -1) return undefined;
  const infoStart = skipSpace(text, end);
  let infoEnd = infoStart;
  while (infoEnd < text.length && !isSpaceAt(text, infoEnd)) infoEnd++;
  const info = text.slice(infoStart, infoEnd);
  return { marker: text.slice(at, end), language: /^[\w+#.-]{1,32}$/.test(info) ? info : '' };
}

/** A fence that closes `open`: `^ {0,3}(`{3,}|~{3,})\s*$` of the same character, at least as long. */
function closesFence(view: View, open: FenceOpen): boolean {
  const text = view.line.text;
  const at = skipIndent(text, view.start);
  const ch = text[at];
  if (ch !== '`' && ch !== '~') return false;
  const end = runEnd(text, at, ch);
  return end - at >= 3 && view.line.lastNonSpace < end && ch === open.marker[0] && end - at >= open.marker.length;
}

/** A block quote line `^ {0,3}>\s?(.*)$`: the view of its content (one marker taken). */
function quoted(view: View): View | undefined {
  const text = view.line.text;
  const at = skipIndent(text, view.start);
  if (text[at] !== '>') return undefined;
  const start = isSpaceAt(text, at + 1) ? at + 2 : at + 1;
  return view.line.lastTerminator < start ? { line: view.line, start } : undefined;
}

interface Heading {
  level: number;
  content: string;
}

/** `^ {0,3}(#{1,6})(?:\s+(.*?))?\s*#*\s*$`: the content ends where only spaces, closing #s and
 *  spaces are left. Seven or more #s make a heading only when nothing but spaces follows (the
 *  regex's `#{1,6}` leaves the rest to `#*`): an empty h6. */
function heading(view: View): Heading | undefined {
  const { line } = view;
  const text = line.text;
  const at = skipIndent(text, view.start);
  const hashes = runEnd(text, at, '#') - at;
  if (hashes === 0) return undefined;
  const rest = at + hashes;
  if (hashes > 6) return line.lastNonSpace < rest ? { level: 6, content: '' } : undefined;
  if (rest === text.length) return { level: hashes, content: '' };
  if (!isSpaceAt(text, rest)) return undefined;
  const start = skipSpace(text, rest);
  const end = Math.max(start, closingSequenceStart(text));
  return noTerminator(line, start, end) ? { level: hashes, content: text.slice(start, end) } : undefined;
}

/** Where the line's tail of the form `\s*#*\s*` begins. */
function closingSequenceStart(text: string): number {
  let i = text.length;
  while (i > 0 && isSpaceCode(text.charCodeAt(i - 1))) i--;
  while (i > 0 && text[i - 1] === '#') i--;
  while (i > 0 && isSpaceCode(text.charCodeAt(i - 1))) i--;
  return i;
}

/** `^ {0,3}([-*_])(?:\s*\1){2,}\s*$`: three or more of one of - * _, and only spaces besides. */
function isRule(view: View): boolean {
  const text = view.line.text;
  const at = skipIndent(text, view.start);
  const ch = text[at];
  if (ch !== '-' && ch !== '*' && ch !== '_') return false;
  let count = 0;
  for (let i = at; i < text.length; i++) {
    if (text[i] === ch) count++;
    else if (!isSpaceAt(text, i)) return false;
  }
  return count >= 3;
}

interface ListItem {
  tag: 'ul' | 'ol';
  /** The leading whitespace's width, a tab counting four. */
  indent: number;
  content: string;
}

/** `^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$`. */
function listItem(view: View): ListItem | undefined {
  const { line } = view;
  const text = line.text;
  let indent = 0;
  let at = view.start;
  for (; at < text.length; at++) {
    const c = text.charCodeAt(at);
    if (c === 9) indent += 4;
    else if (isSpaceCode(c)) indent++;
    else break;
  }
  let markerEnd: number;
  if (text[at] === '-' || text[at] === '*' || text[at] === '+') markerEnd = at + 1;
  else {
    let digits = at;
    while (digits < text.length && digits - at < 10 && text[digits] >= '0' && text[digits] <= '9') digits++;
    if (digits === at || digits - at > 9 || (text[digits] !== '.' && text[digits] !== ')')) return undefined;
    markerEnd = digits + 1;
  }
  if (!isSpaceAt(text, markerEnd)) return undefined;
  const start = skipSpace(text, markerEnd);
  if (line.lastTerminator >= start) return undefined;
  return { tag: markerEnd - at === 1 ? 'ul' : 'ol', indent, content: text.slice(start) };
}

// ---------------------------------------------------------------------------------------------
// Blocks

interface ListFrame {
  tag: 'ul' | 'ol';
  indent: number;
}

interface OpenFence extends FenceOpen {
  code: string[];
}

/**
 * The block structure of one document: the whole text, or the content of one block quote (its
 * lines with one `>` taken). A quote's content is the `child` block, fed the quoted lines as
 * they come, so nesting depth costs a chain of objects, never stack. All blocks write to one
 * output; a block writes nothing while its child is open, so the child's HTML lands where the
 * quote belongs.
 */
class Block {
  child?: Block;
  private paragraph: string[] = [];
  private lists: ListFrame[] = [];
  private fence?: OpenFence;
  /** A blank line ended inside a list: the next line decides whether the list goes on. */
  private blankInList = false;
  private wroteElement = false;

  constructor(private readonly out: string[]) {}

  /** Handles one line; returns the content to hand to `child` when the line is quoted. */
  take(view: View): View | undefined {
    if (this.fence) {
      this.fenceLine(view);
      return undefined;
    }
    if (this.blankInList) {
      this.blankInList = false;
      if (!listItem(view)) this.closeLists();
    }
    const fence = fenceOpen(view);
    if (fence) {
      this.closeAll();
      this.fence = { ...fence, code: [] };
      return undefined;
    }
    if (isBlank(view)) {
      this.flushParagraph();
      this.closeQuote();
      this.blankInList = this.lists.length > 0;
      return undefined;
    }
    const content = quoted(view);
    if (content) {
      this.flushParagraph();
      this.closeLists();
      if (!this.child) {
        this.write('<blockquote>');
        this.child = new Block(this.out);
      }
      return content;
    }
    this.closeQuote();
    this.takeLeaf(view);
    return undefined;
  }

  /** The end of this block's text. */
  finish(): void {
    this.finishOwn();
    this.closeQuote();
  }

  private takeLeaf(view: View): void {
    const head = heading(view);
    if (head) {
      this.closeAll();
      this.write(`<h${head.level}>${renderInline(head.content)}</h${head.level}>`);
      return;
    }
    if (isRule(view)) {
      this.closeAll();
      this.write('<hr>');
      return;
    }
    const item = listItem(view);
    if (item) {
      this.flushParagraph();
      this.openItem(item);
      this.write(renderInline(item.content));
      return;
    }
    if (this.lists.length && isSpaceAt(view.line.text, view.start)) {
      this.write(`<br>${renderInline(viewText(view).trim())}`); // continuation of a list item
      return;
    }
    this.closeLists();
    this.paragraph.push(viewText(view).trim());
  }

  private openItem(item: ListItem): void {
    const lists = this.lists;
    while (lists.length && item.indent < lists[lists.length - 1].indent) this.closeLists(lists.length - 1);
    const top = lists[lists.length - 1];
    if (!top || item.indent > top.indent) {
      lists.push({ tag: item.tag, indent: item.indent });
      this.write(`<${item.tag}><li>`);
    } else if (top.tag !== item.tag) {
      this.closeLists(lists.length - 1);
      lists.push({ tag: item.tag, indent: item.indent });
      this.write(`<${item.tag}><li>`);
    } else {
      this.write('</li><li>');
    }
  }

  private fenceLine(view: View): void {
    const fence = this.fence!;
    if (!closesFence(view, fence)) {
      fence.code.push(viewText(view));
      return;
    }
    this.fence = undefined;
    this.writeFence(fence);
  }

  private writeFence(fence: OpenFence): void {
    const cls = fence.language ? ` class="language-${escapeHtml(fence.language)}"` : '';
    this.write(`<pre><code${cls}>${escapeHtml(fence.code.join('\n'))}</code></pre>`);
  }

  /** Everything of this block but its child, at the end of its text. */
  private finishOwn(): void {
    if (this.blankInList) this.closeLists(); // nothing follows the blank line
    this.blankInList = false;
    if (this.fence) this.writeFence(this.fence); // unterminated: still streaming
    this.fence = undefined;
    this.flushParagraph();
    this.closeLists();
  }

  /** Ends the open quote: every block of the child chain, deepest first, in a loop. */
  private closeQuote(): void {
    const chain: Block[] = [];
    for (let block = this.child; block; block = block.child) chain.push(block);
    for (let i = chain.length - 1; i >= 0; i--) {
      chain[i].finishOwn();
      chain[i].child = undefined;
      this.out.push('</blockquote>');
    }
    this.child = undefined;
  }

  private closeAll(): void {
    this.flushParagraph();
    this.closeLists();
    this.closeQuote();
  }

  private flushParagraph(): void {
    if (this.paragraph.length) this.write(`<p>${this.paragraph.map(renderInline).join('<br>\n')}</p>`);
    this.paragraph = [];
  }

  private closeLists(toDepth = 0): void {
    while (this.lists.length > toDepth) this.write(`</li></${this.lists.pop()!.tag}>`);
  }

  /** One element of this block's HTML; elements are separated by newlines. */
  private write(html: string): void {
    if (this.wroteElement) this.out.push('\n');
    this.out.push(html);
    this.wroteElement = true;
  }
}

export function renderMarkdown(markdown: string): string {
  const out: string[] = [];
  const root = new Block(out);
  for (const text of markdown.replace(/\r\n?/g, '\n').split('\n')) {
    let block = root;
    let content = block.take({ line: new SourceLine(text), start: 0 });
    while (content) {
      block = block.child!;
      content = block.take(content);
    }
  }
  root.finish();
  return out.join('');
}
