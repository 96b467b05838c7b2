// The models "Tandem: Download Recommended Model" offers: Qwen2.5-Coder base models (trained
// with fill-in-the-middle tokens), as published by ggml-org for llama.cpp's own FIM presets.
// The SHA-256 is not pinned here (it could not be looked up when this was written); the download
// verifies against the hash the hub advertises for the file instead and refuses files without one.
import * as os from 'node:os';

export interface RecommendedModel {
  id: string;
  label: string;
  repo: string;
  file: string;
  approxBytes: number;
  /** machines with less total memory get a smaller model */
  minMemoryBytes: number;
  sha256?: string;
}

const GiB = 1024 ** 3;

export const RECOMMENDED_MODELS: readonly RecommendedModel[] = [
  {
    id: 'qwen2.5-coder-1.5b-q8_0', label: 'Qwen2.5-Coder 1.5B (Q8_0)',
    repo: 'ggml-org/Qwen2.5-Coder-1.5B-Q8_0-GGUF', file: 'qwen2.5-coder-1.5b-q8_0.gguf',
    approxBytes: 1.65e9, minMemoryBytes: 15 * GiB,
  },
  {
    id: 'qwen2.5-coder-0.5b-q8_0', label: 'Qwen2.5-Coder 0.5B (Q8_0)',
    repo: 'ggml-org/Qwen2.5-Coder-0.5B-Q8_0-GGUF', file: 'qwen2.5-coder-0.5b-q8_0.gguf',
    approxBytes: 0.53e9, minMemoryBytes: 0,
  },
];

/** The largest recommended model this machine's memory comfortably holds. */
export function recommendedModel(totalMemoryBytes: number = os.totalmem()): RecommendedModel {
  return RECOMMENDED_MODELS.find((m) => totalMemoryBytes >= m.minMemoryBytes) ?? RECOMMENDED_MODELS[RECOMMENDED_MODELS.length - 1];
}

/** Download URL; `baseUrl` lets people use a mirror (and tests a local server). */
export function modelUrl(m: RecommendedModel, baseUrl = 'https://huggingface.co'): string {
  return `${baseUrl.replace(/\/+$/, '')}/${m.repo}/resolve/main/${m.file}`;
}
