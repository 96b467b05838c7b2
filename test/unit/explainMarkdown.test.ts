// The Explain panel's Markdown renderer: model output is untrusted, so no raw HTML, event handler
// or script URL may survive; the Markdown it does support renders as expected.
import * as assert from 'node:assert/strict';
import { escapeHtml, renderMarkdown, safeLinkTarget } from '../../extension/explain/markdown';

const ALLOWED_TAGS = new Set([
  'p',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'pre',
  'code',
  'ul',
  'ol',
  'li',
  'blockquote',
  'hr',
  'strong',
  'em',
  'del',
  'a',
  'br',
]);

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
    for (const url of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      ' javascript:alert(1)',
      'java\tscript:alert(1)',
      'data:text/html;base64,PHNjcmlwdD4=',
      'vbscript:msgbox',
      'command:workbench.action.quit',
      '/relative',
      '//evil.example',
    ]) {
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
    const pieces = [
      '<',
      '>',
      '"',
      "'",
      '`',
      '```',
      '*',
      '_',
      '[',
      ']',
      '(',
      ')',
      'javascript:',
      'https://x',
      'onerror=',
      '<script>',
      '</script>',
      '<img src=x ',
      '&',
      '&lt;',
      '\n',
      '\n\n',
      '- ',
      '1. ',
      '# ',
      '> ',
      '~~',
      'a',
      ' ',
    ];
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let n = 0; n < 500; n++) {
      let text = '';
      for (let i = 0; i < 40; i++) text += pieces[Math.floor(random() * pieces.length)];
      assertOnlySafeMarkup(renderMarkdown(text));
    }
  });

  it('renders headings, emphasis, inline code, lists and fenced code', () => {
    const html = renderMarkdown(
      [
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
      ].join('\n'),
    );
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

// Model output is untrusted and the panel re-renders it every ~50 ms while it streams: rendering
// must be linear and free of recursion whatever the text. The old renderer overflowed the stack
// on deep quotes and backtracked for seconds (a heading: minutes) on these.
describe('explain: markdown renderer on hostile input', () => {
  const runLengths: number[] = [];
  for (let n = 1, total = 0; total < 100_000; n++, total += n + 1) runLengths.push(n);
  const count = (html: string, what: string) => html.split(what).length - 1;
  const hostile: [name: string, input: string, check: (html: string) => void][] = [
    [
      '10,000 nested > quotes',
      '>'.repeat(10_000) + ' deep',
      (html) => {
        assert.equal(count(html, '<blockquote>'), 10_000);
        assert.equal(count(html, '</blockquote>'), 10_000);
        assert.match(html, /<blockquote><p>deep<\/p><\/blockquote>/);
      },
    ],
    ['10,000 nested "> " quotes', '> '.repeat(10_000) + 'deep', (html) => assert.equal(count(html, '<blockquote>'), 10_000)],
    [
      'a list nested 10,000 deep',
      Array.from({ length: 10_000 }, (_, i) => '\t'.repeat(i) + '- x').join('\n'),
      (html) => {
        assert.equal(count(html, '<ul><li>'), 10_000);
        assert.equal(count(html, '</li></ul>'), 10_000);
      },
    ],
    ['10,000 list markers on one line', '- '.repeat(10_000) + 'x', (html) => assert.equal(count(html, '<li>'), 1)],
    ['100k backticks', 'x ' + '`'.repeat(100_000), (html) => assert.equal(html, `<p>x ${'`'.repeat(100_000)}</p>`)],
    [
      'unpaired backtick runs of every length up to ~450',
      runLengths.map((n) => '`'.repeat(n)).join('a'),
      (html) => {
        assert.ok(count(html, '<code>') < runLengths.length);
      },
    ],
    ['a link with 64k spaces', '[a](' + ' '.repeat(65_536) + 'x', (html) => assert.doesNotMatch(html, /<a /)],
    ['100k [', '['.repeat(100_000), (html) => assert.equal(html, `<p>${'['.repeat(100_000)}</p>`)],
    ['100k *', 'a' + '*'.repeat(100_000) + 'a', (html) => assert.match(html, /^<p>a/)],
    ['100k _', 'a' + '_'.repeat(100_000) + 'a', (html) => assert.equal(html, `<p>a${'_'.repeat(100_000)}a</p>`)],
    ['unclosed ** __ ~~, 8,000 each', '**a __b ~~c '.repeat(8_000), (html) => assert.doesNotMatch(html, /<strong>|<del>/)],
    ['a heading with 20k spaces inside', '# a' + ' '.repeat(20_000) + 'b', (html) => assert.match(html, /^<h1>a {20000}b<\/h1>$/)],
    [
      'a list item with 50k spaces before a line separator',
      '- ' + ' '.repeat(50_000) + 'x\u2028x',
      (html) => assert.doesNotMatch(html, /<li>/),
    ],
    [
      'mixed',
      [
        ('> - [a](' + ' '.repeat(200) + '`'.repeat(7) + '**_~~ <img src=x onerror=alert(1)> ').repeat(500),
        ('>'.repeat(300) + ' [x](  "javascript:alert(1)" ```\n').repeat(30),
        '>'.repeat(2_000) + ' ```js',
        '[x](javascript:alert(1)) <script>alert(1)</script> ' + '*_'.repeat(20_000),
      ].join('\n'),
      (html) => assert.ok(count(html, '<blockquote>') >= 2_300),
    ],
  ];

  for (const [name, input, check] of hostile) {
    it(`${name}: safe output`, () => {
      const html = renderMarkdown(input);
      assertOnlySafeMarkup(html);
      check(html);
    });
  }

  it('renders the whole hostile set in well under the streaming budget', () => {
    // generous (the machine is shared): the old renderer took seconds per input, or overflowed
    const started = Date.now();
    for (const [, input] of hostile) renderMarkdown(input);
    const ms = Date.now() - started;
    assert.ok(ms < 2000, `${ms} ms`);
  });
});

// The scanners that replaced the renderer's regexes keep its output, corner cases included
// (outputs recorded from the regex renderer).
describe('explain: markdown renderer keeps its rules', () => {
  const cases: [string, string][] = [
    ['``a` and `` b`c `` and ```x``', '<p><code>a` and </code> b`c <code> and ```x</code></p>'],
    ['`a`` b ``` c```d` e', '<p><code>a`` b ``` c```d</code> e</p>'],
    ['` ` and `  ` and `` ` `` and ` a `', '<p><code> </code> and <code>  </code> and <code>`</code> and <code>a</code></p>'],
    ['[a]( "t t") [b]( "x")', '<p>a b</p>'],
    [
      '[a](<https://x.example> "title (with) parens" ) [[b]](https://y.example)',
      '<p><a href="https://x.example">a</a> [[b]](https://y.example)</p>',
    ],
    ['[a [b](https://x.example) c](https://z.example)', '<p><a href="https://x.example">a [b</a> c](https://z.example)</p>'],
    [
      '**a **b** c** __x__y__ _a_b_ *a*b* ~~ x~~ ~~y~~ ***z***',
      '<p><strong>a **b</strong> c** <strong>x__y</strong> _a_b_ <em>a</em>b* ~~ x~~ <del>y</del> <strong><em>z</strong></em></p>',
    ],
    ['a__b__ (__c__) __d__. _e_, (*f*)', '<p>a__b__ (<strong>c</strong>) <strong>d</strong>. <em>e</em>, (<em>f</em>)</p>'],
    [
      '####### \n####### x\n# Title #\n#\n## ##\n#    spaced    ##  \n#no',
      '<h6></h6>\n<p>####### x</p>\n<h1>Title</h1>\n<h1></h1>\n<h2></h2>\n<h1>spaced</h1>\n<p>#no</p>',
    ],
    [
      '- \n-\n* * *\n- - -\n___\n+ plus\n1) one\n1234567890. ten',
      '<ul><li>\n\n</li></ul>\n<p>-</p>\n<hr>\n<hr>\n<hr>\n<ul><li>\nplus\n</li></ul>\n<ol><li>\none\n</li></ol>\n<p>1234567890. ten</p>',
    ],
    [
      '> quoted\n> - list in quote\n>\n> > nested\n> > ```js\n> > code <b>\nafter',
      '<blockquote><p>quoted</p>\n<ul><li>\nlist in quote\n</li></ul>\n<blockquote><p>nested</p>\n<pre><code class="language-js">code &lt;b&gt;</code></pre></blockquote></blockquote>\n<p>after</p>',
    ],
    [
      '- a\n\n- b\n\n  cont\nlazy\n\n\tindented\n- c\n   - d\n - e',
      '<ul><li>\na\n</li><li>\nb\n</li></ul>\n<p>cont<br>\nlazy</p>\n<p>indented</p>\n<ul><li>\nc\n<ul><li>\nd\n</li></ul>\n<ul><li>\ne\n</li></ul>\n</li></ul>',
    ],
    [
      '> ```\n> open fence\n\n```\n> inside fence\n~~~~\nstill\n~~~',
      '<blockquote><pre><code>open fence</code></pre></blockquote>\n<pre><code>&gt; inside fence\n~~~~\nstill\n~~~</code></pre>',
    ],
    [
      '>>> deep\n>> less\n> > > spaced\n    > four spaces',
      '<blockquote><blockquote><blockquote><p>deep</p></blockquote>\n<p>less</p>\n<blockquote><p>spaced</p></blockquote></blockquote></blockquote>\n<p>&gt; four spaces</p>',
    ],
    [
      'line one\nline two\n\n---\n# h\ntext\n> q\ntext',
      '<p>line one<br>\nline two</p>\n<hr>\n<h1>h</h1>\n<p>text</p>\n<blockquote><p>q</p></blockquote>\n<p>text</p>',
    ],
    [
      '- a\n> q\n- b\n\n> q2\n\n  - c',
      '<ul><li>\na\n</li></ul>\n<blockquote><p>q</p></blockquote>\n<ul><li>\nb\n</li></ul>\n<blockquote><p>q2</p></blockquote>\n<ul><li>\nc\n</li></ul>',
    ],
    ['> - a\n>\n> - b\n>\n> c', '<blockquote><ul><li>\na\n</li><li>\nb\n</li></ul>\n<p>c</p></blockquote>'],
    ['```~~~\ncode\n```\n~~~ `x`\ntext', '<pre><code>code</code></pre>\n<p>~~~ <code>x</code><br>\ntext</p>'],
  ];
  for (const [input, expected] of cases) {
    it(JSON.stringify(input).slice(0, 60), () => assert.equal(renderMarkdown(input), expected));
  }
});
