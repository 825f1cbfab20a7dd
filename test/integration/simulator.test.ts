// The simulator over real sockets: wire shapes, validation, streaming, pacing, faults, aborts.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MODELS, startSimulator, type Simulator } from '../../src/simulator/server.ts';
import { countTokens } from '../../src/simulator/text.ts';
import { SseReader } from '../support/simulator-http.ts';
import { MODEL, simulatorHttp, type Json } from '../support/simulator-http.ts';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

const { post, call, complete, chat, streamCompletion, streamChat } = simulatorHttp(() => sim.url);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('models and health', () => {
  it('lists the default models as vLLM model cards', async () => {
    const res = await fetch(`${sim.url}/v1/models`);
    const body = (await res.json()) as Json;
    expect(body.object).toBe('list');
    expect(body.data.map((m: Json) => m.id)).toEqual(DEFAULT_MODELS.map((m) => m.id));
    expect(body.data[0]).toEqual({
      id: MODEL,
      object: 'model',
      created: expect.any(Number),
      owned_by: 'system',
      root: MODEL,
      parent: null,
      max_model_len: 8192,
      permission: [],
    });
    expect(body.data[2]).toMatchObject({
      root: '/loras/pirate',
      parent: MODEL,
      max_model_len: null,
    });
  });

  it('changes the listed and accepted models at runtime, and reset restores them', async () => {
    sim.setModels([{ id: 'sim/tiny', maxModelLength: 64 }]);
    const list = (await (await fetch(`${sim.url}/v1/models`)).json()) as Json;
    expect(list.data.map((m: Json) => m.id)).toEqual(['sim/tiny']);
    expect((await complete({ model: 'sim/tiny' })).status).toBe(200);
    expect((await complete({})).status).toBe(404);
    sim.reset();
    expect((await complete({})).status).toBe(200);
  });

  it('answers health, version, unknown paths and wrong methods', async () => {
    const ready = await fetch(`${sim.url}/v1/health/ready`);
    expect(await ready.json()).toEqual({ object: 'health.response', message: 'Service is ready.' });
    expect((await fetch(`${sim.url}/v1/health/live`)).status).toBe(200);
    expect(await (await fetch(`${sim.url}/health`)).json()).toMatchObject({
      status: 'healthy',
      timestamp: expect.any(String),
    });
    expect(await (await fetch(`${sim.url}/v1/version`)).json()).toEqual({
      release: 'sim-1.0.0',
      api: '3.1.0',
    });
    const missing = await fetch(`${sim.url}/v1/v1/models`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { type: 'NotFoundError', code: 404 } });
    const wrong = await post('/v1/models', {});
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    expect(sim.countRequests('/v1/models')).toBe(1);
  });

  it('requires the API key when configured, except on health routes', async () => {
    sim.configure({ apiKey: 'k-123' });
    const denied = await complete({});
    expect(denied.status).toBe(401);
    expect(denied.json).toMatchObject({ object: 'error', type: 'AuthenticationError', code: 401 });
    const allowed = await post(
      '/v1/completions',
      { model: MODEL, prompt: 'hi' },
      { headers: { authorization: 'Bearer k-123' } },
    );
    expect(allowed.status).toBe(200);
    expect((await fetch(`${sim.url}/v1/health/ready`)).status).toBe(200);
    expect(sim.requests[1]?.headers.authorization).toBe('Bearer k-123');
  });
});

describe('completions', () => {
  it('answers the NIM completion shape with consistent usage', async () => {
    const prompt = 'The lighthouse keeper, at dawn, said:';
    const { status, json } = await complete({ prompt, max_tokens: 12 });
    expect(status).toBe(200);
    expect(json).toMatchObject({
      object: 'text_completion',
      model: MODEL,
      id: expect.stringMatching(/^cmpl-[0-9a-f]+$/),
    });
    expect(Math.abs(json.created - Date.now() / 1000)).toBeLessThan(5);
    expect(json.choices).toEqual([
      {
        index: 0,
        text: expect.any(String),
        logprobs: null,
        finish_reason: 'length',
        stop_reason: null,
      },
    ]);
    expect(json.usage).toEqual({
      prompt_tokens: countTokens(prompt),
      completion_tokens: 12,
      total_tokens: countTokens(prompt) + 12,
    });
    expect(countTokens(json.choices[0].text)).toBe(12);
    expect(countTokens(prompt)).toBe(9);
  });

  it('is deterministic per model, prompt, seed and choice index', async () => {
    const text = async (body: Json) =>
      (await complete({ max_tokens: 20, ...body })).json.choices[0].text as string;
    expect(await text({ seed: 1 })).toBe(await text({ seed: 1 }));
    expect(await text({ seed: 1 })).not.toBe(await text({ seed: 2 }));
    expect(await text({ seed: 1 })).not.toBe(await text({ seed: 1, prompt: 'Another prompt' }));
    expect((await text({ seed: 1 })).startsWith(await text({ seed: 1, max_tokens: 5 }))).toBe(true);
    const { json } = await complete({ max_tokens: 20, n: 3 });
    expect(json.choices.map((c: Json) => c.index)).toEqual([0, 1, 2]);
    expect(new Set(json.choices.map((c: Json) => c.text)).size).toBe(3);
    expect(json.usage.completion_tokens).toBe(60);
  });

  it('stops naturally (stop) within 24..120 tokens, or at max_tokens (length)', async () => {
    const natural = await complete({ max_tokens: 500 });
    expect(natural.json.choices[0].finish_reason).toBe('stop');
    expect(natural.json.usage.completion_tokens).toBeGreaterThanOrEqual(24);
    expect(natural.json.usage.completion_tokens).toBeLessThanOrEqual(120);
    const naturalLength = natural.json.usage.completion_tokens as number;
    expect((await complete({ max_tokens: naturalLength })).json.choices[0].finish_reason).toBe(
      'stop',
    );
    expect((await complete({ max_tokens: naturalLength - 1 })).json.choices[0].finish_reason).toBe(
      'length',
    );
    const cut = await complete({ max_tokens: 3 });
    expect(cut.json.choices[0].finish_reason).toBe('length');
    expect(cut.json.usage.completion_tokens).toBe(3);
  });

  it('ends at the first stop string, without it, and names it in stop_reason', async () => {
    const full = (await complete({ max_tokens: 30 })).json.choices[0].text as string;
    const words = full.split(' ').filter((w) => /^[a-z]+$/.test(w));
    const stopWord = words[4]!;
    const { json } = await complete({ max_tokens: 30, stop: ['zzz-never', stopWord] });
    const choice = json.choices[0];
    expect(choice.text).toBe(full.slice(0, full.indexOf(stopWord)));
    expect(choice).toMatchObject({ finish_reason: 'stop', stop_reason: stopWord });
    expect((await complete({ max_tokens: 30, stop: stopWord })).json.choices[0].text).toBe(
      choice.text,
    );
  });

  it('prefixes the prompt with echo', async () => {
    const plain = (await complete({ max_tokens: 4 })).json.choices[0].text;
    expect((await complete({ max_tokens: 4, echo: true })).json.choices[0].text).toBe(
      `Once upon a time${plain}`,
    );
  });

  it('waits latencyMs before answering a generation', async () => {
    sim.configure({ latencyMs: 120 });
    const started = performance.now();
    expect((await complete({ max_tokens: 2 })).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
  });
});

describe('chat completions', () => {
  it('answers the chat shape; max_tokens defaults to the rest of the window', async () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hello there' },
    ];
    const { json } = await chat({ messages });
    expect(json).toMatchObject({
      object: 'chat.completion',
      id: expect.stringMatching(/^chatcmpl-[0-9a-f]+$/),
      model: MODEL,
    });
    expect(json.choices[0]).toMatchObject({
      index: 0,
      message: { role: 'assistant' },
      finish_reason: 'stop',
      stop_reason: null,
    });
    expect(json.usage.prompt_tokens).toBe(3 + 2 + 4 * 2);
    expect(json.usage.completion_tokens).toBe(countTokens(json.choices[0].message.content));
  });

  it('rejects bad messages with 400 naming messages', async () => {
    for (const messages of [
      [],
      [{ role: 'robot', content: 'x' }],
      [{ role: 'user', content: 42 }],
      'hi',
    ]) {
      const { status, json } = await chat({ messages });
      expect(status).toBe(400);
      expect(json.param).toBe('messages');
    }
  });
});

describe('validation and error bodies', () => {
  const contextMessage =
    "This model's maximum context length is 8192 tokens. However, you requested 8196 tokens " +
    '(4 in the messages, 8192 in the completion). Please reduce the length of the messages or completion.';

  it('refuses prompt + max_tokens over the window, in each error style', async () => {
    const flat = await complete({ max_tokens: 8192 });
    expect(flat.status).toBe(400);
    expect(flat.json).toEqual({
      object: 'error',
      message: contextMessage,
      type: 'BadRequestError',
      param: null,
      code: 400,
    });
    sim.configure({ errorStyle: 'nested' });
    expect((await complete({ max_tokens: 8192 })).json).toEqual({
      error: { message: contextMessage, type: 'BadRequestError', param: null, code: 400 },
    });
    sim.configure({ errorStyle: 'string' });
    expect((await complete({ max_tokens: 8192 })).json).toEqual({ error: contextMessage });
    expect((await complete({ max_tokens: 8188 })).status).toBe(200);
    expect((await complete({ max_tokens: 8189 })).status).toBe(400);
  });

  it('applies the parent window to a LoRA adapter', async () => {
    expect(
      (await complete({ model: 'sim/lorem-8b-instruct-lora-pirate', max_tokens: 8192 })).status,
    ).toBe(400);
    expect(
      (await complete({ model: 'sim/lorem-8b-instruct-lora-pirate', max_tokens: 8 })).json.model,
    ).toBe('sim/lorem-8b-instruct-lora-pirate');
  });

  it('answers 404 NotFoundError for an unknown model', async () => {
    const { status, json } = await complete({ model: 'meta/llama-3.1-8b-instruct' });
    expect(status).toBe(404);
    expect(json).toEqual({
      object: 'error',
      message: 'The model `meta/llama-3.1-8b-instruct` does not exist.',
      type: 'NotFoundError',
      param: 'model',
      code: 404,
    });
  });

  it('answers 415 unless the content type is application/json', async () => {
    const res = await post(
      '/v1/completions',
      { model: MODEL, prompt: 'x' },
      { headers: { 'content-type': 'text/plain' } },
    );
    expect(res.status).toBe(415);
    const charset = await post(
      '/v1/completions',
      { model: MODEL, prompt: 'x' },
      { headers: { 'content-type': 'application/json; charset=utf-8' } },
    );
    expect(charset.status).toBe(200);
  });

  it.each([
    [{ max_tokens: 0 }, 'max_tokens'],
    [{ max_tokens: 1.5 }, 'max_tokens'],
    [{ max_tokens: '10' }, 'max_tokens'],
    [{ top_p: 0 }, 'top_p'],
    [{ top_p: 1.5 }, 'top_p'],
    [{ temperature: -0.1 }, 'temperature'],
    [{ n: 0 }, 'n'],
    [{ n: 129 }, 'n'],
    [{ stream_options: { include_usage: true } }, 'stream_options'],
    [{ stream: false, stream_options: { include_usage: true } }, 'stream_options'],
    [{ model: undefined }, 'model'],
    [{ prompt: 12 }, 'prompt'],
  ])('answers 400 for %j naming %s', async (override, param) => {
    const { status, json } = await complete(override);
    expect(status).toBe(400);
    expect(json).toMatchObject({ object: 'error', type: 'BadRequestError', param, code: 400 });
  });

  it('answers 400 for bodies that are not a JSON object, ignores unknown fields, and survives junk', async () => {
    expect((await call('/v1/completions', '{"model": ')).status).toBe(400);
    expect((await call('/v1/completions', '[1,2]')).status).toBe(400);
    expect((await call('/v1/completions', 'null')).status).toBe(400);
    expect((await complete({ nvext: { top_k: 5 }, frobnicate: true })).status).toBe(200);
    expect(sim.requests[0]?.body).toBe('{"model": ');
    expect(sim.requests[3]?.body).toMatchObject({ frobnicate: true });
  });

  it('answers 413 for a body over 16 MiB', async () => {
    const res = await post('/v1/completions', {
      model: MODEL,
      prompt: 'x'.repeat(17 * 1024 * 1024),
    });
    expect(res.status).toBe(413);
    expect((await complete({})).status).toBe(200);
  });
});

describe('streaming', () => {
  it('frames completion chunks exactly as NIM does and matches the non-stream text', async () => {
    const { res, reader, events, chunks } = await streamCompletion({ max_tokens: 6, seed: 7 });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(reader.raw).toMatch(/^(data: [^\n]+\n\n)+$/);
    expect(reader.raw.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(events.at(-1)?.data).toBe('[DONE]');
    expect(chunks).toHaveLength(6);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(new Set(chunks.map((c) => c.created)).size).toBe(1);
    expect(chunks.every((c) => c.object === 'text_completion' && !('usage' in c))).toBe(true);
    expect(chunks.slice(0, -1).every((c) => c.choices[0].finish_reason === null)).toBe(true);
    expect(chunks.at(-1)!.choices[0]).toMatchObject({
      index: 0,
      finish_reason: 'length',
      logprobs: null,
      stop_reason: null,
    });
    const whole = (await complete({ max_tokens: 6, seed: 7 })).json.choices[0].text;
    expect(chunks.map((c) => c.choices[0].text).join('')).toBe(whole);
  });

  it('streams chat: a role delta first, one token per chunk, usage only with include_usage', async () => {
    const plain = await streamChat({ max_tokens: 4 });
    expect(plain.chunks[0]!.choices[0]).toMatchObject({
      index: 0,
      delta: { role: 'assistant', content: '' },
      finish_reason: null,
    });
    expect(plain.chunks).toHaveLength(5);
    expect(plain.chunks.slice(1).map((c) => countTokens(c.choices[0].delta.content))).toEqual([
      1, 1, 1, 1,
    ]);
    expect(plain.chunks.at(-1)!.choices[0].finish_reason).toBe('length');
    expect(plain.chunks.some((c) => 'usage' in c)).toBe(false);

    const counted = await streamChat({ max_tokens: 4, stream_options: { include_usage: true } });
    const usageChunk = counted.chunks.at(-1)!;
    expect(usageChunk).toMatchObject({ object: 'chat.completion.chunk', choices: [] });
    expect(usageChunk.usage).toEqual({ prompt_tokens: 6, completion_tokens: 4, total_tokens: 10 });
    expect(counted.events.at(-1)?.data).toBe('[DONE]');
  });

  it('interleaves choices of different index with n > 1', async () => {
    const { chunks } = await streamCompletion({ max_tokens: 3, n: 2 });
    expect(chunks.map((c) => c.choices[0].index)).toEqual([0, 1, 0, 1, 0, 1]);
  });

  it('paces tokens by tokenDelayMs', async () => {
    sim.configure({ tokenDelayMs: 30 });
    const { events } = await streamCompletion({ max_tokens: 6 });
    const tokens = events.filter((e) => e.data !== '[DONE]');
    expect(tokens).toHaveLength(6);
    expect(tokens.at(-1)!.at - tokens[0]!.at).toBeGreaterThanOrEqual(5 * 30 * 0.5);
  });
});

describe('faults', () => {
  it('answers an injected status with a NIM body and Retry-After, for `times` requests, FIFO', async () => {
    sim.inject({ path: '/v1/completions', status: 429, retryAfter: '7', times: 2 });
    sim.inject({ path: '/v1/completions', status: 503 });
    const first = await complete({});
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('7');
    expect(first.json).toMatchObject({ object: 'error', type: 'RateLimitError', code: 429 });
    expect((await complete({})).status).toBe(429);
    const third = await complete({});
    expect(third.status).toBe(503);
    expect(third.json.type).toBe('ServiceUnavailableError');
    expect((await complete({})).status).toBe(200);
  });

  it('matches faults by path, and by default any /v1 path except health', async () => {
    sim.inject({ path: '/v1/chat/completions', status: 500, message: 'engine exploded' });
    sim.inject({ status: 502 });
    expect((await fetch(`${sim.url}/v1/health/ready`)).status).toBe(200);
    expect((await complete({})).status).toBe(502);
    const { status, json } = await chat({});
    expect(status).toBe(500);
    expect(json).toMatchObject({ message: 'engine exploded', type: 'InternalServerError' });
  });

  it('sends a raw body, such as an ingress HTML page', async () => {
    const html = '<html><body><h1>502 Bad Gateway</h1></body></html>';
    sim.inject({ rawBody: html });
    const res = await post('/v1/completions', { model: MODEL, prompt: 'x' });
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toBe('text/html');
    expect(await res.text()).toBe(html);
  });

  it('delays headers by delayMs', async () => {
    sim.inject({ delayMs: 150 });
    const started = performance.now();
    await post('/v1/completions', { model: MODEL, prompt: 'x' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('drops the connection before headers: fetch rejects', async () => {
    sim.inject({ drop: 'before-headers' });
    await expect(complete({})).rejects.toThrow();
    expect(sim.requests[0]?.abortedAt).toBeNull();
    expect((await complete({})).status).toBe(200);
  });

  it('drops the connection mid-body: JSON and stream bodies fail part way', async () => {
    sim.inject({ drop: 'mid-body', times: 2 });
    const res = await post('/v1/completions', { model: MODEL, prompt: 'x' });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    const streamed = await streamCompletion({ max_tokens: 10 });
    expect(streamed.chunks).toHaveLength(2);
    expect(streamed.error).not.toBeNull();
  });

  it('stalls a stream after afterTokens tokens, with the socket open', async () => {
    sim.inject({ stream: 'stall', afterTokens: 3 });
    const controller = new AbortController();
    const res = await post(
      '/v1/completions',
      { model: MODEL, prompt: 'x', stream: true },
      { signal: controller.signal },
    );
    const reader = new SseReader(res);
    for (let i = 0; i < 3; i++) expect(await reader.next()).not.toBeNull();
    const more = reader.next().catch(() => 'aborted');
    expect(await Promise.race([more, sleep(200).then(() => 'silent')])).toBe('silent');
    controller.abort();
    expect(await more).toBe('aborted');
    expect((await sim.waitForAbort('/v1/completions', 1_000)).finishedAt).toBeNull();
  });

  it('sends a malformed event, then [DONE]', async () => {
    sim.inject({ stream: 'malformed' });
    const { events, chunks } = await streamCompletion({ max_tokens: 10 });
    expect(chunks).toHaveLength(2);
    expect(events.map((e) => e.data).slice(2)).toEqual(['{not json', '[DONE]']);
  });

  it('ends cleanly without a finish chunk or [DONE] (no-done)', async () => {
    sim.inject({ stream: 'no-done', afterTokens: 4 });
    const { events, chunks, error } = await streamCompletion({ max_tokens: 10 });
    expect(error).toBeNull();
    expect(events).toHaveLength(4);
    expect(chunks.every((c) => c.choices[0].finish_reason === null)).toBe(true);
  });

  it('sends an in-band nested error event, then [DONE]', async () => {
    sim.inject({ stream: 'error-event', status: 429, message: 'LoRA cache full' });
    sim.configure({ errorStyle: 'string' });
    const { res, events } = await streamChat({ max_tokens: 10 });
    expect(res.status).toBe(200);
    expect(
      events
        .map((e) => e.data)
        .slice(0, 3)
        .every((d) => d.startsWith('{"id"')),
    ).toBe(true);
    expect(JSON.parse(events[3]!.data)).toEqual({
      error: { message: 'LoRA cache full', type: 'RateLimitError', param: null, code: 429 },
    });
    expect(events[4]?.data).toBe('[DONE]');
  });

  it('cuts a stream mid-event without [DONE]', async () => {
    sim.inject({ stream: 'cut', afterTokens: 1 });
    const { reader, events, error } = await streamCompletion({ max_tokens: 10 });
    expect(error).toBeNull();
    expect(events).toHaveLength(1);
    expect(reader.leftover.startsWith('data: {"id"')).toBe(true);
    expect(reader.raw).not.toContain('[DONE]');
  });

  it('delays the first chunk, not the headers, with firstTokenDelayMs; stream faults skip non-stream requests', async () => {
    sim.inject({ firstTokenDelayMs: 150 });
    expect((await complete({ max_tokens: 2 })).status).toBe(200);
    const started = performance.now();
    const res = await post('/v1/completions', {
      model: MODEL,
      prompt: 'x',
      stream: true,
      max_tokens: 2,
    });
    const headersAt = performance.now();
    const reader = new SseReader(res);
    await reader.next();
    expect(headersAt - started).toBeLessThan(100);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    await reader.all();
  });

  it('pads a 200 JSON response or the first stream chunk to oversizedBytes', async () => {
    sim.inject({ oversizedBytes: 200_000, times: 2 });
    const res = await post('/v1/completions', { model: MODEL, prompt: 'x' });
    const text = await res.text();
    expect(text.length).toBeGreaterThanOrEqual(199_000);
    expect(JSON.parse(text)).toMatchObject({ object: 'text_completion' });
    const { events } = await streamCompletion({ max_tokens: 3 });
    expect(events[0]!.data.length).toBeGreaterThanOrEqual(199_000);
    expect(events[1]!.data.length).toBeLessThan(1_000);
  });
});

describe('client aborts', () => {
  it('detects a client abort of a slow stream within 100 ms and stops generating', async () => {
    sim.configure({ tokenDelayMs: 50 });
    const controller = new AbortController();
    const res = await post(
      '/v1/completions',
      { model: MODEL, prompt: 'x', stream: true, max_tokens: 100 },
      { signal: controller.signal },
    );
    const reader = new SseReader(res);
    await reader.next();
    const waiting = sim.waitForAbort('/v1/completions', 2_000);
    const abortedAt = Date.now();
    controller.abort();
    const record = await waiting;
    expect(Date.now() - abortedAt).toBeLessThan(100);
    expect(record.abortedAt! - abortedAt).toBeLessThan(100);
    expect(record.finishedAt).toBeNull();
    await expect(sim.waitForAbort('/v1/completions', 50)).rejects.toThrow(/within 50 ms/);
    expect((await complete({})).status).toBe(200);
  });

  it('clears its timers when clients go away', async () => {
    const timers = () =>
      process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    sim.configure({ latencyMs: 60_000 });
    const controller = new AbortController();
    const pending = Array.from({ length: 6 }, () =>
      post('/v1/completions', { model: MODEL, prompt: 'x' }, { signal: controller.signal }).catch(
        () => null,
      ),
    );
    while (sim.countRequests('/v1/completions') < 6) await sleep(5);
    await sleep(20);
    const during = timers();
    controller.abort();
    await Promise.all(pending);
    while (sim.requests.some((r) => r.abortedAt === null)) await sleep(5);
    await sleep(20);
    // One latency timer per request: all six must be gone, whatever the client keeps.
    expect(during - timers()).toBeGreaterThanOrEqual(6);
  });

  it('resolves waitForAbort for an abort that already happened', async () => {
    sim.configure({ latencyMs: 2_000 });
    const controller = new AbortController();
    const pending = post(
      '/v1/completions',
      { model: MODEL, prompt: 'x' },
      { signal: controller.signal },
    ).catch(() => null);
    while (sim.countRequests('/v1/completions') === 0) await sleep(5);
    controller.abort();
    await pending;
    await sleep(30);
    const record = await sim.waitForAbort('/v1/completions', 10);
    expect(record.abortedAt).not.toBeNull();
  });
});
