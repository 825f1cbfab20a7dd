// The OpenAI-compatible JSON that NIM Proxy and NIM for LLMs send and accept (vLLM dialect).
// Request types are what we send; response schemas parse leniently: only what we use is
// required, unknown keys are dropped, and absent optional fields become null.
import { z } from 'zod';
import { logprobs } from './logprobs.ts';
import { splitReasoning } from './reasoning.ts';
import { settleToolCalls } from './tool-calls.ts';

export type { TokenLogprob } from './logprobs.ts';

export interface CompletionRequest {
  model: string;
  prompt: string;
  max_tokens: number;
  stream?: boolean;
  stream_options?: { include_usage: boolean };
  [extra: string]: unknown;
}

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

/** A piece of a message's content: text, or an image by URL (`data:` or https). */
type ChatContentPart =
  { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

/** A tool call as the upstream writes it, and as an assistant message echoes it back. */
interface ToolCallWire {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatMessage {
  role: ChatRole;
  content: string | ChatContentPart[] | null;
  name?: string;
  tool_calls?: ToolCallWire[];
  tool_call_id?: string;
}

/** A tool the model may call: its name, what it does, its parameters as JSON Schema. */
export interface ToolWire {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  max_tokens: number;
  stream?: boolean;
  stream_options?: { include_usage: boolean };
  [extra: string]: unknown;
}

const nullableString = z
  .string()
  .nullish()
  .transform((v) => v ?? null);
const nullableInt = z
  .number()
  .int()
  .nullish()
  .catch(null)
  .transform((v) => v ?? null);

const modelCard = z.object({
  id: z.string().min(1),
  object: z.string().nullish(),
  created: nullableInt,
  owned_by: nullableString.catch(null),
  root: nullableString.catch(null),
  parent: nullableString.catch(null),
  max_model_len: nullableInt,
});
export type ModelCard = z.output<typeof modelCard>;

export const modelList = z.object({
  // The NIM Operator skips entries whose object is not "model"; we do the same.
  data: z.array(z.unknown()).transform((items) =>
    items.flatMap((item) => {
      const card = modelCard.safeParse(item);
      return card.success && (card.data.object == null || card.data.object === 'model')
        ? [card.data]
        : [];
    }),
  ),
});

const usage = z
  .object({
    prompt_tokens: z.number().int(),
    completion_tokens: z.number().int(),
    total_tokens: z.number().int(),
    // OpenAI's place for the thinking tokens inside completion_tokens, when the upstream says.
    completion_tokens_details: z.object({ reasoning_tokens: nullableInt }).nullish().catch(null),
  })
  .transform(({ completion_tokens_details, ...counts }) => ({
    ...counts,
    reasoning_tokens: completion_tokens_details?.reasoning_tokens ?? null,
  }));
export type Usage = z.output<typeof usage>;

const finishReason = nullableString.catch(null);

const completionChoice = z.object({
  index: z.number().int(),
  text: z.string(),
  finish_reason: finishReason,
  logprobs,
});

export const completionResponse = z.object({
  id: z
    .string()
    .nullish()
    .transform((v) => v ?? ''),
  created: nullableInt,
  model: z.string(),
  choices: z.array(completionChoice),
  usage: usage
    .nullish()
    .catch(null)
    .transform((v) => v ?? null),
});
export type CompletionResponse = z.output<typeof completionResponse>;

const toolCall = z.object({
  id: z
    .string()
    .nullish()
    .transform((v) => v ?? ''),
  function: z.object({
    name: z.string(),
    arguments: z
      .string()
      .nullish()
      .transform((v) => v ?? ''),
  }),
});

const chatResponseMessage = z
  .object({
    role: z
      .string()
      .nullish()
      .transform((v) => v ?? 'assistant'),
    content: nullableString,
    reasoning_content: nullableString.catch(null),
    reasoning: nullableString.catch(null),
    tool_calls: z
      .array(toolCall)
      .nullish()
      .transform((v) => v ?? []),
  })
  // One reasoning field, whichever the upstream wrote (or inline in the content).
  .transform(({ reasoning, reasoning_content, content, ...message }) => ({
    ...message,
    ...splitReasoning(content, reasoning_content ?? reasoning),
  }))
  .transform(({ reasoning, ...message }) => ({ ...message, reasoning_content: reasoning }));

const chatChoice = z
  .object({
    index: z.number().int(),
    message: chatResponseMessage,
    finish_reason: finishReason,
    logprobs,
  })
  .transform(settleToolCalls);

export const chatCompletionResponse = z.object({
  id: z
    .string()
    .nullish()
    .transform((v) => v ?? ''),
  created: nullableInt,
  model: z.string(),
  choices: z.array(chatChoice),
  usage: usage
    .nullish()
    .catch(null)
    .transform((v) => v ?? null),
});
export type ChatCompletionResponse = z.output<typeof chatCompletionResponse>;

// Stream chunks: `choices` is empty in the usage chunk, and every field but the index may be missing.
const chunkHead = {
  id: z
    .string()
    .nullish()
    .transform((v) => v ?? ''),
  created: nullableInt,
  model: nullableString.catch(null),
  usage: usage
    .nullish()
    .catch(null)
    .transform((v) => v ?? null),
};

export const completionChunk = z.object({
  ...chunkHead,
  choices: z
    .array(
      z.object({
        index: z.number().int().min(0),
        text: z
          .string()
          .nullish()
          .transform((v) => v ?? ''),
        finish_reason: finishReason,
        logprobs,
      }),
    )
    .nullish()
    .transform((v) => v ?? []),
});
export type CompletionChunk = z.output<typeof completionChunk>;

export const chatChunk = z.object({
  ...chunkHead,
  choices: z
    .array(
      z.object({
        index: z.number().int().min(0),
        delta: z
          .object({
            role: nullableString.catch(null),
            content: nullableString,
            reasoning_content: nullableString.catch(null),
            reasoning: nullableString.catch(null),
            // A fragment of a tool call: id and name come with a call's first fragment only.
            tool_calls: z
              .array(
                z.object({
                  index: z.number().int().min(0),
                  id: nullableString,
                  function: z
                    .object({ name: nullableString, arguments: nullableString })
                    .nullish()
                    .transform((v) => v ?? { name: null, arguments: null }),
                }),
              )
              .nullish()
              .transform((v) => v ?? []),
          })
          .nullish()
          .transform(
            (v) =>
              v ?? {
                role: null,
                content: null,
                reasoning_content: null,
                reasoning: null,
                tool_calls: [],
              },
          ),
        finish_reason: finishReason,
        logprobs,
      }),
    )
    .nullish()
    .transform((v) => v ?? []),
});
export type ChatChunk = z.output<typeof chatChunk>;

// Retrieval NIMs: `POST /v1/embeddings` (OpenAI's shape plus NIM's input_type and truncate) and
// `POST /v1/ranking` (NIM's own: a query, passages, logits best first).
export type InputType = 'query' | 'passage';
export type Truncate = 'NONE' | 'START' | 'END';
export type EmbeddingEncoding = 'float' | 'base64';

export interface EmbeddingRequest {
  model: string;
  input: string[];
  input_type?: InputType;
  truncate?: Truncate;
  encoding_format: EmbeddingEncoding;
  dimensions?: number;
}

const inputUsage = z
  .object({ prompt_tokens: z.number().int().min(0), total_tokens: z.number().int().min(0) })
  .nullish()
  .catch(null)
  .transform((v) => v ?? null);
export type InputUsage = z.output<typeof inputUsage>;

export const embeddingResponse = z.object({
  data: z.array(
    z.object({
      index: z.number().int().min(0),
      // Numbers, or a base64 string of little-endian float32 when `encoding_format` asked for it.
      embedding: z.union([z.array(z.number()), z.string()]),
    }),
  ),
  model: nullableString.catch(null),
  usage: inputUsage,
});
export type EmbeddingResponse = z.output<typeof embeddingResponse>;

export interface RankingRequest {
  model: string;
  query: { text: string };
  passages: { text: string }[];
  truncate?: Truncate;
}

export const rankingResponse = z.object({
  rankings: z.array(z.object({ index: z.number().int().min(0), logit: z.number() })),
  usage: inputUsage,
});
export type RankingResponse = z.output<typeof rankingResponse>;

/** The three error body shapes NIM sends: flat (1.x), nested (2.x, streams), single string. */
const errorCode = z
  .number()
  .int()
  .nullish()
  .catch(null)
  .transform((v) => v ?? null);
const errorFields = {
  message: z.string(),
  type: nullableString.catch(null),
  param: nullableString.catch(null),
  code: errorCode,
  // llama.cpp's server states the context window of a too-long request here.
  n_ctx: nullableInt,
};

const errorBody = z.union([
  z.object({ error: z.object(errorFields) }),
  z.object({ error: z.string() }),
  z.object({ object: z.literal('error').optional(), ...errorFields }),
]);

export interface UpstreamErrorDetail {
  message: string;
  type: string | null;
  param: string | null;
  /** NIM puts the HTTP status here as an integer (not OpenAI's string codes). */
  code: number | null;
  /** The model's context window, when the body states it as a field (llama.cpp's `n_ctx`). */
  contextLength: number | null;
}

/** An HTTP error body in any of the three shapes, or null. */
export function readErrorBody(body: unknown): UpstreamErrorDetail | null {
  const parsed = errorBody.safeParse(body);
  if (!parsed.success) return null;
  const value = parsed.data;
  if (!('error' in value)) return detailOf(value);
  if (typeof value.error === 'string')
    return { message: value.error, type: null, param: null, code: null, contextLength: null };
  return detailOf(value.error);
}

function detailOf(fields: {
  message: string;
  type: string | null;
  param: string | null;
  code: number | null;
  n_ctx: number | null;
}): UpstreamErrorDetail {
  return {
    message: fields.message,
    type: fields.type,
    param: fields.param,
    code: fields.code,
    contextLength: fields.n_ctx,
  };
}

/**
 * An error sent where a result was expected (a server-sent event, a 200 body): `{"error": …}` in
 * any of its shapes, or NIM 1.x's flat `{"object": "error", …}`. Null for anything else: a chunk
 * is never mistaken for an error, and an error is never read as a chunk that lacks its fields.
 */
export function readInBandError(json: unknown): UpstreamErrorDetail | null {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return null;
  const record = json as Record<string, unknown>;
  if ((record.error === undefined || record.error === null) && record.object !== 'error')
    return null;
  const detail = readErrorBody(json);
  if (detail) return detail;
  // Flagged as an error but in no known shape: still an error, with what can be read of its code.
  const inner =
    typeof record.error === 'object' && record.error !== null
      ? (record.error as Record<string, unknown>)
      : record;
  const code = Number.isInteger(inner.code) ? (inner.code as number) : null;
  return {
    message: 'an error event in an unknown shape',
    type: null,
    param: null,
    code,
    contextLength: null,
  };
}
