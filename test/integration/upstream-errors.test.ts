import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { collect } from '../support/sse.ts';
import { COMPLETE, MODEL, startStack, type Stack } from '../support/stack.ts';
import { COMPLETION_STREAM } from '../support/streams.ts';

describe('upstream failures become typed errors', () => {
  let stack: Stack;
  beforeAll(async () => {
    // A budget as large as the traffic: this file tests what each fault ends in; resilience.test.ts tests the budget.
    stack = await startStack({
      UPSTREAM_HEADERS_TIMEOUT_MS: '300',
      UPSTREAM_MAX_RESPONSE_BYTES: '65536',
      UPSTREAM_RETRY_BUDGET_RATIO: '1',
    });
  });
  afterAll(() => stack.close());
  beforeEach(async () => {
    stack.sim.reset();
    stack.gateway.services.catalog.invalidate();
    // Warm the catalog so each fault hits /v1/completions.
    await stack.gql('{ models { id } }');
  });

  const complete = async (prompt = 'Hello', maxTokens = 8, model = MODEL) =>
    (await stack.gql(COMPLETE, { model, prompt, maxTokens })).data!.complete;

  it('429 with Retry-After → RATE_LIMITED with retryAfterSeconds', async () => {
    stack.sim.inject({ path: '/v1/completions', status: 429, retryAfter: '7' });
    expect(await complete()).toMatchObject({
      __typename: 'RateLimitedError',
      code: 'RATE_LIMITED',
      retryAfterSeconds: 7,
    });
  });

  // 429 and 503 mean the model did not run: the gateway retries twice (UPSTREAM_MAX_RETRIES) before it answers.
  it('429 without Retry-After, every attempt → RATE_LIMITED with a null retryAfterSeconds', async () => {
    stack.sim.inject({ path: '/v1/completions', status: 429, times: 3 });
    expect(await complete()).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: null });
    expect(stack.sim.countRequests('/v1/completions')).toBe(3);
  });

  it('503 on every attempt → UPSTREAM_UNAVAILABLE, retryable', async () => {
    stack.sim.inject({ path: '/v1/completions', status: 503, times: 3 });
    expect(await complete()).toMatchObject({
      __typename: 'UpstreamError',
      code: 'UPSTREAM_UNAVAILABLE',
      upstreamStatus: 503,
      retryable: true,
    });
    expect(stack.sim.countRequests('/v1/completions')).toBe(3);
  });

  it('500 → UPSTREAM_ERROR with the upstream status', async () => {
    stack.sim.inject({ path: '/v1/completions', status: 500, message: 'engine exploded' });
    const error = await complete();
    expect(error).toMatchObject({
      __typename: 'UpstreamError',
      code: 'UPSTREAM_ERROR',
      upstreamStatus: 500,
    });
    expect(error.message).toContain('engine exploded');
  });

  it.each(['flat', 'nested', 'string'] as const)(
    'reads the %s error body shape',
    async (errorStyle) => {
      stack.sim.configure({ errorStyle });
      stack.sim.inject({ path: '/v1/completions', status: 500, message: `shape ${errorStyle}` });
      expect((await complete()).message).toContain(`shape ${errorStyle}`);
    },
  );

  it("an ingress' HTML 502 page → UPSTREAM_UNAVAILABLE without markup in the message", async () => {
    stack.sim.inject({
      path: '/v1/completions',
      status: 502,
      contentType: 'text/html',
      rawBody:
        '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>',
    });
    const error = await complete();
    expect(error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', upstreamStatus: 502 });
    expect(error.message).toContain('502 Bad Gateway');
    expect(error.message).not.toContain('<');
  });

  it('prompt + maxTokens over the context window → CONTEXT_LENGTH_EXCEEDED with the window size', async () => {
    stack.sim.setModels([{ id: 'sim/tiny-context', maxModelLength: 16 }]);
    stack.gateway.services.catalog.invalidate();
    const error = await complete('one two three four five six', 12, 'sim/tiny-context');
    expect(error).toMatchObject({
      __typename: 'ContextLengthExceededError',
      code: 'CONTEXT_LENGTH_EXCEEDED',
      maxContextLength: 16,
    });
    expect(error.message).toMatch(/maximum context length is 16 tokens/);
  });

  it("llama.cpp's over-the-context 400 → CONTEXT_LENGTH_EXCEEDED with its n_ctx, in a mutation and in a stream", async () => {
    const body =
      '{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error","n_prompt_tokens":1200,"n_ctx":512}}';
    stack.sim.inject({
      path: '/v1/completions',
      status: 400,
      contentType: 'application/json',
      rawBody: body,
      times: 2,
    });
    const expected = {
      __typename: 'ContextLengthExceededError',
      code: 'CONTEXT_LENGTH_EXCEEDED',
      maxContextLength: 512,
      message: expect.stringContaining('available context size'),
    };
    expect(await complete()).toMatchObject(expected);
    const events = await collect(stack.endpoint, COMPLETION_STREAM, {
      model: MODEL,
      prompt: 'Hello',
      maxTokens: 8,
    });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject(expected);
  });

  it('a 404 for a listed model → MODEL_NOT_FOUND, and the catalog is refreshed', async () => {
    const before = stack.sim.countRequests('/v1/models');
    stack.sim.inject({
      path: '/v1/completions',
      status: 404,
      message: `The model \`${MODEL}\` does not exist.`,
    });
    const error = await complete();
    expect(error).toMatchObject({
      __typename: 'ModelNotFoundError',
      code: 'MODEL_NOT_FOUND',
      requestedModel: MODEL,
    });
    expect(error.availableModels).toContain(MODEL);
    expect(stack.sim.countRequests('/v1/models')).toBe(before + 1);
  });

  it('a connection dropped before any response → UPSTREAM_UNAVAILABLE with no status', async () => {
    stack.sim.inject({ path: '/v1/completions', drop: 'before-headers' });
    expect(await complete()).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      upstreamStatus: null,
      retryable: true,
    });
  });

  it('no headers within UPSTREAM_HEADERS_TIMEOUT_MS → UPSTREAM_TIMEOUT in the HEADERS phase', async () => {
    stack.sim.inject({ path: '/v1/completions', delayMs: 1_000 });
    expect(await complete()).toMatchObject({
      __typename: 'UpstreamTimeoutError',
      code: 'UPSTREAM_TIMEOUT',
      phase: 'HEADERS',
    });
  });

  it('a 200 with a body that is not a completion → UPSTREAM_ERROR', async () => {
    stack.sim.inject({
      path: '/v1/completions',
      status: 200,
      contentType: 'application/json',
      rawBody: '{"surprise": true',
    });
    expect(await complete()).toMatchObject({ code: 'UPSTREAM_ERROR', upstreamStatus: 200 });
  });

  it('an error sent with status 200, in any shape, is classified by its code, not called malformed', async () => {
    const flat =
      '{"object":"error","message":"Service is starting","type":"ServiceUnavailableError","param":null,"code":503}';
    stack.sim.inject({
      path: '/v1/completions',
      status: 200,
      contentType: 'application/json',
      rawBody: flat,
      times: 3,
    });
    expect(await complete()).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      upstreamStatus: 503,
      retryable: true,
      message: expect.stringContaining('Service is starting'),
    });
    const nested = JSON.stringify({
      error: {
        message: "This model's maximum context length is 2048 tokens.",
        type: 'BadRequestError',
        code: 400,
      },
    });
    stack.sim.inject({
      path: '/v1/completions',
      status: 200,
      contentType: 'application/json',
      rawBody: nested,
    });
    expect(await complete()).toMatchObject({
      code: 'CONTEXT_LENGTH_EXCEEDED',
      maxContextLength: 2048,
    });
    stack.sim.inject({
      path: '/v1/completions',
      status: 200,
      contentType: 'application/json',
      rawBody: '{"error":"engine gone"}',
    });
    expect(await complete()).toMatchObject({
      code: 'UPSTREAM_ERROR',
      upstreamStatus: 500,
      message: expect.stringContaining('engine gone'),
    });
  });

  it('a body over UPSTREAM_MAX_RESPONSE_BYTES → UPSTREAM_ERROR, not an out-of-memory', async () => {
    stack.sim.inject({ path: '/v1/completions', oversizedBytes: 1_000_000 });
    const error = await complete();
    expect(error).toMatchObject({ code: 'UPSTREAM_ERROR' });
    expect(error.message).toMatch(/exceeded 65536 bytes/);
  });

  it('keeps serving after every fault', async () => {
    expect(await complete()).toMatchObject({ __typename: 'Completion' });
  });
});

describe('an upstream that is not there', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ NIM_PROXY_BASE_URL: `http://127.0.0.1:${await closedPort()}` });
  });
  afterAll(() => stack.close());

  it('answers models with a top-level UPSTREAM_UNAVAILABLE error', async () => {
    const { data, errors } = await stack.gql('{ models { id } }');
    expect(data).toBeNull();
    expect(errors![0]!.extensions).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      upstreamStatus: null,
    });
    expect(errors![0]!.message).toMatch(/ECONNREFUSED/);
  });

  it('answers complete with an UpstreamError, never a crash', async () => {
    const { data } = await stack.gql(COMPLETE, { model: MODEL, prompt: 'Hi' });
    expect(data!.complete).toMatchObject({
      __typename: 'UpstreamError',
      code: 'UPSTREAM_UNAVAILABLE',
    });
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
