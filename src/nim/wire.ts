// The OpenAI-compatible JSON that NIM Proxy and NIM for LLMs send and accept (vLLM dialect).
// Request types are what we send; response schemas parse leniently: only what we use is
// required, unknown keys are dropped, and absent optional fields become null.
import { z } from 'zod';

export interface CompletionRequest {
  model: string;
  prompt: string;
  max_tokens: number;
  stream?: boolean;
  stream_options?: { include_usage: boolean };
  [extra: string]: unknown;
}

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

export interface ChatMessage {
  role: ChatRole;
  content: string;
  name?: string;
  tool_call_id?: string;
}

export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  max_tokens: number;
  stream?: boolean;
  stream_options?: { include_usage: boolean };
  [extra: string]: unknown;
}

const nullableString = z.string().nullish().transform((v) => v ?? null);
const nullableInt = z.number().int().nullish().catch(null).transform((v) => v ?? null);

export const modelCard = z.object({
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
  data: z
    .array(z.unknown())
    .transform((items) =>
      items.flatMap((item) => {
        const card = modelCard.safeParse(item);
        return card.success && (card.data.object == null || card.data.object === 'model') ? [card.data] : [];
      }),
    ),
});

export const usage = z.object({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
});
export type Usage = z.output<typeof usage>;

const finishReason = nullableString.catch(null);

export const completionChoice = z.object({
  index: z.number().int(),
  text: z.string(),
  finish_reason: finishReason,
});

export const completionResponse = z.object({
  id: z.string().nullish().transform((v) => v ?? ''),
  created: nullableInt,
  model: z.string(),
  choices: z.array(completionChoice),
  usage: usage.nullish().catch(null).transform((v) => v ?? null),
});
export type CompletionResponse = z.output<typeof completionResponse>;

export const chatResponseMessage = z.object({
  role: z.string().nullish().transform((v) => v ?? 'assistant'),
  content: nullableString,
  reasoning_content: nullableString.catch(null),
});

export const chatChoice = z.object({
  index: z.number().int(),
  message: chatResponseMessage,
  finish_reason: finishReason,
});

export const chatCompletionResponse = z.object({
  id: z.string().nullish().transform((v) => v ?? ''),
  created: nullableInt,
  model: z.string(),
  choices: z.array(chatChoice),
  usage: usage.nullish().catch(null).transform((v) => v ?? null),
});
export type ChatCompletionResponse = z.output<typeof chatCompletionResponse>;

/** The three error body shapes NIM sends: flat (1.x), nested (2.x, streams), single string. */
export const errorBody = z.union([
  z.object({
    error: z.object({
      message: z.string(),
      type: nullableString.catch(null),
      param: nullableString.catch(null),
    }),
  }),
  z.object({ error: z.string() }),
  z.object({
    object: z.literal('error').optional(),
    message: z.string(),
    type: nullableString.catch(null),
    param: nullableString.catch(null),
  }),
]);

export interface UpstreamErrorDetail {
  message: string;
  type: string | null;
  param: string | null;
}

export function readErrorBody(body: unknown): UpstreamErrorDetail | null {
  const parsed = errorBody.safeParse(body);
  if (!parsed.success) return null;
  const value = parsed.data;
  if (!('error' in value)) return { message: value.message, type: value.type, param: value.param };
  if (typeof value.error === 'string') return { message: value.error, type: null, param: null };
  return value.error;
}

/** What servers send as JSON, for the simulator: the full shapes, not the lenient parse. */
export interface ModelCardWire {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  root: string | null;
  parent: string | null;
  max_model_len: number | null;
  permission: unknown[];
}

export interface UsageWire {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface CompletionChoiceWire {
  index: number;
  text: string;
  logprobs: null;
  finish_reason: string | null;
  stop_reason: string | number | null;
}

export interface CompletionResponseWire {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: CompletionChoiceWire[];
  usage?: UsageWire | null;
}

export interface ChatChoiceWire {
  index: number;
  message: { role: 'assistant'; content: string };
  logprobs: null;
  finish_reason: string | null;
  stop_reason: string | number | null;
}

export interface ChatCompletionResponseWire {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: ChatChoiceWire[];
  usage: UsageWire;
}

export interface ChatChunkChoiceWire {
  index: number;
  delta: { role?: 'assistant'; content?: string };
  logprobs: null;
  finish_reason: string | null;
  stop_reason?: string | number | null;
}

export interface ChatCompletionChunkWire {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: ChatChunkChoiceWire[];
  usage?: UsageWire | null;
}

export interface ErrorWire {
  object?: 'error';
  message: string;
  type: string;
  param: string | null;
  code: number;
}
