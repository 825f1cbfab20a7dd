// What a client over its budget reads (status, Retry-After, code, limit, message), what the log line
// says, and what each way an operation ends costs: failed generations nothing, a call the client
// walked away from its whole reservation.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { COMPLETE_WITH_OPTIONS, COMPLETION_STREAM, SHORT } from '../support/operations.ts';
import { collect } from '../support/sse.ts';
import {
  sample,
  startLoggedGateway,
  type LoggedGateway,
  type RawAnswer,
} from '../support/logged-gateway.ts';
import { MODEL } from '../support/stack.ts';

const keyOf = (n: number) => `answers-key-${n}-0123456789abcdef`;
let ids = 0;
const nextId = () => `rate-answers-${++ids}`;

function post(
  gw: LoggedGateway,
  key: string,
  query: string,
  variables?: Record<string, unknown>,
  id = nextId(),
): Promise<RawAnswer> {
  return gw.raw(
    'POST',
    '/graphql',
    {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      authorization: `Bearer ${key}`,
      'x-request-id': id,
    },
    JSON.stringify({ query, variables }),
  );
}

function expectRefused(
  answer: RawAnswer,
  limit: string,
  message: string,
  retryAfter: 'set' | 'none',
) {
  expect(answer.status, answer.text).toBe(429);
  expect(answer.json?.data ?? null).toBeNull();
  expect(answer.json?.errors).toHaveLength(1);
  const [error] = answer.json!.errors!;
  expect(error!.message).toBe(message);
  if (retryAfter === 'none') {
    expect(answer.headers['retry-after']).toBeUndefined();
    expect(error!.extensions).toEqual({ code: 'RATE_LIMITED', limit, retryAfterSeconds: null });
    return;
  }
  const seconds = Number(answer.headers['retry-after']);
  // Refused right after the window opened: most of its minute is left.
  expect(Number.isInteger(seconds) && seconds >= 30 && seconds <= 60, String(seconds)).toBe(true);
  expect(error!.extensions).toEqual({ code: 'RATE_LIMITED', limit, retryAfterSeconds: seconds });
}

describe('over RATE_LIMIT_REQUESTS_PER_MINUTE', () => {
  let gw: LoggedGateway;
  beforeAll(async () => {
    gw = await startLoggedGateway({
      GATEWAY_API_KEYS: keyOf(1),
      RATE_LIMIT_REQUESTS_PER_MINUTE: '2',
    });
  });
  afterAll(() => gw.close());

  it('says how many operations a minute a client may run, with Retry-After, and logs the refusal', async () => {
    for (let i = 0; i < 2; i += 1)
      expect((await post(gw, keyOf(1), '{ __typename }')).status).toBe(200);
    const id = nextId();
    const refused = await post(gw, keyOf(1), 'query Third { __typename }', undefined, id);
    expectRefused(
      refused,
      'REQUESTS_PER_MINUTE',
      'Too many requests: a client may run 2 operations a minute.',
      'set',
    );
    await expect.poll(() => gw.linesOf(id).length).toBe(1);
    expect(gw.linesOf(id)[0]).toMatchObject({
      operation: 'Third',
      status: 429,
      outcome: 'refused',
      errorCode: 'RATE_LIMITED',
    });
  });
});

describe('a refused subscription is logged and counted as refused', () => {
  let gw: LoggedGateway;
  beforeAll(async () => {
    gw = await startLoggedGateway({
      GATEWAY_API_KEYS: keyOf(2),
      // The over-cost stream runs (its typed error) and the served one: two.
      RATE_LIMIT_REQUESTS_PER_MINUTE: '2',
      MAX_OPERATION_COST: '100',
    });
  });
  afterAll(() => gw.close());

  const subscribe = (id: string, accept: string, maxTokens = 3) =>
    gw.raw(
      'POST',
      '/graphql',
      {
        'content-type': 'application/json',
        accept,
        authorization: `Bearer ${keyOf(2)}`,
        'x-request-id': id,
      },
      JSON.stringify({
        query: `subscription Story { completionStream(model: "${MODEL}", prompt: "x", maxTokens: ${maxTokens}) { __typename } }`,
      }),
    );

  it('with its status and code, whether answered as events or as JSON, and no stream left open', async () => {
    const labels = { operation: 'Story', type: 'subscription', outcome: 'refused' };
    const before = sample(await gw.metrics(), 'nim_graphql_operations_total', labels);
    const costly = nextId();
    // Alone over MAX_OPERATION_COST: the field's typed error, the stream's one event.
    expect((await subscribe(costly, 'text/event-stream', 500)).text).toContain(
      '"__typename":"InvalidInputError"',
    );
    const served = nextId();
    expect((await subscribe(served, 'text/event-stream')).status).toBe(200);
    const events = nextId();
    const json = nextId();
    expect((await subscribe(events, 'text/event-stream')).status).toBe(429);
    expect(
      (await subscribe(json, 'application/graphql-response+json, text/event-stream')).status,
    ).toBe(429);
    await expect.poll(() => gw.linesOf(json).length).toBe(1);
    expect(gw.linesOf(served)).toEqual([
      expect.objectContaining({ operation: 'Story', status: 200, outcome: 'ok', errorCode: null }),
    ]);
    // The field over the cost ran and answered its typed error, no upstream call: an error, not a refusal.
    expect(gw.linesOf(costly)).toEqual([
      expect.objectContaining({
        operation: 'Story',
        status: 200,
        outcome: 'error',
        errorCode: 'BAD_USER_INPUT',
        upstreamCalls: 0,
      }),
    ]);
    for (const id of [events, json]) {
      expect(gw.linesOf(id)).toEqual([
        expect.objectContaining({
          operation: 'Story',
          type: 'subscription',
          status: 429,
          outcome: 'refused',
          errorCode: 'RATE_LIMITED',
        }),
      ]);
    }
    const after = await gw.metrics();
    expect(sample(after, 'nim_graphql_operations_total', labels)).toBe(before + 2);
    expect(sample(after, 'nim_graphql_open_streams')).toBe(0);
  });
});

describe('over RATE_LIMIT_TOKENS_PER_MINUTE (100 a key)', () => {
  let gw: LoggedGateway;
  const keys = Array.from({ length: 7 }, (_, i) => keyOf(i + 10));
  beforeAll(async () => {
    gw = await startLoggedGateway({
      GATEWAY_API_KEYS: keys.join(','),
      RATE_LIMIT_TOKENS_PER_MINUTE: '100',
      UPSTREAM_MAX_RETRIES: '0',
    });
  });
  afterAll(() => gw.close());
  afterEach(() => {
    gw.sim.clearFaults();
    gw.sim.configure({ latencyMs: 0, tokenDelayMs: 0 });
  });

  const complete = (key: string, maxTokens: number, options: Record<string, unknown> = SHORT) =>
    post(gw, key, COMPLETE_WITH_OPTIONS, { model: MODEL, prompt: 'Once', maxTokens, options });
  const typename = (answer: RawAnswer) =>
    (answer.json?.data?.complete as { __typename?: string } | undefined)?.__typename;

  it('says an operation that can never fit is too big, without Retry-After', async () => {
    expectRefused(
      await complete(keys[0]!, 101),
      'TOKENS_PER_MINUTE',
      'This operation may use up to 101 tokens (maxTokens × n, and embedding and ranking input), more than the 100 a client may use a minute: lower maxTokens or send less.',
      'none',
    );
    // Exactly the budget fits.
    expect(typename(await complete(keys[0]!, 100))).toBe('Completion');
  });

  it('says the budget is spent, with Retry-After, when what is left is too little', async () => {
    const key = keys[1]!;
    expect(typename(await complete(key, 60, { ignoreEos: true }))).toBe('Completion');
    expectRefused(
      await complete(key, 41),
      'TOKENS_PER_MINUTE',
      'Token budget spent: this operation may use up to 41 tokens (maxTokens × n, and embedding and ranking input), more than is left of the 100 a client may use a minute.',
      'set',
    );
    expect(typename(await complete(key, 40))).toBe('Completion');
  });

  it('charges nothing for a generation the upstream refused', async () => {
    const key = keys[2]!;
    gw.sim.inject({
      path: '/v1/completions',
      status: 400,
      message: 'refused by the test',
      times: 3,
    });
    for (let i = 0; i < 3; i += 1) {
      const failed = await complete(key, 100);
      expect(failed.status).toBe(200);
      expect(typename(failed)).not.toBe('Completion');
    }
    expect(typename(await complete(key, 100, { ignoreEos: true }))).toBe('Completion');
  });

  it('charges nothing for a stream the upstream cut before its end', async () => {
    const key = keys[3]!;
    gw.sim.inject({ path: '/v1/completions', stream: 'cut', afterTokens: 2 });
    const events = await collect(
      gw.endpoint,
      COMPLETION_STREAM,
      { model: MODEL, prompt: 'Once', maxTokens: 100 },
      { headers: { authorization: `Bearer ${key}` } },
    );
    expect(events.at(-1)!.__typename).not.toBe('CompletionDone');
    expect(typename(await complete(key, 100, { ignoreEos: true }))).toBe('Completion');
  });

  it('keeps the whole reservation of a completion whose client left before the answer', async () => {
    const key = keys[4]!;
    gw.sim.configure({ latencyMs: 1000 });
    const controller = new AbortController();
    const id = nextId();
    const before = gw.sim.countRequests('/v1/completions');
    const leaving = fetch(gw.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${key}`,
        'x-request-id': id,
      },
      body: JSON.stringify({
        query: COMPLETE_WITH_OPTIONS,
        variables: { model: MODEL, prompt: 'Once', maxTokens: 60 },
      }),
      signal: controller.signal,
    }).catch(() => undefined);
    await expect.poll(() => gw.sim.countRequests('/v1/completions')).toBeGreaterThan(before);
    controller.abort();
    await leaving;
    // Its operation is over (and settled) once it is logged.
    await expect.poll(() => gw.linesOf(id).length, { timeout: 10_000 }).toBe(1);
    expect(gw.linesOf(id)[0]).toMatchObject({ outcome: 'cancelled' });
    gw.sim.configure({ latencyMs: 0 });
    expectRefused(
      await complete(key, 41),
      'TOKENS_PER_MINUTE',
      'Token budget spent: this operation may use up to 41 tokens (maxTokens × n, and embedding and ranking input), more than is left of the 100 a client may use a minute.',
      'set',
    );
    expect(typename(await complete(key, 40))).toBe('Completion');
  });

  it('gives back the reservation of an operation refused for its variables, a subscription too', async () => {
    const key = keys[6]!;
    const roles = { m: [{ role: 'USR', content: 'hi' }] };
    for (const kind of ['mutation', 'subscription'] as const) {
      const field = kind === 'mutation' ? 'chat' : 'chatStream';
      const query = `${kind} Bad($m: [ChatMessageInput!]!) { ${field}(model: "${MODEL}", messages: $m, maxTokens: 60) { __typename } }`;
      const answer = await gw.raw(
        'POST',
        '/graphql',
        {
          'content-type': 'application/json',
          accept: kind === 'mutation' ? 'application/graphql-response+json' : 'text/event-stream',
          authorization: `Bearer ${key}`,
        },
        JSON.stringify({ query, variables: roles }),
      );
      expect(answer.text, kind).toContain('does not exist in \\"ChatRole\\" enum');
    }
    expect(typename(await complete(key, 100, { ignoreEos: true }))).toBe('Completion');
  });

  it('charges a completion that reports no usage its whole reservation', async () => {
    const key = keys[5]!;
    gw.sim.inject({
      path: '/v1/completions',
      status: 200,
      rawBody: JSON.stringify({
        id: 'cmpl-x',
        object: 'text_completion',
        created: 1,
        model: MODEL,
        choices: [{ index: 0, text: 'hi', finish_reason: 'stop' }],
      }),
      contentType: 'application/json',
    });
    const answer = await complete(key, 70);
    expect(typename(answer), answer.text).toBe('Completion');
    expect(typename(await complete(key, 31))).toBeUndefined();
    expect(typename(await complete(key, 30))).toBe('Completion');
  });
});
