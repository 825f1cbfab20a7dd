import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL } from '../support/gateways.ts';
import { COMPLETE_WITH_OPTIONS, COMPLETION_STREAM, SHORT } from '../support/operations.ts';
import { collect, subscribe } from '../support/sse.ts';
import { MODEL, startStack, type GraphQLResult, type Stack } from '../support/stack.ts';

const keyOf = (n: number) => `client-key-${n}-0123456789abcdef`;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const completions = (stack: Stack) => stack.sim.countRequests('/v1/completions');

function expectRateLimited(
  result: GraphQLResult,
  limit: string,
  retryAfter: 'set' | 'none' = 'set',
) {
  expect(result.status).toBe(429);
  expect(result.data ?? null).toBeNull();
  expect(result.errors).toHaveLength(1);
  const { extensions } = result.errors![0]!;
  expect(extensions).toMatchObject({ code: 'RATE_LIMITED', limit });
  if (retryAfter === 'none') {
    expect(result.headers.get('retry-after')).toBeNull();
    expect(extensions!.retryAfterSeconds).toBeNull();
    return;
  }
  const seconds = Number(result.headers.get('retry-after'));
  expect(Number.isInteger(seconds) && seconds >= 1 && seconds <= 60).toBe(true);
  expect(extensions!.retryAfterSeconds).toBe(seconds);
}

/** A subscription's raw answer: the status and headers, and the payloads of its `next` events. */
async function subscribeRaw(
  endpoint: string,
  variables: Record<string, unknown>,
  headers: Record<string, string>,
) {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query: COMPLETION_STREAM, variables }),
  });
  const text = await response.text();
  const payloads = [...text.matchAll(/^event: next\ndata: (.*)$/gm)].map(
    (m) => JSON.parse(m[1]!) as Omit<GraphQLResult, 'status' | 'headers'>,
  );
  return { status: response.status, headers: response.headers, payloads };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 10_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('requests per minute, by remote address without client auth', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ RATE_LIMIT_REQUESTS_PER_MINUTE: '3' }, { tokenDelayMs: 0 });
  });
  afterAll(() => stack.close());

  it('answers the 4th operation of the minute with 429, Retry-After and RATE_LIMITED, before any upstream call', async () => {
    for (let i = 0; i < 3; i += 1)
      expect((await postGraphQL(stack.endpoint, '{ __typename }')).status).toBe(200);
    expectRateLimited(await postGraphQL(stack.endpoint, '{ __typename }'), 'REQUESTS_PER_MINUTE');

    const before = completions(stack);
    const mutation = await postGraphQL(stack.endpoint, COMPLETE_WITH_OPTIONS, {
      model: MODEL,
      prompt: 'Once',
      maxTokens: 4,
    });
    expectRateLimited(mutation, 'REQUESTS_PER_MINUTE');
    const stream = await subscribeRaw(
      stack.endpoint,
      { model: MODEL, prompt: 'Once', maxTokens: 4 },
      {},
    );
    expect(stream.status).toBe(429);
    expect(Number(stream.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(stream.payloads).toHaveLength(1);
    expect(stream.payloads[0]!.errors![0]!.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      limit: 'REQUESTS_PER_MINUTE',
    });
    expect(completions(stack)).toBe(before);
  });
});

describe('requests per minute, per client key', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(
      { GATEWAY_API_KEYS: `${keyOf(1)},${keyOf(2)}`, RATE_LIMIT_REQUESTS_PER_MINUTE: '2' },
      { tokenDelayMs: 0 },
    );
  });
  afterAll(() => stack.close());

  it('counts each key on its own', async () => {
    const ask = (key: string) =>
      postGraphQL(stack.endpoint, '{ __typename }', undefined, { headers: bearer(key) });
    expect((await ask(keyOf(1))).status).toBe(200);
    expect((await ask(keyOf(1))).status).toBe(200);
    expectRateLimited(await ask(keyOf(1)), 'REQUESTS_PER_MINUTE');
    expect((await ask(keyOf(2))).status).toBe(200);
  });
});

describe('generated tokens per minute (budget 100 a key)', () => {
  let stack: Stack;
  const keys = Array.from({ length: 8 }, (_, i) => keyOf(i + 10));
  beforeAll(async () => {
    stack = await startStack(
      { GATEWAY_API_KEYS: keys.join(','), RATE_LIMIT_TOKENS_PER_MINUTE: '100' },
      { tokenDelayMs: 0 },
    );
  });
  afterAll(() => stack.close());
  afterEach(() => stack.sim.configure({ latencyMs: 0, tokenDelayMs: 0 }));

  const complete = (key: string, maxTokens: number, options: Record<string, unknown> = SHORT) =>
    postGraphQL(
      stack.endpoint,
      COMPLETE_WITH_OPTIONS,
      { model: MODEL, prompt: 'Once', maxTokens, options },
      { headers: bearer(key) },
    );
  const used = (result: GraphQLResult<Record<string, any>>): number => {
    expect(result.status).toBe(200);
    expect(result.data!.complete.__typename).toBe('Completion');
    return result.data!.complete.usage.completionTokens as number;
  };

  it('gives back what a call did not use: maxTokens 60 using ~10 leaves room for another 60', async () => {
    const key = keys[0]!;
    const first = used(await complete(key, 60));
    expect(first).toBeGreaterThanOrEqual(10);
    expect(first).toBeLessThanOrEqual(11);
    // 60 reserved; 60 − first given back, so 100 − first are left: another 60 fits.
    const second = used(await complete(key, 60));
    const left = 100 - first - second;

    const before = completions(stack);
    expectRateLimited(await complete(key, left + 1), 'TOKENS_PER_MINUTE');
    expect(completions(stack)).toBe(before);
    used(await complete(key, left));
  });

  it('holds the whole reservation while the call runs', async () => {
    const key = keys[1]!;
    stack.sim.configure({ latencyMs: 300 });
    const before = completions(stack);
    const running = complete(key, 60);
    await until(() => completions(stack) > before, 'the first call to reach the simulator');
    expectRateLimited(await complete(key, 60), 'TOKENS_PER_MINUTE');
    used(await running);
    stack.sim.configure({ latencyMs: 0 });
    used(await complete(key, 60));
  });

  it('sums maxTokens × n over every field, and refuses without Retry-After what can never fit', async () => {
    const key = keys[2]!;
    expectRateLimited(await complete(key, 101), 'TOKENS_PER_MINUTE', 'none');
    expectRateLimited(await complete(key, 51, { ...SHORT, n: 2 }), 'TOKENS_PER_MINUTE', 'none');
    const aliases = /* GraphQL */ `mutation {
      a: complete(model: "${MODEL}", prompt: "A", maxTokens: 50) { __typename }
      b: complete(model: "${MODEL}", prompt: "B", maxTokens: 51) { __typename }
    }`;
    const before = completions(stack);
    expectRateLimited(
      await postGraphQL(stack.endpoint, aliases, undefined, { headers: bearer(key) }),
      'TOKENS_PER_MINUTE',
      'none',
    );
    expect(completions(stack)).toBe(before);
    used(await complete(key, 100));
  });

  it('refuses a subscription over the budget when it subscribes, before the simulator sees a request', async () => {
    const key = keys[3]!;
    const first = used(await complete(key, 60));
    const before = completions(stack);
    const refused = await subscribeRaw(
      stack.endpoint,
      { model: MODEL, prompt: 'Once', maxTokens: 100 - first + 1, options: SHORT },
      bearer(key),
    );
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.payloads).toHaveLength(1);
    expect(refused.payloads[0]!.errors![0]!.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      limit: 'TOKENS_PER_MINUTE',
    });
    expect(completions(stack)).toBe(before);

    // A stream is settled too: 60 reserved, its usage charged.
    const events = await collect(
      stack.endpoint,
      COMPLETION_STREAM,
      { model: MODEL, prompt: 'Once', maxTokens: 60, options: SHORT },
      { headers: bearer(key) },
    );
    const done = events.at(-1)!;
    expect(done.__typename).toBe('CompletionDone');
    const left = 100 - first - (done.usage.completionTokens as number);
    expectRateLimited(await complete(key, left + 1), 'TOKENS_PER_MINUTE');
    used(await complete(key, left));
  });

  it('keeps the reservation of a stream the client closes before its end', async () => {
    const key = keys[4]!;
    stack.sim.configure({ tokenDelayMs: 20 });
    const controller = new AbortController();
    const variables = { model: MODEL, prompt: 'Once', maxTokens: 60, options: { ignoreEos: true } };
    for await (const { payload } of subscribe(stack.endpoint, COMPLETION_STREAM, variables, {
      signal: controller.signal,
      headers: bearer(key),
    })) {
      expect(payload.data!.completionStream.__typename).toBe('CompletionChunk');
      break;
    }
    controller.abort();
    await stack.sim.waitForAbort('/v1/completions', 5000);
    // The tokens it streamed were never reported: the 60 stay spent for this minute.
    expectRateLimited(await complete(key, 41), 'TOKENS_PER_MINUTE');
    used(await complete(key, 40));
  });

  it('gives each key its own budget', async () => {
    const [spender, other] = [keys[5]!, keys[6]!];
    expect(used(await complete(spender, 100, { ignoreEos: true }))).toBe(100);
    expectRateLimited(await complete(spender, 1), 'TOKENS_PER_MINUTE');
    used(await complete(other, 60));
  });

  it('lets queries through: they generate nothing', async () => {
    const key = keys[7]!;
    used(await complete(key, 100, { ignoreEos: true }));
    const models = await postGraphQL(stack.endpoint, '{ models { id } }', undefined, {
      headers: bearer(key),
    });
    expect(models.status).toBe(200);
  });
});

describe('generated tokens per minute, when the upstream reports no usage', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(
      { RATE_LIMIT_TOKENS_PER_MINUTE: '100', STREAM_INCLUDE_USAGE: 'false' },
      { tokenDelayMs: 0 },
    );
  });
  afterAll(() => stack.close());

  it('keeps the whole reservation of a stream without usage', async () => {
    const events = await collect(stack.endpoint, COMPLETION_STREAM, {
      model: MODEL,
      prompt: 'Once',
      maxTokens: 60,
      options: SHORT,
    });
    expect(events.at(-1)).toMatchObject({ __typename: 'CompletionDone', usage: null });
    const complete = (maxTokens: number) =>
      postGraphQL(stack.endpoint, COMPLETE_WITH_OPTIONS, {
        model: MODEL,
        prompt: 'Once',
        maxTokens,
        options: SHORT,
      });
    expectRateLimited(await complete(41), 'TOKENS_PER_MINUTE');
    expect((await complete(40)).data!.complete.__typename).toBe('Completion');
  });
});
