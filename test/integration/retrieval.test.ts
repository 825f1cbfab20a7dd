// embed and rerank over real sockets against the simulator: vectors (single, batch, base64,
// dimensions), asymmetric models needing inputType, batch limits and truncation before and after
// the call, aliased embed fields sharing upstream calls through the DataLoader, rankings best
// first with their probability, the ranking upstream of its own, and GET staying CSRF-safe.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/server.ts';
import { startStack, type Stack } from '../support/stack.ts';

const QA = 'sim/lorem-embedqa-1b';
const SYMMETRIC = 'sim/lorem-embed-1b';
const RERANK = 'sim/lorem-rerank-1b';

const EMBED = /* GraphQL */ `
  query Embed(
    $model: ID!
    $input: [String!]!
    $inputType: EmbeddingInputType
    $truncate: Truncate
    $dimensions: Int
    $encoding: EmbeddingEncoding
  ) {
    embed(
      model: $model
      input: $input
      inputType: $inputType
      truncate: $truncate
      dimensions: $dimensions
      encoding: $encoding
    ) {
      __typename
      ... on Embeddings {
        vectors
        base64
        dimensions
        model {
          id
        }
        usage {
          promptTokens
        }
      }
      ... on GatewayError {
        code
        message
      }
      ... on InvalidInputError {
        argument
      }
      ... on ContextLengthExceededError {
        maxContextLength
      }
    }
  }
`;

const RERANK_QUERY = /* GraphQL */ `
  query Rerank($model: ID!, $query: String!, $passages: [String!]!, $topN: Int) {
    rerank(model: $model, query: $query, passages: $passages, topN: $topN) {
      __typename
      ... on Rankings {
        rankings {
          index
          score
          probability
          passage
        }
      }
      ... on GatewayError {
        code
        message
      }
    }
  }
`;

const norm = (v: number[]) => Math.hypot(...v);
const embeddingCalls = (sim: Simulator) => sim.countRequests('/v1/embeddings');

describe('embed', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ EMBED_BATCH_SIZE: '4', MAX_EMBED_INPUTS: '8' });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.sim.reset());

  const embed = async (variables: Record<string, unknown>) =>
    (await stack.gql(EMBED, variables)).data!.embed;

  it('gives one normalised vector per input, the same for the same text, in order', async () => {
    const one = await embed({ model: QA, input: ['what is hbm3'], inputType: 'QUERY' });
    expect(one).toMatchObject({ __typename: 'Embeddings', dimensions: 64, model: { id: QA } });
    expect(one.vectors).toHaveLength(1);
    expect(norm(one.vectors[0])).toBeCloseTo(1, 6);
    expect(one.usage.promptTokens).toBe(3);
    const batch = await embed({
      model: QA,
      input: ['hbm3 is memory', 'what is hbm3', 'a lighthouse'],
      inputType: 'QUERY',
    });
    expect(batch.vectors).toHaveLength(3);
    expect(batch.vectors[1]).toEqual(one.vectors[0]);
    expect(batch.vectors[0]).not.toEqual(one.vectors[0]);
    // A query and a passage of the same text get different vectors from an asymmetric model.
    const passage = await embed({ model: QA, input: ['what is hbm3'], inputType: 'PASSAGE' });
    expect(passage.vectors[0]).not.toEqual(one.vectors[0]);
    expect(stack.sim.requests.find((r) => r.path === '/v1/embeddings')?.body).toEqual({
      model: QA,
      input: ['what is hbm3'],
      input_type: 'query',
      encoding_format: 'float',
    });
  });

  it('honours dimensions and sends base64 float32 when asked', async () => {
    const short = await embed({
      model: QA,
      input: ['harbor lights'],
      inputType: 'QUERY',
      dimensions: 16,
    });
    expect(short.dimensions).toBe(16);
    expect(short.vectors[0]).toHaveLength(16);
    expect(norm(short.vectors[0])).toBeCloseTo(1, 6);
    const floats = await embed({ model: QA, input: ['harbor lights'], inputType: 'QUERY' });
    const base64 = await embed({
      model: QA,
      input: ['harbor lights'],
      inputType: 'QUERY',
      encoding: 'BASE64',
    });
    expect(stack.sim.requests.at(-1)?.body).toMatchObject({ encoding_format: 'base64' });
    const bytes = Buffer.from(base64.base64[0], 'base64');
    const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
    expect(decoded).toHaveLength(64);
    decoded.forEach((value, i) => expect(value).toBeCloseTo(floats.vectors[0][i], 6));
    expect(base64.base64).toEqual(floats.base64);
    // What came as base64 is decoded for `vectors`, and counted for `dimensions`.
    expect(base64.dimensions).toBe(64);
    expect(base64.vectors[0]).toEqual(decoded);
  });

  it('refuses an asymmetric model without inputType, before any upstream call', async () => {
    const refused = await embed({ model: QA, input: ['what is hbm3'] });
    expect(refused).toMatchObject({
      __typename: 'InvalidInputError',
      code: 'BAD_USER_INPUT',
      argument: 'inputType',
    });
    expect(refused.message).toContain('asymmetric');
    expect(embeddingCalls(stack.sim)).toBe(0);
    const symmetric = await embed({ model: SYMMETRIC, input: ['what is hbm3'] });
    expect(symmetric).toMatchObject({ __typename: 'Embeddings', dimensions: 32 });
  });

  it('checks the batch limits before the call', async () => {
    const many = await embed({
      model: SYMMETRIC,
      input: Array.from({ length: 9 }, (_, i) => `t${i}`),
    });
    expect(many).toMatchObject({ __typename: 'InvalidInputError', argument: 'input' });
    expect(many.message).toContain('MAX_EMBED_INPUTS');
    const empty = await embed({ model: SYMMETRIC, input: ['a', ''] });
    expect(empty).toMatchObject({ __typename: 'InvalidInputError', argument: 'input' });
    expect(embeddingCalls(stack.sim)).toBe(0);
  });

  it('maps truncate NONE on an over-long input to ContextLengthExceededError; END cuts it', async () => {
    const long = Array.from({ length: 600 }, (_, i) => `word${i}`).join(' ');
    const refused = await embed({ model: SYMMETRIC, input: [long], truncate: 'NONE' });
    expect(refused).toMatchObject({
      __typename: 'ContextLengthExceededError',
      code: 'CONTEXT_LENGTH_EXCEEDED',
      maxContextLength: 512,
    });
    const cut = await embed({ model: SYMMETRIC, input: [long], truncate: 'END' });
    expect(cut).toMatchObject({ __typename: 'Embeddings', usage: { promptTokens: 512 } });
  });

  it('sends N aliased embed fields as ceil(N / EMBED_BATCH_SIZE) upstream calls, each alias with its own vectors', async () => {
    const texts = Array.from({ length: 10 }, (_, i) => `passage number ${i} about harbor ${i * 7}`);
    const fields = texts
      .map(
        (text, i) =>
          `e${i}: embed(model: "${QA}", input: [${JSON.stringify(text)}], inputType: PASSAGE) { ... on Embeddings { vectors usage { promptTokens } } ... on GatewayError { code } }`,
      )
      .join('\n');
    const { data } = await stack.gql(`query Aliased { ${fields} }`);
    // EMBED_BATCH_SIZE=4: 10 inputs go up as 4 + 4 + 2.
    expect(embeddingCalls(stack.sim)).toBe(3);
    const sent = stack.sim.requests
      .filter((r) => r.path === '/v1/embeddings')
      .map((r) => (r.body as { input: string[] }).input);
    expect(sent.map((input) => input.length)).toEqual([4, 4, 2]);
    expect(sent.flat()).toEqual(texts);
    let tokens = 0;
    for (const [i, text] of texts.entries()) {
      const alone = await embed({ model: QA, input: [text], inputType: 'PASSAGE' });
      expect(data![`e${i}`].vectors).toEqual(alone.vectors);
      expect(data![`e${i}`].usage.promptTokens).toBe(alone.usage.promptTokens);
      tokens += alone.usage.promptTokens;
    }
    expect(tokens).toBeGreaterThan(0);
    // Fields with other options do not share a call: one more for the 16-dimension pair.
    stack.sim.reset();
    await stack.gql(`{
      a: embed(model: "${QA}", input: ["x"], inputType: QUERY) { __typename }
      b: embed(model: "${QA}", input: ["y"], inputType: QUERY) { __typename }
      c: embed(model: "${QA}", input: ["x"], inputType: QUERY, dimensions: 16) { __typename }
      d: embed(model: "${QA}", input: ["y"], inputType: QUERY, dimensions: 16) { __typename }
    }`);
    expect(embeddingCalls(stack.sim)).toBe(2);
  });

  it('splits a list of inputs longer than the batch size across calls, vectors back in order', async () => {
    const texts = Array.from({ length: 7 }, (_, i) => `lighthouse ${i} keeper ${i * 3}`);
    const whole = await embed({ model: SYMMETRIC, input: texts });
    expect(embeddingCalls(stack.sim)).toBe(2);
    for (const [i, text] of texts.entries()) {
      const alone = await embed({ model: SYMMETRIC, input: [text] });
      expect(whole.vectors[i]).toEqual(alone.vectors[0]);
    }
  });

  it('answers over GET with the CSRF header, and refuses a GET without it', async () => {
    const url = new URL(stack.endpoint);
    url.searchParams.set('query', `{ embed(model: "${SYMMETRIC}", input: ["hi"]) { __typename } }`);
    const refused = await fetch(url, { headers: { accept: 'application/json' } });
    expect(refused.status).toBe(403);
    expect(embeddingCalls(stack.sim)).toBe(0);
    const answered = await fetch(url, {
      headers: { accept: 'application/json', 'x-graphql-yoga-csrf': '1' },
    });
    expect(await answered.json()).toEqual({ data: { embed: { __typename: 'Embeddings' } } });
  });
});

describe('rerank', () => {
  let stack: Stack;
  let ranker: Simulator;
  beforeAll(async () => {
    ranker = await startSimulator();
    stack = await startStack({ NIM_RANKING_BASE_URL: ranker.url });
  });
  afterAll(async () => {
    await stack.close();
    await ranker.close();
  });

  it('ranks passages best first by what they share with the query, scores as logits with their probability', async () => {
    const passages = ['the blue sky at noon', 'an apple pie recipe', 'red apple pie with cream'];
    const { data } = await stack.gql(RERANK_QUERY, {
      model: RERANK,
      query: 'red apple pie',
      passages,
    });
    const rankings = data!.rerank.rankings as {
      index: number;
      score: number;
      probability: number;
      passage: string;
    }[];
    expect(rankings.map((r) => r.index)).toEqual([2, 1, 0]);
    expect(rankings.map((r) => r.passage)).toEqual([passages[2], passages[1], passages[0]]);
    for (const r of rankings) expect(r.probability).toBeCloseTo(1 / (1 + Math.exp(-r.score)), 12);
    expect(rankings[2]!.score).toBeLessThan(0);
    const top = await stack.gql(RERANK_QUERY, {
      model: RERANK,
      query: 'red apple pie',
      passages,
      topN: 1,
    });
    expect(top.data!.rerank.rankings.map((r: { index: number }) => r.index)).toEqual([2]);
    // NIM_RANKING_BASE_URL: the rankings went to their own upstream, nothing to NIM Proxy's.
    expect(ranker.countRequests('/v1/ranking')).toBe(2);
    expect(stack.sim.countRequests('/v1/ranking')).toBe(0);
    expect(ranker.requests.find((r) => r.path === '/v1/ranking')?.body).toEqual({
      model: RERANK,
      query: { text: 'red apple pie' },
      passages: passages.map((text) => ({ text })),
    });
  });
});
