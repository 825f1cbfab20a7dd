// The errors clients are answered, by code, and the upstream breaker's state, as /metrics shows them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayMetrics } from '../../src/observability/metrics.ts';
import { COMPLETE, MODEL, startStack, type Stack } from '../support/stack.ts';

const KEY = 'client-key-0123456789abcdef';
const auth = { authorization: `Bearer ${KEY}` };

/** Prometheus text → { labels → value } of one metric. */
function samples(text: string, name: string): Record<string, number> {
  const found: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`).exec(line);
    if (match) found[match[1] ?? ''] = Number(match[2]);
  }
  return found;
}

describe('errors by code and breaker state in /metrics', () => {
  let stack: Stack;
  const metrics = async () => (await fetch(`${stack.server.url}/metrics`)).text();
  const post = (body: unknown, headers: Record<string, string> = auth) =>
    fetch(stack.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    stack = await startStack({
      GATEWAY_API_KEYS: KEY,
      UPSTREAM_MAX_RETRIES: '0',
      UPSTREAM_BREAKER_FAILURES: '2',
      UPSTREAM_BREAKER_COOLDOWN_MS: '600000',
    });
  });
  afterAll(() => stack?.close());

  it('counts typed errors, top-level errors and refusals without a result, once per request', async () => {
    await post({ query: '{ nope }' });
    await post({ query: '{ models { id }' });
    await post({
      query: COMPLETE,
      variables: { model: 'sim/not-served', prompt: 'Hi', maxTokens: 4 },
    });
    await post({
      query: COMPLETE,
      variables: { model: MODEL, prompt: 'Hi', maxTokens: 1_000_000 },
    });
    // Two fields within MAX_OPERATION_COST (32,768) alone, over it together.
    const half = `complete(model: "${MODEL}", prompt: "Hi", maxTokens: 4096, options: { n: 5 }) { __typename }`;
    await post({ query: `mutation { a: ${half} b: ${half} }` });
    await post({ query: '{ models { id } }' }, {});
    await fetch(`${stack.endpoint}?query=${encodeURIComponent('{ models { id } }')}`, {
      headers: auth,
    });
    // Two validation errors in one answer count once.
    await post({ query: '{ nope alsoNope }' });
    expect(samples(await metrics(), 'nim_graphql_errors_total')).toEqual({
      '{code="GRAPHQL_VALIDATION_FAILED"}': 2,
      '{code="GRAPHQL_PARSE_FAILED"}': 1,
      '{code="MODEL_NOT_FOUND"}': 1,
      '{code="BAD_USER_INPUT"}': 1,
      '{code="COST_LIMIT_EXCEEDED"}': 1,
      // The gate's refusals carry their own code.
      '{code="UNAUTHENTICATED"}': 1,
      '{code="CSRF_HEADER_REQUIRED"}': 1,
    });
  });

  it('shows the breaker closed, then open after consecutive upstream failures', async () => {
    const state = async () => samples(await metrics(), 'nim_graphql_upstream_circuit_state');
    expect(await state()).toEqual({
      '{upstream="default",state="closed"}': 1,
      '{upstream="default",state="half-open"}': 0,
      '{upstream="default",state="open"}': 0,
    });
    stack.sim.inject({ path: '/v1/completions', status: 500, times: 2 });
    for (let i = 0; i < 2; i += 1)
      await post({ query: COMPLETE, variables: { model: MODEL, prompt: 'Hi', maxTokens: 4 } });
    expect(await state()).toEqual({
      '{upstream="default",state="closed"}': 0,
      '{upstream="default",state="half-open"}': 0,
      '{upstream="default",state="open"}': 1,
    });
    expect(samples(await metrics(), 'nim_graphql_errors_total')['{code="UPSTREAM_ERROR"}']).toBe(2);
  });

  it('keeps the code label bounded', async () => {
    const bounded = new GatewayMetrics();
    for (let i = 0; i < 200; i += 1) bounded.countError(`CODE_${i}`);
    bounded.countError('not a code');
    const codes = (await bounded.errors.get()).values.map((value) => String(value.labels.code));
    expect(codes.length).toBe(65);
    expect(codes).toContain('OTHER');
  });
});
