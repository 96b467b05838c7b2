// The first-run FIM check's rule: one tiny fill-in-the-middle prompt with an obvious answer (the
// body of `add(a, b)`), and whether the model's answer shows that it is an instruct/chat model used
// for fill-in-the-middle — the most common setup failure, which otherwise shows as empty or odd
// ghost text. Only positive signs count: a Markdown fence, chat-assistant prose ("Sure", "Here is"),
// chat role tokens, the task restated, the code after the gap echoed. An answer without them
// (correct code, nothing, or a random-weight test model's gibberish) never warns. The answer's
// signs must also agree with the model's metadata (a name saying instruct/chat/-it, or a chat
// template): an answer alone does not condemn a model. No vscode, no engine: pure functions.
import { buildFimPrompt } from '../context/fimPrompt';
import type { ModelInfo, PromptPart } from '../engine/native';

/** The known prompt: a base code model fills in `    return a + b`. */
export const FIM_CHECK_SAMPLE = {
  prefix: 'def add(a, b):\n    """Return the sum of a and b."""\n',
  suffix: '\n\nprint(add(2, 3))\n',
  /** What a chat model restates when it answers with the whole function. */
  task: /\bdef\s+add\s*\(/,
  /** The code after the gap, which a chat model repeats. */
  suffixLine: /print\s*\(\s*add\s*\(\s*2\s*,\s*3\s*\)\s*\)/,
} as const;

/** Enough tokens for a chat opening ("Sure! Here is the completed function:\n\n```python") and
 *  for a base model's one-line answer; small, so the check costs well under a second. */
export const FIM_CHECK_MAX_TOKENS = 24;

type CheckedModel = Pick<ModelInfo, 'name' | 'path' | 'chatTemplate'>;
type PromptModel = Parameters<typeof buildFimPrompt>[0];

/** One sign in the answer: `strong` signs are enough alone, weak ones count in pairs. */
export interface AnswerSign {
  what: string;
  strong: boolean;
}

export interface FimCheckVerdict {
  /** The model answered the FIM prompt like an instruct/chat model. */
  chatLike: boolean;
  answerSigns: AnswerSign[];
  /** What in the model's metadata says instruct/chat. */
  modelSigns: string[];
}

/** The check's prompt in the model's own FIM format (fimPrompt.ts). */
export function fimCheckPrompt(model: PromptModel): PromptPart[] {
  return buildFimPrompt(model, { prefix: FIM_CHECK_SAMPLE.prefix, suffix: FIM_CHECK_SAMPLE.suffix, languageId: 'python' }, null);
}

// how an assistant opens its answer (never how code starts)
const CHAT_OPENINGS = [
  String.raw`(?:sure|certainly|of course|absolutely|great|okay)\b[ \t]*[,.!:]`, // "Sure!", "Certainly,"
  String.raw`here(?:['’]s|\s+is|\s+are)\b`, // "Here is the completed function"
  String.raw`below\s+is\b`,
  String.raw`i(?:['’](?:ll|m|ve)|\s+will|\s+can|\s+have|\s+would)\s`, // "I'll", "I can"
  String.raw`let(?:['’]s|\s+me)\s`,
  String.raw`to\s+(?:complete|implement|fill\s+in|finish)\s`,
  String.raw`the\s+(?:completed|missing|following|updated|function|code)\s+(?:code|function|implementation|line|is|adds|returns)\b`,
  String.raw`you\s+can\s`,
  String.raw`this\s+(?:function|code)\s+(?:adds|returns|takes|calculates|computes)\b`,
];
const CHAT_PROSE = new RegExp(String.raw`^\s*(?:${CHAT_OPENINGS.join('|')})`, 'i');
const FENCE = /```|~~~/;
// chat templates' turn markers (ChatML, Llama 2/3, Gemma, Alpaca), anywhere in the answer
const ROLE_TOKEN =
  /<\|im_(?:start|end)\|>|<\|(?:assistant|user|system|start_header_id|end_header_id|eot_id)\|>|\[\/?INST\]|<(?:start|end)_of_turn>|^[ \t]*#{2,3}[ \t]*(?:Response|Instruction)[ \t]*:|^[ \t]*(?:assistant|user)[ \t]*:?[ \t]*$/im;

/** The signs in `answer` that the model answered like a chat assistant. */
export function answerSigns(answer: string): AnswerSign[] {
  const signs: AnswerSign[] = [];
  if (FENCE.test(answer)) signs.push({ what: 'a Markdown code fence', strong: true });
  const prose = CHAT_PROSE.exec(answer);
  if (prose) signs.push({ what: `chat prose ("${prose[0].trim()}")`, strong: true });
  const role = ROLE_TOKEN.exec(answer);
  if (role) signs.push({ what: `a chat role marker ("${role[0].trim()}")`, strong: true });
  if (FIM_CHECK_SAMPLE.task.test(answer)) signs.push({ what: 'the function restated', strong: false });
  if (FIM_CHECK_SAMPLE.suffixLine.test(answer)) signs.push({ what: 'the code after the gap repeated', strong: false });
  return signs;
}

// "Instruct", "chat", "-it" (Gemma's instruction-tuned suffix) as words of a name
const INSTRUCT_WORD = /(?:^|[^a-z0-9])(instruct|chat|it)(?=$|[^a-z0-9])/i;

/** What in the model's metadata says it is tuned for chat. */
export function modelSigns(model: CheckedModel): string[] {
  const signs: string[] = [];
  const fileName = model.path.split(/[\\/]/).pop() ?? '';
  const named = INSTRUCT_WORD.exec(model.name) ?? INSTRUCT_WORD.exec(fileName);
  if (named) signs.push(`its name says "${named[1]}"`);
  if (model.chatTemplate) signs.push('it has a chat template');
  return signs;
}

/** The check's decision: at least one strong sign or two weak ones in the answer, and a model
 *  whose metadata agrees. */
export function judgeFimAnswer(model: CheckedModel, answer: string): FimCheckVerdict {
  const signs = answerSigns(answer);
  const strong = signs.filter((s) => s.strong).length;
  const fromModel = modelSigns(model);
  return { chatLike: fromModel.length > 0 && (strong >= 1 || signs.length >= 2), answerSigns: signs, modelSigns: fromModel };
}

/** The model's name without its instruct/chat word, e.g. "Qwen2.5-Coder-7B" for "Qwen2.5-Coder-7B-Instruct". */
export function baseModelName(model: CheckedModel): string | undefined {
  const name = model.name || (model.path.split(/[\\/]/).pop() ?? '').replace(/\.gguf$/i, '');
  const match = INSTRUCT_WORD.exec(name);
  if (!match) return undefined;
  const base = `${name.slice(0, match.index)}${name.slice(match.index + match[0].length)}`.replace(/[-_. ]+$/, '');
  return base || undefined;
}

/** The warning, in plain words with the fix. */
export function chatModelWarning(model: CheckedModel, verdict: FimCheckVerdict): string {
  const display = model.name || model.path.split(/[\\/]/).pop() || model.path;
  const base = baseModelName(model);
  const example = base ? `${base} (not ${model.name || display})` : 'Qwen2.5-Coder-1.5B (not -Instruct)';
  const signs = verdict.answerSigns.map((s) => s.what).join(', ');
  return (
    `Tandem: ${display} looks like an instruct/chat model: asked to fill in a small function, it answered like a chat ` +
    `assistant (${signs}), so its ghost text will be empty or wrong. Fill-in-the-middle needs a base code model of the ` +
    `same family, e.g. ${example}.`
  );
}
