// Findings of the outside security and fault suite that the gate answers, each over real sockets:
// a client's JSON cannot trip the breaker, no suggestions leak with introspection off, failed and
// cancelled operations are logged as such, and the last line of defence logs and counts.
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { installLastResort } from '../../src/observability/last-resort.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { GatewayMetrics } from '../../src/observability/metrics.ts';
import { startLoggedGateway, type LoggedGateway } from '../support/logged-gateway.ts';
import { MODEL } from '../support/stack.ts';

const CHAT = /* GraphQL */ `
  mutation Chat($f: ResponseFormatInput) {
    chat(model: "${MODEL}", messages: [{ role: USER, content: "hi" }], maxTokens: 4, responseFormat: $f) {
      __typename
      ... on GatewayError { code message }
    }
  }
`;
const CHAT_STREAM = /* GraphQL */ `
  subscription ChatStream($f: ResponseFormatInput) {
    chatStream(model: "${MODEL}", messages: [{ role: USER, content: "hi" }], maxTokens: 4, responseFormat: $f) { __typename }
  }
`;
const deep = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};
/** JSON text nested `depth` deep (JSON.stringify itself overflows the stack on such a value). */
const deepText = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

type Running = LoggedGateway & {
  /** `body` as a value, or as JSON text already. */
  post(body: unknown, headers?: Record<string, string>, signal?: AbortSignal): Promise<Response>;
};

async function start(env: Record<string, string> = {}): Promise<Running> {
  const gateway = await startLoggedGateway(env);
  return {
    ...gateway,
    post: (body, headers = {}, signal) =>
      fetch(gateway.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
          ...headers,
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
        ...(signal ? { signal } : {}),
      }),
  };
}

describe("a client's JSON input never counts as an upstream fault", () => {
  let running: Running;
  beforeAll(async () => {
    running = await start({ UPSTREAM_BREAKER_FAILURES: '3' });
  });
  afterAll(() => running.close());

  it('a responseFormat.schema nested 6,000 deep is BAD_USER_INPUT, ten times in a row, and the breaker stays closed', async () => {
    const variables = `{"f":{"type":"JSON_SCHEMA","schema":${deepText(6000)}}}`;
    for (let i = 0; i < 10; i++) {
      for (const [query, accept] of [
        [CHAT, 'application/graphql-response+json'],
        [CHAT_STREAM, 'text/event-stream'],
      ] as const) {
        const response = await running.post(
          `{"query":${JSON.stringify(query)},"variables":${variables}}`,
          { accept },
        );
        const text = await response.text();
        expect(response.status, text).toBeLessThan(500);
        expect(text).toContain('BAD_USER_INPUT');
        expect(text).toMatch(/nested deeper than 64/);
      }
    }
    expect(running.sim.countRequests('/v1/chat/completions')).toBe(0);
    const ready = await fetch(`${running.server.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { circuit: string }).circuit).toBe('closed');
    // 64 deep is still fine: the limit is on nesting, not on JSON Schema.
    const fine = await running.post({
      query: CHAT,
      variables: { f: { type: 'JSON_SCHEMA', schema: { type: 'object', properties: deep(30) } } },
    });
    expect(
      ((await fine.json()) as { data: { chat: { __typename: string } } }).data.chat.__typename,
    ).toBe('ChatCompletion');
  });
});

describe('INTROSPECTION=false hides every suggestion', () => {
  let closed: Running;
  let open: Running;
  beforeAll(async () => {
    closed = await start({ INTROSPECTION: 'false' });
    open = await start();
  });
  afterAll(async () => {
    await closed.close();
    await open.close();
  });

  const cases = [
    [
      'an enum value in the document',
      {
        query: `mutation { chat(model: "${MODEL}", messages: [{ role: USR, content: "hi" }]) { __typename } }`,
      },
    ],
    [
      'a field of an input variable',
      {
        query: `mutation($o: GenerationOptions) { complete(model: "${MODEL}", prompt: "x", options: $o) { __typename } }`,
        variables: { o: { temprature: 1 } },
      },
    ],
    [
      'an enum value in a variable',
      {
        query: `mutation($m: [ChatMessageInput!]!) { chat(model: "${MODEL}", messages: $m) { __typename } }`,
        variables: { m: [{ role: 'USR', content: 'hi' }] },
      },
    ],
    [
      'a field of a subscription',
      {
        query: `subscription { chatStream(model: "${MODEL}", messages: [{ role: USER, content: "hi" }]) { ... on ChatChunk { contnt } } }`,
      },
    ],
  ] as const;

  for (const [name, body] of cases) {
    for (const accept of ['application/graphql-response+json', 'text/event-stream']) {
      it(`${name} (${accept})`, async () => {
        const hidden = await (await closed.post(body, { accept })).text();
        expect(hidden).toMatch(/error/i);
        expect(hidden).not.toMatch(/did you mean/i);
        // The same request with introspection on does suggest: the check above is not vacuous.
        expect(await (await open.post(body, { accept })).text()).toMatch(/Did you mean/);
      });
    }
  }
});

describe('failed and cancelled operations are logged and counted as such', () => {
  let running: Running;
  beforeAll(async () => {
    running = await start({
      UPSTREAM_MAX_RETRIES: '0',
      MODELS_CACHE_TTL_MS: '0',
      MODELS_REFRESH_MIN_INTERVAL_MS: '0',
    });
  });
  afterAll(() => running.close());
  afterEach(() => running.sim.clearFaults());

  const operation = (id: string) =>
    running.lines.find((l) => l.msg === 'operation' && l.requestId === id);

  it('models during an outage: outcome error, its code, and the upstream call it made', async () => {
    running.sim.inject({ path: '/v1/models', status: 503, times: Infinity });
    const response = await running.post(
      { query: '{ models { id } }' },
      { 'x-request-id': 'outage-1' },
    );
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('UPSTREAM_UNAVAILABLE');
    await expect.poll(() => operation('outage-1')).toBeDefined();
    expect(operation('outage-1')).toMatchObject({
      outcome: 'error',
      errorCode: 'UPSTREAM_UNAVAILABLE',
      upstreamCalls: 1,
      upstreamStatus: 503,
    });
    const metrics = await (await fetch(`${running.server.url}/metrics`)).text();
    expect(metrics).toMatch(
      /nim_graphql_operations_total\{operation="anonymous",type="query",outcome="error"\} 1/,
    );
  });

  it('a refusal is logged with its code', async () => {
    await running.post({ query: '{ models { idd } }' }, { 'x-request-id': 'refused-1' });
    await expect.poll(() => operation('refused-1')).toBeDefined();
    expect(operation('refused-1')).toMatchObject({
      outcome: 'refused',
      errorCode: 'GRAPHQL_VALIDATION_FAILED',
      status: 400,
    });
  });

  it('a mutation whose client left is logged as cancelled', async () => {
    running.sim.inject({ path: '/v1/completions', delayMs: 2000 });
    const controller = new AbortController();
    const pending = running.post(
      {
        query: `mutation { complete(model: "${MODEL}", prompt: "x", maxTokens: 4) { __typename } }`,
      },
      { 'x-request-id': 'gone-1' },
      controller.signal,
    );
    await expect.poll(() => running.sim.countRequests('/v1/completions')).toBe(1);
    controller.abort();
    await expect(pending).rejects.toThrow();
    await expect.poll(() => operation('gone-1'), { timeout: 5000 }).toBeDefined();
    expect(operation('gone-1')).toMatchObject({ outcome: 'cancelled' });
  });
});

describe('the last line of defence', () => {
  it('logs and counts an error nothing caught, instead of letting the process die', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const metrics = new GatewayMetrics();
    const target = new EventEmitter() as unknown as NodeJS.Process;
    const guard = installLastResort(createLogger('info', sink), metrics, target);
    (target as unknown as EventEmitter).emit('uncaughtException', new Error('boom'));
    (target as unknown as EventEmitter).emit('unhandledRejection', new Error('late'));
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/nim_graphql_escaped_errors_total\{kind="uncaughtException"\} 1/);
    expect(text).toMatch(/nim_graphql_escaped_errors_total\{kind="unhandledRejection"\} 1/);
    expect(lines.map((l) => l.kind)).toEqual(['uncaughtException', 'unhandledRejection']);
    guard.uninstall();
    expect((target as unknown as EventEmitter).listenerCount('uncaughtException')).toBe(0);
  });
});

describe('single-connection streams belong to the caller that reserved them', () => {
  const K1 = 'first-client-key-0123456789';
  const K2 = 'second-client-key-012345678';
  let running: Running;
  beforeAll(async () => {
    running = await start({ GATEWAY_API_KEYS: `${K1},${K2}` });
  });
  afterAll(() => running.close());

  it('another key cannot open, post to or read a stream by its token; its owner can', async () => {
    const url = `${running.endpoint}/stream`;
    const as = (key: string, token: string) => ({
      authorization: `Bearer ${key}`,
      'x-graphql-event-stream-token': token,
    });
    const token = await (
      await fetch(url, { method: 'PUT', headers: { authorization: `Bearer ${K1}` } })
    ).text();
    const stolen = await fetch(url, { headers: { ...as(K2, token), accept: 'text/event-stream' } });
    expect(stolen.status).toBe(404);
    expect(await stolen.text()).toContain('NOT_FOUND');
    const posted = await fetch(url, {
      method: 'POST',
      headers: { ...as(K2, token), 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ models { id } }', extensions: { operationId: 'x' } }),
    });
    expect(posted.status).toBe(404);
    const controller = new AbortController();
    const own = await fetch(url, {
      headers: { ...as(K1, token), accept: 'text/event-stream' },
      signal: controller.signal,
    });
    expect(own.status).toBe(200);
    const accepted = await fetch(url, {
      method: 'POST',
      headers: { ...as(K1, token), 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ models { id } }', extensions: { operationId: 'mine' } }),
    });
    expect(accepted.status).toBe(202);
    controller.abort();
  });
});

describe('requests no handler can name', () => {
  let running: Running;
  beforeAll(async () => {
    running = await start();
  });
  afterAll(() => running.close());

  const raw = async (bytes: string) => {
    const { connect } = await import('node:net');
    const url = new URL(running.endpoint);
    return new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = connect(Number(url.port), url.hostname, () => socket.end(bytes));
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
  };

  it('a Host that is no host, or a target that is not a path: 400 JSON with a request id and a log line, no stack', async () => {
    for (const head of [
      'GET /health/live HTTP/1.1\r\nHost: a b',
      'GET /graphql HTTP/1.1\r\nHost: x:abc',
      'POST http://elsewhere.example/graphql HTTP/1.1\r\nHost: 127.0.0.1',
    ]) {
      const answer = await raw(
        `${head}\r\nx-request-id: odd-${head.length}\r\ncontent-length: 0\r\n\r\n`,
      );
      expect(answer, head).toMatch(/^HTTP\/1\.1 400/);
      expect(answer, head).toMatch(/x-request-id: odd-/i);
      expect(answer, head).toContain('"code":"BAD_REQUEST"');
      expect(answer, head).not.toMatch(/node_modules|\n\s+at |TypeError/);
      await expect
        .poll(() =>
          running.lines.some(
            (l) => l.requestId === `odd-${head.length}` && l.errorCode === 'BAD_REQUEST',
          ),
        )
        .toBe(true);
    }
  });

  it('what Node itself refuses (headers over its limit, broken HTTP) is JSON with a request id too', async () => {
    const long = await raw(
      `GET /graphql?x=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
    );
    expect(long).toMatch(/^HTTP\/1\.1 431/);
    expect(long).toContain('"code":"HEADERS_TOO_LARGE"');
    expect(long).toMatch(/x-request-id: /i);
    const broken = await raw('NOT HTTP AT ALL\r\n\r\n');
    expect(broken).toMatch(/^HTTP\/1\.1 400/);
    expect(broken).toContain('"code":"BAD_REQUEST"');
  });

  it('health checks, metrics and unknown paths carry a request id; unknown paths are logged', async () => {
    for (const path of ['/health/live', '/metrics', '/healthz']) {
      const response = await fetch(new URL(path, running.endpoint), {
        headers: { 'x-request-id': `id-${path}` },
      });
      expect(response.headers.get('x-request-id'), path).toBe(`id-${path}`);
    }
    await expect
      .poll(() => running.lines.some((l) => l.requestId === 'id-/healthz' && l.status === 404))
      .toBe(true);
    expect(running.lines.some((l) => l.requestId === 'id-/health/live')).toBe(false);
  });
});

describe('an upstream outage is news at warn level', () => {
  it('logs the circuit opening and closing as warnings', async () => {
    const running = await start({
      UPSTREAM_MAX_RETRIES: '0',
      UPSTREAM_BREAKER_FAILURES: '2',
      UPSTREAM_BREAKER_COOLDOWN_MS: '200',
    });
    try {
      running.sim.inject({ path: '/v1/completions', status: 500, times: 2 });
      const complete = {
        query: `mutation { complete(model: "${MODEL}", prompt: "x", maxTokens: 2) { __typename } }`,
      };
      for (let i = 0; i < 2; i++) await (await running.post(complete)).text();
      const warned = (circuit: string) =>
        running.lines.some((l) => l.level === 40 && l.circuit === circuit);
      await expect.poll(() => warned('open')).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 250));
      await (await running.post(complete)).text();
      await expect.poll(() => warned('closed')).toBe(true);
    } finally {
      await running.close();
    }
  });
});
