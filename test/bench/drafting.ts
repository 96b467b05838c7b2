// `tandem bench drafting`: model-free, trace-driven comparison of the drafters. The reference
// continuation of each trace stands in for the model's greedy output; tokens come from the real
// Qwen2.5-Coder tokenizer (vocab-only load). Each mode runs as one simulated session over all
// traces (calibration and history carry over). Reported per trace kind: mean tokens per
// verification step, draft hit rate, drafter µs per step, and the simulated decode speed-up
// Σ tokens / Σ T(k+1)/T(1) under a CPU T(k) curve (measured on this class of machine, or given)
// and a flat GPU-like curve.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DraftingTotals, NativeAddon, SpeculationMode } from '../../extension/engine/native';
import { makeWorkload, Trace } from './workload';
import { barChartSvg, markdownTable, writeReport } from './report';

export const CPU_CURVE_FACTS: [number, number][] = [[1, 33], [2, 56], [4, 82], [8, 154], [16, 262], [64, 751]];
export const FLAT_CURVE: [number, number][] = [[1, 10], [64, 11], [128, 14]];
// Qwen2.5-Coder FIM token ids (the vocab-only GGUF lacks the FIM metadata, not the tokens)
const FIM = { prefix: 151659, middle: 151660, suffix: 151661 };

export interface DraftingOptions {
  addon: NativeAddon;
  vocabPath: string;
  sources: string[];
  count: number;
  seed: number;
  modes: SpeculationMode[];
  cpuCurve: [number, number][];
  cpuCurveOrigin: string;
  outDir: string;
}

export async function runDraftingBench(o: DraftingOptions) {
  const vocab = await o.addon.loadModel(o.vocabPath, { vocabOnly: true });
  const traces: Trace[] = makeWorkload({ sources: o.sources, seed: o.seed, count: o.count });
  const tok = (t: string) => vocab.tokenize(t);
  const inputs = [];
  for (const [i, t] of traces.entries()) {
    const [pre, suf, ref] = await Promise.all([tok(t.prefix), tok(t.suffix), tok(t.reference)]);
    const documents = await Promise.all(t.context.map(async (c, j) => ({ id: `${i}:${j}:${c.file}`, version: 1, source: 'otherFile' as const, tokens: await tok(c.text) })));
    inputs.push({ kind: t.kind, prompt: [FIM.prefix, ...pre, FIM.suffix, ...suf, FIM.middle], reference: ref, documents });
  }
  await vocab.dispose();
  const curves: Record<string, [number, number][]> = { cpu: o.cpuCurve, flat: FLAT_CURVE };
  const results: Record<string, Record<string, Record<string, DraftingTotals>>> = {};
  for (const [name, curve] of Object.entries(curves)) results[name] = o.addon.simulateDrafting!(inputs, { modes: o.modes, costCurve: curve });
  const kinds = ['related', 'partial', 'novel', 'all'];
  const counts = Object.fromEntries(kinds.map((k) => [k, k === 'all' ? traces.length : traces.filter((t) => t.kind === k).length]));
  const rows: (string | number)[][] = [];
  const summary: Record<string, Record<string, Record<string, number>>> = {};
  for (const [curve, byMode] of Object.entries(results)) {
    for (const mode of o.modes) {
      for (const kind of kinds) {
        const t = byMode[mode]?.[kind];
        if (!t) continue;
        const m = {
          tokensPerStep: t.tokens / t.steps,
          hitRate: t.draftSteps ? t.hitSteps / t.draftSteps : 0,
          draftedPerStep: t.drafted / t.steps,
          acceptedPerDrafted: t.drafted ? t.accepted / t.drafted : 0,
          drafterUsPerStep: t.drafterUs / t.steps,
          beginUsPerTrace: t.beginUs / Math.max(1, counts[kind]),
          speedup: t.tokens / t.cost,
        };
        ((summary[curve] ??= {})[mode] ??= {});
        summary[curve][mode][kind] = m.tokensPerStep;
        (summary[curve] as Record<string, Record<string, unknown>>)[`${mode}:${kind}`] = m as never;
        rows.push([curve, mode, kind, counts[kind], m.tokensPerStep.toFixed(2), (m.hitRate * 100).toFixed(0) + '%', m.draftedPerStep.toFixed(1),
          m.drafterUsPerStep.toFixed(1), m.beginUsPerTrace.toFixed(0), m.speedup.toFixed(2) + '×']);
      }
    }
  }
  const table = markdownTable(['T(k) curve', 'mode', 'traces', 'n', 'tokens/step', 'hit rate', 'drafted/step', 'drafter µs/step', 'index µs/trace', 'sim. speed-up'], rows);
  const svg = barChartSvg('Drafting: tokens per verification step (related traces, CPU curve)',
    o.modes.map((m) => ({ label: m, value: results.cpu[m]?.related ? results.cpu[m].related.tokens / results.cpu[m].related.steps : 0 })));
  const json = {
    suite: 'drafting', seed: o.seed, traces: counts, cpuCurve: o.cpuCurve, cpuCurveOrigin: o.cpuCurveOrigin, flatCurve: FLAT_CURVE,
    modes: Object.fromEntries(o.modes.map((mode) => [mode, Object.fromEntries(Object.entries(results).map(([curve, byMode]) => [curve,
      Object.fromEntries(kinds.map((k) => {
        const t = byMode[mode]?.[k];
        return [k, t && { tokensPerStep: t.tokens / t.steps, hitRate: t.draftSteps ? t.hitSteps / t.draftSteps : 0, drafterUsPerStep: t.drafterUs / t.steps,
          speedup: t.tokens / t.cost, ...t }];
      }))]))])),
  };
  writeReport(o.outDir, 'drafting', json, `# Drafting benchmark\n\n${traces.length} traces (seed ${o.seed}) from ${o.sources.join(', ')}; CPU curve: ${o.cpuCurveOrigin}\n\n${table}\n`, svg);
  return { json, table };
}

export function defaultSources(root: string): string[] {
  const nm = path.join(root, 'node_modules');
  return ['mocha/lib', 'typescript/lib', 'esbuild/lib', 'cmake-js/lib', 'node-addon-api', '@vscode/test-electron/out']
    .map((p) => path.join(nm, p)).filter((p) => fs.existsSync(p));
}
