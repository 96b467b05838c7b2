// The Explain panel's Markdown renderer: model output is untrusted, so no raw HTML, event handler
// or script URL may survive; the Markdown it does support renders as expected.
import * as assert from 'node:assert/strict';
import { escapeHtml, renderMarkdown, safeLinkTarget } from '../../extension/explain/markdown';

const ALLOWED_TAGS = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'pre', 'code', 'ul', 'ol', 'li', 'blockquote', 'hr', 'strong', 'em', 'del', 'a', 'br']);

/** Every tag in `html` is one the renderer writes, with only the attributes it writes. */
function assertOnlySafeMarkup(html: string): void {
  for (const m of html.matchAll(/<\/?([a-zA-Z][\w-]*)([^>]*)>/g)) {
    const [tag, name, attrs] = m;
    assert.ok(ALLOWED_TAGS.has(name), `unexpected tag ${tag}`);
    const attributes = [...attrs.matchAll(/\s([\w-]+)="([^"]*)"/g)];
    const rest = attrs.replace(/\s([\w-]+)="([^"]*)"/g, '').trim();
    assert.equal(rest, '', `unexpected attribute text in ${tag}`);
    for (const [, attr, value] of attributes) {
      if (name === 'a' && attr === 'href') assert.match(value, /^https?:\/\//i, tag);
      else if (name === 'code' && attr === 'class') assert.match(value, /^language-[\w+#.-]+$/, tag);
      else assert.fail(`unexpected attribute in ${tag}`);
    }
  }
  assert.doesNotMatch(html, /<script|<img|<iframe|<svg|<style|<object|<embed|<link|<meta/i);
  for (const m of html.matchAll(/<[^>]*>/g)) assert.doesNotMatch(m[0], /\son\w+\s*=/i, 'no event handler attribute');
  assert.doesNotMatch(html, /href="\s*(javascript|data|vbscript)/i);
}

describe('explain: markdown renderer', () => {
  it('escapes script tags, in text and in code', () => {
    const html = renderMarkdown('Hi <script>alert(1)</script>\n\n`<script>x</script>`\n\n```html\n<script src="x"></script>\n```');
    assertOnlySafeMarkup(html);
    assert.match(html, /Hi &lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(html, /<code>&lt;script&gt;x&lt;\/script&gt;<\/code>/);
    assert.match(html, /<pre><code class="language-html">&lt;script src=&quot;x&quot;&gt;&lt;\/script&gt;<\/code><\/pre>/);
  });

  it('neutralises event handlers and other raw HTML', () => {
    const inputs = [
      '<img src=x onerror="alert(1)">',
      '<a href="#" onclick=alert(1)>x</a>',
      '<svg onload=alert(1)>',
      '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
      '**<b onmouseover=alert(1)>bold</b>**',
      '- <style>body{display:none}</style>',
      '# <meta http-equiv="refresh" content="0;url=https://evil">',
      '> <object data="javascript:alert(1)">',
    ];
    for (const input of inputs) {
      const html = renderMarkdown(input);
      assertOnlySafeMarkup(html);
      assert.ok(html.includes('&lt;'), `escaped: ${html}`);
    }
  });

  it('links only to http(s): javascript:, data:, vbscript: and relative links become text', () => {
    for (const url of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' javascript:alert(1)', 'java\tscript:alert(1)',
      'data:text/html;base64,PHNjcmlwdD4=', 'vbscript:msgbox', 'command:workbench.action.quit', '/relative', '//evil.example']) {
      const html = renderMarkdown(`see [click me](${url}) now`);
      assertOnlySafeMarkup(html);
      assert.doesNotMatch(html, /<a /, `${url} → ${html}`);
      assert.match(html, /click me/);
    }
    const ok = renderMarkdown('see [docs](https://example.com/a?b=1&c="2") and [x](http://e.org)');
    assertOnlySafeMarkup(ok);
    assert.match(ok, /<a href="https:\/\/example\.com\/a\?b=1&amp;c=&quot;2&quot;">docs<\/a>/);
    assert.match(ok, /<a href="http:\/\/e\.org">x<\/a>/);
    assert.equal(safeLinkTarget('https://a.b'), 'https://a.b');
    assert.equal(safeLinkTarget('https:/a'), undefined);
  });

  it('an attribute cannot be broken out of', () => {
    const html = renderMarkdown('[x](https://a.example/"onmouseover="alert(1)) [y](https://a.example/\'x\'onload=1)');
    assertOnlySafeMarkup(html);
  });

  it('survives a fuzz of dangerous fragments', () => {
    const pieces = ['<', '>', '"', "'", '`', '```', '*', '_', '[', ']', '(', ')', 'javascript:', 'https://x', 'onerror=', '<script>',
      '</script>', '<img src=x ', '&', '&lt;', '\n', '\n\n', '- ', '1. ', '# ', '> ', '~~', 'a', ' '];
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let n = 0; n < 500; n++) {
      let text = '';
      for (let i = 0; i < 40; i++) text += pieces[Math.floor(random() * pieces.length)];
      assertOnlySafeMarkup(renderMarkdown(text));
    }
  });

  it('renders headings, emphasis, inline code, lists and fenced code', () => {
    const html = renderMarkdown([
      '## What it does',
      'Adds **two** numbers with *care* and `a + b`, ~~never~~ _always_.',
      '',
      '- first',
      '- second with `code`',
      '  - nested',
      '',
      '1. one',
      '2. two',
      '',
      '```ts',
      'const x = a * b * c; // *not emphasis*',
      '```',
    ].join('\n'));
    assertOnlySafeMarkup(html);
    assert.match(html, /<h2>What it does<\/h2>/);
    assert.match(html, /<strong>two<\/strong>/);
    assert.match(html, /<em>care<\/em>/);
    assert.match(html, /<em>always<\/em>/);
    assert.match(html, /<del>never<\/del>/);
    assert.match(html, /<code>a \+ b<\/code>/);
    const flat = html.replace(/\n/g, '');
    assert.match(flat, /<ul><li>first<\/li><li>second with <code>code<\/code><ul><li>nested<\/li><\/ul><\/li><\/ul>/);
    assert.match(flat, /<ol><li>one<\/li><li>two<\/li><\/ol>/);
    assert.match(html, /<pre><code class="language-ts">const x = a \* b \* c; \/\/ \*not emphasis\*<\/code><\/pre>/);
  });

  it('an unterminated fence (still streaming) renders as code to the end', () => {
    const html = renderMarkdown('Look:\n```python\ndef f():\n    return "<b>"');
    assert.match(html, /<pre><code class="language-python">def f\(\):\n    return &quot;&lt;b&gt;&quot;<\/code><\/pre>$/);
  });

  it('a fence info string cannot inject a class', () => {
    const html = renderMarkdown('```" onclick="x\ncode\n```');
    assertOnlySafeMarkup(html);
    assert.match(html, /<pre><code>code<\/code><\/pre>/);
  });

  it('escapeHtml escapes the five HTML specials', () => {
    assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});
