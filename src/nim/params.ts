// The NIM request bodies of a completion and a chat: the input, and the sampling parameters of the
// one table (parameters.ts).
import { samplingBody, type GenerationParams, type NimDialect } from './parameters.ts';
export type { GenerationParams } from './parameters.ts';
import type { ChatCompletionRequest, ChatMessage, CompletionRequest } from './wire.ts';

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      json_schema: { name: string; schema: Record<string, unknown>; strict?: boolean };
    };

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

export function completionBody(input: CompletionInput, dialect: NimDialect): CompletionRequest {
  const params = input.params ?? {};
  const body: CompletionRequest = {
    model: input.model,
    prompt: input.prompt,
    max_tokens: input.maxTokens,
  };
  Object.assign(body, samplingBody(params, 'completion', dialect));
  if (input.responseFormat) body.response_format = input.responseFormat;
  return body;
}

export function chatBody(input: ChatInput, dialect: NimDialect): ChatCompletionRequest {
  const params = input.params ?? {};
  const body: ChatCompletionRequest = {
    model: input.model,
    messages: input.messages,
    max_tokens: input.maxTokens,
  };
  Object.assign(body, samplingBody(params, 'chat', dialect));
  if (input.responseFormat) body.response_format = input.responseFormat;
  return body;
}

/** A streaming body: `stream_options` only ever goes out together with `stream: true`. */
export function streaming<T extends CompletionRequest | ChatCompletionRequest>(
  body: T,
  includeUsage: boolean,
): T {
  return includeUsage
    ? { ...body, stream: true, stream_options: { include_usage: true } }
    : { ...body, stream: true };
}
