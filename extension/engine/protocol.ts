// The IPC messages between EngineClient (extension host) and the engine host process.
// Requests carry an id; the host answers each with exactly one `result` or `error`, and may send
// `stream` (completion text) and `progress` (model load) messages for that id before it.
// A `cancel` names a request id; the host then stops that request as soon as it can.
// Messages travel as JSON over Node's IPC channel, so everything here must be JSON-safe, and both
// sides validate what they receive: a bad message is answered with an error, never a crash.
import { inspect } from 'node:util';
import type {
  ChatMessage,
  CompletionRequest,
  CompletionResult,
  DeviceInfo,
  DocumentSource,
  EngineErrorCode,
  ModelInfo,
  PrefillRequest,
  PrefillResult,
  PromptPart,
} from './native';
import { MAX_ALTERNATIVES, SPECULATION_MODES } from './native';

export const PROTOCOL_VERSION = 1;

/** Characters of a draft document's text that cross to the engine: it tokenizes at most the first
 *  MiB of each (CorpusLimits.maxDocumentBytes), so more would only cost memory in both processes. */
export const MAX_DOCUMENT_TEXT_CHARS = 1 << 20;

/** Sessions the host keeps on a loaded model, each with its own context and thread:
 *  the one named after the model's role is created with the model, others on first use. */
export type SessionName = 'completion' | 'explain';
export const SESSION_NAMES: readonly SessionName[] = ['completion', 'explain'];

/** The host holds up to two models: the completion model, and optionally a separate (instruct)
 *  model for explanations (tandem.explain.modelPath). Requests name the one they mean; absent =
 *  'completion'. */
export type ModelRole = 'completion' | 'explain';
export const MODEL_ROLES: readonly ModelRole[] = ['completion', 'explain'];

export interface RoleParams {
  role?: ModelRole;
}

export interface LoadModelParams extends RoleParams {
  path: string;
  /** KV context in tokens; absent = engine default. */
  contextSize?: number;
  /** Decode threads; absent or 0 = engine default. */
  threads?: number;
  /** Layers offloaded to a GPU; absent = engine default, 0 = CPU only. */
  gpuLayers?: number;
  /** Where prefill and decode run (LoadOptions.device); absent = 'auto'. */
  device?: DeviceSetting;
  /** Bytes of KV the completion session keeps for documents other than the current one
   *  (SessionOptions.documentKvBytes); absent = engine default, 0 = none. */
  documentKvBytes?: number;
}

/** One device choice for both phases, or one per phase ('auto' | 'cpu' | 'gpu' | 'npu' | name). */
export type DeviceSetting = string | { prefill?: string; decode?: string };

export type WireCompletionRequest = Omit<CompletionRequest, 'onText'>;

export interface CompleteParams extends RoleParams {
  session: SessionName;
  request: WireCompletionRequest;
}

/** A pre-warm: prefill `request.prompt` on the completion session at the lowest priority. The
 *  host runs it only while no completion is queued or running, and cancels it when one arrives
 *  (the tokens prefilled so far stay cached); a newer prefill replaces an older one. */
export interface PrefillParams extends RoleParams {
  request: PrefillRequest;
}

export interface TokenizeParams extends RoleParams {
  text: string;
  addSpecial?: boolean;
  parseSpecial?: boolean;
}

export type NoParams = Record<string, never>;

/** Levels of llama.cpp's own log lines in the host (NativeAddon.setLogLevel). */
export const ENGINE_LOG_LEVELS = ['none', 'error', 'warn', 'info', 'debug'] as const;
export type EngineLogLevel = (typeof ENGINE_LOG_LEVELS)[number];

export interface ApplyChatTemplateParams extends RoleParams {
  messages: ChatMessage[];
  addAssistantTurn?: boolean;
}

/** Each method's parameters and result. */
export interface EngineMethods {
  loadModel: { params: LoadModelParams; result: ModelInfo };
  unloadModel: { params: RoleParams; result: null };
  modelInfo: { params: RoleParams; result: ModelInfo | null };
  tokenize: { params: TokenizeParams; result: number[] };
  complete: { params: CompleteParams; result: CompletionResult };
  prefill: { params: PrefillParams; result: PrefillResult };
  devices: { params: NoParams; result: DeviceInfo[] };
  applyChatTemplate: { params: ApplyChatTemplateParams; result: string };
  setLogLevel: { params: { level: EngineLogLevel }; result: null };
}
export type MethodName = keyof EngineMethods;
export const METHOD_NAMES: readonly MethodName[] = [
  'loadModel',
  'unloadModel',
  'modelInfo',
  'tokenize',
  'complete',
  'prefill',
  'devices',
  'applyChatTemplate',
  'setLogLevel',
];

export type ErrorCode =
  | EngineErrorCode
  | 'BAD_MESSAGE' // malformed message or parameters
  | 'UNKNOWN_METHOD'
  | 'NO_MODEL' // a request needs a model and none is loaded
  | 'ADDON_UNAVAILABLE' // the host could not load tandem.node
  | 'ENGINE_CRASHED' // the host process died with the request pending
  | 'MODEL_CRASHED' // a model crashed the engine while loading, or too many times in a row: not loaded again
  | 'ENGINE_STOPPED'; // the client was disposed or restarted on purpose

const ERROR_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'MODEL_NOT_FOUND',
  'MODEL_IS_DIRECTORY',
  'MODEL_EMPTY',
  'MODEL_NOT_GGUF',
  'MODEL_TRUNCATED',
  'MODEL_NO_TENSORS',
  'MODEL_UNSUPPORTED_ARCH',
  'MODEL_LOAD_FAILED',
  'CONTEXT_OVERFLOW',
  'INVALID_ARGUMENT',
  'INVALID_UTF8',
  'BUSY',
  'DISPOSED',
  'ABORTED',
  'INTERNAL',
  'BAD_MESSAGE',
  'UNKNOWN_METHOD',
  'NO_MODEL',
  'ADDON_UNAVAILABLE',
  'ENGINE_CRASHED',
  'MODEL_CRASHED',
  'ENGINE_STOPPED',
]);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && ERROR_CODES.has(value);
}

export interface WireError {
  message: string;
  code: ErrorCode;
}

// ── parent → host ────────────────────────────────────────────────────────────────────────────
export type RequestMessage = {
  [M in MethodName]: { type: 'request'; id: number; method: M; params: EngineMethods[M]['params'] };
}[MethodName];
export interface CancelMessage {
  type: 'cancel';
  id: number;
}
export type ClientMessage = RequestMessage | CancelMessage;

// ── host → parent ────────────────────────────────────────────────────────────────────────────
export interface HelloMessage {
  type: 'hello';
  protocol: number;
  pid: number;
  /** Addon versions, or null when it failed to load (then addonError says why). */
  addon: { tandem: string; llamaCpp: string } | null;
  addonError: WireError | null;
}
export interface ResultMessage {
  type: 'result';
  id: number;
  result: unknown;
}
export interface ErrorMessage {
  type: 'error';
  id: number;
  error: WireError;
}
export interface StreamMessage {
  type: 'stream';
  id: number;
  text: string;
}
export interface ProgressMessage {
  type: 'progress';
  id: number;
  fraction: number;
}
export type HostMessage = HelloMessage | ResultMessage | ErrorMessage | StreamMessage | ProgressMessage;

/** The answer to a pre-warm that did not run (cancelled or superseded before it started). */
export function skippedPrefill(): PrefillResult {
  return {
    promptTokens: 0,
    reusedTokens: 0,
    restoredTokens: 0,
    prefillMs: 0,
    kvSwitchMs: 0,
    cancelled: true,
    documentKv: { documents: 0, bytes: 0, limitBytes: 0, maxDocuments: 0 },
  };
}

/** The answer to a completion cancelled before it started. */
export function cancelledResult(): CompletionResult {
  return {
    text: '',
    tokens: [],
    stats: { promptTokens: 0, reusedTokens: 0, prefillMs: 0, generatedTokens: 0, decodeMs: 0, firstTokenMs: 0, stopReason: 'cancelled' },
  };
}

/** Any thrown value → a WireError (addon errors keep their code; anything else is INTERNAL). */
export function toWireError(err: unknown): WireError {
  if (err && typeof err === 'object') {
    const { message, code } = err as { message?: unknown; code?: unknown };
    return {
      message: typeof message === 'string' && message ? message : inspect(err, { depth: 2, breakLength: Infinity }),
      code: isErrorCode(code) ? code : 'INTERNAL',
    };
  }
  return { message: String(err), code: 'INTERNAL' };
}

/** A message that failed validation; `id` is set when the message named a request. */
export class ProtocolError extends Error {
  constructor(
    message: string,
    readonly id?: number,
    readonly code: 'BAD_MESSAGE' | 'UNKNOWN_METHOD' = 'BAD_MESSAGE',
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

// ── validation ───────────────────────────────────────────────────────────────────────────────
type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isId(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function optionalInt(params: Obj, key: string, min: number, id: number): void {
  const v = params[key];
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new ProtocolError(`${key} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`, id);
  }
}

function validateDevice(device: unknown, id: number): void {
  if (device === undefined || (typeof device === 'string' && device !== '')) return;
  if (typeof device === 'object' && device !== null && !Array.isArray(device)) {
    const phases = device as Obj;
    const bad = Object.keys(phases).find(
      (k) => (k !== 'prefill' && k !== 'decode') || (phases[k] !== undefined && (typeof phases[k] !== 'string' || phases[k] === '')),
    );
    if (bad === undefined) return;
  }
  throw new ProtocolError(
    `loadModel: device must be a non-empty string or { prefill?, decode? } of strings, got ${JSON.stringify(device)}`,
    id,
  );
}

function optionalBool(params: Obj, key: string, id: number): void {
  const v = params[key];
  if (v !== undefined && typeof v !== 'boolean') throw new ProtocolError(`${key} must be a boolean`, id);
}

function isPromptPart(p: unknown): p is PromptPart {
  if (typeof p === 'string') return true;
  if (typeof p === 'number') return Number.isInteger(p) && p >= 0;
  return isObject(p) && typeof p.text === 'string' && p.parseSpecial === true;
}

function validatePrompt(r: Obj, method: string, id: number): void {
  if (!Array.isArray(r.prompt) || r.prompt.length === 0) throw new ProtocolError(`${method}: prompt must be a non-empty array`, id);
  const bad = r.prompt.findIndex((p) => !isPromptPart(p));
  if (bad >= 0) throw new ProtocolError(`${method}: prompt[${bad}] is not a string, a token id or {text, parseSpecial: true}`, id);
}

function validateDocuments(r: Obj, method: string, id: number): void {
  if (r.documents === undefined) return;
  if (!Array.isArray(r.documents)) throw new ProtocolError(`${method}: documents must be an array`, id);
  r.documents.forEach((d, i) => {
    if (
      !isObject(d) ||
      typeof d.id !== 'string' ||
      typeof d.version !== 'number' ||
      !Number.isFinite(d.version) ||
      !DOCUMENT_SOURCES.has(d.source as string) ||
      (d.text !== undefined && typeof d.text !== 'string')
    ) {
      throw new ProtocolError(`${method}: documents[${i}] must be {id: string, version: number, source, text?: string}`, id);
    }
  });
}

function validateKvKey(r: Obj, method: string, id: number): void {
  if (r.kvKey !== undefined && (typeof r.kvKey !== 'string' || r.kvKey.length > 1024)) {
    throw new ProtocolError(`${method}: kvKey must be a string of at most 1024 characters`, id);
  }
}

function validateCompletionRequest(r: unknown, id: number): void {
  if (!isObject(r)) throw new ProtocolError('complete: request must be an object', id);
  validatePrompt(r, 'complete', id);
  if (typeof r.maxTokens !== 'number' || !Number.isInteger(r.maxTokens) || r.maxTokens < 1) {
    throw new ProtocolError(`complete: maxTokens must be an integer ≥ 1, got ${JSON.stringify(r.maxTokens)}`, id);
  }
  if (r.stop !== undefined && (!Array.isArray(r.stop) || !r.stop.every((s) => typeof s === 'string' && s.length > 0))) {
    throw new ProtocolError('complete: stop must be an array of non-empty strings', id);
  }
  if (r.timeBudgetMs !== undefined && (typeof r.timeBudgetMs !== 'number' || !(r.timeBudgetMs >= 0))) {
    throw new ProtocolError('complete: timeBudgetMs must be a number ≥ 0', id);
  }
  if (
    r.alternatives !== undefined &&
    (typeof r.alternatives !== 'number' || !Number.isInteger(r.alternatives) || r.alternatives < 0 || r.alternatives > MAX_ALTERNATIVES)
  ) {
    throw new ProtocolError(
      `complete: alternatives must be a whole number from 0 to ${MAX_ALTERNATIVES}, got ${JSON.stringify(r.alternatives)}`,
      id,
    );
  }
  validateDocuments(r, 'complete', id);
  validateKvKey(r, 'complete', id);
  if (r.speculation !== undefined && !SPECULATION_MODE_SET.has(r.speculation as string)) {
    throw new ProtocolError(`complete: unknown speculation mode ${JSON.stringify(r.speculation)}`, id);
  }
}

function validatePrefillRequest(r: unknown, id: number): void {
  if (!isObject(r)) throw new ProtocolError('prefill: request must be an object', id);
  validatePrompt(r, 'prefill', id);
  validateDocuments(r, 'prefill', id);
  validateKvKey(r, 'prefill', id);
  if (r.keepCached !== undefined && typeof r.keepCached !== 'boolean') throw new ProtocolError('prefill: keepCached must be a boolean', id);
}

const DOCUMENT_SOURCES: ReadonlySet<string> = new Set<DocumentSource>(['sameFile', 'otherFile', 'recentEdit', 'clipboard', 'history']);
const SPECULATION_MODE_SET: ReadonlySet<string> = new Set<string>(SPECULATION_MODES);

function validateParams(method: MethodName, params: Obj, id: number): void {
  if (params.role !== undefined && !MODEL_ROLES.includes(params.role as ModelRole)) {
    throw new ProtocolError(`${method}: unknown model role ${JSON.stringify(params.role)}`, id);
  }
  switch (method) {
    case 'loadModel':
      if (typeof params.path !== 'string' || params.path === '') throw new ProtocolError('loadModel: path must be a non-empty string', id);
      optionalInt(params, 'contextSize', 1, id);
      optionalInt(params, 'threads', 0, id);
      optionalInt(params, 'gpuLayers', 0, id);
      validateDevice(params.device, id);
      optionalInt(params, 'documentKvBytes', 0, id);
      return;
    case 'tokenize':
      if (typeof params.text !== 'string') throw new ProtocolError('tokenize: text must be a string', id);
      optionalBool(params, 'addSpecial', id);
      optionalBool(params, 'parseSpecial', id);
      return;
    case 'complete':
      if (!SESSION_NAMES.includes(params.session as SessionName)) {
        throw new ProtocolError(`complete: unknown session ${JSON.stringify(params.session)}`, id);
      }
      validateCompletionRequest(params.request, id);
      if (params.session === 'explain' && isObject(params.request) && params.request.alternatives) {
        // an explanation is decoded in parts (it yields to completions): alternatives would be lost
        throw new ProtocolError('complete: alternatives are for the completion session only', id);
      }
      return;
    case 'prefill':
      validatePrefillRequest(params.request, id);
      return;
    case 'applyChatTemplate': {
      const roles = ['system', 'user', 'assistant'];
      const ok =
        Array.isArray(params.messages) &&
        params.messages.every((m: unknown) => isObject(m) && roles.includes(m.role as string) && typeof m.content === 'string');
      if (!ok) throw new ProtocolError('applyChatTemplate: messages must be an array of {role, content}', id);
      optionalBool(params, 'addAssistantTurn', id);
      return;
    }
    case 'setLogLevel':
      if (!(ENGINE_LOG_LEVELS as readonly unknown[]).includes(params.level)) {
        throw new ProtocolError(`setLogLevel: level must be one of ${ENGINE_LOG_LEVELS.join(', ')}`, id);
      }
      return;
    case 'unloadModel':
    case 'modelInfo':
    case 'devices':
      return;
  }
}

/** Validates a message received by the host. Throws ProtocolError (with the id when known). */
export function parseClientMessage(raw: unknown): ClientMessage {
  if (!isObject(raw)) throw new ProtocolError('message must be an object');
  const id = isId(raw.id) ? raw.id : undefined;
  if (id === undefined) throw new ProtocolError(`message id must be a non-negative integer, got ${JSON.stringify(raw.id)}`);
  if (raw.type === 'cancel') return { type: 'cancel', id };
  if (raw.type !== 'request') throw new ProtocolError(`unknown message type ${JSON.stringify(raw.type)}`, id);
  if (!METHOD_NAMES.includes(raw.method as MethodName)) {
    throw new ProtocolError(`unknown method ${JSON.stringify(raw.method)}`, id, 'UNKNOWN_METHOD');
  }
  const method = raw.method as MethodName;
  const params = raw.params === undefined ? {} : raw.params;
  if (!isObject(params)) throw new ProtocolError(`${method}: params must be an object`, id);
  validateParams(method, params, id);
  return { type: 'request', id, method, params } as RequestMessage;
}

/** Validates a message received by the client. Throws ProtocolError. */
export function parseHostMessage(raw: unknown): HostMessage {
  if (!isObject(raw)) throw new ProtocolError('host message must be an object');
  switch (raw.type) {
    case 'hello':
      if (typeof raw.protocol !== 'number' || typeof raw.pid !== 'number')
        throw new ProtocolError('hello: protocol and pid must be numbers');
      return raw as unknown as HelloMessage;
    case 'result':
      if (!isId(raw.id)) break;
      return { type: 'result', id: raw.id, result: raw.result };
    case 'error': {
      if (!isId(raw.id)) break;
      return { type: 'error', id: raw.id, error: toWireError(raw.error) };
    }
    case 'stream':
      if (!isId(raw.id) || typeof raw.text !== 'string') break;
      return { type: 'stream', id: raw.id, text: raw.text };
    case 'progress':
      if (!isId(raw.id) || typeof raw.fraction !== 'number') break;
      return { type: 'progress', id: raw.id, fraction: raw.fraction };
    default:
      throw new ProtocolError(`unknown host message type ${JSON.stringify(raw.type)}`);
  }
  throw new ProtocolError(`malformed ${String(raw.type)} message`);
}
