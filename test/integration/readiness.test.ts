// Readiness and the breaker judge the upstream, and only by what says something about it: an
// upstream refusing the gateway's key is not a healthy answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPLETE, MODEL, startStack, type Stack } from '../support/stack.ts';

const ready = async (stack: Stack) => {
  const response = await fetch(`${stack.server.url}/health/ready`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('an upstream that refuses the gateway key', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ NIM_PROXY_API_KEY: 'the-wrong-key', UPSTREAM_MAX_RETRIES: '0' }, { apiKey: 'the-right-key' });
  });
  afterAll(() => stack.close());

  it('keeps /health/ready at 503, saying why, however often it is asked and whatever else is called', async () => {
    for (let i = 0; i < 4; i++) {
      expect(await ready(stack)).toMatchObject({ status: 503, body: { status: 'unready', reason: expect.stringMatching(/refused the gateway's key/) } });
      const { data } = await stack.gql(COMPLETE, { model: MODEL, prompt: 'Hi', maxTokens: 2 });
      expect(data!.complete).toMatchObject({ __typename: 'UpstreamError', code: 'UPSTREAM_ERROR', retryable: false });
    }
    // It is the key, not the upstream: the breaker stays closed.
    expect(stack.gateway.services.nim.circuit().state).toBe('closed');
  });

  it('is ready once the key is accepted', async () => {
    stack.sim.configure({ apiKey: 'the-wrong-key' });
    expect(await ready(stack)).toMatchObject({ status: 200, body: { status: 'ready' } });
  });
});
