// A model's info as the completion pipeline reads it: Qwen-style FIM tokens, nothing else. For unit
// tests that build prompts without an engine.
import type { ModelInfo } from '../../../extension/engine/native';

export const FIM_MODEL = {
  path: '/m.gguf',
  name: 'm',
  bos: -1,
  addBos: false,
  fim: { prefix: 1, suffix: 2, middle: 3, pad: -1, repo: -1, sep: -1 },
  fimText: { prefix: '<|fim_prefix|>', suffix: '<|fim_suffix|>', middle: '<|fim_middle|>' },
} as unknown as ModelInfo;
