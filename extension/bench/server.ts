// `tandem bench server`: Tandem on a shared llama-server under load. N simulated editors
// (serverEditor.ts: real typing replayed in real time through the real pipeline) type at once —
// each its own user, in its own three files (workload seed + editor index) — against one
// llama-server with S slots, for each N asked (1, 2, 4, 8 by default; a fresh server per N, so no
// N starts with another's caches). The engine is Tandem's own server engine (engine/server/
// serverEngine.ts: prompts as token ids, cache_prompt, streaming, an HTTP abort per cancellation).
// The baseline is the same as N = 1 on the local engine: editor 0's typing, the same model file,
// through the engine host and the addon, as `bench typing` runs it.
//
// Per run: engine requests, aborted ones (cancelled by a newer keystroke), errors, time to first
// token and completion time p50/p95 (client side, from engine.complete()), and from the server's
// /metrics: prompt tokens it evaluated and found cached, tokens it generated, and of those the ones
// no editor received (generated after an abort, or for a request already gone).
import * as os from 'node:os';
import { EngineClient } from '../engine/client';
import type { CompletionEngine } from '../engine/completionEngine';
import type { ModelInfo } from '../engine/native';
import { ServerEngine } from '../engine/server/serverEngine';
import { parseServerUrl } from '../engine/server/serverUrl';
import { lineChartSvg, markdownTable, writeReport } from './report';
import { EditorRequest, SimulatedEditor } from './serverEditor';
import { LlamaServer, serverMetrics, startLlamaServer } from './serverProcess';
import { fmt, percentile } from './stats';
import { TypingWorkload, makeTypingWorkload } from './typingWorkload';

export const DEFAULT_EDITOR_COUNTS = [1, 2, 4, 8];

export interface ServerBenchOptions {
  /** out/engineHost.js (or the test build's host.js), for the local baseline */
  hostScript: string;
  addonPath?: string;
  modelPath: string;
  modelOrigin: string;
  /** the llama-server binary to start (one server per editor count) … */
  serverBinary?: string;
  /** … or a running llama-server to use for every editor count (its caches carry over) */
  serverUrl?: string;
  sources: string[];
  seed: number;
  bursts: number;
  editors: number[];
  slots: number;
  /** context of each slot, and of the local engine */
  contextSize: number;
  maxTokens: number;
  threads?: number;
  restMs: number;
  speed: number;
  /** run the local-engine baseline */
  local: boolean;
  outDir: string;
  log?: (line: string) => void;
}

interface Percentiles {
  p50: number | null;
  p95: number | null;
}

export interface RunFigures {
  engine: 'server' | 'local';
  editors: number;
  requests: number;
  completed: number;
  aborted: number;
  errors: number;
  ttftMs: Percentiles;
  completionMs: Percentiles;
  /** tokens the editors received (aborted requests' partial text included) */
  receivedTokens: number;
  promptTokens: number;
  cachedPromptTokens: number;
  /** from the server's /metrics (server runs started here or given with --server) */
  server?: {
    promptTokensEvaluated: number;
    promptTokensCached: number;
    tokensGenerated: number;
    /** generated tokens no editor received */
    tokensUnreceived: number;
    busySlotsPerDecode: number | null;
  };
  prewarms: { sent: number; completed: number };
  wallSeconds: number;
  errorSamples: string[];
}

const p = (values: number[]): Percentiles => ({ p50: percentile(values, 50), p95: percentile(values, 95) });

function figuresOf(
  engine: RunFigures['engine'],
  editors: SimulatedEditor[],
  wallSeconds: number,
  server?: RunFigures['server'],
): RunFigures {
  const requests: EditorRequest[] = editors.flatMap((e) => e.requests);
  const errors = editors.flatMap((e) => e.errors);
  return {
    engine,
    editors: editors.length,
    requests: requests.length,
    completed: requests.filter((r) => r.totalMs !== undefined).length,
    aborted: requests.filter((r) => r.aborted).length,
    errors: errors.length,
    ttftMs: p(requests.flatMap((r) => (r.ttftMs === undefined ? [] : [r.ttftMs]))),
    completionMs: p(requests.flatMap((r) => (r.totalMs === undefined ? [] : [r.totalMs]))),
    receivedTokens: requests.reduce((n, r) => n + r.tokens, 0),
    promptTokens: requests.reduce((n, r) => n + r.promptTokens, 0),
    cachedPromptTokens: requests.reduce((n, r) => n + r.cachedTokens, 0),
    server,
    prewarms: editors.reduce((a, e) => ({ sent: a.sent + e.prewarms.sent, completed: a.completed + e.prewarms.completed }), {
      sent: 0,
      completed: 0,
    }),
    wallSeconds,
    errorSamples: [...new Set(errors)].slice(0, 5),
  };
}

/** Editors typing at once; resolves when all are done. */
async function runEditors(
  engines: CompletionEngine[],
  model: ModelInfo,
  workloads: TypingWorkload[],
  o: ServerBenchOptions,
): Promise<{ editors: SimulatedEditor[]; wallSeconds: number }> {
  const editors = engines.map(
    (engine, index) =>
      new SimulatedEditor({
        index,
        engine,
        model,
        workload: workloads[index],
        contextSize: o.contextSize,
        maxTokens: o.maxTokens,
        restMs: o.restMs,
        speed: o.speed,
        prewarm: true,
      }),
  );
  const t0 = performance.now();
  try {
    await Promise.all(editors.map((e) => e.run()));
  } finally {
    for (const e of editors) e.dispose();
  }
  return { editors, wallSeconds: (performance.now() - t0) / 1000 };
}

async function serverRun(n: number, workloads: TypingWorkload[], o: ServerBenchOptions, log: (line: string) => void): Promise<RunFigures> {
  let server: LlamaServer | undefined;
  const engines: ServerEngine[] = [];
  try {
    if (!o.serverUrl) {
      server = await startLlamaServer({
        binary: o.serverBinary!,
        model: o.modelPath,
        slots: o.slots,
        contextSize: o.contextSize,
        threads: o.threads,
      });
      log(
        `bench server: llama-server ${server.url} (pid ${server.pid}), ${o.slots} slot${o.slots > 1 ? 's' : ''} × ${o.contextSize} tokens`,
      );
    }
    const url = o.serverUrl ?? server!.url;
    const target = parseServerUrl(url);
    for (let i = 0; i < n; i++) engines.push(new ServerEngine({ target, log: (line) => log(`[editor ${i}] ${line}`) }));
    const model = await engines[0].ensureCompletionModel();
    await Promise.all(engines.slice(1).map((e) => e.ensureCompletionModel()));
    // warm-up outside the timings (graphs, first allocation)
    await engines[0].complete({ prompt: ['function warmUp(a, b) {\n  return a + b;\n}\n'], maxTokens: 2 });
    const before = await serverMetrics(url);
    log(`bench server: ${n} editor(s) typing at once`);
    const { editors, wallSeconds } = await runEditors(engines, model, workloads.slice(0, n), o);
    const after = await serverMetrics(url);
    const delta = (name: string) => (after[`llamacpp:${name}`] ?? 0) - (before[`llamacpp:${name}`] ?? 0);
    const received = editors.reduce((sum, e) => sum + e.requests.reduce((s, r) => s + r.tokens, 0), 0);
    const generated = delta('tokens_predicted_total');
    return figuresOf('server', editors, wallSeconds, {
      promptTokensEvaluated: delta('prompt_tokens_total'),
      promptTokensCached: delta('prompt_tokens_cached_total'),
      tokensGenerated: generated,
      tokensUnreceived: Math.max(0, generated - received),
      busySlotsPerDecode: after['llamacpp:n_busy_slots_per_decode'] ?? null,
    });
  } finally {
    for (const e of engines) e.dispose();
    await server?.stop();
  }
}

async function localRun(workloads: TypingWorkload[], o: ServerBenchOptions, log: (line: string) => void): Promise<RunFigures> {
  const client = new EngineClient({
    hostScript: o.hostScript,
    addonPath: o.addonPath,
    logLevel: 'error',
    log: (line) => log(`[local engine] ${line}`),
  });
  try {
    const model = await client.loadModel(o.modelPath, { contextSize: o.contextSize, threads: o.threads });
    await client.complete({ prompt: ['function warmUp(a, b) {\n  return a + b;\n}\n'], maxTokens: 2 });
    log('bench server: the local engine, 1 editor (the baseline)');
    const { editors, wallSeconds } = await runEditors([client], model, workloads.slice(0, 1), o);
    return figuresOf('local', editors, wallSeconds);
  } finally {
    await client.disposeAsync();
  }
}

export async function runServerBench(o: ServerBenchOptions) {
  const log = o.log ?? (() => undefined);
  if (!o.serverUrl && !o.serverBinary) throw new Error('bench server: needs a llama-server binary or a server URL');
  const most = Math.max(...o.editors);
  const workloads = Array.from({ length: most }, (_, i) => makeTypingWorkload({ sources: o.sources, seed: o.seed + i, bursts: o.bursts }));
  for (const [i, w] of workloads.entries()) {
    log(`bench server: editor ${i}: ${w.files.map((f) => f.path).join(', ')}; ${w.bursts} bursts, ${w.keystrokes} keystrokes`);
  }
  const runs: RunFigures[] = [];
  if (o.local) runs.push(await localRun(workloads, o, log));
  for (const n of o.editors) runs.push(await serverRun(n, workloads, o, log));
  return report(o, workloads, runs);
}

function report(o: ServerBenchOptions, workloads: TypingWorkload[], runs: RunFigures[]) {
  const label = (r: RunFigures) =>
    `${r.engine === 'local' ? 'local engine' : `llama-server, ${o.slots} slot${o.slots > 1 ? 's' : ''}`} · ${r.editors} editor${r.editors > 1 ? 's' : ''}`;
  const json = {
    suite: 'server',
    model: { path: o.modelPath, origin: o.modelOrigin },
    server: o.serverUrl ? { url: o.serverUrl } : { binary: o.serverBinary, slots: o.slots, contextSize: o.contextSize },
    slots: o.slots,
    contextSize: o.contextSize,
    maxTokens: o.maxTokens,
    threads: o.threads ?? `each engine's default (this machine has ${os.cpus().length} hardware threads)`,
    seed: o.seed,
    bursts: o.bursts,
    speed: o.speed,
    restMs: o.restMs,
    keystrokesPerEditor: workloads.map((w) => w.keystrokes),
    runs: Object.fromEntries(runs.map((r) => [label(r), r])),
    note:
      'Each editor replays real typing (bench typing workload, seed + editor index) in real time through the real pipeline (anchored prompts, ' +
      'debounce, type-through cache, pre-warm); a newer keystroke cancels the previous request as VS Code does. Time to first token and ' +
      'completion time are measured in the editor from engine.complete() (HTTP and tokenization included for the server). "unreceived" are ' +
      'tokens the server generated (its /metrics) that no editor received: work done after an abort, and tokens held back as the start of ' +
      'a stop string. Random-weight models prove latency and load, not suggestion quality.',
  };
  const header = [
    'engine · editors',
    'requests',
    'aborted',
    'errors',
    'first token p50 ms',
    'p95',
    'completion p50 ms',
    'p95',
    'prompt tokens evaluated / cached (server)',
    'generated / unreceived (server)',
  ];
  const rows = runs.map((r) => [
    label(r),
    r.requests,
    r.aborted,
    r.errors,
    fmt(r.ttftMs.p50, 0),
    fmt(r.ttftMs.p95, 0),
    fmt(r.completionMs.p50, 0),
    fmt(r.completionMs.p95, 0),
    r.server ? `${r.server.promptTokensEvaluated} / ${r.server.promptTokensCached}` : '–',
    r.server ? `${r.server.tokensGenerated} / ${r.server.tokensUnreceived}` : '–',
  ]);
  const table = markdownTable(header, rows);
  const serverRuns = runs.filter((r) => r.engine === 'server');
  const svg = lineChartSvg(
    `bench server: time to first token vs editors (${o.slots} slots)`,
    [
      { label: 'p50', points: serverRuns.map((r): [number, number] => [r.editors, r.ttftMs.p50 ?? NaN]) },
      { label: 'p95', points: serverRuns.map((r): [number, number] => [r.editors, r.ttftMs.p95 ?? NaN]) },
      ...runs
        .filter((r) => r.engine === 'local')
        .map((r) => ({
          label: 'local p50',
          dashed: true,
          points: serverRuns.map((s): [number, number] => [s.editors, r.ttftMs.p50 ?? NaN]),
        })),
    ],
    { x: 'editors typing at once', y: 'ms', logX: true },
  );
  const markdown =
    `# Server load benchmark\n\nmodel ${o.modelOrigin} (${o.modelPath}); ${o.serverUrl ? `server ${o.serverUrl}` : `llama-server with ${o.slots} slots of ${o.contextSize} tokens`}; ` +
    `threads ${json.threads}; at most ${o.maxTokens} tokens per completion; ${o.bursts} bursts per editor (${workloads.map((w) => w.keystrokes).join(', ')} keystrokes), ` +
    `typing speed ×${o.speed}, rest ${o.restMs} ms\n\n${table}\n\n${json.note}\n`;
  const files = writeReport(o.outDir, 'server', json, markdown, svg);
  return { json, table, files };
}
