// The simulator over real sockets: wire shapes, validation, streaming, pacing, faults, aborts.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MODELS, startSimulator, type Simulator } from '../../src/simulator/server.ts';
import { countTokens } from '../../src/simulator/text.ts';

const MODEL = 'sim/lorem-8b-instruct';
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

type Json = Record<string, any>;
type Init = Omit<RequestInit, 'headers'> & { headers?: Record<string, string> };

function post(path: string, body: unknown, init: Init = {}): Promise<Response> {
  return fetch(sim.url + path, {
    ...init,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function call(path: string, body: unknown): Promise<{ status: number; json: Json; headers: Headers }> {
  const res = await post(path, body);
  return { status: res.status, headers: res.headers, json: (await res.json()) as Json };
}

const complete = (body: Json) => call('/v1/completions', { model: MODEL, prompt: 'Once upon a time', ...body });
const chat = (body: Json) => call('/v1/chat/completions', { model: MODEL, messages: [{ role: 'user', content: 'Hello there' }], ...body });

/** Reads an SSE body event by event, keeping the raw bytes to check framing. */
class SseReader {
  raw = '';
  #buffer = '';
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #decoder = new TextDecoder();

  constructor(res: Response) {
    this.#reader = res.body!.getReader();
  }

  /** The next event's data, or null at a clean end of the body. */
  async next(): Promise<string | null> {
    for (;;) {
      const end = this.#buffer.indexOf('\n\n');
      if (end !== -1) {
        const block = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        return block.replace(/^data: /, '');
      }
      const { done, value } = await this.#reader.read();
      if (done) return null;
      const text = this.#decoder.decode(value, { stream: true });
      this.raw += text;
      this.#buffer += text;
    }
  }

  get leftover(): string {
    return this.#buffer;
  }

  /** Every remaining event with its arrival time; `error` is set when the body fails. */
  async all(): Promise<{ events: { data: string; at: number }[]; error: unknown }> {
    const events: { data: string; at: number }[] = [];
    try {
      for (let data = await this.next(); data !== null; data = await this.next()) events.push({ data, at: performance.now() });
      return { events, error: null };
    } catch (error) {
      return { events, error };
    }
  }
}

async function stream(path: string, body: Json, init: Init = {}) {
  const res = await post(path, { model: MODEL, stream: true, ...body }, init);
  const reader = new SseReader(res);
  const { events, error } = await reader.all();
  const chunks = events.flatMap((e) => {
    try {
      return [JSON.parse(e.data) as Json].filter((value) => typeof value === 'object' && value !== null);
    } catch {
      return [];
    }
  });
  return { res, reader, events, error, chunks };
}

const streamCompletion = (body: Json, init?: Init) => stream('/v1/completions', { prompt: 'Once upon a time', ...body }, init);
const streamChat = (body: Json) => stream('/v1/chat/completions', { messages: [{ role: 'user', content: 'Hello there' }], ...body });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('models and health', () => {
  it('lists the default models as vLLM model cards', async () => {
    const res = await fetch(`${sim.url}/v1/models`);
    const body = (await res.json()) as Json;
    expect(body.object).toBe('list');
    expect(body.data.map((m: Json) => m.id)).toEqual(DEFAULT_MODELS.map((m) => m.id));
    expect(body.data[0]).toEqual({
      id: MODEL, object: 'model', created: expect.any(Number), owned_by: 'system',
      root: MODEL, parent: null, max_model_len: 8192, permission: [],
    });
    expect(body.data[2]).toMatchObject({ root: '/loras/pirate', parent: MODEL, max_model_len: null });
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
    expect(await (await fetch(`${sim.url}/health`)).json()).toMatchObject({ status: 'healthy', timestamp: expect.any(String) });
    expect(await (await fetch(`${sim.url}/v1/version`)).json()).toEqual({ release: 'sim-1.0.0', api: '3.1.0' });
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
    const allowed = await post('/v1/completions', { model: MODEL, prompt: 'hi' }, { headers: { authorization: 'Bearer k-123' } });
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
    expect(json).toMatchObject({ object: 'text_completion', model: MODEL, id: expect.stringMatching(/^cmpl-[0-9a-f]+$/) });
    expect(Math.abs(json.created - Date.now() / 1000)).toBeLessThan(5);
    expect(json.choices).toEqual([{ index: 0, text: expect.any(String), logprobs: null, finish_reason: 'length', stop_reason: null }]);
    expect(json.usage).toEqual({ prompt_tokens: countTokens(prompt), completion_tokens: 12, total_tokens: countTokens(prompt) + 12 });
    expect(countTokens(json.choices[0].text)).toBe(12);
    expect(countTokens(prompt)).toBe(9);
  });

  it('is deterministic per model, prompt, seed and choice index', async () => {
    const text = async (body: Json) => (await complete({ max_tokens: 20, ...body })).json.choices[0].text as string;
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
    expect((await complete({ max_tokens: naturalLength })).json.choices[0].finish_reason).toBe('stop');
    expect((await complete({ max_tokens: naturalLength - 1 })).json.choices[0].finish_reason).toBe('length');
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
    expect((await complete({ max_tokens: 30, stop: stopWord })).json.choices[0].text).toBe(choice.text);
  });

  it('prefixes the prompt with echo', async () => {
    const plain = (await complete({ max_tokens: 4 })).json.choices[0].text;
    expect((await complete({ max_tokens: 4, echo: true })).json.choices[0].text).toBe(`Once upon a time${plain}`);
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
    const messages = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello there' }];
    const { json } = await chat({ messages });
    expect(json).toMatchObject({ object: 'chat.completion', id: expect.stringMatching(/^chatcmpl-[0-9a-f]+$/), model: MODEL });
    expect(json.choices[0]).toMatchObject({ index: 0, message: { role: 'assistant' }, finish_reason: 'stop', stop_reason: null });
    expect(json.usage.prompt_tokens).toBe(3 + 2 + 4 * 2);
    expect(json.usage.completion_tokens).toBe(countTokens(json.choices[0].message.content));
  });

  it('rejects bad messages with 400 naming messages', async () => {
    for (const messages of [[], [{ role: 'robot', content: 'x' }], [{ role: 'user', content: 42 }], 'hi']) {
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
    expect(flat.json).toEqual({ object: 'error', message: contextMessage, type: 'BadRequestError', param: null, code: 400 });
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
    expect((await complete({ model: 'sim/lorem-8b-instruct-lora-pirate', max_tokens: 8192 })).status).toBe(400);
    expect((await complete({ model: 'sim/lorem-8b-instruct-lora-pirate', max_tokens: 8 })).json.model).toBe(
      'sim/lorem-8b-instruct-lora-pirate',
    );
  });

  it('answers 404 NotFoundError for an unknown model', async () => {
    const { status, json } = await complete({ model: 'meta/llama-3.1-8b-instruct' });
    expect(status).toBe(404);
    expect(json).toEqual({
      object: 'error', message: 'The model `meta/llama-3.1-8b-instruct` does not exist.',
      type: 'NotFoundError', param: 'model', code: 404,
    });
  });

  it('answers 415 unless the content type is application/json', async () => {
    const res = await post('/v1/completions', { model: MODEL, prompt: 'x' }, { headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(415);
    const charset = await post('/v1/completions', { model: MODEL, prompt: 'x' }, { headers: { 'content-type': 'application/json; charset=utf-8' } });
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
    const res = await post('/v1/completions', { model: MODEL, prompt: 'x'.repeat(17 * 1024 * 1024) });
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
    expect(chunks.at(-1)!.choices[0]).toMatchObject({ index: 0, finish_reason: 'length', logprobs: null, stop_reason: null });
    const whole = (await complete({ max_tokens: 6, seed: 7 })).json.choices[0].text;
    expect(chunks.map((c) => c.choices[0].text).join('')).toBe(whole);
  });

  it('streams chat: a role delta first, one token per chunk, usage only with include_usage', async () => {
    const plain = await streamChat({ max_tokens: 4 });
    expect(plain.chunks[0]!.choices[0]).toMatchObject({ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null });
    expect(plain.chunks).toHaveLength(5);
    expect(plain.chunks.slice(1).map((c) => countTokens(c.choices[0].delta.content))).toEqual([1, 1, 1, 1]);
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
    const res = await post('/v1/completions', { model: MODEL, prompt: 'x', stream: true }, { signal: controller.signal });
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
    expect(events.map((e) => e.data).slice(0, 3).every((d) => d.startsWith('{"id"'))).toBe(true);
    expect(JSON.parse(events[3]!.data)).toEqual({ error: { message: 'LoRA cache full', type: 'RateLimitError', param: null, code: 429 } });
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
    const res = await post('/v1/completions', { model: MODEL, prompt: 'x', stream: true, max_tokens: 2 });
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
    const res = await post('/v1/completions', { model: MODEL, prompt: 'x', stream: true, max_tokens: 100 }, { signal: controller.signal });
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
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    sim.configure({ latencyMs: 60_000 });
    const controller = new AbortController();
    const pending = Array.from({ length: 6 }, () =>
      post('/v1/completions', { model: MODEL, prompt: 'x' }, { signal: controller.signal }).catch(() => null),
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
    const pending = post('/v1/completions', { model: MODEL, prompt: 'x' }, { signal: controller.signal }).catch(() => null);
    while (sim.countRequests('/v1/completions') === 0) await sleep(5);
    controller.abort();
    await pending;
    await sleep(30);
    const record = await sim.waitForAbort('/v1/completions', 10);
    expect(record.abortedAt).not.toBeNull();
  });
});

describe('sampling validation (NIM/vLLM ranges)', () => {
  const both = [
    ['completions', complete],
    ['chat', chat],
  ] as const;

  const rejected: [Json, string][] = [
    [{ temperature: 2.5 }, 'temperature'],
    [{ temperature: '0.5' }, 'temperature'],
    [{ top_p: '1' }, 'top_p'],
    [{ seed: 1.5 }, 'seed'],
    [{ seed: '7' }, 'seed'],
    [{ frequency_penalty: 2.5 }, 'frequency_penalty'],
    [{ frequency_penalty: -2.01 }, 'frequency_penalty'],
    [{ presence_penalty: -3 }, 'presence_penalty'],
    [{ presence_penalty: '1' }, 'presence_penalty'],
    [{ stop: [''] }, 'stop'],
    [{ stop: '' }, 'stop'],
    [{ stop: ['ok', 3] }, 'stop'],
    [{ user: 42 }, 'user'],
    [{ top_k: -2 }, 'top_k'],
    [{ top_k: 1.5 }, 'top_k'],
    [{ repetition_penalty: 0 }, 'repetition_penalty'],
    [{ repetition_penalty: 2.5 }, 'repetition_penalty'],
    [{ ignore_eos: 'true' }, 'ignore_eos'],
    [{ min_tokens: -1 }, 'min_tokens'],
    [{ min_tokens: 2.5 }, 'min_tokens'],
    [{ max_tokens: 8, min_tokens: 9 }, 'min_tokens'],
    [{ min_p: 1.5 }, 'min_p'],
    [{ min_p: -0.1 }, 'min_p'],
    [{ response_format: 'json' }, 'response_format'],
    [{ response_format: { type: 'xml' } }, 'response_format'],
    [{ response_format: { type: 'json_schema' } }, 'response_format'],
    [{ response_format: { type: 'json_schema', json_schema: { name: 'x' } } }, 'response_format'],
    [{ response_format: { type: 'json_schema', json_schema: { name: 'x', schema: 'object' } } }, 'response_format'],
    [{ response_format: { type: 'json_schema', json_schema: { schema: {} } } }, 'response_format'],
    [{ response_format: { type: 'json_schema', json_schema: { name: 'x', schema: {}, strict: 'yes' } } }, 'response_format'],
  ];

  describe.each(both)('%s', (_, send) => {
    it.each(rejected)('answers 400 for %j naming %s', async (override, param) => {
      const { status, json } = await send(override);
      expect(status).toBe(400);
      expect(json).toMatchObject({ object: 'error', type: 'BadRequestError', param, code: 400 });
    });

    it('accepts the boundary values', async () => {
      const accepted: Json[] = [
        { temperature: 0 }, { temperature: 2 }, { top_p: 1 }, { seed: -3 }, { frequency_penalty: -2 }, { presence_penalty: 2 },
        { top_k: -1 }, { top_k: 0 }, { top_k: 1 }, { repetition_penalty: 2 }, { repetition_penalty: 0.01 }, { min_p: 0 },
        { min_p: 1 }, { user: 'u-1' }, { ignore_eos: false }, { max_tokens: 5, min_tokens: 5 }, { response_format: { type: 'text' } },
        { response_format: { type: 'json_schema', json_schema: { name: 'x', schema: {}, strict: true } } },
      ];
      for (const body of accepted) expect([body, (await send({ max_tokens: 5, ...body })).status]).toEqual([body, 200]);
    });
  });

  it('uses vLLM messages', async () => {
    const message = async (send: (body: Json) => Promise<{ json: Json }>, body: Json) => (await send(body)).json.message;
    expect(await message(complete, { temperature: 3 })).toBe('temperature must be in [0, 2], got 3.');
    expect(await message(complete, { top_k: -5 })).toBe('top_k must be 0 (disable), or at least 1, got -5.');
    expect(await message(complete, { min_p: 2 })).toBe('min_p must be in [0, 1], got 2.');
    expect(await message(complete, { stop: ['x', ''] })).toBe('stop cannot contain an empty string.');
    expect(await message(complete, { min_tokens: 17 })).toBe('min_tokens must be less than or equal to max_tokens=16, got 17.');
    // Chat's default max_tokens is the rest of the window: 8192 - 6 prompt tokens.
    expect(await message(chat, { min_tokens: 9000 })).toBe('min_tokens must be less than or equal to max_tokens=8186, got 9000.');
    expect(await message(complete, { logprobs: 21 })).toBe('Requested sample logprobs of 21, which is greater than max allowed: 20');
    expect(await message(chat, { top_logprobs: 2 })).toBe('when using `top_logprobs`, `logprobs` must be set to true.');
  });

  it.each([
    [complete, { logprobs: -1 }, 'logprobs'],
    [complete, { logprobs: 21 }, 'logprobs'],
    [complete, { logprobs: true }, 'logprobs'],
    [complete, { logprobs: 1.5 }, 'logprobs'],
    [complete, { echo: 'yes' }, 'echo'],
    [chat, { logprobs: 1 }, 'logprobs'],
    [chat, { logprobs: true, top_logprobs: 21 }, 'top_logprobs'],
    [chat, { logprobs: true, top_logprobs: -1 }, 'top_logprobs'],
    [chat, { logprobs: true, top_logprobs: '2' }, 'top_logprobs'],
    [chat, { logprobs: false, top_logprobs: 3 }, 'top_logprobs'],
  ] as const)('answers 400 for logprobs fields (%#: %j naming %s)', async (send, body, param) => {
    const { status, json } = await send(body);
    expect(status).toBe(400);
    expect(json.param).toBe(param);
  });

  it('accepts logprobs in their ranges; top_logprobs 0 needs no flag, as in vLLM', async () => {
    expect((await complete({ logprobs: 0 })).status).toBe(200);
    expect((await complete({ logprobs: 20 })).status).toBe(200);
    expect((await chat({ max_tokens: 3, logprobs: true, top_logprobs: 20 })).status).toBe(200);
    expect((await chat({ max_tokens: 3, top_logprobs: 0 })).status).toBe(200);
  });
});

describe('API versions: nvext (NIM 1.x) versus top-level extras (NIM 2.x)', () => {
  it('defaults to 2: top-level extras work, nvext is ignored whatever it holds', async () => {
    expect((await complete({ top_k: 40, repetition_penalty: 1.2, min_p: 0.1, min_tokens: 2 })).status).toBe(200);
    const ignored = await complete({ max_tokens: 200, nvext: { top_k: -9, ignore_eos: true } });
    expect(ignored.status).toBe(200);
    expect(ignored.json.usage.completion_tokens).toBeLessThanOrEqual(120);
    expect((await complete({ nvext: 'junk' })).status).toBe(200);
  });

  it.each([complete, chat])('version 1 refuses top-level top_k and repetition_penalty and reads nvext (%#)', async (send) => {
    sim.configure({ apiVersion: 1 });
    for (const field of ['top_k', 'repetition_penalty']) {
      const { status, json } = await send({ [field]: 1 });
      expect(status).toBe(400);
      expect(json).toMatchObject({ message: `The field ${field} is unsupported`, param: field, type: 'BadRequestError' });
    }
    const nested = await send({ max_tokens: 150, nvext: { top_k: 40, repetition_penalty: 1.1, ignore_eos: true } });
    expect(nested.status).toBe(200);
    expect(nested.json.usage.completion_tokens).toBe(150);
    expect(nested.json.choices[0].finish_reason).toBe('length');
    expect(sim.requests.at(-1)?.body).toMatchObject({ nvext: { top_k: 40, repetition_penalty: 1.1, ignore_eos: true } });
    // Fields that early 1.x also took at the top level.
    expect((await send({ ignore_eos: true, min_tokens: 1, min_p: 0.5, top_k: null })).status).toBe(200);
  });

  it.each([
    [{ top_k: -2 }, 'nvext.top_k'],
    [{ top_k: 'ten' }, 'nvext.top_k'],
    [{ repetition_penalty: 0 }, 'nvext.repetition_penalty'],
    [{ repetition_penalty: 2.01 }, 'nvext.repetition_penalty'],
    [{ ignore_eos: 1 }, 'nvext.ignore_eos'],
  ])('version 1 validates nvext %j with the same ranges (%s)', async (nvext, param) => {
    sim.configure({ apiVersion: 1 });
    const { status, json } = await complete({ nvext });
    expect(status).toBe(400);
    expect(json.param).toBe(param);
    expect((await complete({ nvext: 'junk' })).json.param).toBe('nvext');
  });

  it('takes apiVersion as a start option; reset restores it; bad values throw', async () => {
    const v1 = await startSimulator({ apiVersion: 1 });
    try {
      const res = await fetch(`${v1.url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, prompt: 'x', top_k: 5 }),
      });
      expect(res.status).toBe(400);
    } finally {
      await v1.close();
    }
    sim.configure({ apiVersion: 1 });
    sim.reset();
    expect((await complete({ top_k: 5 })).status).toBe(200);
    expect(() => sim.configure({ apiVersion: 3 as 2 })).toThrow(RangeError);
  });
});

describe('ignore_eos and min_tokens', () => {
  it('ignore_eos generates exactly max_tokens tokens, continuing the natural text', async () => {
    const natural = await complete({ max_tokens: 500, seed: 3 });
    expect(natural.json.choices[0].finish_reason).toBe('stop');
    const forced = await complete({ max_tokens: 300, seed: 3, ignore_eos: true });
    expect(forced.json.usage.completion_tokens).toBe(300);
    expect(forced.json.choices[0].finish_reason).toBe('length');
    expect(forced.json.choices[0].text.startsWith(natural.json.choices[0].text)).toBe(true);
    const chatForced = await chat({ max_tokens: 200, ignore_eos: true });
    expect(chatForced.json.usage.completion_tokens).toBe(200);
    expect(countTokens(chatForced.json.choices[0].message.content)).toBe(200);
  });

  it('min_tokens forbids a natural stop before that many tokens', async () => {
    const natural = (await complete({ max_tokens: 500, seed: 4 })).json;
    const length = natural.usage.completion_tokens as number;
    const longer = (await complete({ max_tokens: 500, seed: 4, min_tokens: length + 10 })).json;
    expect(longer.usage.completion_tokens).toBe(length + 10);
    expect(longer.choices[0].finish_reason).toBe('stop');
    expect(longer.choices[0].text.startsWith(natural.choices[0].text)).toBe(true);
    expect((await complete({ max_tokens: 500, seed: 4, min_tokens: length - 5 })).json).toMatchObject({
      usage: { completion_tokens: length },
      choices: [{ text: natural.choices[0].text }],
    });
  });

  it('min_tokens also holds back stop strings, as vLLM does', async () => {
    const full = (await complete({ max_tokens: 60, seed: 5 })).json.choices[0].text as string;
    const stopWord = full.split(' ').filter((w) => /^[a-z]+$/.test(w))[1]!;
    const early = (await complete({ max_tokens: 60, seed: 5, stop: [stopWord] })).json;
    expect(early.usage.completion_tokens).toBeLessThan(10);
    const held = (await complete({ max_tokens: 60, seed: 5, stop: [stopWord], min_tokens: 10 })).json;
    expect(held.usage.completion_tokens).toBeGreaterThanOrEqual(10);
    expect(held.choices[0].text.length).toBeGreaterThan(early.choices[0].text.length);
  });
});

function expectRanked(alternatives: { token: string; logprob: number }[], sampled: { token: string; logprob: number }) {
  const values = alternatives.map((a) => a.logprob);
  expect(values.every((v) => v <= 0)).toBe(true);
  expect(values).toEqual([...values].sort((a, b) => b - a));
  expect(new Set(alternatives.map((a) => a.token)).size).toBe(alternatives.length);
  if (alternatives.length > 0) expect(alternatives).toContainEqual(sampled);
}

const entries = (top: Record<string, number>) =>
  Object.entries(top).map(([token, logprob]) => ({ token, logprob })).sort((a, b) => b.logprob - a.logprob);

describe('logprobs', () => {
  it('completions: parallel lists, N ranked alternatives holding the sampled token, offsets into the text', async () => {
    const { json } = await complete({ max_tokens: 8, logprobs: 3, seed: 9 });
    const { text, logprobs } = json.choices[0];
    expect(Object.keys(logprobs).sort()).toEqual(['text_offset', 'token_logprobs', 'tokens', 'top_logprobs']);
    expect(logprobs.tokens.join('')).toBe(text);
    expect(logprobs.tokens).toHaveLength(8);
    expect(logprobs.token_logprobs.every((v: number) => v <= 0)).toBe(true);
    logprobs.tokens.forEach((token: string, i: number) => {
      expect(logprobs.text_offset[i]).toBe(logprobs.tokens.slice(0, i).join('').length);
      expect(Object.keys(logprobs.top_logprobs[i])).toHaveLength(3);
      expectRanked(entries(logprobs.top_logprobs[i]), { token, logprob: logprobs.token_logprobs[i] });
    });
    expect((await complete({ max_tokens: 8, logprobs: 3, seed: 9 })).json.choices[0].logprobs).toEqual(logprobs);
    expect((await complete({ max_tokens: 8, seed: 9 })).json.choices[0]).toMatchObject({ text, logprobs: null });
  });

  it('completions: logprobs 0 lists only the sampled token; temperature 0 always samples the best', async () => {
    const zero = (await complete({ max_tokens: 5, logprobs: 0 })).json.choices[0].logprobs;
    zero.tokens.forEach((token: string, i: number) => expect(zero.top_logprobs[i]).toEqual({ [token]: zero.token_logprobs[i] }));
    const greedy = (await complete({ max_tokens: 30, logprobs: 5, temperature: 0 })).json.choices[0].logprobs;
    greedy.tokens.forEach((token: string, i: number) => expect(entries(greedy.top_logprobs[i])[0]!.token).toBe(token));
  });

  it('completions with echo list the prompt tokens first, the very first without logprobs', async () => {
    const { json } = await complete({ prompt: 'Once upon a time', max_tokens: 3, logprobs: 1, echo: true });
    const { text, logprobs } = json.choices[0];
    expect(logprobs.tokens.join('')).toBe(text);
    expect(logprobs.tokens.slice(0, 4)).toEqual(['Once', ' upon', ' a', ' time']);
    expect(logprobs.token_logprobs[0]).toBeNull();
    expect(logprobs.top_logprobs[0]).toBeNull();
    expect(logprobs.token_logprobs.slice(1).every((v: number) => v <= 0)).toBe(true);
    expect(logprobs.text_offset[4]).toBe('Once upon a time'.length);
  });

  it('chat: content entries with bytes and top_logprobs of the requested length', async () => {
    const { json } = await chat({ max_tokens: 6, logprobs: true, top_logprobs: 4 });
    const { message, logprobs } = json.choices[0];
    expect(logprobs.content).toHaveLength(6);
    expect(logprobs.content.map((c: Json) => c.token).join('')).toBe(message.content);
    for (const entry of logprobs.content) {
      expect(Object.keys(entry).sort()).toEqual(['bytes', 'logprob', 'token', 'top_logprobs']);
      expect(entry.bytes).toEqual([...Buffer.from(entry.token, 'utf8')]);
      expect(entry.top_logprobs).toHaveLength(4);
      for (const top of entry.top_logprobs) expect(top.bytes).toEqual([...Buffer.from(top.token, 'utf8')]);
      expectRanked(entry.top_logprobs.map(({ token, logprob }: Json) => ({ token, logprob })), { token: entry.token, logprob: entry.logprob });
    }
    const flagOnly = (await chat({ max_tokens: 3, logprobs: true })).json.choices[0].logprobs;
    expect(flagOnly.content.map((c: Json) => c.top_logprobs)).toEqual([[], [], []]);
    expect((await chat({ max_tokens: 3 })).json.choices[0].logprobs).toBeNull();
  });

  it('streams the logprobs of each token with its chunk, the same as the JSON answer', async () => {
    const body = { max_tokens: 6, logprobs: 2, seed: 11 };
    const whole = (await complete(body)).json.choices[0].logprobs;
    const { chunks } = await streamCompletion(body);
    expect(chunks).toHaveLength(6);
    for (const chunk of chunks) expect(chunk.choices[0].logprobs.tokens).toEqual([chunk.choices[0].text]);
    const merged = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] } as Record<string, unknown[]>;
    for (const chunk of chunks) for (const key of Object.keys(merged)) merged[key]!.push(...chunk.choices[0].logprobs[key]);
    expect(merged).toEqual(whole);

    const chatBody = { max_tokens: 5, logprobs: true, top_logprobs: 3, seed: 11 };
    const chatWhole = (await chat(chatBody)).json.choices[0].logprobs;
    const streamed = await streamChat(chatBody);
    expect(streamed.chunks[0]!.choices[0].logprobs).toBeNull();
    const tokenChunks = streamed.chunks.slice(1);
    for (const chunk of tokenChunks) {
      expect(chunk.choices[0].logprobs.content.map((c: Json) => c.token)).toEqual([chunk.choices[0].delta.content]);
    }
    expect(tokenChunks.flatMap((c) => c.choices[0].logprobs.content)).toEqual(chatWhole.content);
  });
});

/** Checks the JSON Schema subset the simulator promises to honour. */
function conforms(schema: Json, value: unknown): boolean {
  if (schema.enum) return schema.enum.some((e: unknown) => JSON.stringify(e) === JSON.stringify(value));
  if ('const' in schema) return JSON.stringify(schema.const) === JSON.stringify(value);
  if (schema.anyOf) return schema.anyOf.some((s: Json) => conforms(s, value));
  const types: string[] = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : ['string'];
  return types.some((type) => {
    switch (type) {
      case 'object': {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
        const record = value as Record<string, unknown>;
        if (!(schema.required ?? []).every((key: string) => key in record)) return false;
        return Object.entries(schema.properties ?? {}).every(([key, sub]) => !(key in record) || conforms(sub as Json, record[key]));
      }
      case 'array':
        return Array.isArray(value) && value.length >= (schema.minItems ?? 0) && value.length <= (schema.maxItems ?? Infinity) &&
          value.every((item) => conforms(schema.items ?? {}, item));
      case 'string':
        return typeof value === 'string' && value.length >= (schema.minLength ?? 0) && value.length <= (schema.maxLength ?? Infinity);
      case 'integer':
      case 'number':
        return typeof value === 'number' && (type === 'number' || Number.isInteger(value)) &&
          value >= (schema.minimum ?? -Infinity) && value <= (schema.maximum ?? Infinity);
      case 'boolean':
        return typeof value === 'boolean';
      case 'null':
        return value === null;
      default:
        return false;
    }
  });
}

const PERSON_SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 3, maxLength: 12 },
    age: { type: 'integer', minimum: 18, maximum: 99 },
    height: { type: 'number', minimum: 1.2, maximum: 2.2 },
    active: { type: 'boolean' },
    role: { enum: ['admin', 'editor', 42, null] },
    nickname: { type: ['string', 'null'] },
    nothing: { type: 'null' },
    tags: { type: 'array', items: { type: 'string' }, minItems: 2, maxItems: 4 },
    address: { type: 'object', properties: { city: { type: 'string' }, zip: { type: 'integer' } }, required: ['city', 'zip'] },
    matrix: { type: 'array', items: { type: 'array', items: { type: 'number' } } },
    kind: { const: 'person' },
    id: { format: 'uuid' },
  },
  required: ['name', 'age', 'extra'],
};
const personFormat = { type: 'json_schema', json_schema: { name: 'person', schema: PERSON_SCHEMA, strict: true } };

describe('response_format', () => {
  it('json_object: the text is a deterministic JSON object', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { json } = await complete({ max_tokens: 300, seed, response_format: { type: 'json_object' } });
      const value = JSON.parse(json.choices[0].text);
      expect(typeof value === 'object' && value !== null && !Array.isArray(value)).toBe(true);
      expect(Object.keys(value).length).toBeGreaterThan(0);
      expect(json.choices[0].finish_reason).toBe('stop');
      expect(json.usage.completion_tokens).toBe(countTokens(json.choices[0].text));
    }
    const chatted = async () => (await chat({ seed: 8, response_format: { type: 'json_object' } })).json.choices[0].message.content;
    expect(await chatted()).toBe(await chatted());
    expect(typeof JSON.parse(await chatted())).toBe('object');
  });

  it('json_schema: the value conforms to the schema, for many seeds', async () => {
    for (let seed = 0; seed < 12; seed++) {
      const { json } = await chat({ seed, response_format: personFormat });
      const value = JSON.parse(json.choices[0].message.content);
      expect([seed, conforms(PERSON_SCHEMA, value)]).toEqual([seed, true]);
      expect(value).toMatchObject({ kind: 'person', extra: expect.any(String), nothing: null });
    }
    const top = await complete({ max_tokens: 50, response_format: { type: 'json_schema', json_schema: { name: 'n', schema: { type: 'integer', minimum: 5, maximum: 7 } } } });
    expect([5, 6, 7]).toContain(JSON.parse(top.json.choices[0].text));
    expect(sim.requests.at(-1)?.body).toMatchObject({ response_format: { type: 'json_schema', json_schema: { name: 'n' } } });
  });

  it('streams the JSON token by token, with the same text as the JSON answer', async () => {
    const body = { max_tokens: 500, seed: 2, response_format: personFormat, stream_options: { include_usage: true } };
    const { chunks } = await streamChat(body);
    const tokens = chunks.slice(1, -1).map((c) => c.choices[0].delta.content as string);
    expect(tokens.every((t) => countTokens(t) === 1)).toBe(true);
    const text = tokens.join('');
    const { stream_options: _, ...plain } = body;
    expect(text).toBe((await chat(plain)).json.choices[0].message.content);
    expect(conforms(PERSON_SCHEMA, JSON.parse(text))).toBe(true);
    expect(chunks.at(-2)!.choices[0].finish_reason).toBe('stop');
    expect(chunks.at(-1)!.usage.completion_tokens).toBe(tokens.length);
  });

  it('max_tokens cuts the JSON like a real model: finish_reason length, a truncated prefix', async () => {
    const full = (await complete({ max_tokens: 500, seed: 6, response_format: personFormat })).json.choices[0].text as string;
    const cut = (await complete({ max_tokens: 7, seed: 6, response_format: personFormat })).json;
    expect(cut.choices[0].finish_reason).toBe('length');
    expect(cut.usage.completion_tokens).toBe(7);
    expect(full.startsWith(cut.choices[0].text)).toBe(true);
    expect(() => JSON.parse(cut.choices[0].text)).toThrow();
  });

  it('ignore_eos and min_tokens pad a finished JSON with whitespace, so it still parses', async () => {
    const format = { type: 'json_object' };
    const natural = (await complete({ max_tokens: 500, seed: 7, response_format: format })).json;
    const padded = (await complete({ max_tokens: 200, seed: 7, response_format: format, ignore_eos: true })).json;
    expect(padded.usage.completion_tokens).toBe(200);
    expect(padded.choices[0].finish_reason).toBe('length');
    expect(JSON.parse(padded.choices[0].text)).toEqual(JSON.parse(natural.choices[0].text));
    const atLeast = (await complete({ max_tokens: 500, seed: 7, response_format: format, min_tokens: 150 })).json;
    expect(atLeast.usage.completion_tokens).toBe(150);
    expect(atLeast.choices[0].finish_reason).toBe('stop');
  });

  it('type text is plain generation; logprobs cover JSON tokens too', async () => {
    const plain = (await complete({ seed: 1 })).json.choices[0].text;
    expect((await complete({ seed: 1, response_format: { type: 'text' } })).json.choices[0].text).toBe(plain);
    const { json } = await chat({ seed: 1, logprobs: true, top_logprobs: 2, response_format: { type: 'json_object' } });
    expect(json.choices[0].logprobs.content.map((c: Json) => c.token).join('')).toBe(json.choices[0].message.content);
  });
});
