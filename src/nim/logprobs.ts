// Log-probabilities as upstreams send them: the completion shape (parallel arrays) or the chat
// shape (a content list), in either endpoint (llama.cpp answers /v1/completions with the chat
// shape), JSON and streamed. Both become one TokenLogprob list; anything else fails the parse,
// so a response whose logprobs cannot be read is a malformed response, never a silent null.
import { z } from 'zod';

/** One generated token with its log-probability and the most likely alternatives. */
export interface TokenLogprob {
  token: string;
  /** Null where the upstream has none (the first prompt token when echoing). */
  logprob: number | null;
  top: { token: string; logprob: number }[];
}

/** Completions (vLLM, OpenAI): parallel arrays, alternatives as `{token: logprob}` maps. */
const parallelArrays = z
  .object({
    tokens: z.array(z.string()),
    token_logprobs: z.array(z.number().nullable()),
    top_logprobs: z.array(z.record(z.string(), z.number()).nullable()).nullish(),
  })
  .transform((l): TokenLogprob[] =>
    l.tokens.map((token, i) => ({
      token,
      logprob: l.token_logprobs[i] ?? null,
      top: Object.entries(l.top_logprobs?.[i] ?? {}).map(([alt, logprob]) => ({
        token: alt,
        logprob,
      })),
    })),
  );

/** Chat (and llama.cpp's completions): one object per token, alternatives as a list. */
const contentList = z
  .object({
    content: z
      .array(
        z.object({
          token: z.string(),
          logprob: z.number().nullable(),
          top_logprobs: z.array(z.object({ token: z.string(), logprob: z.number() })).nullish(),
        }),
      )
      .nullable(),
  })
  .transform(
    (l): TokenLogprob[] | null =>
      l.content?.map((t) => ({
        token: t.token,
        logprob: t.logprob,
        top: (t.top_logprobs ?? []).map(({ token, logprob }) => ({ token, logprob })),
      })) ?? null,
  );

/** A choice's (or a chunk's) `logprobs`: null when absent, the tokens in either shape, else a parse failure. */
export const logprobs = z
  .union([parallelArrays, contentList])
  .nullish()
  .transform((v) => v ?? null);
