// The simulator's sampling parameters: NIM/vLLM ranges, nvext versus top-level, ignore_eos, min_tokens, logprobs, response_format.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/server.ts';
import { countTokens } from '../../src/simulator/text.ts';
import { MODEL, simulatorHttp, type Json } from '../support/simulator-http.ts';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

const { complete, chat, streamCompletion, streamChat } = simulatorHttp(() => sim.url);

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
    [
      { response_format: { type: 'json_schema', json_schema: { name: 'x', schema: 'object' } } },
      'response_format',
    ],
    [{ response_format: { type: 'json_schema', json_schema: { schema: {} } } }, 'response_format'],
    [
      {
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'x', schema: {}, strict: 'yes' },
        },
      },
      'response_format',
    ],
  ];

  describe.each(both)('%s', (_, send) => {
    it.each(rejected)('answers 400 for %j naming %s', async (override, param) => {
      const { status, json } = await send(override);
      expect(status).toBe(400);
      expect(json).toMatchObject({ object: 'error', type: 'BadRequestError', param, code: 400 });
    });

    it('accepts the boundary values', async () => {
      const accepted: Json[] = [
        { temperature: 0 },
        { temperature: 2 },
        { top_p: 1 },
        { seed: -3 },
        { frequency_penalty: -2 },
        { presence_penalty: 2 },
        { top_k: -1 },
        { top_k: 0 },
        { top_k: 1 },
        { repetition_penalty: 2 },
        { repetition_penalty: 0.01 },
        { min_p: 0 },
        { min_p: 1 },
        { user: 'u-1' },
        { ignore_eos: false },
        { max_tokens: 5, min_tokens: 5 },
        { response_format: { type: 'text' } },
        {
          response_format: {
            type: 'json_schema',
            json_schema: { name: 'x', schema: {}, strict: true },
          },
        },
      ];
      for (const body of accepted)
        expect([body, (await send({ max_tokens: 5, ...body })).status]).toEqual([body, 200]);
    });
  });

  it('uses vLLM messages', async () => {
    const message = async (send: (body: Json) => Promise<{ json: Json }>, body: Json) =>
      (await send(body)).json.message;
    expect(await message(complete, { temperature: 3 })).toBe(
      'temperature must be in [0, 2], got 3.',
    );
    expect(await message(complete, { top_k: -5 })).toBe(
      'top_k must be 0 (disable), or at least 1, got -5.',
    );
    expect(await message(complete, { min_p: 2 })).toBe('min_p must be in [0, 1], got 2.');
    expect(await message(complete, { stop: ['x', ''] })).toBe(
      'stop cannot contain an empty string.',
    );
    expect(await message(complete, { min_tokens: 17 })).toBe(
      'min_tokens must be less than or equal to max_tokens=16, got 17.',
    );
    // Chat's default max_tokens is the rest of the window: 8192 - 6 prompt tokens.
    expect(await message(chat, { min_tokens: 9000 })).toBe(
      'min_tokens must be less than or equal to max_tokens=8186, got 9000.',
    );
    expect(await message(complete, { logprobs: 21 })).toBe(
      'Requested sample logprobs of 21, which is greater than max allowed: 20',
    );
    expect(await message(chat, { top_logprobs: 2 })).toBe(
      'when using `top_logprobs`, `logprobs` must be set to true.',
    );
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
    expect(
      (await complete({ top_k: 40, repetition_penalty: 1.2, min_p: 0.1, min_tokens: 2 })).status,
    ).toBe(200);
    const ignored = await complete({ max_tokens: 200, nvext: { top_k: -9, ignore_eos: true } });
    expect(ignored.status).toBe(200);
    expect(ignored.json.usage.completion_tokens).toBeLessThanOrEqual(120);
    expect((await complete({ nvext: 'junk' })).status).toBe(200);
  });

  it.each([complete, chat])(
    'version 1 refuses top-level top_k and repetition_penalty and reads nvext (%#)',
    async (send) => {
      sim.configure({ apiVersion: 1 });
      for (const field of ['top_k', 'repetition_penalty']) {
        const { status, json } = await send({ [field]: 1 });
        expect(status).toBe(400);
        expect(json).toMatchObject({
          message: `The field ${field} is unsupported`,
          param: field,
          type: 'BadRequestError',
        });
      }
      const nested = await send({
        max_tokens: 150,
        nvext: { top_k: 40, repetition_penalty: 1.1, ignore_eos: true },
      });
      expect(nested.status).toBe(200);
      expect(nested.json.usage.completion_tokens).toBe(150);
      expect(nested.json.choices[0].finish_reason).toBe('length');
      expect(sim.requests.at(-1)?.body).toMatchObject({
        nvext: { top_k: 40, repetition_penalty: 1.1, ignore_eos: true },
      });
      // Fields that early 1.x also took at the top level.
      expect(
        (await send({ ignore_eos: true, min_tokens: 1, min_p: 0.5, top_k: null })).status,
      ).toBe(200);
    },
  );

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
    expect(
      (await complete({ max_tokens: 500, seed: 4, min_tokens: length - 5 })).json,
    ).toMatchObject({
      usage: { completion_tokens: length },
      choices: [{ text: natural.choices[0].text }],
    });
  });

  it('min_tokens also holds back stop strings, as vLLM does', async () => {
    const full = (await complete({ max_tokens: 60, seed: 5 })).json.choices[0].text as string;
    const stopWord = full.split(' ').filter((w) => /^[a-z]+$/.test(w))[1]!;
    const early = (await complete({ max_tokens: 60, seed: 5, stop: [stopWord] })).json;
    expect(early.usage.completion_tokens).toBeLessThan(10);
    const held = (await complete({ max_tokens: 60, seed: 5, stop: [stopWord], min_tokens: 10 }))
      .json;
    expect(held.usage.completion_tokens).toBeGreaterThanOrEqual(10);
    expect(held.choices[0].text.length).toBeGreaterThan(early.choices[0].text.length);
  });
});

function expectRanked(
  alternatives: { token: string; logprob: number }[],
  sampled: { token: string; logprob: number },
) {
  const values = alternatives.map((a) => a.logprob);
  expect(values.every((v) => v <= 0)).toBe(true);
  expect(values).toEqual([...values].sort((a, b) => b - a));
  expect(new Set(alternatives.map((a) => a.token)).size).toBe(alternatives.length);
  if (alternatives.length > 0) expect(alternatives).toContainEqual(sampled);
}

const entries = (top: Record<string, number>) =>
  Object.entries(top)
    .map(([token, logprob]) => ({ token, logprob }))
    .sort((a, b) => b.logprob - a.logprob);

describe('logprobs', () => {
  it('completions: parallel lists, N ranked alternatives holding the sampled token, offsets into the text', async () => {
    const { json } = await complete({ max_tokens: 8, logprobs: 3, seed: 9 });
    const { text, logprobs } = json.choices[0];
    expect(Object.keys(logprobs).sort()).toEqual([
      'text_offset',
      'token_logprobs',
      'tokens',
      'top_logprobs',
    ]);
    expect(logprobs.tokens.join('')).toBe(text);
    expect(logprobs.tokens).toHaveLength(8);
    expect(logprobs.token_logprobs.every((v: number) => v <= 0)).toBe(true);
    logprobs.tokens.forEach((token: string, i: number) => {
      expect(logprobs.text_offset[i]).toBe(logprobs.tokens.slice(0, i).join('').length);
      expect(Object.keys(logprobs.top_logprobs[i])).toHaveLength(3);
      expectRanked(entries(logprobs.top_logprobs[i]), {
        token,
        logprob: logprobs.token_logprobs[i],
      });
    });
    expect(
      (await complete({ max_tokens: 8, logprobs: 3, seed: 9 })).json.choices[0].logprobs,
    ).toEqual(logprobs);
    expect((await complete({ max_tokens: 8, seed: 9 })).json.choices[0]).toMatchObject({
      text,
      logprobs: null,
    });
  });

  it('completions: logprobs 0 lists only the sampled token; temperature 0 always samples the best', async () => {
    const zero = (await complete({ max_tokens: 5, logprobs: 0 })).json.choices[0].logprobs;
    zero.tokens.forEach((token: string, i: number) =>
      expect(zero.top_logprobs[i]).toEqual({ [token]: zero.token_logprobs[i] }),
    );
    const greedy = (await complete({ max_tokens: 30, logprobs: 5, temperature: 0 })).json.choices[0]
      .logprobs;
    greedy.tokens.forEach((token: string, i: number) =>
      expect(entries(greedy.top_logprobs[i])[0]!.token).toBe(token),
    );
  });

  it('completions with echo list the prompt tokens first, the very first without logprobs', async () => {
    const { json } = await complete({
      prompt: 'Once upon a time',
      max_tokens: 3,
      logprobs: 1,
      echo: true,
    });
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
      for (const top of entry.top_logprobs)
        expect(top.bytes).toEqual([...Buffer.from(top.token, 'utf8')]);
      expectRanked(
        entry.top_logprobs.map(({ token, logprob }: Json) => ({ token, logprob })),
        { token: entry.token, logprob: entry.logprob },
      );
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
    for (const chunk of chunks)
      expect(chunk.choices[0].logprobs.tokens).toEqual([chunk.choices[0].text]);
    const merged = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] } as Record<
      string,
      unknown[]
    >;
    for (const chunk of chunks)
      for (const key of Object.keys(merged)) merged[key]!.push(...chunk.choices[0].logprobs[key]);
    expect(merged).toEqual(whole);

    const chatBody = { max_tokens: 5, logprobs: true, top_logprobs: 3, seed: 11 };
    const chatWhole = (await chat(chatBody)).json.choices[0].logprobs;
    const streamed = await streamChat(chatBody);
    expect(streamed.chunks[0]!.choices[0].logprobs).toBeNull();
    const tokenChunks = streamed.chunks.slice(1);
    for (const chunk of tokenChunks) {
      expect(chunk.choices[0].logprobs.content.map((c: Json) => c.token)).toEqual([
        chunk.choices[0].delta.content,
      ]);
    }
    expect(tokenChunks.flatMap((c) => c.choices[0].logprobs.content)).toEqual(chatWhole.content);
  });
});

/** Checks the JSON Schema subset the simulator promises to honour. */
function conforms(schema: Json, value: unknown): boolean {
  if (schema.enum)
    return schema.enum.some((e: unknown) => JSON.stringify(e) === JSON.stringify(value));
  if ('const' in schema) return JSON.stringify(schema.const) === JSON.stringify(value);
  if (schema.anyOf) return schema.anyOf.some((s: Json) => conforms(s, value));
  const types: string[] = Array.isArray(schema.type)
    ? schema.type
    : schema.type
      ? [schema.type]
      : ['string'];
  return types.some((type) => {
    switch (type) {
      case 'object': {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
        const record = value as Record<string, unknown>;
        if (!(schema.required ?? []).every((key: string) => key in record)) return false;
        return Object.entries(schema.properties ?? {}).every(
          ([key, sub]) => !(key in record) || conforms(sub as Json, record[key]),
        );
      }
      case 'array':
        return (
          Array.isArray(value) &&
          value.length >= (schema.minItems ?? 0) &&
          value.length <= (schema.maxItems ?? Infinity) &&
          value.every((item) => conforms(schema.items ?? {}, item))
        );
      case 'string':
        return (
          typeof value === 'string' &&
          value.length >= (schema.minLength ?? 0) &&
          value.length <= (schema.maxLength ?? Infinity)
        );
      case 'integer':
      case 'number':
        return (
          typeof value === 'number' &&
          (type === 'number' || Number.isInteger(value)) &&
          value >= (schema.minimum ?? -Infinity) &&
          value <= (schema.maximum ?? Infinity)
        );
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
    address: {
      type: 'object',
      properties: { city: { type: 'string' }, zip: { type: 'integer' } },
      required: ['city', 'zip'],
    },
    matrix: { type: 'array', items: { type: 'array', items: { type: 'number' } } },
    kind: { const: 'person' },
    id: { format: 'uuid' },
  },
  required: ['name', 'age', 'extra'],
};
const personFormat = {
  type: 'json_schema',
  json_schema: { name: 'person', schema: PERSON_SCHEMA, strict: true },
};

describe('response_format', () => {
  it('json_object: the text is a deterministic JSON object', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { json } = await complete({
        max_tokens: 300,
        seed,
        response_format: { type: 'json_object' },
      });
      const value = JSON.parse(json.choices[0].text);
      expect(typeof value === 'object' && value !== null && !Array.isArray(value)).toBe(true);
      expect(Object.keys(value).length).toBeGreaterThan(0);
      expect(json.choices[0].finish_reason).toBe('stop');
      expect(json.usage.completion_tokens).toBe(countTokens(json.choices[0].text));
    }
    const chatted = async () =>
      (await chat({ seed: 8, response_format: { type: 'json_object' } })).json.choices[0].message
        .content;
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
    const top = await complete({
      max_tokens: 50,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'n', schema: { type: 'integer', minimum: 5, maximum: 7 } },
      },
    });
    expect([5, 6, 7]).toContain(JSON.parse(top.json.choices[0].text));
    expect(sim.requests.at(-1)?.body).toMatchObject({
      response_format: { type: 'json_schema', json_schema: { name: 'n' } },
    });
  });

  it('streams the JSON token by token, with the same text as the JSON answer', async () => {
    const body = {
      max_tokens: 500,
      seed: 2,
      response_format: personFormat,
      stream_options: { include_usage: true },
    };
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
    const full = (await complete({ max_tokens: 500, seed: 6, response_format: personFormat })).json
      .choices[0].text as string;
    const cut = (await complete({ max_tokens: 7, seed: 6, response_format: personFormat })).json;
    expect(cut.choices[0].finish_reason).toBe('length');
    expect(cut.usage.completion_tokens).toBe(7);
    expect(full.startsWith(cut.choices[0].text)).toBe(true);
    expect(() => JSON.parse(cut.choices[0].text)).toThrow();
  });

  it('ignore_eos and min_tokens pad a finished JSON with whitespace, so it still parses', async () => {
    const format = { type: 'json_object' };
    const natural = (await complete({ max_tokens: 500, seed: 7, response_format: format })).json;
    const padded = (
      await complete({ max_tokens: 200, seed: 7, response_format: format, ignore_eos: true })
    ).json;
    expect(padded.usage.completion_tokens).toBe(200);
    expect(padded.choices[0].finish_reason).toBe('length');
    expect(JSON.parse(padded.choices[0].text)).toEqual(JSON.parse(natural.choices[0].text));
    const atLeast = (
      await complete({ max_tokens: 500, seed: 7, response_format: format, min_tokens: 150 })
    ).json;
    expect(atLeast.usage.completion_tokens).toBe(150);
    expect(atLeast.choices[0].finish_reason).toBe('stop');
  });

  it('type text is plain generation; logprobs cover JSON tokens too', async () => {
    const plain = (await complete({ seed: 1 })).json.choices[0].text;
    expect(
      (await complete({ seed: 1, response_format: { type: 'text' } })).json.choices[0].text,
    ).toBe(plain);
    const { json } = await chat({
      seed: 1,
      logprobs: true,
      top_logprobs: 2,
      response_format: { type: 'json_object' },
    });
    expect(json.choices[0].logprobs.content.map((c: Json) => c.token).join('')).toBe(
      json.choices[0].message.content,
    );
  });
});
