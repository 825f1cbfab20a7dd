// NimClient and its transport as their caller (the schema's resolvers) sees them, against real
// upstreams on 127.0.0.1: what each call sends and returns, every failure as the NimError it
// becomes, the attempts reported to observers, the circuit, the pool's stats, and closing.
import { getEventListeners } from 'node:events';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, type GatewayConfig } from '../../src/config.ts';
import { NimClient, type UpstreamAttempt } from '../../src/nim/client.ts';
import { NimError } from '../../src/nim/errors.ts';
import type { GenerationParams } from '../../src/nim/params.ts';
import { startSimulator, type Simulator } from '../../src/simulator/server.ts';
import { sendModels, startUpstream, type Answer, type TestUpstream } from '../support/upstream.ts';

const MODEL = 'sim/lorem-8b-instruct';
const closing: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

/** A client of `url` as the gateway builds it from its environment (no retries unless asked). */
function client(url: string, env: Record<string, string> = {}): NimClient {
  const config = loadConfig({
    NIM_PROXY_BASE_URL: url,
    UPSTREAM_MAX_RETRIES: '0',
    ...env,
  }) as GatewayConfig;
  const nim = new NimClient({ ...config.upstream, baseUrl: url }, config.resilience);
  closing.push(() => nim.close(0));
  return nim;
}

async function upstream(answer: Answer): Promise<TestUpstream> {
  const started = await startUpstream(answer);
  closing.push(() => started.close());
  return started;
}

async function simulator(): Promise<Simulator> {
  const sim = await startSimulator();
  closing.push(() => sim.close());
  return sim;
}

/** The NimError (or other value) a call fails with. */
async function failure(call: Promise<unknown> | AsyncIterable<unknown>): Promise<NimError> {
  try {
    if (call instanceof Promise) await call;
    else for await (const _ of call) void _;
  } catch (error) {
    return error as NimError;
  }
  throw new Error('the call succeeded');
}

function json(res: ServerResponse, status: number, body: unknown, headers = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

const CHUNK = JSON.stringify({
  id: 'c-1',
  object: 'chat.completion.chunk',
  created: 1,
  model: MODEL,
  choices: [{ index: 0, delta: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
});
const chat = { model: MODEL, messages: [{ role: 'user' as const, content: 'Hi' }], maxTokens: 4 };

describe('what each call sends and returns', () => {
  it('lists models, completes, chats, embeds and ranks at their paths', async () => {
    const sim = await simulator();
    const nim = client(sim.url);
    expect((await nim.listModels()).map((card) => card.id)).toContain(MODEL);
    const completion = await nim.complete({ model: MODEL, prompt: 'Once', maxTokens: 3 });
    expect(completion.choices[0]!.text).toMatch(/\S/);
    const answer = await nim.chat(chat);
    expect(answer.choices[0]!.message.content).toMatch(/\S/);
    const embedded = await nim.embed({
      model: 'sim/lorem-embed-1b',
      input: ['a', 'b'],
      input_type: 'query',
      encoding_format: 'float',
    });
    expect(embedded.data).toHaveLength(2);
    const ranked = await nim.rank({
      model: 'sim/lorem-rerank-1b',
      query: { text: 'q' },
      passages: [{ text: 'p1' }, { text: 'p2' }],
    });
    expect(ranked.rankings).toHaveLength(2);
    expect(sim.requests.map(({ method, path }) => `${method} ${path}`)).toEqual([
      'GET /v1/models',
      'POST /v1/completions',
      'POST /v1/chat/completions',
      'POST /v1/embeddings',
      'POST /v1/ranking',
    ]);
    expect(sim.requests[1]!.body).toMatchObject({ model: MODEL, prompt: 'Once', max_tokens: 3 });
    expect(sim.requests[2]!.body).toMatchObject({ model: MODEL, max_tokens: 4 });
    expect(sim.requests[3]!.body).toMatchObject({ input: ['a', 'b'], input_type: 'query' });
  });

  it('streams chats and completions, asking for a stream with its usage, each choice assembled', async () => {
    const sim = await simulator();
    const nim = client(sim.url);
    const parts = [];
    for await (const read of nim.streamChat({ ...chat, params: { n: 2 } })) parts.push(...read);
    const done = parts.at(-1)!;
    expect(done.type).toBe('done');
    if (done.type === 'done') expect(done.result.choices).toHaveLength(2);
    expect(parts.filter((part) => part.type === 'delta').length).toBeGreaterThan(0);
    const completion = [];
    for await (const read of nim.streamCompletion({ model: MODEL, prompt: 'Once', maxTokens: 3 }))
      completion.push(...read);
    const last = completion.at(-1)!;
    expect(last.type).toBe('done');
    if (last.type === 'done') expect(last.result.choices).toHaveLength(1);
    expect(sim.requests.map(({ path, body }) => [path, body])).toMatchObject([
      ['/v1/chat/completions', { stream: true, stream_options: { include_usage: true }, n: 2 }],
      ['/v1/completions', { stream: true, stream_options: { include_usage: true } }],
    ]);
  });

  it('sends rankings to their own upstream when one is named, and hears both', async () => {
    const sim = await simulator();
    const ranking = await simulator();
    const nim = client(sim.url, { NIM_RANKING_BASE_URL: ranking.url });
    const attempts: UpstreamAttempt[] = [];
    nim.onAttempts((attempt) => attempts.push(attempt));
    await nim.rank({
      model: 'sim/lorem-rerank-1b',
      query: { text: 'q' },
      passages: [{ text: 'p' }],
    });
    await nim.listModels();
    expect(ranking.requests.map(({ path }) => path)).toEqual(['/v1/ranking']);
    expect(sim.requests.map(({ path }) => path)).toEqual(['/v1/models']);
    expect(attempts.map(({ endpoint, status }) => `${endpoint} ${status}`)).toEqual([
      '/v1/ranking 200',
      '/v1/models 200',
    ]);
  });

  it('reports each attempt once when rankings go to the same upstream', async () => {
    const sim = await simulator();
    const nim = client(sim.url, { NIM_RANKING_BASE_URL: sim.url });
    const attempts: UpstreamAttempt[] = [];
    nim.onAttempts((attempt) => attempts.push(attempt));
    const before = performance.now();
    await nim.rank({
      model: 'sim/lorem-rerank-1b',
      query: { text: 'q' },
      passages: [{ text: 'p' }],
    });
    const took = performance.now() - before;
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ endpoint: '/v1/ranking', status: 200 });
    // The attempt's duration is part of the call's.
    expect(attempts[0]!.ms).toBeGreaterThanOrEqual(0);
    expect(attempts[0]!.ms).toBeLessThanOrEqual(took);
  });

  it('counts rankings against the one circuit when they go to the same upstream', async () => {
    const up = await upstream((_req, res) => json(res, 503, { error: { message: 'busy' } }));
    const nim = client(up.url, { NIM_RANKING_BASE_URL: up.url, UPSTREAM_BREAKER_FAILURES: '1' });
    await failure(nim.rank({ model: 'r', query: { text: 'q' }, passages: [{ text: 'p' }] }));
    expect(nim.circuit().state).toBe('open');
  });

  it('hears the circuit of a ranking upstream of its own', async () => {
    const up = await upstream((_req, res) => sendModels(res, MODEL));
    const ranking = await upstream((_req, res) => json(res, 503, { error: { message: 'busy' } }));
    const nim = client(up.url, {
      NIM_RANKING_BASE_URL: ranking.url,
      UPSTREAM_BREAKER_FAILURES: '1',
    });
    const changes: string[] = [];
    nim.onCircuitChange((change) => changes.push(change.to));
    await failure(nim.rank({ model: 'r', query: { text: 'q' }, passages: [{ text: 'p' }] }));
    expect(changes).toEqual(['open']);
    expect(nim.circuit().state).toBe('closed');
  });

  it('forwards the caller’s headers, which never replace the key, the accept or the content type', async () => {
    const seen: Record<string, string | string[] | undefined>[] = [];
    const up = await upstream((req, res) => {
      seen.push(req.headers);
      sendModels(res, MODEL);
    });
    const nim = client(up.url, { NIM_PROXY_API_KEY: 'nvapi-headers' });
    const headers = {
      'x-request-id': 'req-1',
      authorization: 'Bearer stolen',
      accept: 'text/plain',
      'content-type': 'text/plain',
    };
    await nim.listModels({ headers });
    await failure(nim.embed({ model: 'm', input: ['a'], encoding_format: 'float' }, { headers }));
    expect(seen[0]).toMatchObject({
      'x-request-id': 'req-1',
      authorization: 'Bearer nvapi-headers',
      accept: 'application/json',
      'content-type': 'text/plain',
    });
    expect(seen[1]).toMatchObject({
      authorization: 'Bearer nvapi-headers',
      accept: 'application/json',
      'content-type': 'application/json',
    });
  });

  it('calls under the base URL’s path, its trailing slashes dropped', async () => {
    const paths: string[] = [];
    const seen = await upstream((req, res) => {
      paths.push(req.url ?? '');
      sendModels(res, MODEL);
    });
    await client(`${seen.url}/nim//`).listModels();
    await client(`${seen.url}/a/b/`).listModels();
    expect(paths).toEqual(['/nim/v1/models', '/a/b/v1/models']);
  });

  it('sends no authorization without a key', async () => {
    const seen: Record<string, string | string[] | undefined>[] = [];
    const up = await upstream((req, res) => {
      seen.push(req.headers);
      sendModels(res, MODEL);
    });
    await client(up.url).listModels();
    expect(seen[0]!.authorization).toBeUndefined();
  });

  it('refuses a body that cannot be JSON as the caller’s input, asking the upstream nothing', async () => {
    const up = await upstream((_req, res) => sendModels(res, MODEL));
    const nim = client(up.url);
    const attempts: UpstreamAttempt[] = [];
    nim.onAttempts((attempt) => attempts.push(attempt));
    const error = await failure(
      nim.embed({
        model: 'm',
        input: ['a'],
        encoding_format: 'float',
        dimensions: 1n as unknown as number,
      }),
    );
    expect(error).toBeInstanceOf(NimError);
    expect(error).toMatchObject({ kind: 'bad_request', model: 'm' });
    expect(error.message).toMatch(/^the request cannot be sent as JSON: .*BigInt/);
    const streamed = await failure(
      nim.streamChat({ ...chat, extra: { big: 1n } as Record<string, unknown> }),
    );
    expect(streamed).toMatchObject({ kind: 'bad_request', model: MODEL });
    expect(up.asked).toEqual([]);
    expect(attempts).toEqual([]);
  });
});

describe('JSON answers that are not what was asked', () => {
  it('classifies an error status, with its status and model, reported as the attempt’s status', async () => {
    const up = await upstream((_req, res) =>
      json(
        res,
        429,
        { error: { message: 'slow down', type: 'rate_limit' } },
        { 'retry-after': '7' },
      ),
    );
    const nim = client(up.url);
    const attempts: UpstreamAttempt[] = [];
    nim.onAttempts((attempt) => attempts.push(attempt));
    const error = await failure(nim.chat(chat));
    expect(error).toMatchObject({ status: 429, model: MODEL, retryAfterSeconds: 7 });
    expect(error.message).toContain('slow down');
    expect(attempts.map(({ endpoint, status }) => `${endpoint} ${status}`)).toEqual([
      '/v1/chat/completions 429',
    ]);
  });

  it('refuses a 3xx (redirects are not followed), whatever its body', async () => {
    const up = await upstream((req, res) => {
      if (req.url === '/v1/models') {
        res.writeHead(300, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: [] }));
        return;
      }
      res.writeHead(300, { 'content-type': 'text/event-stream' });
      res.end(`data: ${CHUNK}\n\ndata: [DONE]\n\n`);
    });
    const nim = client(up.url);
    expect(await failure(nim.listModels())).toMatchObject({ status: 300 });
    expect(await failure(nim.streamChat(chat))).toMatchObject({ status: 300, model: MODEL });
  });

  it('says a 2xx body in the wrong shape, or not JSON, is malformed', async () => {
    const bodies = ['{"object":"list"}', 'not json'];
    const up = await upstream((_req, res) => json(res, 200, bodies.shift()!));
    const nim = client(up.url);
    for (let i = 0; i < 2; i++) {
      const error = await failure(nim.listModels());
      expect(error).toBeInstanceOf(NimError);
      expect(error).toMatchObject({ kind: 'upstream', status: 200, model: null });
      expect(error.message).toBe('upstream sent a malformed /v1/models response');
    }
  });

  it('classifies an error sent in a 200 body', async () => {
    const up = await upstream((_req, res) =>
      json(res, 200, { error: { message: 'bad temperature', code: 400 } }),
    );
    const error = await failure(client(up.url).chat(chat));
    expect(error).toMatchObject({ kind: 'bad_request', status: 400, model: MODEL });
    expect(error.message).toContain('bad temperature');
  });

  it('refuses a 2xx body over the response limit', async () => {
    const up = await upstream((_req, res) => json(res, 200, `"${'x'.repeat(4096)}"`));
    const error = await failure(
      client(up.url, { UPSTREAM_MAX_RESPONSE_BYTES: '1024' }).complete({
        model: MODEL,
        prompt: 'p',
        maxTokens: 1,
      }),
    );
    expect(error).toBeInstanceOf(NimError);
    expect(error).toMatchObject({ kind: 'upstream', status: 200, model: MODEL });
    expect(error.message).toMatch(/^upstream \/v1\/completions response .*1024/);
  });
});

describe('the upstream key in what the upstream sends back', () => {
  const KEY = 'nvapi-a/b+c.d';

  it('is redacted as is and percent-encoded in either case', async () => {
    const bodies = [
      { error: { message: `bad key ${KEY}, again ${KEY}` } },
      { error: { message: `bad key ${encodeURIComponent(KEY).toLowerCase()}` } },
      `bad key ${encodeURIComponent(KEY)}`,
    ];
    const up = await upstream((_req, res) => json(res, 401, bodies.shift()!));
    const nim = client(up.url, { NIM_PROXY_API_KEY: KEY });
    for (let i = 0; i < 3; i++) {
      const error = await failure(nim.listModels());
      expect(error.status).toBe(401);
      expect(error.message).toContain('bad key [redacted]');
      if (i === 0) expect(error.message).toContain('again [redacted]');
      expect(error.message.toLowerCase()).not.toContain('nvapi');
    }
  });

  it('loses its first part where the read limit cut it in two', async () => {
    const up = await upstream((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`refused${' '.repeat(1024 - 'refused'.length - 5)}${KEY}${'.'.repeat(2048)}`);
    });
    const error = await failure(
      client(up.url, { NIM_PROXY_API_KEY: KEY, UPSTREAM_MAX_RESPONSE_BYTES: '1024' }).listModels(),
    );
    expect(error.status).toBe(500);
    expect(error.message).toBe('upstream answered 500: refused');
  });

  it('keeps the whole of a body the read limit did not cut', async () => {
    const up = await upstream((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('refused nvapi');
    });
    const error = await failure(client(up.url, { NIM_PROXY_API_KEY: KEY }).listModels());
    expect(error.message).toContain('refused nvapi');
  });
});

describe('timeouts, aborts and lost upstreams', () => {
  it('gives up on headers that do not come, and on a body that stops', async () => {
    const up = await upstream((req, res) => {
      if (req.url === '/v1/models') return; // never answers
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"object":');
    });
    const nim = client(up.url, {
      UPSTREAM_HEADERS_TIMEOUT_MS: '100',
      UPSTREAM_BODY_TIMEOUT_MS: '100',
    });
    expect(await failure(nim.listModels())).toMatchObject({ kind: 'timeout', phase: 'headers' });
    expect(await failure(nim.chat(chat))).toMatchObject({
      kind: 'timeout',
      phase: 'body',
      model: MODEL,
    });
  });

  it('gives up on a call that outlasts the total timeout', async () => {
    const up = await upstream(() => undefined);
    const error = await failure(client(up.url, { UPSTREAM_TOTAL_TIMEOUT_MS: '100' }).chat(chat));
    expect(error).toBeInstanceOf(NimError);
    expect(error).toMatchObject({ kind: 'timeout', phase: 'total', model: MODEL });
    expect(error.message).toBe('upstream took longer than 100 ms');
  });

  it('fails with the caller’s own reason when the caller aborts', async () => {
    const up = await upstream(() => undefined);
    const nim = client(up.url);
    const reason = new Error('client gone');
    const controller = new AbortController();
    const call = failure(nim.chat(chat, { signal: controller.signal }));
    const streamController = new AbortController();
    const stream = failure(nim.streamChat(chat, { signal: streamController.signal }));
    while (up.asked.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(reason);
    streamController.abort(reason);
    expect(await call).toBe(reason);
    expect(await stream).toBe(reason);
  });

  it('calls an upstream that refuses connections unavailable, with attempt status 0', async () => {
    const up = await upstream(() => undefined);
    const url = up.url;
    await up.close();
    const nim = client(url);
    const attempts: UpstreamAttempt[] = [];
    nim.onAttempts((attempt) => attempts.push(attempt));
    expect(await failure(nim.listModels())).toMatchObject({ kind: 'unavailable', status: null });
    expect(await failure(nim.streamChat(chat))).toMatchObject({
      kind: 'unavailable',
      status: null,
      model: MODEL,
    });
    expect(attempts.map(({ endpoint, status }) => `${endpoint} ${status}`)).toEqual([
      '/v1/models 0',
      '/v1/chat/completions 0',
    ]);
  });

  it('calls a connection lost once headers came a cut answer, and one lost before them unreachable', async () => {
    const up = await upstream((req, res) => {
      if (req.url === '/v1/models') return req.socket.destroy();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      setTimeout(() => req.socket.destroy(), 20);
    });
    const nim = client(up.url);
    const before = await failure(nim.listModels());
    expect(before).toMatchObject({ kind: 'unavailable', status: null });
    expect(before.message).toBe('upstream unreachable (UND_ERR_SOCKET)');
    const cut = await failure(nim.chat(chat));
    expect(cut).toMatchObject({ kind: 'unavailable', model: MODEL });
    expect(cut.message).toBe(
      'upstream connection lost mid-answer (UND_ERR_SOCKET): the answer was cut',
    );
    const streamed = await failure(nim.streamChat(chat));
    expect(streamed.message).toBe(
      'upstream connection lost mid-answer (UND_ERR_SOCKET): the answer was cut',
    );
  });

  it('cuts what still runs when closing outlasts its grace', async () => {
    const up = await upstream(() => undefined);
    const config = loadConfig({ NIM_PROXY_BASE_URL: up.url }) as GatewayConfig;
    const nim = new NimClient({ ...config.upstream, baseUrl: up.url }, config.resilience);
    const call = failure(nim.listModels());
    while (up.asked.length < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    await nim.close(50);
    expect(await call).toBeInstanceOf(NimError);
  });
});

describe('streams that do not open', () => {
  it('classifies an error status, reported as the attempt’s status', async () => {
    const up = await upstream((_req, res) =>
      json(res, 400, { error: { message: 'bad temperature', param: 'temperature' } }),
    );
    const nim = client(up.url);
    const attempts: UpstreamAttempt[] = [];
    nim.onAttempts((attempt) => attempts.push(attempt));
    const error = await failure(nim.streamChat(chat));
    expect(error).toMatchObject({ status: 400, param: 'temperature', model: MODEL });
    expect(attempts.map(({ endpoint, status }) => `${endpoint} ${status}`)).toEqual([
      '/v1/chat/completions 400',
    ]);
  });

  it('classifies a JSON error where the stream was asked for, and calls anything else a broken stream', async () => {
    const answers: ((res: ServerResponse) => void)[] = [
      (res) => json(res, 200, { error: { message: 'model is loading', code: 503 } }),
      (res) => {
        // A body that never ends: only throwing it away frees the connection.
        res.writeHead(200, { 'content-type': 'text/html' });
        res.write('<html>login');
      },
      (res) => {
        res.removeHeader('content-type');
        res.writeHead(200);
        res.end('hello');
      },
      (res) => json(res, 200, { id: 'not an error' }),
    ];
    const up = await upstream((_req, res) => answers.shift()!(res));
    const nim = client(up.url);
    const loading = await failure(nim.streamChat(chat));
    expect(loading).toMatchObject({ status: 503, model: MODEL });
    expect(loading.message).toContain('model is loading');
    const html = await failure(nim.streamChat(chat));
    expect(html).toMatchObject({ kind: 'upstream', status: 200, model: MODEL });
    expect(html.message).toBe('upstream stream was not an event stream (content-type text/html)');
    expect((await failure(nim.streamChat(chat))).message).toBe(
      'upstream stream was not an event stream (content-type missing)',
    );
    expect((await failure(nim.streamChat(chat))).message).toBe(
      'upstream stream was not an event stream (content-type application/json)',
    );
    // Each body was thrown away, not left holding its connection.
    for (let i = 0; i < 100 && nim.stats().running > 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(nim.stats().running).toBe(0);
  });

  it('reads at most the response limit of a JSON answer to a stream', async () => {
    const up = await upstream((_req, res) =>
      json(res, 200, { error: { message: `loading ${'.'.repeat(2048)}`, code: 503 } }),
    );
    const error = await failure(
      client(up.url, { UPSTREAM_MAX_RESPONSE_BYTES: '1024' }).streamChat(chat),
    );
    expect(error.message).toBe(
      'upstream stream was not an event stream (content-type application/json)',
    );
  });

  it('gives up on a stream whose headers do not come within the first-token timeout', async () => {
    const up = await upstream(() => undefined);
    const error = await failure(
      client(up.url, { STREAM_FIRST_TOKEN_TIMEOUT_MS: '100' }).streamChat(chat),
    );
    expect(error).toMatchObject({ kind: 'timeout', phase: 'first_token', model: MODEL });
  });
});

describe('open streams', () => {
  function sse(res: ServerResponse, type = 'text/event-stream'): void {
    res.writeHead(200, { 'content-type': type });
    res.flushHeaders();
  }

  it('accepts an event stream’s content type in any case', async () => {
    const up = await upstream((_req, res) => {
      sse(res, 'Text/Event-Stream; charset=utf-8');
      res.end(`data: ${CHUNK}\n\ndata: [DONE]\n\n`);
    });
    const nim = client(up.url);
    const attempts: UpstreamAttempt[] = [];
    nim.onAttempts((attempt) => attempts.push(attempt));
    const parts = [];
    for await (const read of nim.streamChat(chat)) parts.push(...read);
    expect(parts.at(-1)).toMatchObject({ type: 'done' });
    expect(attempts.map(({ endpoint, status }) => `${endpoint} ${status}`)).toEqual([
      '/v1/chat/completions 200',
    ]);
    expect(nim.stats()).toMatchObject({ inFlight: 0, queued: 0 });
  });

  it('does not count the time its consumer takes as upstream silence', async () => {
    const up = await upstream((_req, res) => {
      sse(res);
      res.write(`data: ${CHUNK}\n\n`);
      setTimeout(() => res.write(`data: ${CHUNK}\n\n`), 20);
      setTimeout(() => res.end(`data: ${CHUNK}\n\ndata: [DONE]\n\n`), 40);
    });
    const stream = client(up.url, { STREAM_IDLE_TIMEOUT_MS: '100' }).streamChat(chat);
    const parts = [...(await stream.next()).value!, ...(await stream.next()).value!];
    // The consumer holds the second read (the idle clock's) for three idle timeouts; the rest is
    // waiting upstream.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for await (const read of stream) parts.push(...read);
    expect(parts.map((part) => part.type)).toEqual(['delta', 'delta', 'delta', 'done']);
  });

  it('gives the chunks of a read before a bad event in it, then the typed error', async () => {
    const up = await upstream((_req, res) => {
      sse(res);
      res.end(`data: ${CHUNK}\n\ndata: ${CHUNK}\n\ndata: {not json\n\n`);
    });
    const parts: unknown[] = [];
    const error = await (async () => {
      try {
        for await (const read of client(up.url).streamChat(chat)) parts.push(...read);
      } catch (caught) {
        return caught;
      }
    })();
    expect(parts).toHaveLength(2);
    expect(error).toMatchObject({ message: 'upstream stream sent an event that is not JSON' });
  });

  it('keeps the connection after [DONE]', async () => {
    const sim = await simulator();
    // The response ends a little after [DONE]: closing the body at [DONE] would lose the connection.
    sim.inject({ path: '/v1/chat/completions', endDelayMs: 40, times: Infinity });
    const nim = client(sim.url);
    let before = 0;
    for (let i = 0; i < 5; i++) {
      if (i === 1) before = sim.connections();
      const parts = [];
      for await (const read of nim.streamChat(chat)) parts.push(...read);
      expect(parts.at(-1)).toMatchObject({ type: 'done' });
      // The rest of the response is read after [DONE], and the connection goes back to the pool.
      while (nim.stats().running > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // Closing the body at [DONE] would cost a connection per stream.
    expect(sim.connections() - before).toBeLessThanOrEqual(1);
  });

  it('holds its slot while open and frees it, closing the body, when the caller leaves', async () => {
    let closed = 0;
    const up = await upstream((_req, res) => {
      sse(res);
      res.write(`data: ${CHUNK.replace('"stop"', 'null')}\n\n`);
      res.on('close', () => closed++);
    });
    const nim = client(up.url);
    const stream = nim.streamChat(chat);
    const first = await stream.next();
    expect(first.value).toMatchObject([{ type: 'delta' }]);
    expect(nim.stats()).toMatchObject({ inFlight: 1, queued: 0, connected: 1, running: 1 });
    await stream.return(undefined);
    expect(nim.stats()).toMatchObject({ inFlight: 0, queued: 0 });
    // Closed at once, not read off for a second as after [DONE].
    const left = performance.now();
    while (closed === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(closed).toBe(1);
    expect(performance.now() - left).toBeLessThan(800);
  });

  it('counts a stream that breaks once open against the upstream', async () => {
    const up = await upstream((req, res) => {
      sse(res);
      res.write(`data: ${CHUNK.replace('"stop"', 'null')}\n\n`);
      setTimeout(() => req.socket.destroy(), 20);
    });
    const nim = client(up.url, { UPSTREAM_BREAKER_FAILURES: '1' });
    const error = await failure(nim.streamChat(chat));
    expect(error).toMatchObject({ kind: 'unavailable', model: MODEL });
    expect(nim.circuit().state).toBe('open');
  });

  it('sends no more calls at once than it has connections: the rest wait in the pool', async () => {
    const up = await upstream((req, res) => {
      if (req.url === '/v1/models') return sendModels(res, MODEL);
      sse(res);
      res.write(`data: ${CHUNK.replace('"stop"', 'null')}\n\n`);
    });
    const nim = client(up.url, { UPSTREAM_CONNECTIONS: '1' });
    const stream = nim.streamChat(chat);
    await stream.next();
    const list = nim.listModels();
    // Either the second call waits for the one connection, or (with more) it is answered.
    let answered = false;
    const settled = () => (answered = true);
    list.then(settled, settled);
    while (!answered && nim.stats().pending === 0)
      await new Promise((resolve) => setTimeout(resolve, 5));
    expect(nim.stats()).toMatchObject({ inFlight: 2, connected: 1, running: 1, pending: 1 });
    expect(up.asked).toHaveLength(1);
    await stream.return(undefined);
    expect((await list).map((card) => card.id)).toEqual([MODEL]);
  });

  it('waits between events for the stream’s own idle timeout, not the JSON body timeout', async () => {
    // undici's timers tick about once a second: a gap of 1.5 s outlasts its body timeout of 50 ms.
    const up = await upstream((_req, res) => {
      sse(res);
      res.write(`data: ${CHUNK.replace('"stop"', 'null')}\n\n`);
      setTimeout(() => res.end(`data: ${CHUNK}\n\ndata: [DONE]\n\n`), 1500);
    });
    const parts = [];
    for await (const read of client(up.url, { UPSTREAM_BODY_TIMEOUT_MS: '50' }).streamChat(chat))
      parts.push(...read);
    expect(parts.at(-1)).toMatchObject({ type: 'done' });
  });
});

describe('how a stream counts, and what it asks', () => {
  const open = CHUNK.replace('"stop"', 'null');

  it('counts a stream that reaches [DONE] as a success and one its caller left as nothing', async () => {
    const up = await upstream((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (req.headers['x-leave'] === undefined) res.end(`data: ${CHUNK}\n\ndata: [DONE]\n\n`);
      else res.write(`data: ${open}\n\n`);
    });
    // One failure would open the circuit.
    const nim = client(up.url, { UPSTREAM_BREAKER_FAILURES: '1' });
    for (let i = 0; i < 2; i++) {
      const parts = [];
      for await (const read of nim.streamChat(chat)) parts.push(...read);
      expect(parts.at(-1)).toMatchObject({ type: 'done' });
      const left = nim.streamChat(chat, { headers: { 'x-leave': '1' } });
      expect((await left.next()).value).toMatchObject([{ type: 'delta' }]);
      await left.return(undefined);
    }
    expect(nim.circuit()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });

  it('hears a retried stream opening under its endpoint', async () => {
    let calls = 0;
    const up = await upstream((_req, res) => {
      if (++calls === 1) return json(res, 503, { error: { message: 'busy' } });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`data: ${CHUNK}\n\ndata: [DONE]\n\n`);
    });
    const nim = client(up.url, {
      UPSTREAM_MAX_RETRIES: '1',
      UPSTREAM_RETRY_BASE_DELAY_MS: '1',
      UPSTREAM_RETRY_BUDGET_RATIO: '1',
    });
    const retries: string[] = [];
    nim.onAttempts(
      () => undefined,
      (endpoint) => retries.push(endpoint),
    );
    const parts = [];
    for await (const read of nim.streamChat(chat)) parts.push(...read);
    expect(parts.at(-1)).toMatchObject({ type: 'done' });
    expect(retries).toEqual(['/v1/chat/completions']);
  });

  it('gives a retried stream opening a first-token clock of its own', async () => {
    // Each attempt answers after 600 ms (the first a 503): the second answers 1.2 s after the first
    // began, within its own 1 s, not the first attempt's.
    let calls = 0;
    const up = await upstream((_req, res) => {
      const first = ++calls === 1;
      setTimeout(() => {
        if (first) return json(res, 503, { error: { message: 'busy' } });
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(`data: ${CHUNK}\n\ndata: [DONE]\n\n`);
      }, 600);
    });
    const nim = client(up.url, {
      UPSTREAM_MAX_RETRIES: '1',
      UPSTREAM_RETRY_BASE_DELAY_MS: '1',
      UPSTREAM_RETRY_BUDGET_RATIO: '1',
      STREAM_FIRST_TOKEN_TIMEOUT_MS: '1000',
    });
    const parts = [];
    for await (const read of nim.streamChat(chat)) parts.push(...read);
    expect(parts.at(-1)).toMatchObject({ type: 'done' });
    expect(calls).toBe(2);
  });

  it('fails with the caller’s own reason when the caller aborts before the stream opens', async () => {
    const up = await upstream(() => undefined);
    // Nor is it the upstream's failure: one would open the circuit.
    const nim = client(up.url, { UPSTREAM_BREAKER_FAILURES: '1' });
    const caller = new AbortController();
    const stream = nim.streamChat(chat, { signal: caller.signal });
    setTimeout(() => caller.abort(new Error('the client left')), 50);
    const error = await failure(stream);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(NimError);
    expect(error.message).toBe('the client left');
    expect(nim.circuit()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });

  it('reads an error only from a JSON answer to a stream: an error-shaped text/plain is a broken stream', async () => {
    const up = await upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(JSON.stringify({ error: { message: 'model is loading', code: 503 } }));
    });
    const error = await failure(client(up.url).streamChat(chat));
    expect(error).toMatchObject({ kind: 'upstream', status: 200 });
    expect(error.message).toBe('upstream stream was not an event stream (content-type text/plain)');
  });

  it('waits for every choice asked for: n 2 with one finished at [DONE] is cut short', async () => {
    const up = await upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`data: ${CHUNK}\n\ndata: [DONE]\n\n`);
    });
    const nim = client(up.url);
    const options: GenerationParams = { n: 2 };
    const cut = await failure(nim.streamChat({ ...chat, params: options }));
    expect(cut).toBeInstanceOf(NimError);
    const completion = { model: MODEL, prompt: 'Hi', maxTokens: 4, params: options };
    const text = JSON.stringify({
      id: 'c-2',
      object: 'text_completion',
      created: 1,
      model: MODEL,
      choices: [{ index: 0, text: 'hi', finish_reason: 'stop' }],
    });
    const up2 = await upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`data: ${text}\n\ndata: [DONE]\n\n`);
    });
    expect(await failure(client(up2.url).streamCompletion(completion))).toBeInstanceOf(NimError);
  });
});

describe('what one caller leaves behind', () => {
  it('no abort listener on a signal shared by many calls, and no timer per call', async () => {
    const up = await upstream((_req, res) => sendModels(res, MODEL));
    const nim = client(up.url, { UPSTREAM_TOTAL_TIMEOUT_MS: '600000' });
    const signal = new AbortController().signal;
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    await nim.listModels({ signal });
    const before = timers();
    for (let i = 0; i < 10; i++) await nim.listModels({ signal });
    expect(getEventListeners(signal, 'abort')).toEqual([]);
    expect(timers() - before).toBeLessThan(5);
  });
});

describe('what observers hear', () => {
  it('hears retries, the circuit open, and the upstream answer', async () => {
    let calls = 0;
    const up = await upstream((_req, res) => {
      calls++;
      if (calls <= 3) return json(res, 503, { error: { message: 'busy' } });
      sendModels(res, MODEL);
    });
    const nim = client(up.url, {
      UPSTREAM_MAX_RETRIES: '1',
      UPSTREAM_RETRY_BASE_DELAY_MS: '1',
      UPSTREAM_RETRY_BUDGET_RATIO: '1',
      UPSTREAM_BREAKER_FAILURES: '2',
      UPSTREAM_BREAKER_COOLDOWN_MS: '50',
    });
    const retries: string[] = [];
    const statuses: number[] = [];
    const changes: string[] = [];
    const answered: number[] = [];
    nim.onAttempts(
      (attempt) => statuses.push(attempt.status),
      (endpoint) => retries.push(endpoint),
    );
    // A listener without one for retries is fine too.
    nim.onAttempts(() => undefined);
    nim.onCircuitChange((change) => changes.push(change.to));
    nim.onAnswered((at) => answered.push(at));
    expect(nim.circuit()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
    expect(await failure(nim.listModels())).toMatchObject({ status: 503 });
    expect(retries).toEqual(['/v1/models']);
    expect(statuses).toEqual([503, 503]);
    expect(nim.circuit().state).toBe('open');
    expect(changes).toEqual(['open']);
    expect(answered).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 80));
    // The probe after the cooldown fails once more, then an answer closes the circuit.
    await failure(nim.listModels());
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect((await nim.listModels()).map((card) => card.id)).toEqual([MODEL]);
    expect(nim.circuit().state).toBe('closed');
    expect(answered).toHaveLength(1);
  });
});
