// The NIM request bodies of a completion and a chat: the input, and the sampling parameters of the
// one table (parameters.ts).
import { samplingBody, type GenerationParams, type NimDialect } from './parameters.ts';
export type { GenerationParams } from './parameters.ts';
import type { ChatCompletionRequest, ChatMessage, CompletionRequest, ToolWire } from './wire.ts';

/** What the generated text must look like: sent as `response_format`, or as guided decoding. */
export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      json_schema: { name: string; schema: Record<string, unknown>; strict?: boolean };
    }
  | GuidedFormat;

/** Guided decoding: one of the choices, a match of the regex, a string of the grammar. */
type GuidedFormat =
  | { type: 'choice'; choice: string[] }
  | { type: 'regex'; regex: string }
  | { type: 'grammar'; grammar: string };

/**
 * Where guided decoding goes, per dialect, so that no upstream gets a form it silently ignores:
 * NIM 2.x (vLLM ≥ 0.12) reads only top-level `structured_outputs` (it dropped `guided_*`), early
 * NIM 1.x only `nvext.guided_*`.
 */
function formatBody(
  format: ResponseFormat | null | undefined,
  dialect: NimDialect,
  body: Record<string, unknown>,
): void {
  if (!format) return;
  if (format.type === 'choice' || format.type === 'regex' || format.type === 'grammar') {
    const value =
      format.type === 'choice'
        ? format.choice
        : format.type === 'regex'
          ? format.regex
          : format.grammar;
    if (dialect === 'top-level') body.structured_outputs = { [format.type]: value };
    else body.nvext = { ...(body.nvext as object | undefined), [`guided_${format.type}`]: value };
    return;
  }
  body.response_format = format;
}

export interface CompletionInput {
  model: string;
  prompt: string;
  maxTokens: number;
  params?: GenerationParams;
  responseFormat?: ResponseFormat | null;
}

/** What a chat sends of its tools: `tools`, `tool_choice`, `parallel_tool_calls` as set. */
export interface ToolsBody {
  tools: ToolWire[];
  tool_choice?: 'auto' | 'required' | { type: 'function'; function: { name: string } };
  parallel_tool_calls?: boolean;
}

export interface ChatInput {
  model: string;
  messages: ChatMessage[];
  /** Null: no tools sent (none given, or toolChoice NONE). */
  tools?: ToolsBody | null;
  /** Request fields of the model family's thinking control (`chat_template_kwargs`, `reasoning_effort`, …). */
  extra?: Record<string, unknown>;
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
  formatBody(input.responseFormat, dialect, body);
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
  formatBody(input.responseFormat, dialect, body);
  // Either may be null or absent: Object.assign skips those.
  Object.assign(body, input.tools, input.extra);
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
