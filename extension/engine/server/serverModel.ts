// What Tandem needs to know about a llama-server's model, in the ModelInfo shape the pipeline
// builds prompts from: its fill-in-the-middle token ids (and their text, which names the prompt
// family), BOS, EOS, the chat template and the context of one slot. llama-server's /props names
// the model and template but not the FIM tokens, so they are found the way llama.cpp itself finds
// them (llama-vocab.cpp: the same token texts): each candidate must tokenize to exactly one token
// with special tokens parsed, and to more than one without — a control token, not ordinary text.
import * as path from 'node:path';
import type { FimTokens, ModelInfo } from '../native';
import type { RequestOptions } from './httpTransport';
import type { LlamaModelMeta, LlamaServerClient } from './llamaServerClient';

/** A server's model as the pipeline sees it, plus what only a server has. */
export interface ServerModelInfo extends ModelInfo {
  /** Context of one slot (the server's context divided among its slots). */
  slotContext: number;
  slots: number;
  /** /props model_alias or the model file's name: a changed name means a changed model. */
  serverModel: string;
  /** llama-server's speculative decoding types ('none' when off). */
  speculation: string;
}

/** FIM token texts per family, in llama-vocab.cpp's order (first match wins). */
const FIM_CANDIDATES: readonly { prefix: string; suffix: string; middle: string; pad?: string; repo?: string; sep?: string }[] = [
  {
    prefix: '<|fim_prefix|>',
    suffix: '<|fim_suffix|>',
    middle: '<|fim_middle|>',
    pad: '<|fim_pad|>',
    repo: '<|repo_name|>',
    sep: '<|file_sep|>',
  },
  { prefix: '<fim-prefix>', suffix: '<fim-suffix>', middle: '<fim-middle>', pad: '<fim-pad>' },
  { prefix: '<fim_prefix>', suffix: '<fim_suffix>', middle: '<fim_middle>', pad: '<fim_pad>', repo: '<reponame>', sep: '<file_sep>' },
  { prefix: '<｜fim▁begin｜>', suffix: '<｜fim▁hole｜>', middle: '<｜fim▁end｜>' },
  { prefix: '<PRE>', suffix: '<SUF>', middle: '<MID>', pad: '<EOT>' },
  { prefix: '▁<PRE>', suffix: '▁<SUF>', middle: '▁<MID>', pad: '▁<EOT>' },
  { prefix: '[PREFIX]', suffix: '[SUFFIX]', middle: '[MIDDLE]' },
  { prefix: '<|code_prefix|>', suffix: '<|code_suffix|>', middle: '<|code_middle|>' },
  { prefix: '<|prefix|>', suffix: '<|suffix|>', middle: '<|middle|>' },
];

/** The id of a control token spelled `text`, or -1 when the model has no such token. */
export async function controlTokenId(client: LlamaServerClient, text: string | undefined, options: RequestOptions): Promise<number> {
  if (!text) return -1;
  const parsed = await client.tokenize(text, true, options);
  if (parsed.length !== 1) return -1;
  const plain = await client.tokenize(text, false, options);
  return plain.length === 1 && plain[0] === parsed[0] ? -1 : parsed[0];
}

/** Reads the server's model: /props, /v1/models and the FIM token probes (a dozen small requests,
 *  once per connection). */
export async function probeServerModel(client: LlamaServerClient, options: RequestOptions): Promise<ServerModelInfo> {
  const [props, meta] = await Promise.all([client.props(options), client.modelMeta(options).catch((): LlamaModelMeta => ({}))]);
  const fim: FimTokens = { prefix: -1, suffix: -1, middle: -1, pad: -1, repo: -1, sep: -1 };
  let fimText = { prefix: '', suffix: '', middle: '' };
  const prefixIds = await Promise.all(FIM_CANDIDATES.map((c) => controlTokenId(client, c.prefix, options)));
  const found = prefixIds.findIndex((id) => id >= 0);
  if (found >= 0) {
    const family = FIM_CANDIDATES[found];
    const [suffix, middle, pad, repo, sep] = await Promise.all(
      [family.suffix, family.middle, family.pad, family.repo, family.sep].map((text) => controlTokenId(client, text, options)),
    );
    if (suffix >= 0 && middle >= 0) {
      Object.assign(fim, { prefix: prefixIds[found], suffix, middle, pad, repo, sep });
      fimText = { prefix: family.prefix, suffix: family.suffix, middle: family.middle };
    }
  }
  const [bos, eos] = await Promise.all([
    controlTokenId(client, props.bos_token, options),
    controlTokenId(client, props.eos_token, options),
  ]);
  const addBos = await client.addsBos(bos, options);
  // the alias defaults to the model's path: its file name is what a person recognises
  const serverModel = path.basename(props.model_alias || props.model_path || '') || 'model';
  const host = client.host;
  const settings = props.default_generation_settings ?? {};
  const slotContext = typeof settings.n_ctx === 'number' && settings.n_ctx > 0 ? settings.n_ctx : 0;
  const speculation = settings.params?.['speculative.types'];
  const sizeBytes = meta.size ?? 0;
  return {
    path: `${host}/${serverModel}`,
    architecture: '',
    name: `${serverModel} on ${host}`,
    description: `${serverModel} (llama-server at ${host})`,
    quantization: '',
    fileSizeBytes: sizeBytes,
    sizeBytes,
    parameters: meta.n_params ?? 0,
    contextLength: meta.n_ctx_train ?? slotContext,
    embeddingLength: meta.n_embd ?? 0,
    layers: 0,
    vocabSize: meta.n_vocab ?? 0,
    bos,
    addBos,
    eos,
    eot: eos,
    fim,
    fimText,
    // llama-server falls back to ChatML when the model has no template: it always renders one
    chatTemplate: props.chat_template || null,
    slotContext,
    slots: typeof props.total_slots === 'number' ? props.total_slots : 1,
    serverModel,
    speculation: typeof speculation === 'string' ? speculation : 'none',
  };
}
