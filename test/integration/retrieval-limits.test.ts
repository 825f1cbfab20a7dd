// Embedding and ranking input tokens count where generated tokens do: the cost limit refuses an
// operation whose estimated input is over MAX_OPERATION_COST (a field over it alone with its typed
// error), the token rate limit spends the
// tokens the upstream reported, and the token metric counts them, as prompt tokens of the model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.ts';

const SYMMETRIC = 'sim/lorem-embed-1b';
const RERANK = 'sim/lorem-rerank-1b';

const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');

function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      return Number(line.split(' ').at(-1));
  }
  return undefined;
}

describe('retrieval in the cost limit', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ MAX_OPERATION_COST: '100' });
  });
  afterAll(() => stack.close());

  it('refuses aliased embeds whose estimated input tokens are over MAX_OPERATION_COST, before any call', async () => {
    // 240 characters: 60 tokens estimated at 4 characters a token; two of them are 120.
    const text = 'x'.repeat(240);
    const one = await stack.gql(
      `{ a: embed(model: "${SYMMETRIC}", input: ["${text}"]) { __typename } }`,
    );
    expect(one.data).toEqual({ a: { __typename: 'Embeddings' } });
    const two = await stack.gql(`{
      a: embed(model: "${SYMMETRIC}", input: ["${text}"]) { __typename }
      b: embed(model: "${SYMMETRIC}", input: ["${text}"]) { __typename }
    }`);
    expect(two.status).toBe(400);
    expect(two.errors?.[0]?.extensions).toMatchObject({ code: 'COST_LIMIT_EXCEEDED', cost: 120 });
    expect(stack.sim.countRequests('/v1/embeddings')).toBe(1);
  });

  it('counts a rerank as the query read with each passage: alone over the limit, its typed error', async () => {
    // (12 + 28) / 4 = 10 tokens a pair, 11 pairs: 110.
    const passages = Array.from({ length: 11 }, () => `"${'p'.repeat(28)}"`).join(', ');
    const refused = await stack.gql(
      `{ rerank(model: "${RERANK}", query: "${'q'.repeat(12)}", passages: [${passages}]) { __typename ... on InvalidInputError { argument message } } }`,
    );
    expect(refused.errors).toBeUndefined();
    expect(refused.data?.rerank).toEqual({
      __typename: 'InvalidInputError',
      argument: 'passages',
      message:
        'passages: this field may use up to 110 tokens (the query with each passage, about 4 characters a token); one operation may use at most 100',
    });
    // An embed alone over it too: 404 characters, 101 tokens.
    const embed = await stack.gql(
      `{ embed(model: "${SYMMETRIC}", input: ["${'x'.repeat(404)}"]) { ... on InvalidInputError { argument message } } }`,
    );
    expect(embed.data?.embed).toEqual({
      argument: 'input',
      message:
        'input: this field may use up to 101 tokens (about 4 characters a token); one operation may use at most 100',
    });
    expect(stack.sim.countRequests('/v1/ranking')).toBe(0);
    expect(stack.sim.countRequests('/v1/embeddings')).toBe(1);
  });
});

describe('retrieval in the token rate limit and the metrics', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ RATE_LIMIT_TOKENS_PER_MINUTE: '100' });
  });
  afterAll(() => stack.close());

  it('spends the input tokens the upstream reported until the budget is gone', async () => {
    // 40 words: the simulator reports 40 tokens; the estimate reserved (~50) is given back down to them.
    const embed = `{ embed(model: "${SYMMETRIC}", input: ["${words(40)}"]) { ... on Embeddings { usage { promptTokens } } } }`;
    const first = await stack.gql(embed);
    expect(first.data).toEqual({ embed: { usage: { promptTokens: 40 } } });
    const second = await stack.gql(embed);
    expect(second.data).toEqual({ embed: { usage: { promptTokens: 40 } } });
    // 80 of 100 spent: a third may need more than the 20 left.
    const third = await stack.gql(embed);
    expect(third.status).toBe(429);
    expect(third.errors?.[0]?.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      limit: 'TOKENS_PER_MINUTE',
    });
    // The 2 tokens the upstream counted past the estimate (38) count too: 20 are left, not 24, so an
    // embed estimated at 22 tokens (88 characters) is refused.
    const estimated22 = await stack.gql(
      `{ embed(model: "${SYMMETRIC}", input: ["${'x'.repeat(88)}"]) { __typename } }`,
    );
    expect(estimated22.status).toBe(429);
    expect(stack.sim.countRequests('/v1/embeddings')).toBe(2);
    const metrics = await (await fetch(`${stack.server.url}/metrics`)).text();
    expect(sample(metrics, 'nim_graphql_tokens_total', { model: SYMMETRIC, kind: 'prompt' })).toBe(
      80,
    );
  });
});
