// Post-processing (postProcess.ts): what ghost text a raw model output becomes at a cursor (stop
// rules, suffix dedupe, indentation, trimming). `█` marks the cursor.
import * as assert from 'node:assert/strict';
import { planCompletion } from '../../extension/completion/completionPlan';
import { detectIndentUnit, postProcessCompletion } from '../../extension/completion/postProcess';

import { at } from './support/cursorMarker';

function ghost(document: string, raw: string, indentUnit = '    '): string {
  const c = at(document);
  const plan = planCompletion({ linePrefix: c.linePrefix, lineSuffix: c.lineSuffix, maxTokens: 64 });
  return postProcessCompletion({ text: raw, ...c, multiline: plan.multiline, indentUnit });
}

describe('post-processing and stop rules', () => {
  const cases: { name: string; doc: string; raw: string; want: string; indentUnit?: string }[] = [
    // single line
    { name: 'single line keeps the first line', doc: 'const x = █', raw: '42;\nconst y = 1;', want: '42;' },
    { name: 'drops text the line already has after the cursor', doc: 'foo(█)', raw: 'a, b)', want: 'a, b' },
    { name: 'drops the line suffix even with more after it', doc: 'foo(█);', raw: 'a, b);', want: 'a, b' },
    { name: 'keeps brackets the completion opened itself', doc: 'foo(█)', raw: 'bar(1))', want: 'bar(1)' },
    { name: 'a completion that only repeats the suffix is nothing', doc: 'foo(█)', raw: ')', want: '' },
    { name: 'trailing whitespace is trimmed', doc: 'x = █', raw: 'y + 1   ', want: 'y + 1' },
    { name: 'whitespace-only output is nothing (Tab still indents)', doc: 'def f():\n█', raw: '    \n  ', want: '' },
    // multi-line: stop at the suffix's next line
    {
      name: 'stops before the line the suffix already has',
      doc: 'function f(a) {\n  █\n}\n',
      raw: 'const b = a + 1;\n  return b;\n}\n',
      want: 'const b = a + 1;\n  return b;',
    },
    {
      name: 'stops before a repeat of the next non-blank suffix line',
      doc: 'def f(a):\n    █\n\n    return b\n',
      raw: 'b = a * 2\n    return b\n',
      want: 'b = a * 2',
    },
    // unbalanced closing bracket
    {
      name: 'stops at a line closing a bracket opened before the cursor',
      doc: 'if (x) {\n  █',
      raw: 'y();\n}\nmore();',
      want: 'y();',
    },
    // dedent out of the block
    {
      name: 'stops when a line dedents out of the cursor block (python)',
      doc: 'def f(a):\n    █',
      raw: 'return a + 1\n\ndef g():\n    pass',
      want: 'return a + 1',
    },
    {
      name: 'a block opened at the end of the line runs to its own closing line',
      doc: 'function f() {█',
      raw: '\n  return 1;\n}\nfunction g() {}',
      want: '\n  return 1;\n}',
    },
    {
      name: 'a python block opened at the end of the line stops at the next top-level line',
      doc: 'def f():█',
      raw: '\n    return 1\ndef g():\n    pass',
      want: '\n    return 1',
    },
    // repeated lines
    {
      name: 'stops when the model repeats the previous line',
      doc: 'def f():\n    █',
      raw: 'x = load()\n    x = load()\n    x = load()',
      want: 'x = load()',
    },
    {
      name: 'short repeated lines (closing brackets) are fine',
      doc: 'function f() {\n  █',
      raw: 'if (a) {\n    if (b) {\n      c();\n    }\n  }',
      want: 'if (a) {\n    if (b) {\n      c();\n    }\n  }',
    },
    // indentation
    {
      name: 'tabs from the model become the document indentation (spaces)',
      doc: 'def f():\n    █',
      raw: 'if x:\n\t\treturn 1',
      want: 'if x:\n        return 1',
    },
    {
      name: 'spaces from the model become tabs in a tab-indented document',
      doc: 'function f() {\n\t█',
      raw: 'if (a) {\n\t\tb();\n\t}',
      indentUnit: '\t',
      want: 'if (a) {\n\t\tb();\n\t}',
    },
    {
      name: 'trailing blank lines and line-end whitespace go',
      doc: 'def f():\n    █',
      raw: 'a = 1  \n    b = 2\t\n\n\n',
      want: 'a = 1\n    b = 2',
    },
    { name: 'CRLF output becomes LF', doc: 'def f():\n    █', raw: 'a = 1\r\n    b = 2', want: 'a = 1\n    b = 2' },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(ghost(c.doc, c.raw, c.indentUnit), c.want));
  }

  it('detects the indentation unit from the code before the cursor', () => {
    assert.equal(detectIndentUnit('a\n\tb\n\t\tc\n'), '\t');
    assert.equal(detectIndentUnit('a\n  b\n    c\n'), '  ');
    assert.equal(detectIndentUnit('x = 1\n'), '    ');
  });
});
