// Fill-in-the-middle prompts from the model's own FIM token ids (read from the GGUF):
//   PSM (Qwen2.5-Coder, StarCoder2, DeepSeek-Coder, CodeLlama):
//     [<bos>?, <fim_prefix>, prefix, <fim_suffix>, suffix, <fim_middle>, middle?]
//   SPM (Codestral): [<bos>?, [SUFFIX], suffix, [PREFIX], prefix, middle?]  — the model continues.
// `middle` is text already written between the prompt's split point (the anchor, see
// promptAnchor.ts) and the cursor: a training sample whose middle the model has begun, so typing
// appends to the end of the prompt and the engine re-uses the KV of everything before it.
// Context from other files goes first: models with repo/file-separator tokens (Qwen2.5-Coder,
// StarCoder2) get their repository-level format (<repo_name> name <file_sep> path \n code …);
// the others get the snippets as line comments at the start of the prefix (as Copilot does).
// Token ids go in as numbers and code as plain strings (special-token text inside user code is
// never parsed, so a file containing "<|fim_middle|>" cannot steer the model).
import type { DocumentSource, FimTokens, ModelInfo, PromptPart } from '../engine/native';

/** The model cannot do fill-in-the-middle: it has no FIM prefix/suffix/middle tokens. */
export class FimUnsupportedError extends Error {
  readonly code = 'MODEL_NO_FIM' as const;
  constructor(readonly modelName: string) {
    super(
      `The model ${modelName} has no fill-in-the-middle tokens, so it cannot complete code at the cursor. ` +
        'Use a code model with FIM support (for example a Qwen2.5-Coder or DeepSeek-Coder base model).',
    );
    this.name = 'FimUnsupportedError';
  }
}

export interface FimWindow {
  /** Characters of code before the cursor to keep (the nearest ones). */
  maxPrefixChars: number;
  /** Characters of code after the cursor to keep (the nearest ones). */
  maxSuffixChars: number;
}

export const DEFAULT_FIM_WINDOW: FimWindow = { maxPrefixChars: 6000, maxSuffixChars: 2000 };

/** A piece of another file (or a recent edit, the clipboard) shown to the model before the prefix. */
export interface ContextChunk {
  /** Workspace-relative path (or a label such as "clipboard"). */
  path: string;
  text: string;
  source: DocumentSource;
}

export interface FimText {
  prefix: string;
  suffix: string;
  /** Text between the split point and the cursor, already written (anchored layout); it goes
   *  after the middle token (PSM) or after the prefix (SPM). Never windowed. */
  middle?: string;
  /** Extra context, most relevant last (nearest the cursor). */
  chunks?: readonly ContextChunk[];
  /** Workspace-relative path of the file being edited (for repo-level formats). */
  path?: string;
  /** Repository (workspace folder) name, for repo-level formats. */
  repoName?: string;
  /** VS Code language id, for the comment syntax of context snippets. */
  languageId?: string;
}

/** How a model family lays out a FIM prompt. */
export type FimFamily = 'qwen' | 'starcoder' | 'deepseek' | 'codellama' | 'codestral' | 'generic';

type FimModel = Pick<ModelInfo, 'fim' | 'name' | 'path'> & Partial<Pick<ModelInfo, 'bos' | 'addBos' | 'fimText'>>;

/** The family, from the text of the model's FIM prefix token. */
export function fimFamilyOf(model: FimModel): FimFamily {
  const prefixText = model.fimText?.prefix ?? '';
  if (prefixText === '<|fim_prefix|>') return 'qwen';
  if (prefixText === '<fim_prefix>' || prefixText === '<fim-prefix>') return 'starcoder';
  if (prefixText.includes('fim▁begin') || prefixText.includes('fim_begin')) return 'deepseek';
  if (prefixText.includes('<PRE>')) return 'codellama';
  if (prefixText === '[PREFIX]') return 'codestral';
  return 'generic';
}

export function hasFimTokens(fim: FimTokens): boolean {
  return fim.prefix >= 0 && fim.suffix >= 0 && fim.middle >= 0;
}

/** Throws FimUnsupportedError unless the model has FIM tokens. */
export function assertFimSupported(model: Pick<ModelInfo, 'fim' | 'name' | 'path'>): void {
  if (!hasFimTokens(model.fim)) throw new FimUnsupportedError(model.name || model.path);
}

/** `window` cuts prefix and suffix in characters (null: the text is already windowed). */
export function buildFimPrompt(model: FimModel, text: FimText, window: FimWindow | null = DEFAULT_FIM_WINDOW): PromptPart[] {
  assertFimSupported(model);
  const { prefix, suffix } = window ? windowFimText(text, window) : text;
  const parts: PromptPart[] = model.addBos && model.bos !== undefined && model.bos >= 0 ? [model.bos] : [];
  const chunks = text.chunks ?? [];
  const repoLevel = model.fim.sep >= 0 && chunks.length > 0;
  let fullPrefix = prefix;
  if (repoLevel) {
    if (model.fim.repo >= 0) parts.push(model.fim.repo, `${text.repoName || 'workspace'}\n`);
    for (const chunk of chunks) parts.push(model.fim.sep, `${chunk.path}\n${withFinalNewline(chunk.text)}`);
    parts.push(model.fim.sep, `${text.path || 'current'}\n`);
  } else if (chunks.length > 0) {
    fullPrefix = commentedChunks(chunks, text.languageId) + prefix;
  }
  if (fimFamilyOf(model) === 'codestral') {
    parts.push(model.fim.suffix);
    if (suffix) parts.push(suffix);
    parts.push(model.fim.prefix);
    if (fullPrefix) parts.push(fullPrefix);
  } else {
    parts.push(model.fim.prefix);
    if (fullPrefix) parts.push(fullPrefix);
    parts.push(model.fim.suffix);
    if (suffix) parts.push(suffix);
    parts.push(model.fim.middle);
  }
  // a part of its own: the text before it tokenizes the same whatever has been typed since
  if (text.middle) parts.push(text.middle);
  return parts;
}

function withFinalNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

const HASH_COMMENT = new Set([
  'python',
  'ruby',
  'shellscript',
  'perl',
  'r',
  'yaml',
  'toml',
  'dockerfile',
  'makefile',
  'powershell',
  'elixir',
  'julia',
  'coffeescript',
  'nim',
]);
const DASH_COMMENT = new Set(['lua', 'sql', 'haskell', 'elm', 'ada']);
const NO_LINE_COMMENT = new Set(['html', 'xml', 'css', 'markdown', 'json', 'plaintext']);

/** The line-comment token of a language, or undefined when it has none. */
export function lineCommentFor(languageId: string | undefined): string | undefined {
  if (!languageId || NO_LINE_COMMENT.has(languageId)) return undefined;
  if (HASH_COMMENT.has(languageId)) return '#';
  if (DASH_COMMENT.has(languageId)) return '--';
  if (languageId === 'latex' || languageId === 'tex' || languageId === 'erlang') return '%';
  if (languageId === 'lisp' || languageId === 'clojure' || languageId === 'scheme') return ';';
  if (languageId === 'vb' || languageId === 'bat') return "'";
  return '//';
}

/** Context snippets as line comments (for models without a file-separator token). */
function commentedChunks(chunks: readonly ContextChunk[], languageId: string | undefined): string {
  const comment = lineCommentFor(languageId);
  if (!comment) return '';
  let out = '';
  for (const chunk of chunks) {
    out += `${comment} Path: ${chunk.path}\n`;
    for (const line of chunk.text.replace(/\n$/u, '').split('\n')) out += `${comment} ${line}\n`;
  }
  return out;
}

/** Keeps the end of the prefix and the start of the suffix, cut at line boundaries when the
 *  window holds one (a partial first line misleads the model more than a missing one). */
export function windowFimText(text: FimText, window: FimWindow): FimText {
  return { prefix: tailOf(text.prefix, window.maxPrefixChars), suffix: headOf(text.suffix, window.maxSuffixChars) };
}

function tailOf(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let start = text.length - Math.max(0, maxChars);
  const lineStart = text.indexOf('\n', start - 1);
  if (lineStart >= 0 && lineStart < text.length - 1) start = lineStart + 1;
  else if (isLowSurrogate(text.charCodeAt(start))) start++; // never split a surrogate pair
  return text.slice(start);
}

function headOf(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let end = Math.max(0, maxChars);
  const lineEnd = text.lastIndexOf('\n', end - 1);
  if (lineEnd > 0) end = lineEnd + 1;
  else if (isLowSurrogate(text.charCodeAt(end))) end--;
  return text.slice(0, end);
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
