import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type GatewayConfig } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { listen, type RunningServer } from '../../src/server.ts';
import { startSimulator, type Simulator } from '../../src/simulator/server.ts';
import { createGateway, type Gateway } from '../../src/yoga.ts';
import { collect, subscribe } from '../support/sse.ts';
import { COMPLETE, MODEL } from '../support/stack.ts';

const UPSTREAM_KEY = 'nvapi-upstream-secret-0123456789';
const CLIENT_KEY = 'client-key-abcdefghijklmnop';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

const STREAM = /* GraphQL */ `
  subscription Story($model: ID!) {
    completionStream(model: $model, prompt: "Once", maxTokens: 6, options: { ignoreEos: true }) {
      __typename
      ... on CompletionDone {
        usage {
          completionTokens
        }
      }
    }
  }
`;

/** Prometheus text → value of the first sample whose name and labels match. */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      return Number(line.split(' ').at(-1));
  }
  return undefined;
}

describe('logs, metrics, request ids and Server-Timing', () => {
  let sim: Simulator;
  let gateway: Gateway;
  let server: RunningServer;
  let endpoint: string;
  const lines: Record<string, any>[] = [];
  const raw: string[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ tokenDelayMs: 5, apiKey: UPSTREAM_KEY });
    const config = loadConfig({
      NIM_PROXY_BASE_URL: sim.url,
      NIM_PROXY_API_KEY: UPSTREAM_KEY,
      GATEWAY_API_KEYS: CLIENT_KEY,
      UPSTREAM_RETRY_BUDGET_RATIO: '1',
    }) as GatewayConfig;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        raw.push(chunk.toString());
        for (const line of chunk.toString().split('\n').filter(Boolean))
          lines.push(JSON.parse(line));
        done();
      },
    });
    gateway = createGateway(config, { logger: createLogger('info', sink) });
    server = await listen(gateway, '127.0.0.1', 0);
    endpoint = `${server.url}/graphql`;
  });
  afterAll(async () => {
    await server.close();
    await sim.close();
  });
  beforeEach(() => {
    sim.reset();
    lines.length = 0;
  });

  const headers = { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` };
  const post = (
    query: string,
    variables: Record<string, unknown>,
    extra: Record<string, string> = {},
  ) =>
    fetch(endpoint, {
      method: 'POST',
      headers: { ...headers, ...extra },
      body: JSON.stringify({ query, variables }),
    });
  const operations = () => lines.filter((l) => l.msg === 'operation');

  it("keeps the caller's request id and trace, returns it, sends both upstream, and logs one line per operation", async () => {
    const response = await post(
      COMPLETE,
      { model: MODEL, prompt: 'Once', maxTokens: 5 },
      {
        'x-request-id': 'req-42',
        traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01`,
      },
    );
    const body = await response.json();
    expect(body.data.complete.__typename).toBe('Completion');
    expect(response.headers.get('x-request-id')).toBe('req-42');
    expect(response.headers.get('server-timing')).toMatch(
      /^gateway;dur=\d+\.\d{3}, upstream;dur=\d+\.\d{3}$/,
    );
    const upstream = sim.requests.find((r) => r.path === '/v1/completions')!;
    expect(upstream.headers['x-request-id']).toBe('req-42');
    expect(upstream.headers.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
    expect(upstream.headers.traceparent).not.toContain('00f067aa0ba902b7');
    const [line] = operations();
    expect(line).toMatchObject({
      level: 30,
      requestId: 'req-42',
      operation: 'Complete',
      type: 'mutation',
      models: [MODEL],
      upstreamStatus: 200,
      completionTokens: body.data.complete.usage.completionTokens,
      promptTokens: body.data.complete.usage.promptTokens,
      outcome: 'ok',
      errorCode: null,
      status: 200,
    });
    expect(line!.client).toMatch(/^key:[0-9a-f]{12}$/);
    expect(line!.durationMs).toBeGreaterThan(0);
    expect(line!.upstreamMs).toBeGreaterThan(0);
  });

  it('makes a request id when none (or a malformed one) is given, and logs typed errors and refusals with their code', async () => {
    const made = await post(
      COMPLETE,
      { model: 'sim/none', prompt: 'x' },
      { 'x-request-id': 'bad id with spaces' },
    );
    const id = made.headers.get('x-request-id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await made.json();
    const refused = await post(
      'mutation { complete(model: 1) { __typename } }',
      {},
      { accept: 'application/graphql-response+json' },
    );
    expect(refused.status).toBe(400);
    const [typed, request] = operations();
    expect(typed).toMatchObject({ requestId: id, outcome: 'error', errorCode: 'MODEL_NOT_FOUND' });
    expect(request).toMatchObject({ outcome: 'refused', status: 400 });
  });

  it('logs a stream once, at its end, with its chunks; metrics count tokens, first token and gaps', async () => {
    const events = await collect(
      endpoint,
      STREAM,
      { model: MODEL },
      { headers: { authorization: `Bearer ${CLIENT_KEY}` } },
    );
    expect(events.at(-1)!.__typename).toBe('CompletionDone');
    const streamLines = operations().filter((l) => l.type === 'subscription');
    expect(streamLines).toHaveLength(1);
    expect(streamLines[0]).toMatchObject({
      operation: 'Story',
      outcome: 'ok',
      chunks: 6,
      completionTokens: 6,
    });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(
      sample(metrics, 'nim_graphql_stream_time_to_first_token_seconds_count'),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(metrics, 'nim_graphql_stream_chunk_gap_seconds_count')).toBeGreaterThanOrEqual(5);
    expect(sample(metrics, 'nim_graphql_stream_tokens_per_second_count')).toBeGreaterThanOrEqual(1);
  });

  it('serves Prometheus metrics that move with traffic', async () => {
    const before = await (await fetch(`${server.url}/metrics`)).text();
    const count = (text: string, name: string, labels: Record<string, string>) =>
      sample(text, name, labels) ?? 0;
    const ok = { operation: 'Complete', type: 'mutation', outcome: 'ok' };
    for (let i = 0; i < 3; i++)
      await (await post(COMPLETE, { model: MODEL, prompt: 'Once', maxTokens: 4 })).json();
    sim.inject({ path: '/v1/completions', status: 503, times: 1 });
    await (await post(COMPLETE, { model: MODEL, prompt: 'Once', maxTokens: 4 })).json();
    // A client that goes away mid-stream.
    sim.configure({ tokenDelayMs: 200 });
    const controller = new AbortController();
    const stream = subscribe(
      endpoint,
      STREAM,
      { model: MODEL },
      { signal: controller.signal, headers: { authorization: `Bearer ${CLIENT_KEY}` } },
    );
    await stream.next();
    controller.abort();
    await stream.return(undefined).catch(() => undefined);
    await sim.waitForAbort('/v1/completions', 2000);
    sim.configure({ tokenDelayMs: 5 });
    await new Promise((resolve) => setTimeout(resolve, 100));

    const after = await (await fetch(`${server.url}/metrics`)).text();
    const grew = (name: string, labels: Record<string, string> = {}) =>
      count(after, name, labels) - count(before, name, labels);
    expect(grew('nim_graphql_operations_total', ok)).toBe(4);
    expect(grew('nim_graphql_operation_duration_seconds_count', ok)).toBe(4);
    expect(
      grew('nim_graphql_upstream_requests_total', { endpoint: '/v1/completions', status: '200' }),
    ).toBeGreaterThanOrEqual(4);
    expect(
      grew('nim_graphql_upstream_requests_total', { endpoint: '/v1/completions', status: '503' }),
    ).toBe(1);
    expect(grew('nim_graphql_upstream_retries_total', { endpoint: '/v1/completions' })).toBe(1);
    expect(
      grew('nim_graphql_upstream_request_duration_seconds_count', {
        endpoint: '/v1/completions',
        status: '200',
      }),
    ).toBeGreaterThanOrEqual(4);
    expect(grew('nim_graphql_gateway_overhead_seconds_count')).toBe(4);
    expect(
      grew('nim_graphql_tokens_total', { model: MODEL, kind: 'completion' }),
    ).toBeGreaterThanOrEqual(16);
    expect(grew('nim_graphql_cancellations_total')).toBe(1);
    expect(
      grew('nim_graphql_operations_total', {
        operation: 'Story',
        type: 'subscription',
        outcome: 'cancelled',
      }),
    ).toBe(1);
    expect(
      count(after, 'nim_graphql_model_catalog_events_total', { event: 'hit' }),
    ).toBeGreaterThan(0);
    expect(
      count(after, 'nim_graphql_model_catalog_events_total', { event: 'refresh' }),
    ).toBeGreaterThan(0);
    expect(sample(after, 'nim_graphql_in_flight_requests')).toBe(0);
    expect(sample(after, 'nim_graphql_open_streams')).toBe(0);
    expect(sample(after, 'nim_graphql_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(after).toContain('# TYPE nim_graphql_operations_total counter');
  });

  it('never writes a key to the log', async () => {
    sim.inject({ path: '/v1/completions', status: 400, message: `bad key ${UPSTREAM_KEY}` });
    await (await post(COMPLETE, { model: MODEL, prompt: 'Once', maxTokens: 4 })).json();
    await (
      await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}x` },
        body: '{"query":"{ __typename }"}',
      })
    ).text();
    const all = raw.join('');
    expect(all.length).toBeGreaterThan(0);
    expect(all).not.toContain(UPSTREAM_KEY);
    expect(all).not.toContain(CLIENT_KEY);
  });
});
