// Generation parameters in the gateway's terms, and where each goes in a NIM request body.
import type { NimDialect } from '../config.ts';
import type { ChatCompletionRequest, ChatMessage, CompletionRequest } from './wire.ts';

/** Every sampling knob NIM for LLMs accepts; unset ones are not sent, so NIM's defaults apply. */
export interface GenerationParams {
  temperature?: number | null;
  topP?: number | null;
  n?: number | null;
  stop?: readonly string[] | null;
  seed?: number | null;
  frequencyPenalty?: number | null;
  presencePenalty?: number | null;
  /** How many alternatives to return per token with its log-probability; 0 = only the sampled token. */
  logprobs?: number | null;
  echo?: boolean | null;
  user?: string | null;
  topK?: number | null;
  repetitionPenalty?: number | null;
  ignoreEos?: boolean | null;
  minTokens?: number | null;
  minP?: number | null;
}

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; schema: Record<string, unknown>; strict?: boolean } };

export interface CompletionInput {
  model: string;
  prompt: string;
  maxTokens: number;
  params?: GenerationParams;
  responseFormat?: ResponseFormat | null;
}

export interface ChatInput {
  model: string;
  messages: ChatMessage[];
  maxTokens: number;
  params?: GenerationParams;
  responseFormat?: ResponseFormat | null;
}

/** Fields that vLLM and the OpenAI API share, under the same name for both endpoints. */
const COMMON: [keyof GenerationParams, string][] = [
  ['temperature', 'temperature'],
  ['topP', 'top_p'],
  ['n', 'n'],
  ['stop', 'stop'],
  ['seed', 'seed'],
  ['frequencyPenalty', 'frequency_penalty'],
  ['presencePenalty', 'presence_penalty'],
  ['user', 'user'],
  ['minTokens', 'min_tokens'],
  ['minP', 'min_p'],
];

/** NIM 1.x takes these inside `nvext`; NIM 2.x (vLLM) only at the top level. */
const EXTENSIONS: [keyof GenerationParams, string][] = [
  ['topK', 'top_k'],
  ['repetitionPenalty', 'repetition_penalty'],
  ['ignoreEos', 'ignore_eos'],
];

function sampling(params: GenerationParams, dialect: NimDialect): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [name, wire] of COMMON) {
    if (params[name] != null) body[wire] = params[name];
  }
  const extensions: Record<string, unknown> = {};
  for (const [name, wire] of EXTENSIONS) {
    if (params[name] != null) extensions[wire] = params[name];
  }
  if (dialect === 'nvext') {
    if (Object.keys(extensions).length > 0) body.nvext = extensions;
  } else {
    Object.assign(body, extensions);
  }
  return body;
}

export function completionBody(input: CompletionInput, dialect: NimDialect): CompletionRequest {
  const params = input.params ?? {};
  const body: CompletionRequest = { model: input.model, prompt: input.prompt, max_tokens: input.maxTokens };
  Object.assign(body, sampling(params, dialect));
  if (params.logprobs != null) body.logprobs = params.logprobs;
  if (params.echo != null) body.echo = params.echo;
  if (input.responseFormat) body.response_format = input.responseFormat;
  return body;
}

export function chatBody(input: ChatInput, dialect: NimDialect): ChatCompletionRequest {
  const params = input.params ?? {};
  const body: ChatCompletionRequest = { model: input.model, messages: input.messages, max_tokens: input.maxTokens };
  Object.assign(body, sampling(params, dialect));
  // Chat asks with a boolean plus a separate count of alternatives.
  if (params.logprobs != null) {
    body.logprobs = true;
    body.top_logprobs = params.logprobs;
  }
  if (input.responseFormat) body.response_format = input.responseFormat;
  return body;
}

/** A streaming body: `stream_options` only ever goes out together with `stream: true`. */
export function streaming<T extends CompletionRequest | ChatCompletionRequest>(body: T, includeUsage: boolean): T {
  return includeUsage ? { ...body, stream: true, stream_options: { include_usage: true } } : { ...body, stream: true };
}
