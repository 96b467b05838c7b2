// A small, safe Markdown renderer for model output shown in the Explain webview.
// Safety by construction: every character of the input is HTML-escaped; the only tags in the
// output are the fixed ones this file writes (p, h1-h6, pre, code, ul, ol, li, blockquote, hr,
// strong, em, del, a, br), and their only attributes are `class="language-…"` on code (from a
// strict character set) and `href` on links, which are written only for http(s) URLs. So raw
// HTML, event handlers and javascript:/data: links in the model's text come out as inert text.
// Streaming-friendly: an unterminated code fence renders as code up to the end of the text.
// No vscode, no DOM: unit-tested in Node.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Only absolute http(s) URLs become links; anything else (javascript:, data:, vbscript:,
 *  relative, command:) is shown as text. */
export function safeLinkTarget(url: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f]/.test(url)) return undefined;
  return /^https?:\/\/[^/?#]/i.test(url) ? url : undefined;
}

interface ListFrame {
  tag: 'ul' | 'ol';
  indent: number;
}

const FENCE = /^( {0,3})(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:\s+(.*?))?\s*#*\s*$/;
const RULE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const LIST_ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
const QUOTE = /^ {0,3}>\s?(.*)$/;

export function renderMarkdown(markdown: string): string {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  let paragraph: string[] = [];
  const lists: ListFrame[] = [];
  let quote: string[] = [];

  const flushParagraph = () => {
    if (paragraph.length) out.push(`<p>${paragraph.map(renderInline).join('<br>\n')}</p>`);
    paragraph = [];
  };
  const closeLists = (toDepth = 0) => {
    while (lists.length > toDepth) out.push(`</li></${lists.pop()!.tag}>`);
  };
  const flushQuote = () => {
    if (quote.length) out.push(`<blockquote>${renderMarkdown(quote.join('\n'))}</blockquote>`);
    quote = [];
  };
  const closeAll = () => {
    flushParagraph();
    closeLists();
    flushQuote();
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = FENCE.exec(line);
    if (fence) {
      closeAll();
      const marker = fence[2];
      const language = /^[\w+#.-]{1,32}$/.test(fence[3]) ? fence[3] : '';
      const code: string[] = [];
      let j = i + 1;
      for (; j < lines.length; j++) {
        const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(lines[j]);
        if (close && close[1][0] === marker[0] && close[1].length >= marker.length) break;
        code.push(lines[j]);
      }
      i = j; // past the closing fence (or the end: still streaming)
      const cls = language ? ` class="language-${escapeHtml(language)}"` : '';
      out.push(`<pre><code${cls}>${escapeHtml(code.join('\n'))}</code></pre>`);
      continue;
    }
    if (!line.trim()) {
      flushParagraph();
      flushQuote();
      // a blank line inside a list ends the list only if what follows is not a list item
      if (lists.length && !LIST_ITEM.test(lines[i + 1] ?? '')) closeLists();
      continue;
    }
    const quoted = QUOTE.exec(line);
    if (quoted) {
      flushParagraph();
      closeLists();
      quote.push(quoted[1]);
      continue;
    }
    flushQuote();
    const heading = HEADING.exec(line);
    if (heading) {
      closeAll();
      const level = heading[1].length;
      out.push(`<h${level}>${renderInline(heading[2] ?? '')}</h${level}>`);
      continue;
    }
    if (RULE.test(line)) {
      closeAll();
      out.push('<hr>');
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (item) {
      flushParagraph();
      const indent = item[1].replace(/\t/g, '    ').length;
      const tag = /\d/.test(item[2]) ? 'ol' : 'ul';
      while (lists.length && indent < lists[lists.length - 1].indent) closeLists(lists.length - 1);
      const top = lists[lists.length - 1];
      if (!top || indent > top.indent) {
        lists.push({ tag, indent });
        out.push(`<${tag}><li>`);
      } else if (top.tag !== tag) {
        closeLists(lists.length - 1);
        lists.push({ tag, indent });
        out.push(`<${tag}><li>`);
      } else {
        out.push('</li><li>');
      }
      out.push(renderInline(item[3]));
      continue;
    }
    if (lists.length && /^\s+\S/.test(line)) {
      out.push(`<br>${renderInline(line.trim())}`); // continuation of a list item
      continue;
    }
    closeLists();
    paragraph.push(line.trim());
  }
  closeAll();
  return out.join('\n');
}

/** Inline Markdown of one line: code spans, links, emphasis. */
export function renderInline(text: string): string {
  let out = '';
  const code = /(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g;
  let last = 0;
  for (let m = code.exec(text); m; m = code.exec(text)) {
    out += renderLinks(text.slice(last, m.index));
    out += `<code>${escapeHtml(m[2].trim() ? m[2].replace(/^ (.*) $/, '$1') : m[2])}</code>`;
    last = m.index + m[0].length;
  }
  return out + renderLinks(text.slice(last));
}

function renderLinks(text: string): string {
  let out = '';
  const link = /\[([^\]\n]+)\]\(\s*<?([^()\s<>]*)>?(?:\s+"[^"]*")?\s*\)/g;
  let last = 0;
  for (let m = link.exec(text); m; m = link.exec(text)) {
    out += renderEmphasis(escapeHtml(text.slice(last, m.index)));
    const label = renderEmphasis(escapeHtml(m[1]));
    const target = safeLinkTarget(m[2]);
    out += target ? `<a href="${escapeHtml(target)}">${label}</a>` : label;
    last = m.index + m[0].length;
  }
  return out + renderEmphasis(escapeHtml(text.slice(last)));
}

/** Emphasis on already-escaped text (entities contain no `*`, `_` or `~`). */
function renderEmphasis(escaped: string): string {
  return escaped
    .replace(/\*\*(?=\S)([\s\S]*?\S)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^\w])__(?=\S)([\s\S]*?\S)__(?!\w)/g, '$1<strong>$2</strong>')
    .replace(/~~(?=\S)([\s\S]*?\S)~~/g, '<del>$1</del>')
    .replace(/(^|[^*\w])\*(?=[^\s*])([^*]*?[^\s*])\*(?!\*)/g, '$1<em>$2</em>')
    .replace(/(^|[^\w])_(?=[^\s_])([^_]*?[^\s_])_(?!\w)/g, '$1<em>$2</em>');
}
