// One completion's stats (with speculation) and a loaded model, for the status bar and status
// view tests.
import type { CompletionStats, ModelInfo, SpeculationStats } from '../../../extension/engine/native';

export const spec: SpeculationStats = {
  mode: 'auto',
  steps: 10,
  draftedTokens: 40,
  acceptedTokens: 30,
  acceptedHistogram: [],
  meanTreeSize: 4,
  draftMs: 1,
  verifyMs: 20,
  sampleMs: 1,
  budgets: [],
  corpusDocuments: 3,
  corpusTokens: 900,
  corpusBytes: 3000,
  missingDocuments: [],
};

export const stats: CompletionStats = {
  promptTokens: 120,
  reusedTokens: 100,
  prefillMs: 12.4,
  generatedTokens: 40,
  decodeMs: 400,
  firstTokenMs: 30,
  stopReason: 'stop',
};

export const model = { name: 'coder', description: 'qwen2 0.5B' } as ModelInfo;
