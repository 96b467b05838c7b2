// Provider overhead: time spent in the extension per keystroke, the engine excluded — reading the
// cursor window, choosing context chunks, building the FIM prompt, the draft documents (with the
// EngineClient's incremental stripping and the JSON encoding of the IPC message), the cache and
// post-processing. A 5,000-line file (TypeScript's own compiler source) with 20 other open files
// (mocha's and esbuild's sources), mocked vscode, an engine that answers at once.
// Also: time to the first ghost text with and without streaming the first line, against an
// engine simulated at a fixed speed.
//   node esbuild.js --tests && node out/test-build/test/bench/providerOverhead.js [--keystrokes N] [--json]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CancellationTokenSource, Position, TextDocument, createVscodeMock, installVscodeMock } from '../unit/support/vscodeMock';

const root = path.resolve(__dirname, '..', '..', '..', '..');
const args = process.argv.slice(2);
const keystrokes = Number(args[args.indexOf('--keystrokes') + 1]) || 400;
const asJson = args.includes('--json');

function listJs(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) listJs(p, out);
    else if (e.name.endsWith('.js')) out.push(p);
  }
  return out;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted[sorted.length - 1] };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const mock = createVscodeMock();
  const uninstall = installVscodeMock(mock.vscode);
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { CompletionController } =
    require('../../extension/completion/completionController') as typeof import('../../extension/completion/completionController');
  const { TandemInlineCompletionProvider } =
    require('../../extension/completion/inlineProvider') as typeof import('../../extension/completion/inlineProvider');
  const { readSettings } = require('../../extension/ui/settings') as typeof import('../../extension/ui/settings');
  const { WorkspaceContext } =
    require('../../extension/context/workspaceContext') as typeof import('../../extension/context/workspaceContext');
  const { EngineClient } = require('../../extension/engine/client') as typeof import('../../extension/engine/client');
  /* eslint-enable @typescript-eslint/no-require-imports */

  // the documents: a 5,000-line file and 20 other open files, all real code
  const big = fs
    .readFileSync(path.join(root, 'node_modules/typescript/lib/typescript.js'), 'utf8')
    .split('\n')
    .slice(20_000, 25_000)
    .join('\n');
  const current = mock.openDocument(new TextDocument(big, 'javascript', '/work/src/checker.js'));
  const others = [...listJs(path.join(root, 'node_modules/mocha/lib')), ...listJs(path.join(root, 'node_modules/esbuild/lib'))]
    .filter((f) => fs.statSync(f).size > 2000)
    .slice(0, 20);
  for (const file of others) mock.openDocument(new TextDocument(fs.readFileSync(file, 'utf8'), 'javascript', file.replace(root, '/work')));
  mock.clipboard.text = 'function copied(node, checker) {\n  return checker.getTypeAtLocation(node);\n}';

  // the engine: EngineClient's own request path (document stripping, JSON encoding of the IPC
  // message) with the process and the model replaced by an instant answer
  const client = new EngineClient({ hostScript: '/nonexistent' });
  let engineMs = 0;
  let ipcBytes = 0;
  const internals = client as unknown as {
    supervisor: { waitReady: () => Promise<boolean> };
    call: (method: string, params: unknown) => Promise<unknown>;
  };
  internals.supervisor.waitReady = async () => true;
  internals.call = async (_method, params) => {
    ipcBytes += JSON.stringify({ type: 'request', id: 1, method: 'complete', params }).length; // what Node's IPC does in this process
    const t = performance.now();
    const result = {
      text: 'checker.getTypeAtLocation(node);',
      tokens: [],
      stats: { promptTokens: 900, reusedTokens: 850, prefillMs: 0, generatedTokens: 8, decodeMs: 0, firstTokenMs: 0, stopReason: 'stop' },
    };
    engineMs += performance.now() - t;
    return result;
  };
  const model = {
    path: '/m.gguf',
    name: 'qwen',
    bos: -1,
    addBos: false,
    fim: { prefix: 151659, suffix: 151661, middle: 151660, pad: 151662, repo: 151663, sep: 151664 },
    fimText: { prefix: '<|fim_prefix|>', suffix: '<|fim_suffix|>', middle: '<|fim_middle|>' },
  };
  const controller = new CompletionController({
    engine: client,
    model: async () => model as never,
    settings: () => ({ maxTokens: 64, prefixTokens: 1024, streamFirstLine: true, prefetch: false }),
    debounce: { minMs: 0, maxMs: 0, initialMs: 0, pauseMs: 1500, window: 16, factor: 1 },
  });
  const workspace = new WorkspaceContext(() => true);
  const provider = new TandemInlineCompletionProvider({
    controller,
    settings: () => ({ enable: true, model: { path: '/m.gguf' } }),
    completionSettings: () => readSettings().completion,
    context: workspace,
  });

  // type at a line start inside a function body near the middle of the file
  const lines = big.split('\n');
  let line = 2500;
  while (!/^\s+\S/u.test(lines[line]) || lines[line].trim().startsWith('//')) line++;
  const indent = /^\s*/u.exec(lines[line])?.[0] ?? '';
  lines.splice(line, 0, indent);
  let text = lines.join('\n');
  let column = indent.length;
  mock.editDocument(current, text, line);

  const keystroke = async (char: string) => {
    const offset = current.offsetAt(new Position(line, column));
    text = text.slice(0, offset) + char + text.slice(offset);
    column++;
    mock.editDocument(current, text, line); // the mock's own re-split of the document: not timed
    engineMs = 0;
    const started = performance.now();
    const items = await provider.provideInlineCompletionItems(
      current as never,
      new Position(line, column) as never,
      { triggerKind: 1 } as never,
      new CancellationTokenSource().token,
    );
    return { ms: performance.now() - started - engineMs, items: items?.length ?? 0 };
  };

  // cold: the first keystroke indexes the 20 open files and sends them to the engine once
  const cold = await keystroke('x');
  const coldBytes = ipcBytes;
  // warm-up
  for (let i = 0; i < 30; i++) await keystroke('abcdefghij'[i % 10]);
  const requestSamples: number[] = [];
  const cacheSamples: number[] = [];
  const requestBytesBefore = ipcBytes;
  let requests = 0;
  const typedWord = 'const answer = lookup(node) + 1; ';
  for (let i = 0; i < keystrokes; i++) {
    const hitsBefore = controller.counters.cacheHits;
    const r = await keystroke(typedWord[i % typedWord.length]);
    if (controller.counters.cacheHits > hitsBefore) cacheSamples.push(r.ms);
    else {
      requestSamples.push(r.ms);
      requests++;
    }
  }
  // type-through: type exactly the suggestion, character by character
  for (let round = 0; round < 20; round++) {
    const suggestion = 'checker.getTypeAtLocation(node);';
    await keystroke(' ');
    for (const char of suggestion.slice(0, 12)) {
      const hitsBefore = controller.counters.cacheHits;
      const r = await keystroke(char);
      if (controller.counters.cacheHits > hitsBefore) cacheSamples.push(r.ms);
    }
  }
  const bytesPerRequest = (ipcBytes - requestBytesBefore) / Math.max(1, requests);

  // time to first ghost text: a 6-line completion from an engine at 20 ms per 4-character token
  const ttfg = async (stream: boolean) => {
    const body = '  const a = 1;\n  const b = 2;\n  const c = 3;\n  const d = 4;\n  const e = 5;\n  return a + b + c + d + e;';
    const slowEngine = {
      async complete(_request: unknown, options: { signal?: AbortSignal; onText?: (s: string) => void } = {}) {
        let out = '';
        for (let i = 0; i < body.length; i += 4) {
          await sleep(20);
          if (options.signal?.aborted) break;
          out += body.slice(i, i + 4);
          options.onText?.(body.slice(i, i + 4));
        }
        return {
          text: out,
          tokens: [],
          stats: {
            promptTokens: 1,
            reusedTokens: 0,
            prefillMs: 0,
            generatedTokens: 1,
            decodeMs: 1,
            firstTokenMs: 1,
            stopReason: 'maxTokens' as const,
          },
        };
      },
    };
    const c = new CompletionController({
      engine: slowEngine,
      model: async () => model as never,
      settings: () => ({ maxTokens: 64, prefixTokens: 1024, streamFirstLine: stream, prefetch: false }),
      debounce: { minMs: 0, maxMs: 0, initialMs: 0, pauseMs: 1500, window: 16, factor: 1 },
    });
    const started = performance.now();
    const answer = await c.provide(
      {
        documentId: `ttfg-${stream}`,
        documentVersion: 1,
        languageId: 'typescript',
        path: 'a.ts',
        prefix: 'function f() {\n',
        suffix: '\n}\n',
        prefixAtDocumentStart: true,
        linePrefix: '',
        lineSuffix: '',
        indentUnit: '  ',
      },
      new AbortController().signal,
    );
    const ms = performance.now() - started;
    c.dispose();
    return { ms, lines: answer?.text.split('\n').length ?? 0 };
  };
  const streamed = await ttfg(true);
  const whole = await ttfg(false);

  controller.dispose();
  workspace.dispose();
  uninstall();

  const request = summary(requestSamples);
  const cached = summary(cacheSamples);
  const result = {
    file: { lines: current.lineCount, openFiles: others.length, otherFileBytes: others.reduce((n, f) => n + fs.statSync(f).size, 0) },
    coldFirstKeystrokeMs: cold.ms,
    coldIpcBytes: coldBytes,
    newRequest: request,
    typeThrough: cached,
    ipcBytesPerRequestWarm: bytesPerRequest,
    timeToFirstGhostText: { streamingMs: streamed.ms, streamingLines: streamed.lines, wholeMs: whole.ms, wholeLines: whole.lines },
  };
  if (asJson) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const f = (n: number) => n.toFixed(2);
  console.log(
    `Provider overhead per keystroke (engine excluded): ${result.file.lines}-line file, ${result.file.openFiles} other open files (${(result.file.otherFileBytes / 1024).toFixed(0)} KiB)`,
  );
  console.log('');
  console.log('| keystroke kind | n | p50 ms | p95 ms | max ms |');
  console.log('|---|---:|---:|---:|---:|');
  console.log(
    `| new engine request (window, chunks, prompt, documents) | ${request.n} | ${f(request.p50)} | ${f(request.p95)} | ${f(request.max)} |`,
  );
  console.log(`| type-through (served from cache) | ${cached.n} | ${f(cached.p50)} | ${f(cached.p95)} | ${f(cached.max)} |`);
  console.log(`| first keystroke (indexes 20 files, sends them once) | 1 | ${f(cold.ms)} | | |`);
  console.log('');
  console.log(
    `IPC bytes: first request ${(coldBytes / 1024).toFixed(0)} KiB (documents sent once), then ${(bytesPerRequest / 1024).toFixed(1)} KiB per request`,
  );
  console.log('');
  console.log('| time to first ghost text (6-line completion, 20 ms per token) | ms | lines shown |');
  console.log('|---|---:|---:|');
  console.log(`| streaming the first line | ${streamed.ms.toFixed(0)} | ${streamed.lines} |`);
  console.log(`| waiting for the whole completion | ${whole.ms.toFixed(0)} | ${whole.lines} |`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
