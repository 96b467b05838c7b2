// `tandem bench <suite>`: resolves the suite's inputs (vocab, source folders, a generated model,
// the cost curve), runs it from extension/bench, and prints the table (or, with --json, the one JSON
// object the suite also writes to OUT/SUITE.json). Exit 1 when e2e finds a mode whose text differs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultSources, runDraftingBench } from '../bench/drafting';
import { ensureBenchModel } from '../bench/benchModels';
import { readCostCurveFile, runCostBench } from '../bench/cost';
import { CPU_CURVE_FACTS, CPU_CURVE_FACTS_ORIGIN } from '../bench/costCurves';
import { runE2eBench } from '../bench/e2e';
import { runServerBench } from '../bench/server';
import { findLlamaServerBinary } from '../bench/serverProcess';
import { runTypingBench } from '../bench/typing';
import type { NativeAddon } from '../engine/native';
import { parseServerUrl } from '../engine/server/serverUrl';
import { formatHelp } from './args';
import {
  ALL_SPECULATION_MODES,
  BENCH_SPECS,
  BenchCostCommand,
  BenchDraftingCommand,
  BenchE2eCommand,
  BenchServerCommand,
  BenchTypingCommand,
  DEFAULT_COST_KS,
  ModelChoice,
  formatBenchOverview,
  parseBench,
} from './benchArgs';
import { CliError, CliIo } from './io';
import { resolveVocab } from './makeTestModelCommand';

export async function runBench(argv: readonly string[], io: CliIo): Promise<number> {
  const cmd = parseBench(argv);
  if (cmd === 'overview') {
    io.stdout.write(formatBenchOverview());
    return 0;
  }
  if ('help' in cmd) {
    io.stdout.write(formatHelp(BENCH_SPECS[cmd.help]));
    return 0;
  }
  const addon = io.loadAddon();
  addon.setLogLevel(io.env.TANDEM_LOG_LEVEL || 'error');
  switch (cmd.suite) {
    case 'drafting':
      return runDrafting(cmd, addon, io);
    case 'cost':
      return runCost(cmd, addon, io);
    case 'e2e':
      return runE2e(cmd, addon, io);
    case 'typing':
      return runTyping(cmd, addon, io);
    case 'server':
      return runServer(cmd, addon, io);
  }
}

function outDir(out: string | undefined, io: CliIo): string {
  return path.resolve(io.cwd, out ?? path.join(io.packageRoot, 'test-artifacts', 'bench'));
}

function sourcesOf(sources: string[] | undefined, io: CliIo): string[] {
  if (sources) return sources.map((s) => path.resolve(io.cwd, s));
  const found = defaultSources(io.packageRoot);
  if (found.length === 0) {
    throw new CliError(
      `no default sources: none of the npm packages the workload uses is in ${path.join(io.packageRoot, 'node_modules')}; ` +
        'run `npm install` or pass --source DIR',
      'NO_SOURCES',
    );
  }
  return found;
}

/** Progress goes to stderr, and only without --json (stdout then carries the one JSON object). */
function progress(io: CliIo, json: boolean): (line: string) => void {
  return json ? () => undefined : (line) => io.stderr.write(`${line}\n`);
}

async function modelFor(choice: ModelChoice, addon: NativeAddon, io: CliIo, json: boolean): Promise<{ path: string; origin: string }> {
  if (choice.file) return { path: path.resolve(io.cwd, choice.file), origin: 'file' };
  const cacheDir = io.env.TANDEM_BENCH_MODELS
    ? path.resolve(io.cwd, io.env.TANDEM_BENCH_MODELS)
    : path.join(io.packageRoot, '.tandem', 'test-models');
  progress(io, json)(`bench: using a generated ${choice.shape}-shape ${choice.type} random-weight model (cached in ${cacheDir})`);
  return ensureBenchModel({ addon, shape: choice.shape, type: choice.type, cacheDir, vocabPath: (name) => resolveVocab(name, io) });
}

function finish(io: CliIo, json: boolean, result: unknown, text: string, files: { json: string; markdown: string; svg: string }): void {
  if (json) io.stdout.write(`${JSON.stringify(result)}\n`);
  else io.stdout.write(`${text}\n\nwrote ${files.json}, ${files.markdown}, ${files.svg}\n`);
}

async function costCurveFor(
  cmd: BenchDraftingCommand,
  addon: NativeAddon,
  io: CliIo,
): Promise<{ curve: [number, number][]; origin: string }> {
  if (cmd.costCurve === 'cpu-facts') return { curve: CPU_CURVE_FACTS, origin: CPU_CURVE_FACTS_ORIGIN };
  if (cmd.costCurve === 'measured') {
    const model = await modelFor({ shape: '0.5b', type: 'q4_0' }, addon, io, cmd.json);
    progress(io, cmd.json)('bench drafting: measuring T(k) on it first (bench cost with default settings)');
    const { json } = await runCostBench({
      addon,
      modelPath: model.path,
      modelOrigin: model.origin,
      ks: DEFAULT_COST_KS,
      device: 'auto',
      depth: 1000,
      reps: 3,
      outDir: outDir(cmd.out, io),
    });
    return {
      curve: json.curve,
      origin: `measured now: ${json.model.description} (${json.model.quantization}), ${json.threads} threads, depth ${json.depth}`,
    };
  }
  const file = path.resolve(io.cwd, cmd.costCurve);
  try {
    return { curve: readCostCurveFile(file), origin: file };
  } catch (err) {
    throw new CliError(`--cost-curve: ${(err as Error).message}`, 'BAD_COST_CURVE');
  }
}

async function runDrafting(cmd: BenchDraftingCommand, addon: NativeAddon, io: CliIo): Promise<number> {
  const sources = sourcesOf(cmd.sources, io);
  const vocabPath = await resolveVocab(cmd.vocab, io);
  const { curve, origin } = await costCurveFor(cmd, addon, io);
  progress(io, cmd.json)(`bench drafting: ${cmd.count} traces, seed ${cmd.seed}`);
  const r = await runDraftingBench({
    addon,
    vocabPath,
    sources,
    count: cmd.count,
    seed: cmd.seed,
    modes: cmd.modes ?? [...ALL_SPECULATION_MODES],
    cpuCurve: curve,
    cpuCurveOrigin: origin,
    outDir: outDir(cmd.out, io),
  });
  const skipped = r.json.skipped.map((s) => `skipped ${s.mode}: ${s.reason}`).join('\n');
  finish(io, cmd.json, r.json, `${r.table}\n\n${r.targetTable}${skipped ? `\n\n${skipped}` : ''}`, r.files);
  return 0;
}

async function runCost(cmd: BenchCostCommand, addon: NativeAddon, io: CliIo): Promise<number> {
  const model = await modelFor(cmd.model, addon, io, cmd.json);
  progress(io, cmd.json)(`bench cost: T(k) for k = ${cmd.ks.join(', ')} at depth ${cmd.depth}, ${cmd.reps} runs each`);
  const r = await runCostBench({
    addon,
    modelPath: model.path,
    modelOrigin: model.origin,
    ks: cmd.ks,
    threads: cmd.threads,
    device: cmd.device,
    depth: cmd.depth,
    reps: cmd.reps,
    outDir: outDir(cmd.out, io),
  });
  finish(io, cmd.json, r.json, r.table, r.files);
  return 0;
}

async function runE2e(cmd: BenchE2eCommand, addon: NativeAddon, io: CliIo): Promise<number> {
  const sources = sourcesOf(cmd.sources, io);
  const model = await modelFor(cmd.model, addon, io, cmd.json);
  const r = await runE2eBench({
    addon,
    modelPath: model.path,
    modelOrigin: model.origin,
    sources,
    count: cmd.count,
    seed: cmd.seed,
    maxTokens: cmd.maxTokens,
    modes: cmd.modes ?? [...ALL_SPECULATION_MODES],
    threads: cmd.threads,
    device: cmd.device,
    contextSize: cmd.contextSize,
    outDir: outDir(cmd.out, io),
    log: progress(io, cmd.json),
  });
  const skipped = r.json.skipped.map((s) => `skipped ${s.mode}: ${s.reason}`).join('\n');
  const verdict = r.identical
    ? 'every mode produced exactly the text of off'
    : `${r.json.mismatches.length} outputs differ from off:\n${r.json.mismatches.map((m) => `  prompt ${m.prompt}, ${m.mode}, offset ${m.offset}: off ${JSON.stringify(m.expected)} vs ${JSON.stringify(m.actual)}`).join('\n')}`;
  finish(io, cmd.json, r.json, `${r.table}\n\n${verdict}${skipped ? `\n${skipped}` : ''}\n\n${r.json.note}`, r.files);
  if (!r.identical) {
    io.stderr.write(
      cmd.json
        ? `${JSON.stringify({ error: { code: 'OUTPUT_MISMATCH', message: `${r.json.mismatches.length} outputs differ from off (see ${r.files.json})` } })}\n`
        : `tandem: error [OUTPUT_MISMATCH]: ${r.json.mismatches.length} outputs differ from off (see ${r.files.markdown})\n`,
    );
    return 1;
  }
  return 0;
}

/** The engine host script beside this CLI: out/engineHost.js when bundled, engine/host.js in the
 *  transpiled test build. */
function engineHostScript(io: CliIo): string {
  const candidates = [
    path.join(__dirname, 'engineHost.js'),
    path.join(__dirname, '..', 'engine', 'host.js'),
    path.join(io.packageRoot, 'out', 'engineHost.js'),
  ];
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found)
    throw new CliError(
      `the engine host script was not found (looked for ${candidates.join(', ')}); run \`npm run build\``,
      'NO_ENGINE_HOST',
    );
  return found;
}

async function runTyping(cmd: BenchTypingCommand, addon: NativeAddon, io: CliIo): Promise<number> {
  const sources = sourcesOf(cmd.sources, io);
  const model = await modelFor(cmd.model, addon, io, cmd.json);
  const r = await runTypingBench({
    hostScript: engineHostScript(io),
    addonPath: io.env.TANDEM_ADDON,
    modelPath: model.path,
    modelOrigin: model.origin,
    sources,
    seed: cmd.seed,
    bursts: cmd.bursts,
    layouts: cmd.layouts,
    threads: cmd.threads,
    device: cmd.device,
    contextSize: cmd.contextSize,
    maxTokens: cmd.maxTokens,
    speculation: cmd.speculation,
    restMs: cmd.restMs,
    coldStartMs: cmd.coldStartMs,
    alternatives: cmd.alternatives,
    outDir: outDir(cmd.out, io),
    log: progress(io, cmd.json),
  });
  const errors = Object.entries(r.json.layouts).flatMap(([layout, l]) => l.errors.map((e) => `${layout}: ${e}`));
  finish(io, cmd.json, r.json, `${r.table}\n\n${r.json.note}${errors.length ? `\n\nerrors:\n${errors.join('\n')}` : ''}`, r.files);
  return 0;
}

/** The llama-server to start (checked), or none when --server names a running one. */
function llamaServerFor(cmd: BenchServerCommand, io: CliIo): string | undefined {
  if (cmd.serverUrl) {
    try {
      parseServerUrl(cmd.serverUrl);
    } catch (err) {
      throw new CliError(`bench server --server: ${(err as Error).message}`, 'BAD_SERVER_URL');
    }
    return undefined;
  }
  const binary = cmd.serverBinary ? path.resolve(io.cwd, cmd.serverBinary) : undefined;
  if (binary && !fs.existsSync(binary)) throw new CliError(`bench server --llama-server: ${binary} does not exist`, 'NO_LLAMA_SERVER');
  try {
    return binary ?? findLlamaServerBinary(io.packageRoot, io.env);
  } catch (err) {
    throw new CliError(`bench server: ${(err as Error).message}`, 'NO_LLAMA_SERVER');
  }
}

async function runServer(cmd: BenchServerCommand, addon: NativeAddon, io: CliIo): Promise<number> {
  const serverBinary = llamaServerFor(cmd, io);
  const sources = sourcesOf(cmd.sources, io);
  const model = await modelFor(cmd.model, addon, io, cmd.json);
  const r = await runServerBench({
    hostScript: cmd.local ? engineHostScript(io) : '',
    addonPath: io.env.TANDEM_ADDON,
    modelPath: model.path,
    modelOrigin: model.origin,
    serverBinary,
    serverUrl: cmd.serverUrl,
    sources,
    seed: cmd.seed,
    bursts: cmd.bursts,
    editors: cmd.editors,
    slots: cmd.slots,
    contextSize: cmd.contextSize,
    maxTokens: cmd.maxTokens,
    threads: cmd.threads,
    restMs: cmd.restMs,
    speed: cmd.speed,
    local: cmd.local,
    outDir: outDir(cmd.out, io),
    log: progress(io, cmd.json),
  });
  const errors = Object.entries(r.json.runs).flatMap(([label, run]) => run.errorSamples.map((e) => `${label}: ${e}`));
  finish(
    io,
    cmd.json,
    r.json,
    `${r.table}\n\n${r.json.note}${errors.length ? `\n\nerrors (first of each kind):\n${errors.join('\n')}` : ''}`,
    r.files,
  );
  return 0;
}
