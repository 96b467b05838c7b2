// The typed surface of the native addon (native/src/napi) and where to find it.
// This file is the contract between the C++ engine and TypeScript: keep both sides in step.
// Only the engine host process and the CLI load the addon; the extension host never does.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { addonMismatch, missingCpuFeatures } from './addonTarget';

/** A part of a prompt: plain text (special-token strings in it are NOT parsed, so user code
 *  cannot inject control tokens), a token id, or text whose special tokens are parsed
 *  (rendered chat templates). */
export type PromptPart = string | number | { text: string; parseSpecial: true };

export interface DeviceInfo {
  name: string;
  description: string;
  /** ggml device type */
  type: 'cpu' | 'gpu' | 'igpu' | 'accel';
  backend: string;
  memoryFreeBytes: number;
  memoryTotalBytes: number;
  /** What a device choice 'gpu' / 'npu' matches: NPUs are Hexagon (HTP), OpenVINO on an NPU
   *  (GGML_OPENVINO_DEVICE=NPU) and ACCEL devices other than CPU helpers (BLAS, AMX…), which are
   *  'accel' and never chosen. */
  kind?: 'cpu' | 'gpu' | 'npu' | 'accel';
  /** The backend offloads big batches of host-resident weights (llama.cpp op_offload: CUDA,
   *  Vulkan, Metal…), so prefill can use it while decode stays on the CPU in one context. */
  hostWeightOffload?: boolean;
}

/** Where a phase runs: 'auto' (measured), 'cpu', 'gpu', 'npu', or a device name from devices()
 *  (case-insensitive). */
export type DeviceChoice = string;

/** How prefill and decode cooperate: one device ('single'); one context with host weights whose
 *  big batches llama.cpp offloads to the accelerator ('op-offload'); or two model instances where
 *  the prefill one hands the sequence's KV over to the decode one in chunks ('handover'). */
export type PlacementStrategy = 'single' | 'op-offload' | 'handover';

export interface PhasePlacement {
  /** ggml device name, e.g. 'CPU', 'CUDA0', 'HTP0', 'OPENVINO0' */
  device: string;
  kind: 'cpu' | 'gpu' | 'npu' | 'accel';
  backend: string;
  /** why: 'requested', 'auto: …' with the measured figure, or the fallback */
  reason: string;
}

export interface Placement {
  prefill: PhasePlacement;
  decode: PhasePlacement;
  strategy: PlacementStrategy;
  /** e.g. a requested gpu/npu that is not there (the phase then runs on the CPU) */
  warnings: string[];
  /** static-shape prefill device (OpenVINO NPU): prefill chunk it compiles for; 0 otherwise */
  staticPrefillChunk: number;
}

export interface FimTokens {
  prefix: number; // -1 when the model has none
  suffix: number;
  middle: number;
  pad: number;
  repo: number;
  sep: number;
}

export interface ModelInfo {
  path: string;
  architecture: string; // general.architecture, e.g. "qwen2"
  name: string; // general.name or ""
  description: string; // llama_model_desc, e.g. "qwen2 0.5B Q8_0"
  quantization: string; // file type, e.g. "Q8_0", "F16", "F32"
  fileSizeBytes: number;
  sizeBytes: number; // tensor bytes (llama_model_size)
  parameters: number;
  contextLength: number; // training context
  embeddingLength: number;
  layers: number;
  vocabSize: number;
  bos: number; // -1 when absent
  /** The model expects BOS at the start of a prompt (DeepSeek-Coder does, Qwen2.5 does not). */
  addBos: boolean;
  eos: number;
  eot: number;
  fim: FimTokens;
  /** Text of each FIM token id above ("" when absent). */
  fimText: { prefix: string; suffix: string; middle: string };
  chatTemplate: string | null;
  /** Where each phase runs for this model (LoadOptions.device). Always set by the addon
   *  (optional for older hosts and test fakes). */
  placement?: Placement;
}

export interface LoadOptions {
  /** Called with 0..1 on the JS thread while tensors load. */
  onProgress?: (fraction: number) => void;
  /** cancel() aborts loading; the promise then rejects with code 'ABORTED'. */
  cancel?: NativeCancelFlag;
  /** Layers on the decode device when it is a GPU/NPU (default: all). 0 with no `device` means
   *  CPU only, as before devices could be chosen. */
  gpuLayers?: number;
  /** Where prefill and decode run: one choice for both, or per phase. Default 'auto': measured
   *  prefill throughput and T(1) per device decide (cached per model file, device and threads);
   *  auto never picks a device that measured slower. A device name that does not exist rejects
   *  with INVALID_ARGUMENT listing the devices there are; 'gpu'/'npu' without such a device fall
   *  back to the CPU with a warning in ModelInfo.placement.warnings. */
  device?: DeviceChoice | { prefill?: DeviceChoice; decode?: DeviceChoice };
  /** Test/diagnostic knob: force how the phases cooperate instead of letting the devices decide.
   *  'handover' with device 'cpu' runs two CPU instances with KV hand-over (how the NPU path is
   *  tested without an NPU). An impossible choice rejects with INVALID_ARGUMENT. */
  placementStrategy?: 'auto' | PlacementStrategy;
  /** Threads of the measurements 'auto' makes at load when accelerators exist (default: as
   *  sessions). */
  threads?: number;
  useMmap?: boolean;
  /** Tokenizer only (a vocab GGUF works): tokenize/detokenize, no sessions (drafting bench). */
  vocabOnly?: boolean;
}

export interface SessionOptions {
  /** Context size in tokens, at least 16 (default: min(4096, training context)). */
  contextSize?: number;
  /** Decode threads (default: physical cores, at most 8). */
  threads?: number;
  /** Logical batch size for prefill (default 512). */
  batchSize?: number;
  /** Bytes of saved KV the session keeps for the documents it served before the current one
   *  (CompletionRequest.kvKey): default 256 MiB; 0 disables saving. A document whose KV is bigger
   *  is not kept. */
  documentKvBytes?: number;
  /** Saved documents besides the current one (least recently left goes first); default 3. */
  documentKvDocuments?: number;
}

/** Where a context document comes from; drafting calibrates its trust per source. */
export type DocumentSource = 'sameFile' | 'otherFile' | 'recentEdit' | 'clipboard' | 'history';

/** A document of the draft corpus (issue: speculative engine). The session keeps the documents it
 *  was sent, by id: a request lists every document that is still relevant with its version, and
 *  carries `text` only for documents the session does not have at that version (new or changed).
 *  Documents not listed are dropped (a closed file stops being a draft source). The engine
 *  tokenizes a document once per version. */
export interface ContextDocument {
  id: string;
  version: number;
  source: DocumentSource;
  text?: string;
}

/** Speculative decoding modes; every mode gives exactly the text of 'off' (greedy), only sooner.
 *  'auto' is Tandem's drafter (context-aligned, calibrated, tree, cost-aware budget). */
export const SPECULATION_MODES = ['off', 'pld', 'sam', 'ngram-simple', 'ngram-map-k', 'ngram-mod', 'ngram-cache', 'auto'] as const;
export type SpeculationMode = (typeof SPECULATION_MODES)[number];

export interface SpeculationStats {
  mode: SpeculationMode;
  /** llama_decode calls that verified a draft (plus plain steps when nothing was drafted) */
  steps: number;
  draftedTokens: number;
  acceptedTokens: number;
  /** acceptedHistogram[n] = steps that accepted n draft tokens */
  acceptedHistogram: number[];
  meanTreeSize: number;
  draftMs: number;
  verifyMs: number;
  sampleMs: number;
  /** how often each verification batch size k (tree nodes + 1) was chosen: [k, count] */
  budgets: [number, number][];
  /** draft corpus of the session after this request */
  corpusDocuments: number;
  corpusTokens: number;
  corpusBytes: number;
  /** ids of listed documents the session lacked at that version and got no text for */
  missingDocuments: string[];
  /** documents cut by a cap (1 MiB text, 64k tokens each, 256k tokens total, 256 documents) */
  truncatedDocuments?: number;
  droppedTokens?: number;
  tokenizeMs?: number;
  /** rebuilding the context-document index (0 when the documents did not change) */
  documentIndexMs?: number;
  /** building the per-request index (history + prompt) */
  requestIndexMs?: number;
  indexBytes?: number;
  /** where T(k) came from: 'env' | 'cache' | 'measured' | 'measured (not cached)' */
  costOrigin?: string;
  costMeasureMs?: number;
  /** T(k) in ms: [k, ms] */
  costCurve?: [number, number][];
}

/** One trace of the model-free drafting benchmark (tokens from a vocab-only model). */
export interface DraftingTrace {
  kind: string;
  prompt: number[];
  reference: number[];
  documents?: { id: string; version: number; source: DocumentSource; tokens: number[] }[];
}

export interface DraftingTotals {
  steps: number;
  tokens: number;
  drafted: number;
  accepted: number;
  draftSteps: number;
  hitSteps: number;
  /** Σ T(k+1)/T(1): time in units of one plain decode step */
  cost: number;
  drafterUs: number;
  beginUs: number;
  budgets: [number, number][];
}

export interface CompletionRequest {
  prompt: PromptPart[];
  /** The document this prompt is for: the session keeps the KV of the last few documents
   *  (SessionOptions.documentKv…) and restores a document's KV when its key comes back, so
   *  switching editor files does not cost a cold prefill; absent = no per-document KV. At most
   *  1024 bytes (a URI, not the text). */
  kvKey?: string;
  /** Draft corpus documents (see ContextDocument). */
  documents?: ContextDocument[];
  /** Default 'auto' once speculation exists; 'off' = plain greedy. */
  speculation?: SpeculationMode;
  /** 1 ≤ maxTokens ≤ context size. */
  maxTokens: number;
  /** Generation stops before the first occurrence of any of these; the text excludes it. */
  stop?: string[];
  /** Stop (reason 'timeBudget') once generation has run this long; 0/absent = no limit. */
  timeBudgetMs?: number;
  /** The pendingBytes of an earlier, interrupted decode of the same text (prompt + its tokens):
   *  the stream continues from that unfinished UTF-8 character. */
  carriedBytes?: number[];
  /** Other completions wanted besides the greedy one, 0..MAX_ALTERNATIVES (default 0; anything else
   *  rejects with INVALID_ARGUMENT): for a manual trigger, whose user may cycle through them. They
   *  branch off the greedy completion where the model was least sure (a 2nd/3rd-best token there,
   *  then greedy again, with the same stop strings, maxTokens and time budget — the budget counts
   *  for the whole request) and are decoded after the greedy text is complete, which stays exactly
   *  what it is without them, as does the KV cache the next request reuses. See
   *  CompletionResult.alternatives. */
  alternatives?: number;
  /** Called on the JS thread with each new piece of text (always whole UTF-8 characters,
   *  never text that might still turn out to be part of a stop string). */
  onText?: (piece: string) => void;
}

export type StopReason = 'eog' | 'stop' | 'maxTokens' | 'timeBudget' | 'contextFull' | 'cancelled';

export interface CompletionStats {
  promptTokens: number;
  reusedTokens: number; // prompt tokens whose KV was kept from the previous request
  prefillMs: number;
  generatedTokens: number;
  decodeMs: number;
  /** ms from the call until the first text piece was handed to JS (0 when none). */
  firstTokenMs: number;
  stopReason: StopReason;
  /** Device per phase for this request (ggml device names) and how prefill reached the decode
   *  context. A 'handover' model whose prefill device is still warming up (static-shape
   *  compilation) reports 'single' with prefill on the decode device. Always set by the addon
   *  (optional for fakes and older hosts). */
  prefillDevice?: string;
  decodeDevice?: string;
  placement?: PlacementStrategy;
  /** 'handover' only: KV state moved (both directions: generated tokens of the previous request
   *  go back to the prefill context first), time spent moving it, chunks handed over. */
  handoverMs?: number;
  handoverBytes?: number;
  handoverChunks?: number;
  /** Per-document KV (CompletionRequest.kvKey): reused prompt tokens whose KV came from the
   *  saved documents (0 when none), ms spent saving the previous document and restoring this one,
   *  and the saved documents after this request. Always set by the addon (optional for fakes and
   *  older hosts). */
  restoredTokens?: number;
  kvSwitchMs?: number;
  documentKv?: DocumentKvStats;
  /** present when the request used speculative decoding */
  speculation?: SpeculationStats;
  /** Present when the request asked for alternatives: ms spent on them after the greedy result was
   *  complete, and the tokens they generated past their shared greedy prefix (alternatives dropped
   *  as duplicates included). */
  alternativesMs?: number;
  alternativeTokens?: number;
}

/** The session's saved KV of documents other than the current one. */
export interface DocumentKvStats {
  documents: number;
  /** saved KV state + token lists */
  bytes: number;
  /** SessionOptions.documentKvBytes / documentKvDocuments */
  limitBytes: number;
  maxDocuments: number;
}

/** A prompt to evaluate ahead of the completion that will ask for it (pre-warming the cache, e.g.
 *  when the user opens a file): the fields complete() would get, same checks. */
export interface PrefillRequest {
  prompt: PromptPart[];
  /** as CompletionRequest.kvKey */
  kvKey?: string;
  /** as CompletionRequest.documents: updates the draft corpus */
  documents?: ContextDocument[];
  /** Keep what the session holds for `kvKey` now as saved KV (counted in documentKv) before this
   *  prompt replaces it: for a pre-warm whose prompt may never be used, so the next completion of
   *  the same document restores what it needs instead of prefilling it again. */
  keepCached?: boolean;
}

export interface PrefillResult {
  promptTokens: number;
  /** prompt tokens whose KV was kept (the last prompt token is always evaluated again) */
  reusedTokens: number;
  /** of those, tokens whose KV came from the saved documents */
  restoredTokens: number;
  prefillMs: number;
  kvSwitchMs: number;
  /** stopped by the cancel flag: the tokens evaluated so far stay cached for the next request */
  cancelled: boolean;
  documentKv: DocumentKvStats;
}

export interface CompletionResult {
  text: string;
  tokens: number[]; // generated token ids (including any that spelled a stop string)
  /** Generation ended inside a UTF-8 character: its first bytes, not in `text` (never a broken
   *  "\uFFFD"). Pass them as carriedBytes to resume the same text. */
  pendingBytes?: number[];
  stats: CompletionStats;
  /** Present when the request asked for alternatives (CompletionRequest.alternatives > 0): other
   *  whole completions (each starts where `text` starts), most likely first; `text` is not
   *  repeated. Each differs from `text` and from the others in what it shows (surrounding
   *  whitespace ignored); none is empty. Fewer than asked, or none, when the model offered no
   *  more, or the request was cancelled (a cancelled greedy completion gets none) or ran out of
   *  its time budget. */
  alternatives?: string[];
}

/** The most alternatives a completion request may ask for (CompletionRequest.alternatives). */
export const MAX_ALTERNATIVES = 2;

export interface NativeCancelFlag {
  cancel(): void;
  readonly cancelled: boolean;
}

export interface NativeSession {
  /** Runs on the session's own thread; one request at a time (a second call while one runs
   *  rejects with code 'BUSY'). Cancel via the flag: the decode loop and llama's abort callback
   *  both watch it, so it lands within one forward pass; the promise then resolves with
   *  stopReason 'cancelled' and the text so far. */
  complete(request: CompletionRequest, cancel?: NativeCancelFlag): Promise<CompletionResult>;
  /** Evaluates a prompt into the KV cache exactly as complete() would, without generating, so a
   *  complete() of that prompt (or one extending it) starts with a warm cache. Same thread and
   *  BUSY rule as complete(). Cancel via the flag (within one forward pass); it then resolves
   *  with cancelled: true. */
  prefill(request: PrefillRequest, cancel?: NativeCancelFlag): Promise<PrefillResult>;
  /** Tokens currently held in the KV cache (prompt + generated of the last request). */
  cachedTokens(): number[];
  /** Forget the KV cache, the saved documents' KV included. */
  reset(): Promise<void>;
  /** Stops the thread and frees the context. Idempotent. */
  dispose(): Promise<void>;
}

export type ChatRole = 'system' | 'user' | 'assistant';

/** One message of a conversation (NativeModel.applyChatTemplate, the explain prompts). */
export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface NativeModel {
  info(): ModelInfo;
  tokenize(text: string | Uint8Array, options?: { addSpecial?: boolean; parseSpecial?: boolean }): Promise<number[]>;
  detokenize(tokens: number[], options?: { renderSpecial?: boolean }): Promise<string>;
  /** Formats a conversation with the model's chat template (llama.cpp's built-in renderer);
   *  INVALID_ARGUMENT when the model has none or llama.cpp does not know it. */
  applyChatTemplate(messages: ChatMessage[], options?: { addAssistantTurn?: boolean }): string;
  createSession(options?: SessionOptions): Promise<NativeSession>;
  /** Frees the weights once every session is disposed. Idempotent. */
  dispose(): Promise<void>;
}

export interface MakeTestModelOptions {
  arch: 'qwen2' | 'llama';
  layers: number;
  embd: number;
  heads: number;
  kvHeads: number;
  ffn: number;
  contextLength: number;
  /** A GGUF whose tokenizer.* keys are copied (llama.cpp's models/ggml-vocab-*.gguf). */
  vocabPath: string;
  out: string;
  seed: number;
  type: 'f32' | 'f16' | 'q8_0' | 'q4_0';
}

export interface NativeAddon {
  version(): { tandem: string; llamaCpp: string; systemInfo: string };
  devices(): DeviceInfo[];
  /** Level of llama.cpp log lines written to stderr: 'none' | 'error' | 'warn' | 'info' | 'debug'. */
  setLogLevel(level: string): void;
  createCancelFlag(): NativeCancelFlag;
  loadModel(modelPath: string, options?: LoadOptions): Promise<NativeModel>;
  makeTestModel(options: MakeTestModelOptions): Promise<{ path: string; bytes: number; parameters: number }>;
  /** Model-free drafting benchmark: per mode, per trace kind (and 'all'), totals. Synchronous. */
  simulateDrafting?(
    traces: DraftingTrace[],
    options: {
      modes: SpeculationMode[];
      costCurve: [number, number][];
      /** FIM token ids of the traces' prompts (<prefix> P <suffix> S <middle>): drafters then match
       *  the text before the cursor plus the output, as in a real session with that model. */
      fim?: { suffix: number; middle: number };
    },
  ): Record<string, Record<string, DraftingTotals>>;
  /** `tandem bench cost`: loads the model file into a context of its own, evaluates `depth` tokens
   *  (default 1000), then times forward passes of k tokens with logits for all k (a verification
   *  batch) for each k in `ks` (1..128): one discarded warm-up and `reps` (default 3) timed runs. */
  measureCost?(modelPath: string, options: CostMeasureOptions): Promise<CostMeasurement>;
}

export interface CostMeasureOptions {
  ks: number[];
  /** 0/absent: the engine's default (physical cores, at most 8) */
  threads?: number;
  /** as LoadOptions: the model is loaded with these; T(k) is timed on the decode device */
  gpuLayers?: number;
  device?: LoadOptions['device'];
  depth?: number;
  reps?: number;
}

export interface CostMeasurement {
  model: ModelInfo;
  threads: number;
  depth: number;
  loadMs: number;
  /** evaluating the depth tokens */
  prefillMs: number;
  /** per k, the timed runs in ms */
  points: { k: number; ms: number[] }[];
  /** [k, ms] as the engine builds its curve from such runs: the median per k, a smaller T for a
   *  bigger k kept only when it beats every run of the smaller k (a kernel step, not noise) */
  curve: [number, number][];
}

/** Errors from the addon are plain Errors with a `code` (see EngineErrorCode). */
export type EngineErrorCode =
  | 'MODEL_NOT_FOUND'
  | 'MODEL_IS_DIRECTORY'
  | 'MODEL_EMPTY'
  | 'MODEL_NOT_GGUF'
  | 'MODEL_TRUNCATED'
  | 'MODEL_NO_TENSORS'
  | 'MODEL_UNSUPPORTED_ARCH'
  | 'MODEL_LOAD_FAILED'
  | 'CONTEXT_OVERFLOW'
  | 'INVALID_ARGUMENT'
  | 'INVALID_UTF8'
  | 'BUSY'
  | 'DISPOSED'
  | 'ABORTED'
  | 'INTERNAL';

/** Where the .node is: beside the bundle when packaged (out/tandem.node), else the build tree.
 *  TANDEM_ADDON overrides both. */
export function findAddon(fromDir: string = __dirname): string {
  const candidates = [
    process.env.TANDEM_ADDON,
    path.join(fromDir, 'tandem.node'),
    // from out/ or from extension/engine/ (transpiled tests keep the source layout)
    path.resolve(fromDir, '..', 'native', 'build', 'Release', 'tandem.node'),
    path.resolve(fromDir, '..', '..', 'native', 'build', 'Release', 'tandem.node'),
    path.resolve(fromDir, '..', '..', '..', 'native', 'build', 'Release', 'tandem.node'),
    // from out/test-build/extension/engine/ (tests transpiled by `node esbuild.js --tests`)
    path.resolve(fromDir, '..', '..', '..', '..', 'native', 'build', 'Release', 'tandem.node'),
  ].filter((p): p is string => !!p);
  for (const p of candidates) if (fs.existsSync(p)) return p;
  throw new Error(
    `Tandem's native engine (tandem.node) was not found; looked in:\n  ${candidates.join('\n  ')}\n` +
      'Build it with `npm run build:native`.',
  );
}

export function loadAddon(addonPath: string = findAddon()): NativeAddon {
  let addon: NativeAddon;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    addon = require(addonPath) as NativeAddon;
  } catch (err) {
    // a .node for another machine (platform VSIXs, docs/platforms.md): say which, not "wrong ELF class"
    const mismatch = addonMismatch(addonPath);
    if (mismatch) throw new Error(mismatch, { cause: err });
    throw err;
  }
  // a CPU below the build's baseline would die of an illegal instruction at the first completion
  const missing = process.platform === 'linux' ? missingCpuFeatures(addon.version?.()?.systemInfo ?? '', readCpuinfo()) : [];
  if (missing.length) {
    throw new Error(
      `this processor lacks instructions ${addonPath} was built for: ${missing.join(', ')}. ` +
        'docs/platforms.md lists what each platform build needs; build the addon on this machine with `npm run build:native`.',
    );
  }
  return addon;
}

function readCpuinfo(): string {
  try {
    return fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}
