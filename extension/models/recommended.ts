// The models "Tandem: Download Recommended Model" offers: Qwen2.5-Coder base models (trained
// with fill-in-the-middle tokens), as published by ggml-org for llama.cpp's own FIM presets.
// A pinned SHA-256 and size (sha256, sizeBytes) are what a download is checked against, whatever
// server it comes from. They are not pinned yet: the publisher's LFS pointers could not be read
// from the machine this was written on (no access to the hub). Until they are, the download is
// checked against the SHA-256 the hub advertises over HTTPS (X-Linked-Etag), refuses files without
// one, and accepts at most MAX_SIZE_SLACK × approxBytes. To pin: `curl -sI
// https://huggingface.co/<repo>/resolve/main/<file>` gives x-linked-etag (SHA-256) and
// x-linked-size.
import * as os from 'node:os';

export interface RecommendedModel {
  id: string;
  label: string;
  repo: string;
  file: string;
  approxBytes: number;
  /** machines with less total memory get a smaller model */
  minMemoryBytes: number;
  /** the publisher's SHA-256 and size of the file (a mirror must serve identical bytes) */
  sha256?: string;
  sizeBytes?: number;
}

export const DEFAULT_DOWNLOAD_BASE_URL = 'https://huggingface.co';
/** Without a pinned size, a download may be at most this much bigger than approxBytes. */
export const MAX_SIZE_SLACK = 1.25;

/** The most bytes a download of `m` may have. */
export function maxDownloadBytes(m: RecommendedModel): number {
  return m.sizeBytes ?? Math.ceil(m.approxBytes * MAX_SIZE_SLACK);
}

const GiB = 1024 ** 3;

export const RECOMMENDED_MODELS: readonly RecommendedModel[] = [
  {
    id: 'qwen2.5-coder-1.5b-q8_0',
    label: 'Qwen2.5-Coder 1.5B (Q8_0)',
    repo: 'ggml-org/Qwen2.5-Coder-1.5B-Q8_0-GGUF',
    file: 'qwen2.5-coder-1.5b-q8_0.gguf',
    approxBytes: 1.65e9,
    minMemoryBytes: 15 * GiB,
  },
  {
    id: 'qwen2.5-coder-0.5b-q8_0',
    label: 'Qwen2.5-Coder 0.5B (Q8_0)',
    repo: 'ggml-org/Qwen2.5-Coder-0.5B-Q8_0-GGUF',
    file: 'qwen2.5-coder-0.5b-q8_0.gguf',
    approxBytes: 0.53e9,
    minMemoryBytes: 0,
  },
];

/** The largest recommended model this machine's memory comfortably holds. */
export function recommendedModel(totalMemoryBytes: number = os.totalmem()): RecommendedModel {
  return RECOMMENDED_MODELS.find((m) => totalMemoryBytes >= m.minMemoryBytes) ?? RECOMMENDED_MODELS[RECOMMENDED_MODELS.length - 1];
}

/** Download URL; `baseUrl` lets people use a mirror (and tests a local server). */
export function modelUrl(m: RecommendedModel, baseUrl = DEFAULT_DOWNLOAD_BASE_URL): string {
  return `${baseUrl.replace(/\/+$/, '')}/${m.repo}/resolve/main/${m.file}`;
}
