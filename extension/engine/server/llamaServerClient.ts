// llama-server's HTTP API as Tandem uses it (llama.cpp tools/server, the pinned release): model
// properties, tokenization, chat templates and streamed completions on /completion. Shapes are
// checked where Tandem relies on them, so another kind of server gives a clear "not a llama-server"
// error instead of undefined values deep in the pipeline.
import type { ChatMessage } from '../native';
import { HttpTransport, RequestOptions } from './httpTransport';
import { ServerError } from './serverErrors';

/** GET /props (the fields Tandem reads). */
export interface LlamaProps {
  default_generation_settings?: { n_ctx?: number; params?: Record<string, unknown> };
  total_slots?: number;
  model_path?: string;
  model_alias?: string;
  chat_template?: string;
  bos_token?: string;
  eos_token?: string;
  build_info?: string;
}

/** GET /v1/models: data[0].meta (llama-server only). */
export interface LlamaModelMeta {
  n_vocab?: number;
  n_ctx_train?: number;
  n_embd?: number;
  n_params?: number;
  size?: number;
}

/** The `timings` of a completion (server_slot_stats::to_json). */
export interface LlamaTimings {
  cache_n?: number;
  prompt_n?: number;
  prompt_ms?: number;
  predicted_n?: number;
  predicted_ms?: number;
  draft_n?: number;
  draft_n_accepted?: number;
}

/** One streamed /completion event: a piece (stop false) or the final answer (stop true). */
export interface LlamaCompletionEvent {
  content?: string;
  tokens?: number[];
  stop?: boolean;
  /** 'eos' | 'word' | 'limit' | 'none' */
  stop_type?: string;
  stopping_word?: string;
  timings?: LlamaTimings;
  tokens_predicted?: number;
  tokens_evaluated?: number;
  truncated?: boolean;
  model?: string;
  id_slot?: number;
  /** A prompt-reading progress event (return_progress): no generated text; its `tokens` are not
   *  tokens of the answer. */
  prompt_progress?: unknown;
  error?: { code?: number; message?: string; type?: string };
}

/** The /completion body Tandem sends (llama-server's field names). */
export interface LlamaCompletionBody {
  /** Token ids only: text is tokenized beforehand, so nothing in it is parsed as a special token. */
  prompt: number[];
  n_predict: number;
  stream: true;
  cache_prompt: true;
  /** Greedy, as Tandem's own engine decodes. */
  temperature: 0;
  stop?: string[];
  /** The server's own soft limit (it stops at a newline once past it); the client enforces the
   *  hard budget by aborting. */
  t_max_predict_ms?: number;
  return_tokens: true;
  /** Progress events while the prompt is read: llama-server notices a closed connection only when
   *  it sends something, so without them an abort lands after the whole prompt is read. */
  return_progress: true;
  /** Fields of the final event (it would otherwise echo the whole prompt back). */
  response_fields: string[];
}

/** What a final event must carry for Tandem (response_fields). */
export const FINAL_FIELDS = [
  'content',
  'tokens',
  'stop',
  'stop_type',
  'stopping_word',
  'timings',
  'tokens_predicted',
  'tokens_evaluated',
  'truncated',
  'model',
  'id_slot',
];

export class LlamaServerClient {
  constructor(readonly transport: HttpTransport) {}

  get host(): string {
    return this.transport.target.host;
  }

  async props(options: RequestOptions): Promise<LlamaProps> {
    const props = await this.transport.getJson<LlamaProps>('/props', options);
    if (!isObject(props) || !isObject(props.default_generation_settings)) {
      throw new ServerError(`${this.host}/props is not what llama-server answers: is tandem.engine.serverUrl a llama-server?`, 'protocol');
    }
    return props;
  }

  /** The model's metadata from /v1/models (empty when the server does not say). */
  async modelMeta(options: RequestOptions): Promise<LlamaModelMeta> {
    const models = await this.transport.getJson<{ data?: { meta?: LlamaModelMeta }[] }>('/v1/models', options);
    const meta = isObject(models) && Array.isArray(models.data) ? models.data[0]?.meta : undefined;
    return isObject(meta) ? meta : {};
  }

  /** Token ids of `text` with the server's model: special-token text is parsed only when
   *  `parseSpecial` (rendered chat templates), never in code. No BOS is added. */
  async tokenize(text: string, parseSpecial: boolean, options: RequestOptions): Promise<number[]> {
    const answer = await this.transport.postJson<{ tokens?: unknown }>(
      '/tokenize',
      { content: text, add_special: false, parse_special: parseSpecial },
      options,
    );
    const tokens = isObject(answer) ? answer.tokens : undefined;
    if (!Array.isArray(tokens) || !tokens.every((t) => Number.isInteger(t) && (t as number) >= 0)) {
      throw new ServerError(`${this.host}/tokenize did not answer with token ids: is it a llama-server?`, 'protocol');
    }
    return tokens as number[];
  }

  /** Whether the model adds BOS to a prompt (tokenizing with add_special adds it first). */
  async addsBos(bos: number, options: RequestOptions): Promise<boolean> {
    if (bos < 0) return false;
    const answer = await this.transport.postJson<{ tokens?: unknown }>('/tokenize', { content: 'a', add_special: true }, options);
    const tokens = isObject(answer) && Array.isArray(answer.tokens) ? answer.tokens : [];
    return tokens[0] === bos;
  }

  /** The conversation rendered with the server model's chat template (POST /apply-template). */
  async applyTemplate(messages: ChatMessage[], options: RequestOptions, addGenerationPrompt = true): Promise<string> {
    const answer = await this.transport.postJson<{ prompt?: unknown }>(
      '/apply-template',
      { messages, add_generation_prompt: addGenerationPrompt },
      options,
    );
    const prompt = isObject(answer) ? answer.prompt : undefined;
    if (typeof prompt !== 'string') throw new ServerError(`${this.host}/apply-template did not answer with a prompt.`, 'protocol');
    return prompt;
  }

  /** Streams one completion: `onPiece` gets each piece of text; resolves with the final event.
   *  A stream that ends without one rejects ('dropped'); an error event rejects with its message. */
  async complete(
    body: LlamaCompletionBody,
    options: RequestOptions & { onPiece(event: LlamaCompletionEvent): void },
  ): Promise<LlamaCompletionEvent> {
    let final: LlamaCompletionEvent | undefined;
    await this.transport.postStream('/completion', body, {
      ...options,
      onEvent: (event) => {
        if (final) return;
        let parsed: LlamaCompletionEvent;
        try {
          parsed = JSON.parse(event.data) as LlamaCompletionEvent;
        } catch {
          throw new ServerError(`${this.host}/completion streamed something that is not JSON: is it a llama-server?`, 'protocol');
        }
        if (typeof parsed !== 'object' || parsed === null)
          throw new ServerError(`${this.host}/completion streamed an unexpected event.`, 'protocol');
        if (parsed.error) {
          const status = typeof parsed.error.code === 'number' ? parsed.error.code : 500;
          throw new ServerError(
            `The server at ${this.host} failed the completion: ${parsed.error.message ?? 'unknown error'}`,
            'http',
            status,
          );
        }
        if (parsed.stop) final = parsed;
        else options.onPiece(parsed);
      },
    });
    if (!final) throw new ServerError(`The connection to ${this.host} ended before the completion did.`, 'dropped');
    return final;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
