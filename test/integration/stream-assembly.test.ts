// What a client sees of a stream, over the simulator: the first-token clock, the role on each
// choice's first chunk, no empty chunks, choices in index order, the Done event's id and created,
// and no Done unless every choice finished.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { collect } from '../support/sse.ts';
import { MODEL, startStack, type Stack } from '../support/stack.ts';

const ERRORS = /* GraphQL */ `
  ... on GatewayError { code message }
  ... on UpstreamTimeoutError { phase }
  ... on UpstreamError { upstreamStatus retryable }
`;

const CHAT = /* GraphQL */ `
  subscription Chat($model: ID!, $messages: [ChatMessageInput!]!, $maxTokens: Int, $options: GenerationOptions) {
    chatStream(model: $model, messages: $messages, maxTokens: $maxTokens, options: $options) {
      __typename
      ... on ChatChunk { index role content reasoningContent finishReason }
      ... on ChatDone { id created reply { role content } choices { index finishReason message { role content } } }
      ${ERRORS}
    }
  }
`;

const COMPLETION = /* GraphQL */ `
  subscription Completion($model: ID!, $prompt: String!, $maxTokens: Int, $options: GenerationOptions) {
    completionStream(model: $model, prompt: $prompt, maxTokens: $maxTokens, options: $options) {
      __typename
      ... on CompletionChunk { index text finishReason }
      ... on CompletionDone { id created text choices { index text finishReason } }
      ${ERRORS}
    }
  }
`;

const FIRST_TOKEN_MS = 2000;
const IDLE_MS = 400;
const messages = [{ role: 'USER', content: 'Name a harbor.' }];
const chat = (options: Record<string, unknown> = {}, maxTokens = 6) => ({
  model: MODEL,
  messages,
  maxTokens,
  options: { ignoreEos: true, ...options },
});
const completion = (options: Record<string, unknown> = {}, maxTokens = 6) => ({
  model: MODEL,
  prompt: 'Once',
  maxTokens,
  options: { ignoreEos: true, ...options },
});

describe('a stream as the client sees it', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(
      {
        STREAM_FIRST_TOKEN_TIMEOUT_MS: String(FIRST_TOKEN_MS),
        STREAM_IDLE_TIMEOUT_MS: String(IDLE_MS),
        UPSTREAM_RETRY_BUDGET_RATIO: '1',
      },
      { tokenDelayMs: 0 },
    );
  });
  afterAll(() => stack.close());
  beforeEach(() => {
    stack.sim.reset();
  });

  describe('the first-token clock', () => {
    it('runs to the first content: a role preamble at once, the first token after the idle timeout, is answered', async () => {
      stack.sim.inject({ path: '/v1/chat/completions', firstContentDelayMs: IDLE_MS * 2.5 });
      const events = await collect(stack.endpoint, CHAT, chat());
      const done = events.at(-1)!;
      expect(done).toMatchObject({ __typename: 'ChatDone' });
      // All six tokens, in as many chunks as reads brought them.
      const chunks = events.filter((e) => e.__typename === 'ChatChunk');
      expect(chunks.length).toBeGreaterThan(0);
      expect(chunks.map((c) => c.content).join('')).toBe(done.reply.content);
      expect(done.reply.content.trim().split(/\s+/)).toHaveLength(6);
    });

    it('is the clock that fires when the content never comes after the preamble', async () => {
      stack.sim.inject({ path: '/v1/chat/completions', firstContentDelayMs: 10_000 });
      const events = await collect(stack.endpoint, CHAT, chat());
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        __typename: 'UpstreamTimeoutError',
        code: 'UPSTREAM_TIMEOUT',
        phase: 'FIRST_TOKEN',
      });
    });

    it('hands over to the idle clock once content came', async () => {
      stack.sim.inject({ path: '/v1/chat/completions', stream: 'stall', afterTokens: 2 });
      const events = await collect(stack.endpoint, CHAT, chat());
      // The two tokens before the stall, in one chunk or two.
      const chunks = events.filter((e) => e.__typename === 'ChatChunk');
      expect(chunks.length).toBeGreaterThan(0);
      expect(
        chunks
          .map((c) => c.content)
          .join('')
          .trim()
          .split(/\s+/),
      ).toHaveLength(2);
      expect(events.at(-1)).toMatchObject({ __typename: 'UpstreamTimeoutError', phase: 'IDLE' });
    });
  });

  describe('chunks', () => {
    it('carry the role on the first chunk of each choice and never come empty', async () => {
      const events = await collect(stack.endpoint, CHAT, chat({ n: 2 }));
      const chunks = events.filter((e) => e.__typename === 'ChatChunk');
      const done = events.at(-1)!;
      for (const index of [0, 1]) {
        // The tokens of a read come joined: however many chunks, the role is on the first only.
        const own = chunks.filter((c) => c.index === index);
        expect(own.length).toBeGreaterThan(0);
        expect(own.map((c) => c.role)).toEqual(['ASSISTANT', ...own.slice(1).map(() => null)]);
        expect(own.map((c) => c.content).join('')).toBe(done.choices[index].message.content);
      }
      // The simulator sends a token in every chunk after the preamble: each relayed chunk has text.
      for (const chunk of chunks) expect(chunk.content).not.toBe('');
      for (const chunk of chunks) expect(chunk.reasoningContent).toBeNull();
      // Only the last chunk of each choice finishes it.
      expect(
        chunks
          .filter((c) => c.finishReason !== null)
          .map((c) => c.index)
          .sort(),
      ).toEqual([0, 1]);
    });

    it('of a completion carry its text, none of them empty', async () => {
      const events = await collect(stack.endpoint, COMPLETION, completion());
      const chunks = events.filter((e) => e.__typename === 'CompletionChunk');
      expect(chunks.length).toBeGreaterThan(0);
      for (const chunk of chunks) expect(chunk.text).not.toBe('');
      expect(chunks.map((c) => c.text).join('')).toBe(events.at(-1)!.text);
    });
  });

  describe('the Done event', () => {
    for (const [kind, query, variables, done] of [
      ['chat', CHAT, chat({ n: 3 }), 'ChatDone'],
      ['completion', COMPLETION, completion({ n: 3 }), 'CompletionDone'],
    ] as const) {
      it(`${kind}: lists the choices by index, whatever order the upstream sent them in`, async () => {
        stack.sim.inject({
          path: kind === 'chat' ? '/v1/chat/completions' : '/v1/completions',
          choicesReversed: true,
        });
        const events = await collect(stack.endpoint, query, variables);
        const last = events.at(-1)!;
        expect(last.__typename).toBe(done);
        expect(last.choices.map((c: { index: number }) => c.index)).toEqual([0, 1, 2]);
        // The upstream really sent index 2 first.
        expect(events[0]!.index).toBe(2);
        for (const choice of last.choices) {
          const text = events
            .filter((e) => e.index === choice.index && e.__typename !== done)
            .map((e) => e.content ?? e.text)
            .join('');
          expect(kind === 'chat' ? choice.message.content : choice.text).toBe(text);
        }
      });
    }

    it("carries the upstream's id and created, not values of its own", async () => {
      stack.sim.configure({ tokenDelayMs: 100 });
      const sent = Date.now();
      const events = await collect(stack.endpoint, CHAT, chat({}, 20));
      const done = events.at(-1)!;
      expect(done.__typename).toBe('ChatDone');
      expect(done.id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
      // The simulator stamps `created` when the request arrived; the stream then ran for 2 s, so a
      // created made up at the end (Date.now()) would be at least a second later.
      const created = Date.parse(done.created);
      expect(created).toBeGreaterThanOrEqual(Math.floor(sent / 1000) * 1000);
      expect(created).toBeLessThanOrEqual(sent + 900);
      expect(events.at(-2)!.at - events[0]!.at).toBeGreaterThan(1500);
    });

    for (const [kind, query, variables, path] of [
      ['chat', CHAT, chat({ n: 2 }), '/v1/chat/completions'],
      ['completion', COMPLETION, completion({ n: 2 }), '/v1/completions'],
    ] as const) {
      it(`${kind}: is withheld when [DONE] came but a choice never finished, and the error names it`, async () => {
        stack.sim.inject({ path, finishReasons: [undefined, null] });
        const events = await collect(stack.endpoint, query, variables);
        expect(events.some((e) => e.__typename.endsWith('Done'))).toBe(false);
        expect(events.at(-1)).toMatchObject({
          __typename: 'UpstreamError',
          code: 'UPSTREAM_ERROR',
        });
        expect(events.at(-1)!.message).toMatch(/without a finish reason for choice 1/);
      });
    }
  });

  it('reports a content filter as CONTENT_FILTER, streamed and not', async () => {
    stack.sim.inject({ path: '/v1/chat/completions', finishReasons: ['content_filter'] });
    const events = await collect(stack.endpoint, CHAT, chat());
    expect(events.at(-2)).toMatchObject({
      __typename: 'ChatChunk',
      finishReason: 'CONTENT_FILTER',
    });
    expect(events.at(-1)!.choices[0].finishReason).toBe('CONTENT_FILTER');
    stack.sim.inject({ path: '/v1/completions', finishReasons: ['content_filter'] });
    const { data } = await stack.gql(
      `mutation { complete(model: "${MODEL}", prompt: "Once", maxTokens: 4) { ... on Completion { choices { finishReason } } } }`,
    );
    expect(data!.complete.choices[0].finishReason).toBe('CONTENT_FILTER');
  });
});
