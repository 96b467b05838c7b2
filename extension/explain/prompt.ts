// Prompts for "Explain Selection". Two kinds:
//
// * Chat (the model has a chat template, e.g. Qwen2.5-Coder-Instruct): the conversation is
//   rendered with the model's template, but with *sentinels* in place of the message contents.
//   The rendered text is split at the sentinels: template pieces go to the engine as
//   {text, parseSpecial: true} (so "<|im_start|>" there becomes the control token) and the
//   message contents as plain strings (special-token text in them is never parsed). Code that
//   contains "<|im_end|>" therefore cannot close the user turn or start a new one.
// * Plain fallback (a base model without a chat template): the code, then a comment in the
//   file's own language, "Explanation of the code above:", which a base code model continues
//   with comment lines. extractPlainExplanation() turns those back into text and says when the
//   model has left the comment (then generation can stop).
//
// No vscode: unit-tested in Node.
import { randomBytes } from 'node:crypto';
import type { ChatMessage, ModelInfo, PromptPart } from '../engine/native';

export type { ChatMessage, ChatRole } from '../engine/native';

/** Renders a conversation with the model's chat template, ending with an open assistant turn
 *  (the engine host's applyChatTemplate, llama.cpp's built-in renderer). */
export type ChatTemplateRenderer = (messages: ChatMessage[]) => string | Promise<string>;

/** What is explained. */
export interface ExplainInput {
  /** The selected code. */
  code: string;
  /** VS Code language id ("typescript", "python", …). */
  languageId: string;
  /** Workspace-relative path or file name ("" for an untitled file). */
  fileName: string;
  /** Code just before and after the selection (already windowed). */
  before: string;
  after: string;
}

export type ExplainPromptKind = 'chat' | 'plain';

export interface ExplainPrompt {
  kind: ExplainPromptKind;
  prompt: PromptPart[];
  stop: string[];
  /** Plain prompts: how to read the model's comment back (see extractPlainExplanation). */
  comment?: CommentStyle;
  /** Why a chat template was not used, when the model has one (for the log). */
  fallbackReason?: string;
}

/** The model facts prompts depend on. */
export type ExplainModel = Pick<ModelInfo, 'chatTemplate'> & Partial<Pick<ModelInfo, 'bos' | 'addBos'>>;

export const SYSTEM_PROMPT =
  'You are an expert software engineer. Explain code clearly and concisely in Markdown: ' +
  'start with a one-sentence summary, then describe how it works, and point out anything surprising ' +
  '(edge cases, bugs, performance). Use `inline code` for identifiers and fenced code blocks for code.';

/** Limits on what goes into a prompt (characters; the engine rejects a context overflow). */
export const MAX_CODE_CHARS = 8000;

// ── chat ───────────────────────────────────────────────────────────────────────────────────

/** A Markdown code fence that the code cannot close: longer than any backtick run inside it. */
export function fenceFor(code: string): string {
  let longest = 0;
  for (const run of code.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  return '`'.repeat(Math.max(3, longest + 1));
}

function fenced(code: string, languageId: string): string {
  const fence = fenceFor(code);
  const info = /^[\w+#.-]+$/.test(languageId) ? languageId : '';
  return `${fence}${info}\n${code.replace(/\n$/, '')}\n${fence}`;
}

function truncate(code: string): { code: string; truncated: boolean } {
  if (code.length <= MAX_CODE_CHARS) return { code, truncated: false };
  let end = MAX_CODE_CHARS;
  const lineEnd = code.lastIndexOf('\n', end);
  if (lineEnd > MAX_CODE_CHARS / 2) end = lineEnd;
  return { code: code.slice(0, end), truncated: true };
}

/** The conversation for a chat model: a system message and one user message. */
export function explainMessages(input: ExplainInput): ChatMessage[] {
  const language = input.languageId && input.languageId !== 'plaintext' ? input.languageId : '';
  const where = input.fileName ? ` from \`${input.fileName.replace(/`/g, '')}\`` : '';
  const { code, truncated } = truncate(input.code);
  const parts = [`Explain the following ${language ? `${language} ` : ''}code${where}.`];
  if (input.before.trim() || input.after.trim()) {
    const context = `${input.before}/* <selection> */\n${input.after}`;
    parts.push(
      `For context, the surrounding code (the selection is marked \`/* <selection> */\`):\n\n${fenced(context, input.languageId)}`,
    );
  }
  parts.push(`The code to explain${truncated ? ' (truncated)' : ''}:\n\n${fenced(code, input.languageId)}`);
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: parts.join('\n\n') },
  ];
}

/** The rendered template did not keep each message where it belongs. */
export class ChatTemplateError extends Error {
  readonly code = 'CHAT_TEMPLATE' as const;
  constructor(message: string) {
    super(message);
    this.name = 'ChatTemplateError';
  }
}

/** A sentinel: letters and digits only (templates that trim or escape content leave it alone),
 *  with a random part, so neither user content nor a template contains it by accident. */
export function makeSentinel(nonce: string, index: number): string {
  return `TANDEMSENTINEL${nonce}N${index}X`;
}

/**
 * Renders `messages` with `render`, contents replaced by sentinels, and splits the result into
 * prompt parts: template text → {text, parseSpecial: true}, message contents → plain strings.
 * Throws ChatTemplateError unless every sentinel appears exactly once, in message order.
 */
export async function buildChatPrompt(
  messages: ChatMessage[],
  render: ChatTemplateRenderer,
  nonce: () => string = () => randomBytes(8).toString('hex'),
): Promise<PromptPart[]> {
  let token = nonce();
  for (let tries = 0; messages.some((m) => m.content.includes(token)); tries++) {
    if (tries > 8) throw new ChatTemplateError('could not pick a sentinel absent from the messages');
    token = nonce();
  }
  const sentinels = messages.map((_, i) => makeSentinel(token, i));
  const rendered = await render(messages.map((m, i) => ({ role: m.role, content: sentinels[i] })));
  return splitAtSentinels(
    rendered,
    sentinels,
    messages.map((m) => m.content),
  );
}

/** The splitting step of buildChatPrompt (exported for tests). */
export function splitAtSentinels(rendered: string, sentinels: string[], contents: string[]): PromptPart[] {
  const parts: PromptPart[] = [];
  let from = 0;
  sentinels.forEach((sentinel, i) => {
    const at = rendered.indexOf(sentinel, from);
    if (at < 0) {
      const anywhere = rendered.includes(sentinel);
      throw new ChatTemplateError(
        anywhere
          ? `message ${i} is out of order in the rendered template`
          : `the chat template dropped message ${i} (is the ${i === 0 ? 'first' : 'next'} role supported?)`,
      );
    }
    if (rendered.indexOf(sentinel, at + sentinel.length) >= 0) {
      throw new ChatTemplateError(`the chat template repeats message ${i}`);
    }
    if (at > from) parts.push({ text: rendered.slice(from, at), parseSpecial: true });
    if (contents[i]) parts.push(contents[i]);
    from = at + sentinel.length;
  });
  if (from < rendered.length) parts.push({ text: rendered.slice(from), parseSpecial: true });
  return parts;
}

/**
 * Built-in renderers for the template families Tandem recognises, used when no engine-side
 * renderer is available: ChatML (Qwen, many others) and Llama 3. Undefined for anything else.
 */
export function builtInChatRenderer(chatTemplate: string): ChatTemplateRenderer | undefined {
  if (chatTemplate.includes('<|im_start|>')) {
    return (messages) => messages.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join('') + '<|im_start|>assistant\n';
  }
  if (chatTemplate.includes('<|start_header_id|>')) {
    return (messages) =>
      messages.map((m) => `<|start_header_id|>${m.role}<|end_header_id|>\n\n${m.content.trim()}<|eot_id|>`).join('') +
      '<|start_header_id|>assistant<|end_header_id|>\n\n';
  }
  return undefined;
}

// ── plain (base model) fallback ────────────────────────────────────────────────────────────

export type CommentStyle = { line: string } | { open: string; close: string };

const LINE_COMMENTS: [string, string[]][] = [
  [
    '#',
    [
      'python',
      'ruby',
      'shellscript',
      'shell',
      'bash',
      'sh',
      'zsh',
      'fish',
      'perl',
      'r',
      'yaml',
      'toml',
      'dockerfile',
      'makefile',
      'cmake',
      'powershell',
      'elixir',
      'julia',
      'nim',
      'coffeescript',
      'graphql',
      'properties',
      'ini',
      'nix',
      'tcl',
    ],
  ],
  ['--', ['sql', 'lua', 'haskell', 'elm', 'purescript', 'ada', 'vhdl', 'plsql']],
  [';', ['clojure', 'lisp', 'scheme', 'racket', 'commonlisp', 'asm', 'nasm', 'ini-semicolon']],
  ['%', ['latex', 'tex', 'bibtex', 'matlab', 'erlang', 'prolog']],
  ["'", ['vb', 'vbscript']],
];
const BLOCK_COMMENTS: [CommentStyle, string[]][] = [
  [{ open: '<!--', close: '-->' }, ['html', 'xml', 'xsl', 'svg', 'markdown', 'vue-html', 'razor', 'handlebars', 'jinja']],
  [{ open: '/*', close: '*/' }, ['css', 'scss', 'less']],
];

/** How a comment is written in a language (// for C-family and anything unknown). */
export function commentStyleFor(languageId: string): CommentStyle {
  const id = languageId.toLowerCase();
  for (const [line, ids] of LINE_COMMENTS) if (ids.includes(id)) return { line };
  for (const [style, ids] of BLOCK_COMMENTS) if (ids.includes(id)) return style;
  return { line: '//' };
}

export const PLAIN_LEAD = 'Explanation of the code above:';

/**
 * The documented fallback for base models:
 *
 *     <comment> File: src/app.ts
 *     …code before the selection…
 *     …the selection…
 *     <blank line>
 *     <comment> Explanation of the code above:
 *     <comment>
 *
 * The surrounding code after the selection is left out so that "the code above" ends with the
 * selection. Line-comment languages end the prompt with the bare comment marker (a base model
 * continues it with " text" and further comment lines); block-comment languages open a comment
 * and stop at its closing marker.
 */
export function buildPlainPrompt(input: ExplainInput, model: ExplainModel): ExplainPrompt {
  const style = commentStyleFor(input.languageId);
  const { code } = truncate(input.code);
  const header = input.fileName ? commentLine(style, `File: ${input.fileName.replace(/[\r\n]/g, ' ')}`) + '\n' : '';
  const body = `${header}${input.before}${code.replace(/\s+$/, '')}\n\n`;
  const parts: PromptPart[] = bos(model);
  parts.push(body);
  if ('line' in style) {
    parts.push(`${style.line} ${PLAIN_LEAD}\n${style.line}`);
    return { kind: 'plain', prompt: parts, stop: ['\n\n'], comment: style };
  }
  parts.push(`${style.open} ${PLAIN_LEAD}\n`);
  return { kind: 'plain', prompt: parts, stop: [style.close], comment: style };
}

function commentLine(style: CommentStyle, text: string): string {
  return 'line' in style ? `${style.line} ${text}` : `${style.open} ${text} ${style.close}`;
}

function bos(model: ExplainModel): PromptPart[] {
  return model.addBos && model.bos !== undefined && model.bos >= 0 ? [model.bos] : [];
}

export interface PlainExplanation {
  text: string;
  /** The model has left the comment: the rest is not explanation (stop generating). */
  ended: boolean;
}

/** Reads a plain-prompt generation back: the comment's text without its markers. Works on a
 *  partial generation (a last line that may still become a comment counts as undecided). */
export function extractPlainExplanation(generated: string, style: CommentStyle): PlainExplanation {
  if (!('line' in style)) {
    const end = generated.indexOf(style.close);
    return { text: (end >= 0 ? generated.slice(0, end) : generated).trim(), ended: end >= 0 };
  }
  const lines = generated.split('\n');
  const kept: string[] = [stripOneSpace(lines[0])];
  let ended = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].trimStart();
    const last = i === lines.length - 1;
    if (line.startsWith(style.line)) {
      kept.push(stripOneSpace(line.slice(style.line.length)));
    } else if (last && style.line.startsWith(line)) {
      break; // "" or "/" so far: may still become a comment line
    } else {
      ended = true;
      break;
    }
  }
  return { text: kept.join('\n').trim(), ended };
}

function stripOneSpace(text: string): string {
  return text.startsWith(' ') ? text.slice(1) : text;
}

// ── choosing ───────────────────────────────────────────────────────────────────────────────

/** Templates that write the BOS token themselves (then it is not added again). */
const BOS_TEXT = /^(<s>|<\|begin_of_text\|>|<bos>|<｜begin▁of▁sentence｜>|<\|startoftext\|>)/;

/**
 * The prompt for a model: its chat template when it has one that can be rendered (the engine's
 * renderer when given, else a built-in one for ChatML / Llama 3), with the system message folded
 * into the user message for templates without a system role; otherwise the plain fallback.
 */
export async function buildExplainPrompt(input: ExplainInput, model: ExplainModel, render?: ChatTemplateRenderer): Promise<ExplainPrompt> {
  if (!model.chatTemplate) return buildPlainPrompt(input, model);
  const renderer = render ?? builtInChatRenderer(model.chatTemplate);
  if (!renderer) {
    return { ...buildPlainPrompt(input, model), fallbackReason: 'no renderer for this chat template' };
  }
  const messages = explainMessages(input);
  const attempts: ChatMessage[][] = [messages, [{ role: 'user', content: `${messages[0].content}\n\n${messages[1].content}` }]];
  let lastError: unknown;
  for (const attempt of attempts) {
    try {
      const parts = await buildChatPrompt(attempt, renderer);
      const first = parts[0];
      const startsWithBos = typeof first === 'object' && BOS_TEXT.test(first.text);
      return { kind: 'chat', prompt: [...(startsWithBos ? [] : bos(model)), ...parts], stop: [] };
    } catch (err) {
      lastError = err;
    }
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  return { ...buildPlainPrompt(input, model), fallbackReason: `chat template failed: ${reason}` };
}
