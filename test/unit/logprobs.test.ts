// The two shapes of `logprobs` servers send, read into one list of tokens, with or without
// alternatives.
import { describe, expect, it } from 'vitest';
import { logprobs } from '../../src/nim/logprobs.ts';

describe('logprobs', () => {
  it('parallel arrays (completions), with alternatives as {token: logprob} maps', () => {
    expect(
      logprobs.parse({
        tokens: ['a', 'b'],
        token_logprobs: [-0.5, null],
        top_logprobs: [{ a: -0.5, c: -1.5 }, null],
      }),
    ).toEqual([
      {
        token: 'a',
        logprob: -0.5,
        top: [
          { token: 'a', logprob: -0.5 },
          { token: 'c', logprob: -1.5 },
        ],
      },
      { token: 'b', logprob: null, top: [] },
    ]);
  });

  it('parallel arrays without top_logprobs: no alternatives', () => {
    expect(logprobs.parse({ tokens: ['a'], token_logprobs: [-0.25] })).toEqual([
      { token: 'a', logprob: -0.25, top: [] },
    ]);
  });

  it('a content list (chat), with and without alternatives', () => {
    expect(
      logprobs.parse({
        content: [
          { token: 'a', logprob: -0.5, top_logprobs: [{ token: 'c', logprob: -1.5 }] },
          { token: 'b', logprob: -0.75 },
        ],
      }),
    ).toEqual([
      { token: 'a', logprob: -0.5, top: [{ token: 'c', logprob: -1.5 }] },
      { token: 'b', logprob: -0.75, top: [] },
    ]);
  });

  it('null for no logprobs at all, and for a content list of null', () => {
    expect(logprobs.parse(undefined)).toBeNull();
    expect(logprobs.parse(null)).toBeNull();
    expect(logprobs.parse({ content: null })).toBeNull();
  });

  it('refuses any other shape', () => {
    expect(logprobs.safeParse({ tokens: 'a' }).success).toBe(false);
  });
});
