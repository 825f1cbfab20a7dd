import { createClient } from 'graphql-sse';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { collect, subscribe } from '../support/sse.ts';
import { MODEL, startStack, type Stack } from '../support/stack.ts';

const COMPLETION_STREAM = /* GraphQL */ `
  subscription S(
    $model: ID!
    $prompt: String!
    $maxTokens: Int
    $options: GenerationOptions
    $responseFormat: ResponseFormatInput
  ) {
    completionStream(
      model: $model
      prompt: $prompt
      maxTokens: $maxTokens
      options: $options
      responseFormat: $responseFormat
    ) {
      __typename
      ... on CompletionChunk {
        index
        text
        finishReason
        logprobs {
          token
          logprob
        }
      }
      ... on CompletionDone {
        id
        text
        json
        choices {
          index
          text
          finishReason
        }
        usage {
          promptTokens
          completionTokens
          totalTokens
        }
        model {
          id
        }
      }
      ... on GatewayError {
        code
        message
      }
      ... on InvalidInputError {
        argument
      }
      ... on UpstreamTimeoutError {
        phase
      }
      ... on UpstreamError {
        upstreamStatus
        retryable
      }
      ... on ModelNotFoundError {
        availableModels
      }
      ... on RateLimitedError {
        retryAfterSeconds
      }
    }
  }
`;

const CHAT_STREAM = /* GraphQL */ `
  subscription C(
    $model: ID!
    $messages: [ChatMessageInput!]!
    $maxTokens: Int
    $options: GenerationOptions
  ) {
    chatStream(model: $model, messages: $messages, maxTokens: $maxTokens, options: $options) {
      __typename
      ... on ChatChunk {
        index
        role
        content
        finishReason
      }
      ... on ChatDone {
        reply {
          role
          content
        }
        choices {
          index
          finishReason
          message {
            content
          }
        }
        usage {
          totalTokens
        }
      }
      ... on GatewayError {
        code
        message
      }
      ... on UpstreamTimeoutError {
        phase
      }
      ... on UpstreamError {
        upstreamStatus
        retryable
      }
      ... on RateLimitedError {
        retryAfterSeconds
      }
    }
  }
`;

const messages = [{ role: 'USER', content: 'Name a harbor.' }];
const TERMINAL = /Done$|Error$/;

describe('streaming subscriptions', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({}, { tokenDelayMs: 0 });
  });
  afterAll(() => stack.close());
  beforeEach(() => {
    stack.sim.reset();
    stack.sim.configure({ tokenDelayMs: 0 });
  });

  it('relays each token as its own event, as it arrives, then CompletionDone with usage', async () => {
    const delay = 40;
    stack.sim.configure({ tokenDelayMs: delay });
    const events = await collect(stack.endpoint, COMPLETION_STREAM, {
      model: MODEL,
      prompt: 'Once',
      maxTokens: 8,
      options: { ignoreEos: true },
    });
    const chunks = events.filter((e) => e.__typename === 'CompletionChunk');
    const done = events.at(-1)!;
    expect(done.__typename).toBe('CompletionDone');
    expect(events.filter((e) => TERMINAL.test(e.__typename))).toHaveLength(1);
    expect(chunks).toHaveLength(8);
    expect(chunks.map((c) => c.text).join('')).toBe(done.text);
    expect(chunks.at(-1)!.finishReason).toBe('LENGTH');
    expect(chunks.slice(0, -1).every((c) => c.finishReason === null)).toBe(true);
    expect(done.choices).toEqual([{ index: 0, text: done.text, finishReason: 'LENGTH' }]);
    expect(done.usage).toMatchObject({ completionTokens: 8 });
    expect(done.usage.totalTokens).toBe(done.usage.promptTokens + 8);
    expect(done.model.id).toBe(MODEL);
    // Paced upstream tokens arrive spread out, not in one burst at the end.
    const gaps = chunks.slice(1).map((c, i) => c.at - chunks[i]!.at);
    expect(gaps.filter((gap) => gap >= delay / 2).length).toBeGreaterThanOrEqual(5);
    expect(done.at - chunks[0]!.at).toBeGreaterThanOrEqual(delay * 4);
  });

  it('sends stream: true with stream_options.include_usage upstream, and the mutation sends neither', async () => {
    await collect(stack.endpoint, COMPLETION_STREAM, {
      model: MODEL,
      prompt: 'Once',
      maxTokens: 4,
    });
    await stack.gql(
      'mutation { complete(model: "sim/lorem-8b-instruct", prompt: "Once", maxTokens: 4) { __typename } }',
    );
    const [streamed, plain] = stack.sim.requests.filter((r) => r.path === '/v1/completions');
    expect(streamed!.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 4,
    });
    expect(plain!.body).not.toHaveProperty('stream');
    expect(plain!.body).not.toHaveProperty('stream_options');
  });

  it('streams chat deltas and ends with the whole reply', async () => {
    const events = await collect(stack.endpoint, CHAT_STREAM, {
      model: MODEL,
      messages,
      maxTokens: 12,
    });
    const chunks = events.filter((e) => e.__typename === 'ChatChunk');
    const done = events.at(-1)!;
    expect(done.__typename).toBe('ChatDone');
    // The simulator's tokens come in one read or a few: relayed joined, as many chunks as reads.
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks.map((c) => c.content).join('')).toBe(done.reply.content);
    expect(done.reply.role).toBe('ASSISTANT');
    expect(done.choices[0].finishReason).toMatch(/^(STOP|LENGTH)$/);
    expect(done.usage.totalTokens).toBeGreaterThan(0);
    const body = stack.sim.requests.find((r) => r.path === '/v1/chat/completions')!.body;
    expect(body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 12,
    });
  });

  it('keeps several choices apart by index, each with its finish reason', async () => {
    const events = await collect(stack.endpoint, COMPLETION_STREAM, {
      model: MODEL,
      prompt: 'Once',
      maxTokens: 6,
      options: { n: 2, ignoreEos: true },
    });
    const done = events.at(-1)!;
    expect(done.choices).toHaveLength(2);
    for (const choice of done.choices) {
      const text = events
        .filter((e) => e.__typename === 'CompletionChunk' && e.index === choice.index)
        .map((e) => e.text)
        .join('');
      expect(text).toBe(choice.text);
      expect(choice.finishReason).toBe('LENGTH');
    }
  });

  it('ends with exactly one InvalidInputError event and no upstream call for a bad argument', async () => {
    const events = await collect(stack.endpoint, COMPLETION_STREAM, {
      model: MODEL,
      prompt: 'Once',
      options: { topP: 0 },
    });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      __typename: 'InvalidInputError',
      code: 'BAD_USER_INPUT',
      argument: 'options.topP',
    });
    expect(stack.sim.countRequests('/v1/completions')).toBe(0);
  });

  it('ends with ModelNotFoundError for an unknown model, naming the served ones', async () => {
    const events = await collect(stack.endpoint, COMPLETION_STREAM, {
      model: 'sim/nope',
      prompt: 'Once',
    });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ __typename: 'ModelNotFoundError', code: 'MODEL_NOT_FOUND' });
    expect(events[0]!.availableModels).toContain(MODEL);
  });

  // Retried: on a loaded 2-core machine another worker can hold the CPU past 100 ms; a missing abort fails every try.
  it(
    'aborts the upstream request within 100 ms of the client closing the stream',
    { retry: 2 },
    async () => {
      stack.sim.configure({ tokenDelayMs: 200 });
      const controller = new AbortController();
      const stream = subscribe(
        stack.endpoint,
        COMPLETION_STREAM,
        { model: MODEL, prompt: 'Once', maxTokens: 50, options: { ignoreEos: true } },
        { signal: controller.signal },
      );
      const first = await stream.next();
      expect(first.value!.payload.data!.completionStream.__typename).toBe('CompletionChunk');
      const closedAt = Date.now();
      controller.abort();
      await stream.return(undefined).catch(() => undefined);
      const aborted = await stack.sim.waitForAbort('/v1/completions', 2000);
      expect(aborted.abortedAt! - closedAt).toBeLessThan(100);
      expect(aborted.finishedAt).toBeNull();
    },
  );

  it('hands the upstream connection back after [DONE], even when the response ends apart from it', async () => {
    stack.sim.inject({ path: '/v1/completions', endDelayMs: 40, times: Infinity });
    let before = 0;
    // The first stream (and the model list) may open connections; the next five should need none.
    for (let i = 0; i < 6; i += 1) {
      if (i === 1) before = stack.sim.connections();
      const events = await collect(stack.endpoint, COMPLETION_STREAM, {
        model: MODEL,
        prompt: 'Once upon a time',
        maxTokens: 2,
      });
      expect(events.at(-1)!.__typename).toBe('CompletionDone');
      // The Done event leaves at [DONE]; the upstream response ends 40 ms later.
      await new Promise((resolve) => setTimeout(resolve, 120));
    }
    // Reading the rest of the body keeps the connection; destroying it at [DONE] would cost one per stream.
    expect(stack.sim.connections() - before).toBeLessThanOrEqual(1);
  });

  it('closes an upstream connection whose response never ends after [DONE], so it cannot hold the pool', async () => {
    const narrow = await startStack({ UPSTREAM_CONNECTIONS: '1' }, { tokenDelayMs: 0 });
    try {
      narrow.sim.inject({ path: '/v1/completions', endDelayMs: 60_000 });
      const events = await collect(narrow.endpoint, COMPLETION_STREAM, {
        model: MODEL,
        prompt: 'Once upon a time',
        maxTokens: 2,
      });
      expect(events.at(-1)!.__typename).toBe('CompletionDone');
      // The pool's one connection is free again within a second, not after the upstream's 60 s.
      const after = await narrow.gql(
        'mutation { complete(model: "' +
          MODEL +
          '", prompt: "Once", maxTokens: 2) { __typename } }',
      );
      expect(after.data!.complete.__typename).toBe('Completion');
    } finally {
      await narrow.close();
    }
  });

  it('works with graphql-sse clients in distinct-connections and single-connection mode', async () => {
    for (const [url, singleConnection] of [
      [stack.endpoint, false],
      [`${stack.endpoint}/stream`, true],
    ] as const) {
      const client = createClient({ url, singleConnection, retryAttempts: 0 });
      const names: string[] = [];
      let done: Record<string, any> | undefined;
      for await (const result of client.iterate({
        query: CHAT_STREAM,
        variables: { model: MODEL, messages, maxTokens: 6 },
      })) {
        const event = result.data!.chatStream as Record<string, any>;
        names.push(event.__typename);
        if (event.__typename === 'ChatDone') done = event;
      }
      client.dispose();
      expect(names.at(-1), `singleConnection=${singleConnection}`).toBe('ChatDone');
      expect(names.filter((n) => n === 'ChatChunk').length).toBeGreaterThan(0);
      expect(done!.reply.content.length).toBeGreaterThan(0);
    }
  });

  it('leaves out stream_options and reports null usage when STREAM_INCLUDE_USAGE=false', async () => {
    const quiet = await startStack({ STREAM_INCLUDE_USAGE: 'false' }, { tokenDelayMs: 0 });
    try {
      const events = await collect(quiet.endpoint, COMPLETION_STREAM, {
        model: MODEL,
        prompt: 'Once',
        maxTokens: 4,
      });
      expect(events.at(-1)).toMatchObject({ __typename: 'CompletionDone', usage: null });
      const body = quiet.sim.requests.find((r) => r.path === '/v1/completions')!.body;
      expect(body).toMatchObject({ stream: true });
      expect(body).not.toHaveProperty('stream_options');
    } finally {
      await quiet.close();
    }
  });
});
