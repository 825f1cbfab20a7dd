// What a client sees of streams the simulator would never send on its own, written out event by
// event: reasoning and logprobs in chunks, chunks with nothing in them, the Done event's head
// (id, created, model, usage) taken from the right chunk, a choice that never finished, and
// in-band error events with every kind of code.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { collect } from '../support/sse.ts';
import { MODEL, startStack, type Stack } from '../support/stack.ts';

const LOGPROBS = 'logprobs { token logprob topLogprobs { token logprob } }';
const ERRORS = /* GraphQL */ `
  ... on GatewayError { code message }
  ... on InvalidInputError { argument }
  ... on RateLimitedError { retryAfterSeconds }
  ... on UpstreamError { upstreamStatus retryable }
`;

const CHAT = /* GraphQL */ `
  subscription Chat($model: ID!, $n: Int) {
    chatStream(model: $model, messages: [{ role: USER, content: "Hi" }], maxTokens: 4, options: { n: $n }) {
      __typename
      ... on ChatChunk { index role content reasoningContent finishReason ${LOGPROBS} }
      ... on ChatDone {
        id created model { id } usage { promptTokens completionTokens totalTokens }
        reply { role content reasoningContent }
        choices { index finishReason ${LOGPROBS} message { role content reasoningContent } }
      }
      ${ERRORS}
    }
  }
`;

const COMPLETION = /* GraphQL */ `
  subscription Completion($model: ID!, $n: Int) {
    completionStream(model: $model, prompt: "Once", maxTokens: 4, options: { n: $n }) {
      __typename
      ... on CompletionChunk { index text finishReason ${LOGPROBS} }
      ... on CompletionDone { id created text choices { index text finishReason ${LOGPROBS} } }
      ${ERRORS}
    }
  }
`;

/** Server-sent events, each `data:` line the JSON of one value (or the text of a string). */
const events = (...values: unknown[]) =>
  values
    .map((value) => `data: ${typeof value === 'string' ? value : JSON.stringify(value)}\n\n`)
    .join('');

const token = (text: string, logprob: number) => ({
  token: text,
  logprob,
  top_logprobs: [{ token: text, logprob }],
});
const TOKEN = (text: string, logprob: number) => ({
  token: text,
  logprob,
  topLogprobs: [{ token: text, logprob }],
});

describe('streams written out event by event', () => {
  let stack: Stack;
  beforeAll(async () => {
    // Failing streams follow one another here: the breaker must not open between them.
    stack = await startStack(
      { UPSTREAM_MAX_RETRIES: '0', UPSTREAM_BREAKER_FAILURES: '1000' },
      { tokenDelayMs: 0 },
    );
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.sim.reset());

  const answer = (path: string, body: string) =>
    stack.sim.inject({ path, status: 200, contentType: 'text/event-stream', rawBody: body });
  const chat = (n = 1) => collect(stack.endpoint, CHAT, { model: MODEL, n });
  const completion = (n = 1) => collect(stack.endpoint, COMPLETION, { model: MODEL, n });
  const plain = (values: Record<string, any>[]) =>
    values.map(({ at: _at, ...value }) => value as Record<string, any>);

  it('chat: relays reasoning and logprobs, drops empty chunks, and the Done event keeps the first id and created', async () => {
    answer(
      '/v1/chat/completions',
      events(
        // The role preamble: nothing to relay, but its role rides on the first relayed chunk.
        {
          id: 'chatcmpl-first',
          created: 1_700_000_000,
          model: MODEL,
          choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
        },
        {
          id: 'chatcmpl-first',
          created: 1_700_000_000,
          choices: [{ index: 0, delta: { reasoning_content: 'Thi' }, finish_reason: null }],
        },
        { choices: [{ index: 0, delta: { reasoning_content: 'nk' }, finish_reason: null }] },
        // Empty in every way: never relayed.
        {
          id: '',
          choices: [
            { index: 0, delta: { content: '', reasoning_content: '' }, finish_reason: null },
          ],
        },
        {
          id: 'chatcmpl-later',
          created: 1_800_000_000,
          choices: [
            {
              index: 0,
              delta: { content: 'Hi' },
              logprobs: { content: [token('Hi', -0.5)] },
              finish_reason: null,
            },
          ],
        },
        // An empty logprobs list is nothing either.
        {
          id: 'chatcmpl-later',
          choices: [{ index: 0, delta: {}, logprobs: { content: [] }, finish_reason: null }],
        },
        {
          id: 'chatcmpl-later',
          model: 'sim/served-as',
          choices: [
            {
              index: 0,
              delta: { content: ' there' },
              logprobs: { content: [token(' there', -1)] },
              finish_reason: 'stop',
            },
          ],
        },
        { choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } },
        '[DONE]',
      ),
    );
    const received = plain(await chat());
    // One read: its reasoning deltas joined, then its answer deltas joined, the role on the first.
    expect(received.slice(0, -1)).toEqual([
      {
        __typename: 'ChatChunk',
        index: 0,
        role: 'ASSISTANT',
        content: '',
        reasoningContent: 'Think',
        finishReason: null,
        logprobs: null,
      },
      {
        __typename: 'ChatChunk',
        index: 0,
        role: null,
        content: 'Hi there',
        reasoningContent: null,
        finishReason: 'STOP',
        logprobs: [TOKEN('Hi', -0.5), TOKEN(' there', -1)],
      },
    ]);
    expect(received.at(-1)).toEqual({
      __typename: 'ChatDone',
      id: 'chatcmpl-first',
      created: new Date(1_700_000_000_000).toISOString(),
      model: { id: 'sim/served-as' },
      usage: { promptTokens: 3, completionTokens: 2, totalTokens: 5 },
      reply: { role: 'ASSISTANT', content: 'Hi there', reasoningContent: 'Think' },
      choices: [
        {
          index: 0,
          finishReason: 'STOP',
          logprobs: [TOKEN('Hi', -0.5), TOKEN(' there', -1)],
          message: { role: 'ASSISTANT', content: 'Hi there', reasoningContent: 'Think' },
        },
      ],
    });
  });

  it('chat: without reasoning the reply has none (null, not an empty string), and without a head the Done event has the requested model', async () => {
    answer(
      '/v1/chat/completions',
      events(
        { choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }] },
        { choices: [{ index: 0, delta: { content: '!' }, finish_reason: 'length' }] },
        '[DONE]',
      ),
    );
    const done = (await chat()).at(-1)!;
    expect(done).toMatchObject({
      __typename: 'ChatDone',
      id: '',
      model: { id: MODEL },
      usage: null,
      reply: { role: 'ASSISTANT', content: 'Hi!', reasoningContent: null },
      choices: [{ index: 0, finishReason: 'LENGTH', logprobs: null }],
    });
  });

  it('completion: a chunk with only logprobs is relayed, and the Done event puts the choices in index order', async () => {
    answer(
      '/v1/completions',
      events(
        {
          id: 'cmpl-1',
          created: 1_700_000_000,
          choices: [{ index: 1, text: 'B', finish_reason: null }],
        },
        { id: 'cmpl-1', choices: [{ index: 0, text: 'A', finish_reason: null }] },
        {
          id: 'cmpl-1',
          choices: [
            {
              index: 0,
              text: '',
              logprobs: { tokens: [''], token_logprobs: [-2], top_logprobs: [{ '': -2 }] },
              finish_reason: null,
            },
          ],
        },
        // Empty: neither text nor logprobs nor a finish reason.
        { id: 'cmpl-1', choices: [{ index: 1, text: '', finish_reason: null }] },
        { id: 'cmpl-1', choices: [{ index: 1, text: '', finish_reason: 'stop' }] },
        { id: 'cmpl-1', choices: [{ index: 0, text: '!', finish_reason: 'length' }] },
        '[DONE]',
      ),
    );
    const received = plain(await completion(2));
    // One read: each choice's deltas joined, the choices in the order they first came.
    expect(received.slice(0, -1)).toEqual([
      { __typename: 'CompletionChunk', index: 1, text: 'B', finishReason: 'STOP', logprobs: null },
      {
        __typename: 'CompletionChunk',
        index: 0,
        text: 'A!',
        finishReason: 'LENGTH',
        logprobs: [TOKEN('', -2)],
      },
    ]);
    expect(received.at(-1)).toEqual({
      __typename: 'CompletionDone',
      id: 'cmpl-1',
      created: new Date(1_700_000_000_000).toISOString(),
      text: 'A!',
      choices: [
        { index: 0, text: 'A!', finishReason: 'LENGTH', logprobs: [TOKEN('', -2)] },
        { index: 1, text: 'B', finishReason: 'STOP', logprobs: null },
      ],
    });
  });

  for (const [kind, path, run, body] of [
    [
      'chat',
      '/v1/chat/completions',
      chat,
      events(
        { choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: 'stop' }] },
        '[DONE]',
      ),
    ],
    [
      'completion',
      '/v1/completions',
      completion,
      events({ choices: [{ index: 0, text: 'Hi', finish_reason: 'stop' }] }, '[DONE]'),
    ],
  ] as const) {
    it(`${kind}: [DONE] before a choice that was asked for ever came is a truncation error, never a Done`, async () => {
      answer(path, body);
      const received = plain(await run(2));
      expect(received.map((e) => e.__typename)).toEqual([
        `${kind === 'chat' ? 'Chat' : 'Completion'}Chunk`,
        'UpstreamError',
      ]);
      expect(received.at(-1)).toEqual({
        __typename: 'UpstreamError',
        code: 'UPSTREAM_ERROR',
        message:
          'upstream stream ended without a finish reason for choice 1: the answer may be truncated',
        upstreamStatus: 200,
        retryable: false,
      });
    });
  }

  it('[DONE] after a choice that never finished is a truncation error naming it', async () => {
    answer(
      '/v1/chat/completions',
      events({ choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }] }, '[DONE]'),
    );
    expect((await chat()).at(-1)).toMatchObject({
      __typename: 'UpstreamError',
      message:
        'upstream stream ended without a finish reason for choice 0: the answer may be truncated',
    });
  });

  it('every finish reason by its name, one the gateway does not know (or an empty one) as OTHER; without created, the Done event is stamped now', async () => {
    const reasons = ['stop', 'length', 'tool_calls', 'content_filter', 'abort', 'eos_token', ''];
    answer(
      '/v1/completions',
      events(
        ...reasons.map((reason, index) => ({
          id: 'cmpl-2',
          choices: [{ index, text: String(index), finish_reason: reason }],
        })),
        // A trailing empty delta for a finished choice does not take its finish reason away.
        { id: 'cmpl-2', choices: [{ index: 0, text: '', finish_reason: null }] },
        '[DONE]',
      ),
    );
    const start = Date.now();
    const done = (await completion(reasons.length)).at(-1)!;
    expect(done.choices.map((c: { finishReason: string }) => c.finishReason)).toEqual([
      'STOP',
      'LENGTH',
      'TOOL_CALLS',
      'CONTENT_FILTER',
      'ABORT',
      'OTHER',
      'OTHER',
    ]);
    // Stamped by the gateway, in whole seconds: not before this test began, not the epoch.
    expect(Date.parse(done.created)).toBeGreaterThanOrEqual(Math.floor(start / 1000) * 1000);
  });

  it('reads chunks leniently: no delta, no choices, fields of the wrong type, and a usage it cannot read', async () => {
    answer(
      '/v1/chat/completions',
      events(
        {
          id: 7,
          created: 'now',
          model: 5,
          choices: [{ index: 0, delta: { role: 9, content: 'Hi', reasoning_content: 3 } }],
        },
        { choices: null },
        { choices: [{ index: 0, finish_reason: 12 }] },
        {
          choices: [{ index: 0, delta: null, finish_reason: 'stop' }],
          usage: { prompt_tokens: 'x' },
        },
        '[DONE]',
      ),
    );
    const received = plain(await chat());
    // id is not a string: the chunk is malformed. Everything else reads as null.
    expect(received.at(-1)).toMatchObject({
      __typename: 'UpstreamError',
      message: 'upstream stream sent a malformed chunk',
    });
    answer(
      '/v1/chat/completions',
      events(
        {
          id: null,
          created: 'now',
          model: 5,
          choices: [{ index: 0, delta: { role: 9, content: 'Hi', reasoning_content: 3 } }],
        },
        { choices: null },
        { choices: [{ index: 0, finish_reason: 12 }] },
        {
          choices: [{ index: 0, delta: null, finish_reason: 'stop' }],
          usage: { prompt_tokens: 'x' },
        },
        '[DONE]',
      ),
    );
    const lenient = plain(await chat());
    // One read: the text and the finish reason of the chunks that could be read, joined.
    expect(lenient).toEqual([
      {
        __typename: 'ChatChunk',
        index: 0,
        role: null,
        content: 'Hi',
        reasoningContent: null,
        finishReason: 'STOP',
        logprobs: null,
      },
      expect.objectContaining({
        __typename: 'ChatDone',
        id: '',
        model: { id: MODEL },
        usage: null,
        reply: { role: 'ASSISTANT', content: 'Hi', reasoningContent: null },
      }),
    ]);
  });

  it('a chunk with a negative choice index, or one that is not JSON, breaks the stream', async () => {
    answer(
      '/v1/completions',
      events({ choices: [{ index: -1, text: 'x', finish_reason: 'stop' }] }, '[DONE]'),
    );
    expect((await completion()).at(-1)).toMatchObject({
      __typename: 'UpstreamError',
      message: 'upstream stream sent a malformed chunk',
      upstreamStatus: 200,
    });
    answer('/v1/completions', 'data: {"choices": [\n\ndata: [DONE]\n\n');
    expect((await completion()).at(-1)).toMatchObject({
      __typename: 'UpstreamError',
      message: 'upstream stream sent an event that is not JSON',
    });
  });

  it('an error event in no known shape is still an error, with the code it carries', async () => {
    for (const [event, code, status] of [
      [{ error: { code: 503 } }, 'UPSTREAM_UNAVAILABLE', 503],
      [{ object: 'error', code: 429 }, 'RATE_LIMITED', undefined],
      [{ error: 42 }, 'UPSTREAM_ERROR', 500],
      [{ error: { code: '503' } }, 'UPSTREAM_ERROR', 500],
    ] as const) {
      answer(
        '/v1/chat/completions',
        events({ choices: [{ index: 0, delta: { content: 'Hi' } }] }, event),
      );
      const last = (await chat()).at(-1)!;
      expect(last).toMatchObject({
        code,
        message: expect.stringMatching(/an error event in an unknown shape$/),
      });
      if (status !== undefined) expect(last.upstreamStatus).toBe(status);
    }
  });

  it('a chunk whose error field is null is a chunk', async () => {
    answer(
      '/v1/chat/completions',
      events(
        { error: null, choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: 'stop' }] },
        '[DONE]',
      ),
    );
    expect((await chat()).at(-1)).toMatchObject({
      __typename: 'ChatDone',
      reply: { content: 'Hi' },
    });
  });

  describe('an error event in the stream is classified by its code', () => {
    const inBand = (code: unknown, message = 'engine said no') =>
      answer(
        '/v1/chat/completions',
        events(
          { choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }] },
          { error: { message, type: 'Whatever', code } },
        ),
      );

    it.each([
      [399, 500, true],
      [600, 500, true],
      [null, 500, true],
      [599, 599, true],
      [500, 500, true],
      [418, 418, false],
    ])('code %j → UPSTREAM_ERROR with status %i', async (code, status, retryable) => {
      inBand(code);
      const received = plain(await chat());
      expect(received.at(-1)).toEqual({
        __typename: 'UpstreamError',
        code: 'UPSTREAM_ERROR',
        message: `upstream sent in-band error ${status}: engine said no`,
        upstreamStatus: status,
        retryable,
      });
      expect(received.some((e) => e.__typename === 'ChatDone')).toBe(false);
    });

    it('code 400 → BAD_USER_INPUT with the upstream message, code 429 → RATE_LIMITED, 503 → UPSTREAM_UNAVAILABLE', async () => {
      inBand(400, 'top_p must be in (0, 1]');
      expect((await chat()).at(-1)).toMatchObject({
        __typename: 'InvalidInputError',
        code: 'BAD_USER_INPUT',
        message: 'top_p must be in (0, 1]',
      });
      inBand(429, 'slow down');
      expect((await chat()).at(-1)).toMatchObject({
        __typename: 'RateLimitedError',
        code: 'RATE_LIMITED',
        message: 'upstream sent in-band error 429: slow down',
        retryAfterSeconds: null,
      });
      inBand(503, 'overloaded');
      expect((await chat()).at(-1)).toMatchObject({
        __typename: 'UpstreamError',
        code: 'UPSTREAM_UNAVAILABLE',
        message: 'upstream sent in-band error 503: overloaded',
        upstreamStatus: 503,
        retryable: true,
      });
    });
  });
});
