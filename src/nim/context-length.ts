// A request over the model's context window, in the words of each server behind NIM (vLLM across
// versions, TensorRT-LLM, SGLang) and of llama.cpp, with the window size where the refusal states it.
import type { UpstreamErrorDetail } from './wire.ts';

/** Each wording; where it states the window (or the limit that refused the prompt), it is the first group. */
const WORDINGS: readonly RegExp[] = [
  // vLLM, every version ("This model's maximum context length is N tokens. However, …", "'max_tokens' … is
  // too large: X. This model's maximum context length is N tokens and …"); SGLang ("Requested token
  // count exceeds the model's maximum context length of N tokens. …").
  /maximum context length (?:is|of) (\d+)/i,
  // vLLM's scheduler: "Input prompt (P tokens) is too long and exceeds limit of N".
  /is too long and exceeds (?:the )?limit of (\d+)/i,
  // vLLM: "The decoder prompt (length P) is longer than the maximum model length of N."
  /longer than the maximum model length of (\d+)/i,
  // SGLang: "The input (P tokens) is longer than the model's context length (N tokens)."
  /longer than the model's context length \((\d+)/i,
  // TensorRT-LLM: "The sum of prompt length (P) and query length (Q) max_tokens (M) should not exceed
  // max_seq_len (N)", "… should not exceed max_num_tokens (N)".
  /should not exceed (?:max_seq_len|max_num_tokens) \((\d+)\)/i,
  // TensorRT-LLM's runtime: "Prompt length (P) exceeds maximum input length (N)", "… exceeds max_seq_len (N)".
  /exceeds (?:the )?(?:maximum input length|max_input_len|max_seq_len|max_num_tokens)(?: of)? \(?(\d+)/i,
  // llama.cpp: "request (P tokens) exceeds the available context size (N tokens), try increasing it";
  // older builds leave the numbers out (the n_ctx field has the size).
  /exceeds the available context size(?: \((\d+))?/i,
  // NeMo Retriever embedding and reranking NIMs with truncate NONE: "Input length P exceeds maximum
  // allowed token size N".
  /exceeds maximum allowed token size (\d+)/i,
  // Wordings that name no size.
  /maximum context length|context length exceeded|context_length_exceeded|reduce the length of/i,
];

/** Error types that say it without words: llama.cpp's, and OpenAI's code where a server copies it. */
const TYPES = new Set(['exceed_context_size_error', 'context_length_exceeded']);

/** Null when `detail` is not a context-length refusal; otherwise the window size, when stated. */
export function contextLengthRefusal(
  detail: UpstreamErrorDetail,
): { maxContextLength: number | null } | null {
  for (const wording of WORDINGS) {
    const match = wording.exec(detail.message);
    if (match)
      return {
        maxContextLength:
          detail.contextLength ?? (match[1] === undefined ? null : Number(match[1])),
      };
  }
  // Stryker disable next-line ConditionalExpression: the set holds no null, so its has() is false for one anyway
  return detail.type !== null && TYPES.has(detail.type)
    ? { maxContextLength: detail.contextLength }
    : null;
}
