import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { COMPLETE, MODEL, startStack, type Stack } from '../support/stack.ts';

describe('complete', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      MAX_TOKENS_LIMIT: '512',
      DEFAULT_MAX_TOKENS: '32',
      MAX_PROMPT_CHARS: '1000',
    });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.sim.reset());

  it('returns the text, choices and usage the model produced', async () => {
    const { data, errors } = await stack.gql(COMPLETE, {
      model: MODEL,
      prompt: 'Once upon a time',
      maxTokens: 64,
    });
    expect(errors).toBeUndefined();
    const c = data!.complete;
    expect(c.__typename).toBe('Completion');
    expect(c.id).toMatch(/^cmpl-/);
    expect(c.text.length).toBeGreaterThan(0);
    expect(c.choices).toEqual([
      { index: 0, text: c.text, finishReason: expect.stringMatching(/^(STOP|LENGTH)$/) },
    ]);
    expect(c.usage.promptTokens).toBe(4);
    expect(c.usage.completionTokens).toBeGreaterThan(0);
    expect(c.usage.completionTokens).toBeLessThanOrEqual(64);
    expect(c.usage.totalTokens).toBe(c.usage.promptTokens + c.usage.completionTokens);
    expect(c.model).toEqual({ id: MODEL, maxModelLength: 8192 });
    expect(Number.isNaN(Date.parse(c.created))).toBe(false);
  });

  it('is deterministic for the same input, as the simulator is', async () => {
    const vars = { model: MODEL, prompt: 'The lighthouse keeper', maxTokens: 20 };
    const a = await stack.gql(COMPLETE, vars);
    const b = await stack.gql(COMPLETE, vars);
    expect(a.data!.complete.text).toBe(b.data!.complete.text);
  });

  it('stops at maxTokens with finishReason LENGTH', async () => {
    const { data } = await stack.gql(COMPLETE, {
      model: MODEL,
      prompt: 'Once upon a time',
      maxTokens: 3,
    });
    expect(data!.complete.usage.completionTokens).toBe(3);
    expect(data!.complete.choices[0].finishReason).toBe('LENGTH');
  });

  it('posts exactly {model, prompt, max_tokens} as application/json with an integer max_tokens', async () => {
    await stack.gql(COMPLETE, { model: MODEL, prompt: 'Hi there', maxTokens: 7 });
    const call = stack.sim.requests.find((r) => r.path === '/v1/completions')!;
    expect(call.method).toBe('POST');
    expect(call.headers['content-type']).toBe('application/json');
    expect(call.body).toEqual({ model: MODEL, prompt: 'Hi there', max_tokens: 7 });
    expect(call.headers.authorization).toBeUndefined();
  });

  it('sends DEFAULT_MAX_TOKENS when maxTokens is omitted', async () => {
    await stack.gql(COMPLETE, { model: MODEL, prompt: 'Hi' });
    const call = stack.sim.requests.find((r) => r.path === '/v1/completions')!;
    expect((call.body as { max_tokens: number }).max_tokens).toBe(32);
  });

  it('reuses keep-alive connections to the upstream', async () => {
    for (let i = 0; i < 5; i++)
      await stack.gql(COMPLETE, { model: MODEL, prompt: `n${i}`, maxTokens: 2 });
    const ports = new Set(stack.sim.requests.map((r) => r.remotePort));
    expect([...ports]).toEqual([expect.any(Number)]);
  });

  it.each([
    [{ maxTokens: 0 }, 'maxTokens', /at least 1/],
    [{ maxTokens: 513 }, 'maxTokens', /at most 512/],
    [{ prompt: '' }, 'prompt', /empty/],
    [{ prompt: 'x'.repeat(1001) }, 'prompt', /at most 1000 characters/],
    [{ model: '   ' }, 'model', /empty/],
  ])(
    'rejects %j as BAD_USER_INPUT naming the argument, before any upstream call',
    async (override, argument, message) => {
      const { data } = await stack.gql(COMPLETE, {
        model: MODEL,
        prompt: 'Hello',
        maxTokens: 8,
        ...override,
      });
      expect(data!.complete).toMatchObject({
        __typename: 'InvalidInputError',
        code: 'BAD_USER_INPUT',
        argument,
      });
      expect(data!.complete.message).toMatch(message);
      expect(stack.sim.countRequests('/v1/completions')).toBe(0);
    },
  );

  it('rejects a wrongly typed variable as a request error', async () => {
    const result = await stack.gql(COMPLETE, { model: MODEL, prompt: 'Hello', maxTokens: 'many' });
    expect(result.status).toBe(400);
    expect(result.errors![0]!.message).toMatch(/maxTokens/);
  });

  it('aborts the upstream call when the client goes away', async () => {
    stack.sim.configure({ latencyMs: 5_000 });
    const controller = new AbortController();
    const pending = stack.gql(
      COMPLETE,
      { model: MODEL, prompt: 'slow', maxTokens: 8 },
      { signal: controller.signal },
    );
    pending.catch(() => undefined);
    await waitFor(() => stack.sim.countRequests('/v1/completions') === 1);
    const abortedAt = Date.now();
    controller.abort();
    const request = await stack.sim.waitForAbort('/v1/completions', 2_000);
    expect(request.abortedAt! - abortedAt).toBeLessThan(500);
    // The gateway is still serving.
    stack.sim.configure({ latencyMs: 0 });
    const { data } = await stack.gql(COMPLETE, { model: MODEL, prompt: 'after', maxTokens: 2 });
    expect(data!.complete.__typename).toBe('Completion');
  });
});

describe('upstream API key', () => {
  let stack: Stack;
  const key = 'nvapi-secret-test-key-1234';
  beforeAll(async () => {
    stack = await startStack({ NIM_PROXY_API_KEY: key }, { apiKey: key });
  });
  afterAll(() => stack.close());

  it('is sent as a bearer token on every upstream call', async () => {
    const { data } = await stack.gql(COMPLETE, { model: MODEL, prompt: 'Hi', maxTokens: 4 });
    expect(data!.complete.__typename).toBe('Completion');
    expect(stack.sim.requests.every((r) => r.headers.authorization === `Bearer ${key}`)).toBe(true);
  });

  it('never appears in a response, even when the upstream rejects it', async () => {
    stack.sim.configure({ apiKey: 'another-key' });
    stack.gateway.services.catalog.invalidate();
    const responses = [
      await stack.gql(COMPLETE, { model: MODEL, prompt: 'Hi', maxTokens: 4 }),
      await stack.gql('{ models { id } }'),
    ];
    for (const response of responses) expect(JSON.stringify(response)).not.toContain(key);
    expect(responses[1]!.errors![0]!.extensions!.code).toBe('UPSTREAM_ERROR');
    stack.sim.configure({ apiKey: key });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2_000) {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
