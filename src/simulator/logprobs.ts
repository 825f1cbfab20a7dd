// Deterministic log probabilities for generated tokens, in the completion and chat wire shapes.
import type {
  ChatLogprobsWire,
  ChatTopLogprobWire,
  CompletionLogprobsWire,
} from '../nim/wire-server.ts';
import { fnv1a, mulberry32, splitTokens, VOCABULARY } from './text.ts';

interface Alternative {
  token: string;
  logprob: number;
}

export interface TokenLogprob extends Alternative {
  /** The most likely tokens at this step, best first; the sampled token is always among them. */
  top: Alternative[];
}

/** A token as sent: `offset` is where it starts in the choice's text; null logprobs for the first prompt token. */
export interface LoggedToken {
  token: string;
  offset: number;
  logprob: TokenLogprob | null;
}

/** One more than the most alternatives anyone may ask for (vLLM's default --max-logprobs). */
const RANKED = 21;

function rounded(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** How far down the ranking the sampled token was: mostly the best one, never below third. */
function sampledRank(random: () => number, greedy: boolean): number {
  if (greedy) return 0;
  const draw = random();
  return draw < 0.75 ? 0 : draw < 0.93 ? 1 : 2;
}

/**
 * The logprobs of one step: `count` alternatives, best first, the sampled token among them.
 * Values depend only on key and position, so a smaller count lists a prefix of the same ranking.
 */
export function tokenLogprob(
  key: string,
  position: number,
  token: string,
  count: number,
  greedy: boolean,
): TokenLogprob {
  const random = mulberry32(fnv1a(`${key}\u0000logprobs\u0000${position}`));
  const rank = sampledRank(random, greedy);
  const values: number[] = [rounded(-random() * 0.6)];
  while (values.length < RANKED) values.push(rounded(values.at(-1)! - 0.05 - random() * 1.2));
  const others: string[] = [];
  while (others.length < Math.max(count, rank + 1) - 1) {
    const candidate = VOCABULARY[Math.floor(random() * VOCABULARY.length)]!;
    if (candidate !== token && !others.includes(candidate)) others.push(candidate);
  }
  const ranked = [...others.slice(0, rank), token, ...others.slice(rank)].map((t, i) => ({
    token: t,
    logprob: values[i]!,
  }));
  const sampled = ranked[rank]!;
  const top = ranked.slice(0, count);
  // A sampled token ranked below the cut-off takes the last listed place, keeping the order.
  if (count > 0 && rank >= count) top[count - 1] = sampled;
  return { token, logprob: sampled.logprob, top };
}

/** Echo with logprobs lists the prompt's tokens first; nothing precedes the first, so it has none. */
export function promptLogprobs(key: string, prompt: string, count: number): LoggedToken[] {
  let offset = 0;
  return splitTokens(prompt).map((token, position) => {
    const logged = {
      token,
      offset,
      logprob:
        position === 0 ? null : tokenLogprob(`${key}\u0000prompt`, position, token, count, false),
    };
    offset += token.length;
    return logged;
  });
}

function bytes(token: string): number[] {
  return [...Buffer.from(token, 'utf8')];
}

function topMap(logprob: TokenLogprob | null): Record<string, number> | null {
  if (logprob === null) return null;
  // With `logprobs: 0` each step still lists the sampled token, as vLLM does.
  const listed = logprob.top.length > 0 ? logprob.top : [logprob];
  return Object.fromEntries(listed.map((a) => [a.token, a.logprob]));
}

export function completionLogprobs(tokens: readonly LoggedToken[]): CompletionLogprobsWire {
  return {
    tokens: tokens.map((t) => t.token),
    token_logprobs: tokens.map((t) => t.logprob?.logprob ?? null),
    top_logprobs: tokens.map((t) => topMap(t.logprob)),
    text_offset: tokens.map((t) => t.offset),
  };
}

function chatTop(alternative: Alternative): ChatTopLogprobWire {
  return {
    token: alternative.token,
    logprob: alternative.logprob,
    bytes: bytes(alternative.token),
  };
}

/** Chat has no echo, so every token has its logprobs. */
export function chatLogprobs(tokens: readonly LoggedToken[]): ChatLogprobsWire {
  return {
    content: tokens.flatMap(({ logprob }) =>
      logprob === null ? [] : [{ ...chatTop(logprob), top_logprobs: logprob.top.map(chatTop) }],
    ),
  };
}
