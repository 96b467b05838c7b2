// Direct runner (without the CLI): node out/test-build/test/bench/runDrafting.js [count]
import * as path from 'node:path';
import { loadAddon } from '../../extension/engine/native';
import { CPU_CURVE_FACTS, defaultSources, runDraftingBench } from './drafting';

const root = path.resolve(__dirname, '..', '..', '..', '..');
void (async () => {
  const addon = loadAddon();
  addon.setLogLevel('none');
  const { table } = await runDraftingBench({
    addon, vocabPath: path.join(root, 'native/deps/llama.cpp/models/ggml-vocab-qwen2.gguf'), sources: defaultSources(root),
    count: Number(process.argv[2] ?? 150), seed: 1, modes: ['off', 'pld', 'sam', 'auto'], cpuCurve: CPU_CURVE_FACTS,
    cpuCurveOrigin: 'facts/llama-cpp.md (0.5B Q4_0, 2 threads, depth 1000)', outDir: path.join(root, 'test-artifacts', 'bench'),
  });
  console.log(table);
})();
