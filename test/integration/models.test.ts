import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPLETE, MODEL, startStack, type Stack } from '../support/stack.ts';

const MODELS = /* GraphQL */ `
  {
    models {
      id
      ownedBy
      created
      root
      parentId
      parent {
        id
      }
      maxModelLength
    }
  }
`;

describe('models and model(id)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ MODELS_CACHE_TTL_MS: '60000' });
  });
  afterAll(() => stack.close());

  it('lists what GET /v1/models returns, in GraphQL names', async () => {
    const { data, errors } = await stack.gql(MODELS);
    expect(errors).toBeUndefined();
    const byId = new Map<string, any>(data!.models.map((m: { id: string }) => [m.id, m]));
    expect(byId.get(MODEL)).toMatchObject({
      ownedBy: 'system',
      maxModelLength: 8192,
      parentId: null,
      parent: null,
    });
    expect(new Date(byId.get(MODEL).created).getFullYear()).toBeGreaterThan(2000);
    expect(byId.get('sim/lorem-8b-instruct-lora-pirate')).toMatchObject({
      parentId: MODEL,
      parent: { id: MODEL },
      root: '/loras/pirate',
      maxModelLength: null,
    });
  });

  it('finds one model by id, and answers null for an unknown id', async () => {
    const { data } = await stack.gql(
      `{ a: model(id: "${MODEL}") { id maxModelLength } b: model(id: "nope/none") { id } }`,
    );
    expect(data).toEqual({ a: { id: MODEL, maxModelLength: 8192 }, b: null });
  });
});

describe('the model catalog cache', () => {
  let stack: Stack;
  afterAll(() => stack?.close());

  async function fresh(env: Record<string, string>) {
    await stack?.close();
    stack = await startStack(env);
  }

  it('serves repeated queries from the cache within the TTL', async () => {
    await fresh({ MODELS_CACHE_TTL_MS: '60000' });
    for (let i = 0; i < 5; i++) expect((await stack.gql(MODELS)).errors).toBeUndefined();
    expect(stack.sim.countRequests('/v1/models')).toBe(1);
  });

  it('fetches again once the TTL has passed', async () => {
    await fresh({ MODELS_CACHE_TTL_MS: '50' });
    await stack.gql(MODELS);
    await new Promise((r) => setTimeout(r, 80));
    await stack.gql(MODELS);
    expect(stack.sim.countRequests('/v1/models')).toBe(2);
  });

  it('makes one upstream call for 100 concurrent requests on a cold cache', async () => {
    await fresh({ MODELS_CACHE_TTL_MS: '60000' });
    stack.sim.inject({ path: '/v1/models', delayMs: 150 });
    const results = await Promise.all(Array.from({ length: 100 }, () => stack.gql(MODELS)));
    expect(results.every((r) => r.data?.models.length === 6)).toBe(true);
    expect(stack.sim.countRequests('/v1/models')).toBe(1);
  });

  it('reads the list once per operation, however many fields and aliases need it', async () => {
    await fresh({ MODELS_CACHE_TTL_MS: '0' });
    const { data } = await stack.gql(`{
      models { id parent { id } }
      a: model(id: "${MODEL}") { id }
      b: model(id: "sim/lorem-70b-instruct") { id }
      c: model(id: "missing/model") { id }
    }`);
    expect(data!.a.id).toBe(MODEL);
    expect(data!.c).toBeNull();
    expect(stack.sim.countRequests('/v1/models')).toBe(1);
  });

  it('refreshes once when asked to complete with a model deployed after the list was cached', async () => {
    await fresh({ MODELS_CACHE_TTL_MS: '60000', MODELS_REFRESH_MIN_INTERVAL_MS: '0' });
    await stack.gql(MODELS);
    stack.sim.setModels([
      { id: MODEL, maxModelLength: 8192 },
      { id: 'sim/just-deployed', maxModelLength: 4096 },
    ]);
    const { data } = await stack.gql(COMPLETE, {
      model: 'sim/just-deployed',
      prompt: 'Hello',
      maxTokens: 8,
    });
    expect(data!.complete.__typename).toBe('Completion');
    expect(data!.complete.model).toEqual({ id: 'sim/just-deployed', maxModelLength: 4096 });
    expect(stack.sim.countRequests('/v1/models')).toBe(2);
  });

  it('fails an unknown model with MODEL_NOT_FOUND and the served ids, without calling /v1/completions', async () => {
    await fresh({ MODELS_CACHE_TTL_MS: '60000', MODELS_REFRESH_MIN_INTERVAL_MS: '0' });
    const { data } = await stack.gql(COMPLETE, {
      model: 'meta/llama-3.1-8b-instruct',
      prompt: 'Hello',
    });
    expect(data!.complete).toMatchObject({
      __typename: 'ModelNotFoundError',
      code: 'MODEL_NOT_FOUND',
      requestedModel: 'meta/llama-3.1-8b-instruct',
    });
    expect(data!.complete.availableModels).toContain(MODEL);
    expect(stack.sim.countRequests('/v1/completions')).toBe(0);
    // One list for the cold cache, one refresh because the id was unknown.
    expect(stack.sim.countRequests('/v1/models')).toBe(2);
  });

  it('does not refresh on every unknown id: refreshes are spaced by MODELS_REFRESH_MIN_INTERVAL_MS', async () => {
    await fresh({ MODELS_CACHE_TTL_MS: '60000', MODELS_REFRESH_MIN_INTERVAL_MS: '60000' });
    await stack.gql(MODELS);
    for (let i = 0; i < 5; i++) {
      const { data } = await stack.gql(COMPLETE, { model: `nope/${i}`, prompt: 'Hello' });
      expect(data!.complete.code).toBe('MODEL_NOT_FOUND');
    }
    expect(stack.sim.countRequests('/v1/models')).toBe(1);
  });

  it('serves the last list when a refresh fails', async () => {
    await fresh({ MODELS_CACHE_TTL_MS: '20' });
    await stack.gql(MODELS);
    await new Promise((r) => setTimeout(r, 40));
    stack.sim.inject({ path: '/v1/models', status: 503, times: 5 });
    const { data, errors } = await stack.gql(MODELS);
    expect(errors).toBeUndefined();
    expect(data!.models).toHaveLength(6);
  });

  it('raises the upstream failure as a top-level error code when there is no list to fall back on', async () => {
    await fresh({ MODELS_CACHE_TTL_MS: '60000' });
    // Every attempt refused (GET /v1/models is retried, UPSTREAM_MAX_RETRIES 2 by default).
    stack.sim.inject({ path: '/v1/models', status: 503, times: 3 });
    const { data, errors } = await stack.gql(MODELS);
    expect(data).toBeNull();
    expect(errors![0]!.extensions).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      upstreamStatus: 503,
      retryable: true,
    });
  });
});
