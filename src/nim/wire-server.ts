// The JSON NIM servers send, in full (not the lenient parse of wire.ts): what the simulator writes.
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
  completion_tokens_details?: { reasoning_tokens: number };
}

/**
 * Completion logprobs: parallel lists, one entry per token; top_logprobs maps token to logprob.
 * With echo, prompt tokens come first and the very first one has null entries.
 */
export interface CompletionLogprobsWire {
  tokens: string[];
  token_logprobs: Array<number | null>;
  top_logprobs: Array<Record<string, number> | null> | null;
  text_offset: number[];
}

export interface ChatTopLogprobWire {
  token: string;
  logprob: number;
  /** The token's UTF-8 bytes. */
  bytes: number[];
}

interface ChatTokenLogprobWire extends ChatTopLogprobWire {
  top_logprobs: ChatTopLogprobWire[];
}

export interface ChatLogprobsWire {
  content: ChatTokenLogprobWire[];
}

interface CompletionChoiceWire {
  index: number;
  text: string;
  logprobs: CompletionLogprobsWire | null;
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

/** A tool call as vLLM writes it: its arguments a JSON string. */
interface ToolCallWire {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

interface ChatChoiceWire {
  index: number;
  message:
    | { role: 'assistant'; content: string; reasoning?: string; reasoning_content?: string }
    | { role: 'assistant'; content: null; tool_calls: ToolCallWire[] };
  logprobs: ChatLogprobsWire | null;
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

interface ChatChunkChoiceWire {
  index: number;
  delta: {
    role?: 'assistant';
    content?: string;
    reasoning?: string;
    reasoning_content?: string;
    tool_calls?: Record<string, unknown>[];
  };
  logprobs: ChatLogprobsWire | null;
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

export interface EmbeddingResponseWire {
  object: 'list';
  data: { object: 'embedding'; index: number; embedding: number[] | string }[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

export interface RankingResponseWire {
  rankings: { index: number; logit: number }[];
}
