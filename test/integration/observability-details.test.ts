// The details of the log line and metrics an operator reads, over real sockets: who a token metric
// is labelled with (a key's fingerprint, never an address), which fields a line has for a query, a
// mutation and a stream, what counts as gateway overhead, and which headers each answer carries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPLETE_WITH_OPTIONS, COMPLETION_STREAM } from '../support/operations.ts';
import { collect } from '../support/sse.ts';
import { sample, startLoggedGateway, type LoggedGateway } from '../support/logged-gateway.ts';
import { MODEL } from '../support/stack.ts';

const KEY = 'observed-key-0123456789abcdef';
let ids = 0;
const nextId = () => `observed-${++ids}`;

async function lineOf(gw: LoggedGateway, id: string): Promise<Record<string, unknown>> {
  await expect.poll(() => gw.linesOf(id).length).toBe(1);
  return gw.linesOf(id)[0]!;
}

describe('with client keys', () => {
  let gw: LoggedGateway;
  let fingerprint: string;
  beforeAll(async () => {
    gw = await startLoggedGateway({ GATEWAY_API_KEYS: KEY, BATCHING_LIMIT: '3' });
  });
  afterAll(() => gw.close());

  const post = (body: unknown, id = nextId(), accept = 'application/graphql-response+json') =>
    gw.raw(
      'POST',
      '/graphql',
      {
        'content-type': 'application/json',
        accept,
        authorization: `Bearer ${KEY}`,
        'x-request-id': id,
      },
      JSON.stringify(body),
    );

  it('logs a mutation with its client, model, tokens, upstream call and sane durations, and no stream fields', async () => {
    const id = nextId();
    const answer = await post(
      { query: COMPLETE_WITH_OPTIONS, variables: { model: MODEL, prompt: 'Once', maxTokens: 5 } },
      id,
    );
    expect(answer.status).toBe(200);
    expect(answer.headers['x-request-id']).toBe(id);
    expect(answer.headers['server-timing']).toMatch(
      /^gateway;dur=\d+\.\d{3}, upstream;dur=\d+\.\d{3}$/,
    );
    const line = await lineOf(gw, id);
    fingerprint = line.client as string;
    expect(fingerprint).toMatch(/^key:[0-9a-f]{12}$/);
    expect(line).toMatchObject({
      operation: 'CompleteWithOptions',
      type: 'mutation',
      models: [MODEL],
      upstreamStatus: 200,
      status: 200,
      outcome: 'ok',
      errorCode: null,
    });
    // The model list (first use) and the completion.
    expect(line.upstreamCalls).toBe(2);
    expect(line).not.toHaveProperty('chunks');
    for (const field of ['durationMs', 'upstreamMs'] as const) {
      const ms = line[field] as number;
      expect(ms, field).toBeGreaterThan(0);
      expect(ms, field).toBeLessThan(60_000);
      expect(Math.round(ms * 1000), field).toBe(ms * 1000);
    }
    expect(line.upstreamMs as number).toBeLessThanOrEqual(line.durationMs as number);
    expect(line.promptTokens as number).toBeGreaterThan(0);
    expect(line.completionTokens as number).toBeGreaterThan(0);
  });

  it('labels token metrics with the key fingerprint, prompt and completion apart', async () => {
    const labels = (kind: string) => ({ model: MODEL, kind, client: fingerprint });
    const before = await gw.metrics();
    const answer = await post({
      query: COMPLETE_WITH_OPTIONS,
      variables: {
        model: MODEL,
        prompt: 'Once upon a time',
        maxTokens: 4,
        options: { ignoreEos: true },
      },
    });
    expect(answer.status).toBe(200);
    const after = await gw.metrics();
    expect(
      sample(after, 'nim_graphql_tokens_total', labels('completion')) -
        sample(before, 'nim_graphql_tokens_total', labels('completion')),
    ).toBe(4);
    expect(
      sample(after, 'nim_graphql_tokens_total', labels('prompt')) -
        sample(before, 'nim_graphql_tokens_total', labels('prompt')),
    ).toBeGreaterThan(0);
  });

  it('counts gateway overhead only for operations that called the upstream', async () => {
    const overhead = async () =>
      sample(await gw.metrics(), 'nim_graphql_gateway_overhead_seconds_count');
    const before = await overhead();
    const id = nextId();
    expect((await post({ query: 'query Plain { __typename }' }, id)).status).toBe(200);
    expect(await lineOf(gw, id)).toMatchObject({
      operation: 'Plain',
      type: 'query',
      upstreamCalls: 0,
      upstreamStatus: null,
      models: [],
    });
    expect(await overhead()).toBe(before);
    await post({
      query: COMPLETE_WITH_OPTIONS,
      variables: { model: MODEL, prompt: 'Once', maxTokens: 2 },
    });
    expect(await overhead()).toBe(before + 1);
  });

  it('logs a stream once with its chunks; its answer has a request id and no Server-Timing (it is sent before the stream)', async () => {
    const id = nextId();
    const answer = await post(
      {
        query: COMPLETION_STREAM,
        variables: { model: MODEL, prompt: 'Once', maxTokens: 3, options: { ignoreEos: true } },
      },
      id,
      'text/event-stream',
    );
    expect(answer.status).toBe(200);
    expect(answer.headers['x-request-id']).toBe(id);
    expect(answer.headers['server-timing']).toBeUndefined();
    // The chunks sent (the tokens of one upstream read go out as one), and the tokens in them.
    const sent = answer.text.split('"__typename":"CompletionChunk"').length - 1;
    expect(sent).toBeGreaterThan(0);
    expect(await lineOf(gw, id)).toMatchObject({
      operation: 'CompletionStream',
      type: 'subscription',
      chunks: sent,
      completionTokens: 3,
      status: 200,
      outcome: 'ok',
    });
    const metrics = await gw.metrics();
    expect(sample(metrics, 'nim_graphql_open_streams')).toBe(0);
    expect(sample(metrics, 'nim_graphql_in_flight_requests')).toBe(0);
  });

  it('logs a batch once with the code of its failed operation, and a request error with its own code', async () => {
    const batch = nextId();
    const answer = await post(
      [
        { query: '{ __typename }' },
        { query: `mutation { complete(model: "sim/none", prompt: "x") { __typename } }` },
        { query: '{ models { id } }' },
      ],
      batch,
    );
    expect(answer.status).toBe(200);
    expect(await lineOf(gw, batch)).toMatchObject({
      errorCode: 'MODEL_NOT_FOUND',
      outcome: 'error',
      status: 200,
    });
    const failed = nextId();
    // A request error graphql-js raises before running anything (a missing variable) is BAD_USER_INPUT.
    await post(
      [
        { query: '{ __typename }' },
        { query: 'query($n: Boolean!) { __typename @include(if: $n) }' },
      ],
      failed,
    );
    expect(await lineOf(gw, failed)).toMatchObject({ errorCode: 'BAD_USER_INPUT' });
    const typed = nextId();
    await post({ query: 'mutation { complete(model: 1) { __typename } }' }, typed);
    expect(await lineOf(gw, typed)).toMatchObject({
      errorCode: 'GRAPHQL_VALIDATION_FAILED',
      outcome: 'refused',
      status: 400,
    });
  });

  it('serves /metrics to GET only; other methods are not metrics', async () => {
    const get = await gw.raw('GET', '/metrics');
    expect(get.status).toBe(200);
    expect(get.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const postMetrics = await gw.raw(
      'POST',
      '/metrics',
      { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      '{}',
    );
    expect(postMetrics.status).toBe(404);
    expect(postMetrics.text).not.toContain('nim_graphql_operations_total');
  });
});

describe('without client keys', () => {
  let gw: LoggedGateway;
  beforeAll(async () => {
    gw = await startLoggedGateway();
  });
  afterAll(() => gw.close());

  it('logs the caller by address, but labels token metrics anonymous (no address in a metric label)', async () => {
    const id = nextId();
    const answer = await gw.raw(
      'POST',
      '/graphql',
      { 'content-type': 'application/json', 'x-request-id': id },
      JSON.stringify({
        query: COMPLETE_WITH_OPTIONS,
        variables: { model: MODEL, prompt: 'Once', maxTokens: 3 },
      }),
    );
    expect(answer.status).toBe(200);
    expect((await lineOf(gw, id)).client).toBe('ip:127.0.0.1');
    const metrics = await gw.metrics();
    expect(
      sample(metrics, 'nim_graphql_tokens_total', {
        model: MODEL,
        kind: 'completion',
        client: 'anonymous',
      }),
    ).toBeGreaterThan(0);
    expect(metrics).not.toContain('client="ip:');
  });

  it('streams: first-token and tokens-per-second observed once per stream, chunk gaps between chunks', async () => {
    const before = await gw.metrics();
    const events = await collect(gw.endpoint, COMPLETION_STREAM, {
      model: MODEL,
      prompt: 'Once',
      maxTokens: 4,
      options: { ignoreEos: true },
    });
    expect(events.at(-1)!.__typename).toBe('CompletionDone');
    const after = await gw.metrics();
    const grew = (name: string) => sample(after, name) - sample(before, name);
    expect(grew('nim_graphql_stream_time_to_first_token_seconds_count')).toBe(1);
    // A gap between each two chunks sent.
    const chunks = events.filter((e) => e.__typename === 'CompletionChunk').length;
    expect(chunks).toBeGreaterThan(0);
    expect(grew('nim_graphql_stream_chunk_gap_seconds_count')).toBe(chunks - 1);
    expect(grew('nim_graphql_stream_tokens_per_second_count')).toBeLessThanOrEqual(1);
    expect(grew('nim_graphql_gateway_overhead_seconds_count')).toBe(0);
  });
});

describe('metric values and what is not traced (tokens paced 20 ms apart)', () => {
  let gw: LoggedGateway;
  beforeAll(async () => {
    gw = await startLoggedGateway({}, { tokenDelayMs: 20 });
  });
  afterAll(() => gw.close());

  const post = (body: unknown, id = nextId(), accept = 'application/graphql-response+json') =>
    gw.raw(
      'POST',
      '/graphql',
      { 'content-type': 'application/json', accept, 'x-request-id': id },
      JSON.stringify(body),
    );
  const delta = (
    before: string,
    after: string,
    name: string,
    labels: Record<string, string> = {},
  ) => sample(after, name, labels) - sample(before, name, labels);

  it('observes an operation in seconds: its duration, and the gateway overhead within it', async () => {
    const before = await gw.metrics();
    const answer = await post({
      query: COMPLETE_WITH_OPTIONS,
      variables: { model: MODEL, prompt: 'Once', maxTokens: 2 },
    });
    expect(answer.status).toBe(200);
    const [gateway, upstream] = /^gateway;dur=(\d+\.\d{3}), upstream;dur=(\d+\.\d{3})$/
      .exec(String(answer.headers['server-timing']))!
      .slice(1)
      .map(Number) as [number, number];
    expect(gateway).toBeGreaterThan(0);
    expect(upstream).toBeGreaterThan(0);
    const after = await gw.metrics();
    const labels = { operation: 'CompleteWithOptions', type: 'mutation', outcome: 'ok' };
    const duration = delta(before, after, 'nim_graphql_operation_duration_seconds_sum', labels);
    const overhead = delta(before, after, 'nim_graphql_gateway_overhead_seconds_sum');
    expect(duration).toBeGreaterThan(0);
    expect(duration).toBeLessThan(30);
    expect(overhead).toBeGreaterThan(0);
    expect(overhead).toBeLessThan(duration);
  });

  it("observes a stream's first token in seconds and its rate in tokens a second", async () => {
    const before = await gw.metrics();
    const events = await collect(gw.endpoint, COMPLETION_STREAM, {
      model: MODEL,
      prompt: 'Once',
      maxTokens: 4,
      options: { ignoreEos: true },
    });
    expect(events.at(-1)!.__typename).toBe('CompletionDone');
    const after = await gw.metrics();
    const first = delta(before, after, 'nim_graphql_stream_time_to_first_token_seconds_sum');
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(30);
    expect(delta(before, after, 'nim_graphql_stream_tokens_per_second_count')).toBe(1);
    // 4 tokens 20 ms apart: about 50 a second; well under a million, well over one.
    const rate = delta(before, after, 'nim_graphql_stream_tokens_per_second_sum');
    expect(rate).toBeGreaterThan(1);
    expect(rate).toBeLessThan(1_000_000);
  });

  it('a stream that ends without a token observes no first token and no rate', async () => {
    const before = await gw.metrics();
    const events = await collect(gw.endpoint, COMPLETION_STREAM, {
      model: 'sim/none',
      prompt: 'Once',
      maxTokens: 4,
    });
    expect(events.at(-1)!.__typename).toBe('ModelNotFoundError');
    const after = await gw.metrics();
    expect(delta(before, after, 'nim_graphql_stream_time_to_first_token_seconds_count')).toBe(0);
    expect(delta(before, after, 'nim_graphql_stream_tokens_per_second_count')).toBe(0);
  });

  it('counts no tokens for an operation that used no model', async () => {
    expect((await post({ query: '{ models { id } }' })).status).toBe(200);
    const metrics = await gw.metrics();
    expect(metrics).not.toMatch(/nim_graphql_tokens_total\{[^}]*model="(undefined)?"/);
  });

  it('logs a document that does not parse, and a request Yoga cannot read, with its code', async () => {
    const id = nextId();
    expect((await post({ query: '{ models { id ' }, id)).status).toBe(400);
    expect(await lineOf(gw, id)).toMatchObject({
      status: 400,
      outcome: 'refused',
      errorCode: 'GRAPHQL_PARSE_FAILED',
    });
    for (const body of ['{}', '{"query": 1}', 'not json']) {
      const bad = nextId();
      const answer = await gw.raw(
        'POST',
        '/graphql',
        {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
          'x-request-id': bad,
        },
        body,
      );
      expect(answer.status, body).toBe(400);
      expect(await lineOf(gw, bad), body).toMatchObject({
        status: 400,
        outcome: 'refused',
        errorCode: 'BAD_REQUEST',
      });
    }
  });

  it('traces GraphQL requests only: health checks carry their request id but write no log line', async () => {
    for (const path of ['/health/live', '/health/ready']) {
      const id = nextId();
      const answer = await gw.raw('GET', path, { 'x-request-id': id });
      expect(answer.status, path).toBe(200);
      expect(answer.headers['x-request-id'], path).toBe(id);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(gw.linesOf(id), path).toEqual([]);
    }
    expect(sample(await gw.metrics(), 'nim_graphql_in_flight_requests')).toBe(0);
  });
});
