// `tandem bench cost`: T(k) — the time of one forward pass of k tokens with logits for all of them,
// the cost of verifying a k-token draft — for one model, device and thread count, measured by the
// addon on real forward passes (addon.measureCost). The curve ([k, ms], built from the runs as the
// engine's own calibration does) can feed `bench drafting --cost-curve FILE`.
import * as fs from 'node:fs';
import type { CostMeasurement, NativeAddon } from '../engine/native';
import { CPU_CURVE_FACTS } from './costCurves';
import { LineSeries, lineChartSvg, markdownTable, writeReport } from './report';
import { fmt, median } from './stats';

export interface CostOptions {
  addon: NativeAddon;
  modelPath: string;
  /** how the model came to be (generated shape or a user's file) */
  modelOrigin: string;
  ks: number[];
  threads?: number;
  device: 'auto' | 'cpu' | 'gpu' | 'npu';
  depth: number;
  reps: number;
  outDir: string;
}

export interface CostPoint {
  k: number;
  /** median of the timed runs */
  ms: number;
  minMs: number;
  runs: number[];
  /** T(k) / T(1) (k = 1's median; null when k = 1 was not measured) */
  relative: number | null;
  msPerToken: number;
}

/** LoadOptions.device for a --device value: 'auto' leaves the choice to the engine. */
export function deviceOption(device: string): string | undefined {
  return device === 'auto' ? undefined : device;
}

export function costPoints(measured: CostMeasurement): CostPoint[] {
  const t1 = measured.points.find((p) => p.k === 1);
  const t1ms = t1 ? median(t1.ms) : undefined;
  return measured.points.map((p) => {
    const ms = median(p.ms);
    return { k: p.k, ms, minMs: Math.min(...p.ms), runs: p.ms, relative: t1ms ? ms / t1ms : null, msPerToken: ms / p.k };
  });
}

export async function runCostBench(o: CostOptions) {
  if (!o.addon.measureCost) {
    throw Object.assign(
      new Error(
        'this build of the native addon has no measureCost (native/src/napi/cost_bench.cpp); rebuild it with `npm run build:native`',
      ),
      { code: 'ADDON_TOO_OLD' },
    );
  }
  const measured = await o.addon.measureCost(o.modelPath, {
    ks: o.ks,
    threads: o.threads,
    device: deviceOption(o.device),
    depth: o.depth,
    reps: o.reps,
  });
  const points = costPoints(measured);
  const curve = measured.curve; // the engine's own rule (cost_model.h): medians, real dips kept
  const m = measured.model;
  const rows = points.map((p) => [
    p.k,
    fmt(p.ms, 1),
    fmt(p.minMs, 1),
    fmt(p.relative, 2, '×'),
    fmt(p.msPerToken, 2),
    fmt(p.relative === null ? null : p.k / p.relative, 2, '×'),
  ]);
  const table = markdownTable(['k', 'T(k) ms (median)', 'min ms', 'T(k)/T(1)', 'ms per token', 'best speed-up if all k accepted'], rows);
  const series: LineSeries[] = [
    {
      label: `measured (${measured.threads} threads)`,
      points: points.filter((p) => p.relative !== null).map((p) => [p.k, p.relative as number]),
    },
    {
      label: 'facts: 0.5B Q4_0, 2 thr.',
      points: CPU_CURVE_FACTS.map(([k, ms]) => [k, ms / CPU_CURVE_FACTS[0][1]]),
      dashed: true,
      color: '#d0703c',
    },
  ];
  const svg = lineChartSvg(
    `T(k)/T(1): ${m.description} (${m.quantization}), depth ${measured.depth}, ${measured.threads} threads`,
    series,
    { x: 'k (tokens per forward pass, log scale)', y: 'T(k) / T(1)', logX: true },
  );
  const devices = o.addon.devices();
  const json = {
    suite: 'cost',
    model: {
      path: m.path,
      origin: o.modelOrigin,
      description: m.description,
      quantization: m.quantization,
      parameters: m.parameters,
      fileSizeBytes: m.fileSizeBytes,
      layers: m.layers,
      embeddingLength: m.embeddingLength,
      placement: m.placement,
    },
    device: o.device,
    devices: devices.map((d) => ({ name: d.name, type: d.type, backend: d.backend, description: d.description })),
    systemInfo: o.addon.version().systemInfo,
    threads: measured.threads,
    depth: measured.depth,
    reps: o.reps,
    loadMs: measured.loadMs,
    depthPrefillMs: measured.prefillMs,
    points,
    curve,
    note:
      'T(k) is one llama_decode of k tokens with logits for all k (a verification batch) after `depth` tokens; ' +
      'median of `reps` runs after one warm-up. On a shared machine timings are noisy; ratios are what matter.',
  };
  const markdown =
    `# Cost benchmark: T(k)\n\n${m.description} (${m.quantization}, ${o.modelOrigin}), ${measured.threads} threads, depth ${measured.depth}, ` +
    `median of ${o.reps} runs, device ${o.device}\n\n${table}\n`;
  const files = writeReport(o.outDir, 'cost', json, markdown, svg);
  return { json, table, files };
}

/** A `bench cost` JSON (its `curve`), or a bare [[k, ms], …] array. */
export function readCostCurveFile(file: string): [number, number][] {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read the cost curve ${file}: ${(err as Error).message}`);
  }
  const curve = Array.isArray(data) ? data : (data as { curve?: unknown } | null)?.curve;
  const valid =
    Array.isArray(curve) &&
    curve.length > 0 &&
    curve.every((p) => Array.isArray(p) && p.length === 2 && Number.isInteger(p[0]) && p[0] >= 1 && typeof p[1] === 'number' && p[1] > 0);
  if (!valid)
    throw new Error(
      `${file} is not a cost curve: expected the JSON of \`tandem bench cost\` (a "curve" of [k, ms] pairs) or such an array`,
    );
  const pairs = curve as [number, number][];
  if (!pairs.some(([k]) => k === 1)) throw new Error(`the cost curve in ${file} lacks k = 1 (T(1) is the unit of the simulation)`);
  return pairs;
}
