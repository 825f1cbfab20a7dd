// Readiness and the breaker judge the upstream, and only by what says something about it: an
// upstream refusing the gateway's key is not a healthy answer, and a client's input that cannot
// be sent is not an upstream fault.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NimError } from '../../src/nim/errors.ts';
import { COMPLETE, MODEL, startStack, type Stack } from '../support/stack.ts';

const ready = async (stack: Stack) => {
  const response = await fetch(`${stack.server.url}/health/ready`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('an upstream that refuses the gateway key', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(
      { NIM_PROXY_API_KEY: 'the-wrong-key', UPSTREAM_MAX_RETRIES: '0' },
      { apiKey: 'the-right-key' },
    );
  });
  afterAll(() => stack.close());

  it('keeps /health/ready at 503, saying why, however often it is asked and whatever else is called', async () => {
    for (let i = 0; i < 4; i++) {
      expect(await ready(stack)).toMatchObject({
        status: 503,
        body: { status: 'unready', reason: expect.stringMatching(/refused the gateway's key/) },
      });
      const { data } = await stack.gql(COMPLETE, { model: MODEL, prompt: 'Hi', maxTokens: 2 });
      expect(data!.complete).toMatchObject({
        __typename: 'UpstreamError',
        code: 'UPSTREAM_ERROR',
        retryable: false,
      });
    }
    // It is the key, not the upstream: the breaker stays closed.
    expect(stack.gateway.services.nim.circuit().state).toBe('closed');
  });

  it('is ready once the key is accepted', async () => {
    stack.sim.configure({ apiKey: 'the-wrong-key' });
    expect(await ready(stack)).toMatchObject({ status: 200, body: { status: 'ready' } });
  });
});

describe('a request body that cannot be serialised', () => {
  let stack: Stack;
  beforeAll(async () => {
    // A breaker that opens on the third fault: ten calls would open it if they counted.
    stack = await startStack({ UPSTREAM_BREAKER_FAILURES: '3' });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.sim.reset());

  it('is the caller’s error (bad_request), never sent, never counted by the breaker', async () => {
    const nim = stack.gateway.services.nim;
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const bodies = [
      // A BigInt and a cycle: JSON.stringify throws a TypeError on either.
      { model: MODEL, prompt: 'Hi', maxTokens: 2, params: { seed: 10n as unknown as number } },
      {
        model: MODEL,
        prompt: 'Hi',
        maxTokens: 2,
        responseFormat: {
          type: 'json_schema' as const,
          json_schema: { name: 'x', schema: cyclic },
        },
      },
    ];
    for (let i = 0; i < 10; i++) {
      const input = bodies[i % 2]!;
      const error = await nim.complete(input).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NimError);
      expect(error).toMatchObject({ kind: 'bad_request', status: null });
      const streamed = await (async () => {
        for await (const _ of nim.streamCompletion(input)) return null;
      })().catch((e: unknown) => e);
      expect(streamed).toMatchObject({ kind: 'bad_request' });
    }
    expect(stack.sim.countRequests('/v1/completions')).toBe(0);
    expect(nim.circuit()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });

  it('nested 6,000 deep in a JSON argument: BAD_USER_INPUT ten times over, the breaker closed, /health/ready 200', async () => {
    // Written out by hand: JSON.stringify itself gives up on a value this deep.
    const schema = `${'{"items":'.repeat(6000)}{"type":"string"}${'}'.repeat(6000)}`;
    const query = `mutation($s: JSON!) { complete(model: "${MODEL}", prompt: "Hi", maxTokens: 2, responseFormat: { type: JSON_SCHEMA, schema: $s }) {
      __typename ... on GatewayError { code message } } }`;
    const body = `{"query":${JSON.stringify(query)},"variables":{"s":${schema}}}`;
    for (let i = 0; i < 10; i++) {
      const response = await fetch(stack.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
        },
        body,
      });
      const { data, errors } = (await response.json()) as {
        data?: { complete?: { code?: string } } | null;
        errors?: { extensions?: { code?: string } }[];
      };
      // Refused wherever the gateway first meets it, as the client's input: a typed error or a top-level one.
      const code = data?.complete?.code ?? errors?.[0]?.extensions?.code;
      expect(code).toBe('BAD_USER_INPUT');
    }
    expect(stack.gateway.services.nim.circuit()).toMatchObject({
      state: 'closed',
      consecutiveFailures: 0,
    });
    expect((await ready(stack)).status).toBe(200);
  });
});

describe('a base URL that points at no NIM API', () => {
  it('keeps /health/ready at 503: a 404 for the model list is a wrong NIM_PROXY_BASE_URL, not an answer', async () => {
    const { startSimulator } = await import('../../src/simulator/server.ts');
    const { loadConfig } = await import('../../src/config.ts');
    const { createGateway } = await import('../../src/yoga.ts');
    const { listen } = await import('../../src/server.ts');
    const { consoleLogger } = await import('../support/logs.ts');
    const sim = await startSimulator();
    const config = loadConfig({ NIM_PROXY_BASE_URL: `${sim.url}/nope`, UPSTREAM_MAX_RETRIES: '0' });
    const server = await listen(
      createGateway(config as never, { logger: consoleLogger() }),
      '127.0.0.1',
      0,
    );
    try {
      for (let i = 0; i < 3; i++) {
        const response = await fetch(`${server.url}/health/ready`);
        expect(response.status).toBe(503);
        expect(((await response.json()) as { reason: string }).reason).toMatch(/404/);
      }
    } finally {
      await server.close();
      await sim.close();
    }
  });
});
