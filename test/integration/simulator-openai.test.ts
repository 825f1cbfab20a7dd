// The simulator driven by the official `openai` client: it speaks the protocol a real client expects.
import OpenAI, { BadRequestError, NotFoundError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MODELS, startSimulator, type Simulator } from '../../src/simulator/server.ts';
import { countTokens } from '../../src/simulator/text.ts';

const MODEL = 'sim/lorem-8b-instruct';
let sim: Simulator;
let client: OpenAI;

beforeAll(async () => {
  sim = await startSimulator();
  client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'x', maxRetries: 0 });
});
afterAll(() => sim.close());
// NIM 2.x (vLLM) sends nested errors, the shape the client reads message and param from.
beforeEach(() => {
  sim.reset();
  sim.configure({ errorStyle: 'nested' });
});

const messages = [{ role: 'user' as const, content: 'Hello there' }];

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the request to fail');
}

describe('the openai client against the simulator', () => {
  it('lists models', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(DEFAULT_MODELS.map((m) => m.id));
    expect(sim.requests[0]).toMatchObject({ method: 'GET', path: '/v1/models' });
    expect(sim.requests[0]?.headers.authorization).toBe('Bearer x');
  });

  it('creates a completion', async () => {
    const completion = await client.completions.create({
      model: MODEL,
      prompt: 'Once upon a time',
      max_tokens: 12,
      seed: 3,
    });
    expect(completion.object).toBe('text_completion');
    expect(completion.model).toBe(MODEL);
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(countTokens(completion.choices[0]?.text ?? '')).toBe(12);
    expect(completion.usage).toEqual({ prompt_tokens: 4, completion_tokens: 12, total_tokens: 16 });
    expect(sim.requests[0]?.body).toEqual({
      model: MODEL,
      prompt: 'Once upon a time',
      max_tokens: 12,
      seed: 3,
    });
  });

  it('creates a chat completion', async () => {
    const response = await client.chat.completions.create({
      model: MODEL,
      messages,
      max_tokens: 200,
      temperature: 0.7,
      top_p: 0.9,
    });
    const choice = response.choices[0]!;
    expect(response.object).toBe('chat.completion');
    expect(choice.message.role).toBe('assistant');
    expect(choice.finish_reason).toBe('stop');
    expect(response.usage?.completion_tokens).toBe(countTokens(choice.message.content ?? ''));
    expect(sim.requests[0]?.body).toMatchObject({ temperature: 0.7, top_p: 0.9, max_tokens: 200 });
  });

  it('streams a completion with usage in the last chunk', async () => {
    const stream = await client.completions.create({
      model: MODEL,
      prompt: 'Once upon a time',
      max_tokens: 8,
      seed: 5,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined = null;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks += 1;
      for (const choice of chunk.choices) {
        text += choice.text;
        finish = choice.finish_reason ?? finish;
      }
      usage = chunk.usage ?? usage;
    }
    expect(chunks).toBe(9);
    expect(finish).toBe('length');
    expect(usage).toEqual({ prompt_tokens: 4, completion_tokens: 8, total_tokens: 12 });
    const whole = await client.completions.create({
      model: MODEL,
      prompt: 'Once upon a time',
      max_tokens: 8,
      seed: 5,
    });
    expect(text).toBe(whole.choices[0]?.text);
  });

  it('streams a chat completion: role first, text deltas, finish_reason, then usage', async () => {
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages,
      max_tokens: 10,
      seed: 2,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('length');
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: 6, completion_tokens: 10, total_tokens: 16 });
    const whole = await client.chat.completions.create({
      model: MODEL,
      messages,
      max_tokens: 10,
      seed: 2,
    });
    expect(text).toBe(whole.choices[0]?.message.content);
  });

  it('returns logprobs in the shapes the client types describe', async () => {
    const completion = await client.completions.create({
      model: MODEL,
      prompt: 'Once',
      max_tokens: 4,
      logprobs: 2,
    });
    const logprobs = completion.choices[0]?.logprobs;
    expect(logprobs?.tokens?.join('')).toBe(completion.choices[0]?.text);
    expect(logprobs?.top_logprobs?.every((top) => Object.keys(top).length === 2)).toBe(true);
    expect(logprobs?.text_offset?.[0]).toBe(0);

    const chat = await client.chat.completions.create({
      model: MODEL,
      messages,
      max_tokens: 4,
      logprobs: true,
      top_logprobs: 3,
    });
    const content = chat.choices[0]?.logprobs?.content ?? [];
    expect(content.map((c) => c.token).join('')).toBe(chat.choices[0]?.message.content);
    for (const entry of content) {
      expect(entry.logprob).toBeLessThanOrEqual(0);
      expect(entry.top_logprobs).toHaveLength(3);
      expect(entry.top_logprobs.map((t) => t.token)).toContain(entry.token);
    }

    const stream = await client.chat.completions.create({
      model: MODEL,
      messages,
      max_tokens: 4,
      logprobs: true,
      top_logprobs: 3,
      stream: true,
    });
    const streamed: OpenAI.ChatCompletionTokenLogprob[] = [];
    for await (const chunk of stream) streamed.push(...(chunk.choices[0]?.logprobs?.content ?? []));
    expect(streamed).toEqual(content);
  });

  it('follows response_format json_schema', async () => {
    const schema = {
      type: 'object',
      properties: {
        city: { type: 'string' },
        population: { type: 'integer', minimum: 1000, maximum: 9000 },
        coastal: { type: 'boolean' },
        tags: { type: 'array', items: { type: 'string', enum: ['port', 'river', 'hill'] } },
      },
      required: ['city', 'population', 'coastal', 'tags'],
      additionalProperties: false,
    };
    const response = await client.chat.completions.create({
      model: MODEL,
      messages,
      max_tokens: 300,
      response_format: { type: 'json_schema', json_schema: { name: 'city', schema, strict: true } },
    });
    const value = JSON.parse(response.choices[0]?.message.content ?? '') as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['city', 'population', 'coastal', 'tags']);
    expect(value).toMatchObject({ city: expect.any(String), coastal: expect.any(Boolean) });
    expect(Number.isInteger(value['population'])).toBe(true);
    expect(value['population']).toBeGreaterThanOrEqual(1000);
    expect(value['population']).toBeLessThanOrEqual(9000);
    expect((value['tags'] as string[]).every((t) => ['port', 'river', 'hill'].includes(t))).toBe(
      true,
    );
    expect(response.choices[0]?.finish_reason).toBe('stop');
  });

  it('throws NotFoundError for an unknown model and BadRequestError for an out-of-range value', async () => {
    const missing = await caught(
      client.chat.completions.create({ model: 'meta/llama-3.1-8b-instruct', messages }),
    );
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ status: 404, param: 'model', type: 'NotFoundError' });
    expect((missing as NotFoundError).message).toContain(
      'The model `meta/llama-3.1-8b-instruct` does not exist.',
    );

    const hot = await caught(
      client.completions.create({ model: MODEL, prompt: 'x', temperature: 2.5 }),
    );
    expect(hot).toBeInstanceOf(BadRequestError);
    expect(hot).toMatchObject({ status: 400, param: 'temperature', type: 'BadRequestError' });
  });

  it('also reads NIM 1.x flat error bodies', async () => {
    sim.configure({ errorStyle: 'flat' });
    const hot = await caught(client.chat.completions.create({ model: MODEL, messages, top_p: 0 }));
    expect(hot).toBeInstanceOf(BadRequestError);
    expect(hot).toMatchObject({
      status: 400,
      param: 'top_p',
      message: '400 top_p must be in (0, 1], got 0.',
    });
  });
});

describe('the openai client against the simulator: tools, reasoning, images, guided decoding', () => {
  const tools = [
    {
      type: 'function' as const,
      function: {
        name: 'get_weather',
        parameters: {
          type: 'object',
          properties: { city: { type: 'string' } },
          required: ['city'],
        },
      },
    },
    { type: 'function' as const, function: { name: 'get_time', parameters: { type: 'object' } } },
  ];

  it('calls two tools in parallel, and answers their results', async () => {
    const first = await client.chat.completions.create({
      model: MODEL,
      messages,
      tools,
      max_tokens: 100,
    });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    const calls = choice.message.tool_calls!.filter((c) => c.type === 'function');
    expect(calls.map((c) => c.function.name)).toEqual(['get_weather', 'get_time']);
    expect(JSON.parse(calls[0]!.function.arguments)).toEqual({ city: expect.any(String) });
    const second = await client.chat.completions.create({
      model: MODEL,
      tools,
      max_tokens: 20,
      messages: [
        ...messages,
        choice.message,
        ...calls.map((c) => ({ role: 'tool' as const, tool_call_id: c.id, content: '42' })),
      ],
    });
    expect(second.choices[0]!.message.tool_calls ?? []).toEqual([]);
    expect(second.choices[0]!.message.content).not.toBe('');
  });

  it('streams tool-call deltas the client assembles by index', async () => {
    sim.configure({ toolCallDeltas: 'interleaved' });
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages,
      tools,
      stream: true,
    });
    const args = new Map<number, string>();
    const names = new Map<number, string>();
    for await (const chunk of stream) {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) {
        if (call.function?.name) names.set(call.index, call.function.name);
        args.set(call.index, (args.get(call.index) ?? '') + (call.function?.arguments ?? ''));
      }
    }
    expect([...names.values()]).toEqual(['get_weather', 'get_time']);
    expect(JSON.parse(args.get(0)!)).toEqual({ city: expect.any(String) });
  });

  it('refuses auto tool choice with 400 when started without tool support', async () => {
    sim.configure({ toolsEnabled: false });
    const error = await caught(client.chat.completions.create({ model: MODEL, messages, tools }));
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).message).toContain('--enable-auto-tool-choice');
  });

  it('reasons in the reasoning field, and stops when enable_thinking is false', async () => {
    sim.configure({ reasoningStyle: 'reasoning' });
    const on = await client.chat.completions.create({ model: MODEL, messages, max_tokens: 40 });
    expect((on.choices[0]!.message as { reasoning?: string }).reasoning).toMatch(/\w/);
    const off = await client.chat.completions.create({
      model: MODEL,
      messages,
      max_tokens: 40,
      // @ts-expect-error vLLM's extension, sent as is by the client
      chat_template_kwargs: { enable_thinking: false },
    });
    expect((off.choices[0]!.message as { reasoning?: string }).reasoning).toBeUndefined();
  });

  it('reads an image part, and follows a choice', async () => {
    const image = await client.chat.completions.create({
      model: MODEL,
      max_tokens: 8,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'https://images.example.com/a.png' } },
          ],
        },
      ],
    });
    expect(image.usage!.prompt_tokens).toBeGreaterThan(256);
    const choice = await client.chat.completions.create({
      model: MODEL,
      messages,
      max_tokens: 8,
      // @ts-expect-error NIM 2.x's guided decoding, sent as is by the client
      structured_outputs: { choice: ['yes', 'no'] },
    });
    expect(['yes', 'no']).toContain(choice.choices[0]!.message.content);
  });
});

describe('the openai client against the simulator: embeddings', () => {
  // NIM's own fields, which the client passes through in the body.
  const nim = (fields: Record<string, unknown>) =>
    fields as unknown as OpenAI.Embeddings.EmbeddingCreateParams;

  it('embeds in base64 (the client default) and in floats, the same normalised vectors', async () => {
    const input = ['what is hbm3', 'hbm3 is high bandwidth memory'];
    const base64 = await client.embeddings.create(
      nim({ model: 'sim/lorem-embedqa-1b', input, input_type: 'query' }),
    );
    expect(sim.requests.at(-1)?.body).toMatchObject({ encoding_format: 'base64' });
    const floats = await client.embeddings.create(
      nim({ model: 'sim/lorem-embedqa-1b', input, input_type: 'query', encoding_format: 'float' }),
    );
    expect(floats.data.map((d) => d.index)).toEqual([0, 1]);
    expect(floats.model).toBe('sim/lorem-embedqa-1b');
    expect(floats.usage).toEqual({ prompt_tokens: 8, total_tokens: 8 });
    for (const [i, entry] of floats.data.entries()) {
      expect(entry.embedding).toHaveLength(64);
      expect(Math.hypot(...entry.embedding)).toBeCloseTo(1, 6);
      entry.embedding.forEach((v, j) => expect(base64.data[i]!.embedding[j]).toBeCloseTo(v, 6));
    }
  });

  it('honours dimensions and refuses an asymmetric model without input_type', async () => {
    const short = await client.embeddings.create({
      model: 'sim/lorem-embed-1b',
      input: 'harbor',
      dimensions: 8,
      encoding_format: 'float',
    });
    expect(short.data[0]!.embedding).toHaveLength(8);
    expect(Math.hypot(...short.data[0]!.embedding)).toBeCloseTo(1, 6);
    const error = await caught(
      client.embeddings.create({ model: 'sim/lorem-embedqa-1b', input: 'harbor' }),
    );
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).message).toContain('input_type');
  });
});
