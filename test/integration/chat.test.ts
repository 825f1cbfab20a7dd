import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MODEL, startStack, type Stack } from '../support/stack.ts';

const CHAT = /* GraphQL */ `
  mutation Chat($model: ID!, $messages: [ChatMessageInput!]!, $maxTokens: Int) {
    chat(model: $model, messages: $messages, maxTokens: $maxTokens) {
      __typename
      ... on ChatCompletion {
        id
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
      ... on ContextLengthExceededError {
        maxContextLength
      }
    }
  }
`;

const conversation = [
  { role: 'SYSTEM', content: 'You are terse.' },
  { role: 'USER', content: 'Name a harbor.' },
];

describe('chat', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ DEFAULT_MAX_TOKENS: '24', MAX_PROMPT_CHARS: '200' });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.sim.reset());

  it("returns the assistant's message, choices and usage", async () => {
    const { data, errors } = await stack.gql(CHAT, {
      model: MODEL,
      messages: conversation,
      maxTokens: 16,
    });
    expect(errors).toBeUndefined();
    const c = data!.chat;
    expect(c.__typename).toBe('ChatCompletion');
    expect(c.id).toMatch(/^chatcmpl-/);
    expect(c.reply.role).toBe('ASSISTANT');
    expect(c.reply.content.length).toBeGreaterThan(0);
    expect(c.choices[0]).toEqual({
      index: 0,
      finishReason: expect.stringMatching(/^(STOP|LENGTH)$/),
      message: { content: c.reply.content },
    });
    expect(c.usage.completionTokens).toBeLessThanOrEqual(16);
    expect(c.usage.totalTokens).toBe(c.usage.promptTokens + c.usage.completionTokens);
    expect(c.model.id).toBe(MODEL);
  });

  it('posts the messages with wire roles and always a max_tokens cap', async () => {
    await stack.gql(CHAT, { model: MODEL, messages: conversation });
    const call = stack.sim.requests.find((r) => r.path === '/v1/chat/completions')!;
    expect(call.headers['content-type']).toBe('application/json');
    expect(call.body).toEqual({
      model: MODEL,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Name a harbor.' },
      ],
      max_tokens: 24,
    });
  });

  it.each([
    [{ messages: [] }, 'messages', /at least one message/],
    [
      { messages: [{ role: 'USER', content: 'x'.repeat(201) }] },
      'messages',
      /at most 200 characters/,
    ],
    [{ maxTokens: 0 }, 'maxTokens', /at least 1/],
  ])(
    'rejects %j as BAD_USER_INPUT before any upstream call',
    async (override, argument, message) => {
      const { data } = await stack.gql(CHAT, { model: MODEL, messages: conversation, ...override });
      expect(data!.chat).toMatchObject({
        __typename: 'InvalidInputError',
        code: 'BAD_USER_INPUT',
        argument,
      });
      expect(data!.chat.message).toMatch(message);
      expect(stack.sim.countRequests('/v1/chat/completions')).toBe(0);
    },
  );

  it('maps upstream failures to the same typed errors as complete', async () => {
    await stack.gql('{ models { id } }');
    // A Retry-After over UPSTREAM_RETRY_AFTER_CAP_MS is not waited for: the 429 reaches the client at once.
    stack.sim.inject({ path: '/v1/chat/completions', status: 429, retryAfter: '30' });
    expect(
      (await stack.gql(CHAT, { model: MODEL, messages: conversation })).data!.chat,
    ).toMatchObject({ code: 'RATE_LIMITED' });
    const unknown = await stack.gql(CHAT, { model: 'nope/none', messages: conversation });
    expect(unknown.data!.chat.code).toBe('MODEL_NOT_FOUND');
  });
});
