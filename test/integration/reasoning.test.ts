// Reasoning through GraphQL against the simulator in each style servers use (`reasoning`,
// `reasoning_content`, inline `<think>`): kept apart from the answer, JSON and streamed; thinking
// turned on and off with the switch each model family takes; refusals typed before any call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../support/sse.ts';
import { MODEL, startStack, type Stack } from '../support/stack.ts';

const CHAT = /* GraphQL */ `
  mutation Think(
    $model: ID! = "${MODEL}"
    $messages: [ChatMessageInput!]! = [{ role: USER, content: "Why is the sky blue?" }]
    $thinking: ThinkingInput
    $maxTokens: Int = 60
  ) {
    chat(model: $model, messages: $messages, thinking: $thinking, maxTokens: $maxTokens) {
      __typename
      ... on ChatCompletion {
        reply {
          content
          reasoning
        }
        usage {
          completionTokens
          reasoningTokens
        }
      }
      ... on GatewayError {
        code
        message
      }
      ... on InvalidInputError {
        argument
      }
      ... on UnsupportedByModelError {
        capability
      }
    }
  }
`;
const STREAM = /* GraphQL */ `
  subscription Think {
    chatStream(model: "${MODEL}", messages: [{ role: USER, content: "Why is the sky blue?" }], maxTokens: 60) {
      __typename
      ... on ChatChunk {
        content
        reasoning
      }
      ... on ChatDone {
        reply {
          content
          reasoning
        }
      }
    }
  }
`;

for (const style of ['reasoning', 'reasoning_content', 'think-tags'] as const) {
  describe(`a reasoning model writing its thought as ${style}`, () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({}, { tokenDelayMs: 0, reasoningStyle: style });
    });
    afterAll(() => stack.close());

    it('answers with the reasoning apart from the content', async () => {
      const { data } = await stack.gql(CHAT);
      const { reply, usage } = data!.chat;
      expect(reply.reasoning).toMatch(/^\S.*\S$/);
      expect(reply.reasoning.split(' ').length).toBeGreaterThanOrEqual(10);
      expect(reply.content).not.toBe('');
      expect(reply.content).not.toContain('think>');
      expect(reply.content).not.toContain(reply.reasoning);
      // Thinking tokens are counted only where the upstream says (vLLM does not).
      expect(usage.reasoningTokens).toBe(style === 'reasoning_content' ? 12 : null);
    });

    it('streams reasoning deltas before the answer, and ChatDone holds both', async () => {
      const events = await collect(stack.endpoint, STREAM, {});
      const chunks = events.filter((e) => e.__typename === 'ChatChunk');
      const firstContent = chunks.findIndex((c) => c.content !== '');
      const lastReasoning = chunks.map((c) => c.reasoning !== null).lastIndexOf(true);
      expect(lastReasoning).toBeGreaterThanOrEqual(0);
      expect(lastReasoning).toBeLessThan(firstContent);
      const done = events.at(-1)!;
      expect(done.__typename).toBe('ChatDone');
      expect(
        chunks
          .map((c) => c.reasoning ?? '')
          .join('')
          .trim(),
      ).toBe(done.reply.reasoning.trim());
      expect(chunks.map((c) => c.content).join('')).toBe(done.reply.content);
      expect(done.reply.content).not.toContain('think>');
      // The same answer as the JSON one.
      const { data } = await stack.gql(CHAT);
      expect(data!.chat.reply.content).toBe(done.reply.content);
    });
  });
}

describe('thinking on and off, as each model family takes it', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(
      {
        MODEL_THINKING: 'sim/lorem-70b*=effort; *pirate=detailed-thinking',
        MODEL_CAPABILITIES: 'sim/nothing*=none',
      },
      { tokenDelayMs: 0, reasoningStyle: 'reasoning' },
    );
  });
  afterAll(() => stack.close());
  const lastBody = () =>
    stack.sim.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)!.body as Record<
      string,
      unknown
    >;
  const chat = async (variables: Record<string, unknown>) =>
    (await stack.gql(CHAT, variables)).data!.chat;

  it('template (the default): chat_template_kwargs.enable_thinking, a budget as reasoning_budget', async () => {
    const off = await chat({ thinking: { enabled: false } });
    expect(off.reply.reasoning).toBeNull();
    expect(lastBody().chat_template_kwargs).toEqual({ enable_thinking: false });
    const budget = await chat({ thinking: { enabled: true, budgetTokens: 4 } });
    expect(lastBody()).toMatchObject({
      chat_template_kwargs: { enable_thinking: true },
      reasoning_budget: 4,
    });
    expect(budget.reply.reasoning.split(' ')).toHaveLength(4);
    // Without the argument nothing is sent: the model's own default.
    await chat({});
    expect(lastBody()).not.toHaveProperty('chat_template_kwargs');
  });

  it('effort: reasoning_effort, MEDIUM by default', async () => {
    const high = await chat({
      model: 'sim/lorem-70b-instruct',
      thinking: { enabled: true, effort: 'HIGH' },
    });
    expect(lastBody().reasoning_effort).toBe('high');
    const medium = await chat({ model: 'sim/lorem-70b-instruct', thinking: { enabled: true } });
    expect(lastBody().reasoning_effort).toBe('medium');
    expect(high.reply.reasoning.split(' ').length).toBeGreaterThan(
      medium.reply.reasoning.split(' ').length,
    );
  });

  it('detailed-thinking: a system prompt switch, put first in the system message', async () => {
    const off = await chat({
      model: 'sim/lorem-8b-instruct-lora-pirate',
      thinking: { enabled: false },
      messages: [
        { role: 'SYSTEM', content: 'Speak like a pirate.' },
        { role: 'USER', content: 'Why is the sky blue?' },
      ],
    });
    expect(off.reply.reasoning).toBeNull();
    expect((lastBody().messages as unknown[])[0]).toEqual({
      role: 'system',
      content: 'detailed thinking off\n\nSpeak like a pirate.',
    });
    await chat({ model: 'sim/lorem-8b-instruct-lora-pirate', thinking: { enabled: true } });
    expect((lastBody().messages as unknown[])[0]).toEqual({
      role: 'system',
      content: 'detailed thinking on',
    });
    expect(lastBody()).not.toHaveProperty('chat_template_kwargs');
  });

  const refusals: [string, Record<string, unknown>, string, string][] = [
    [
      'an effort for a template model',
      { thinking: { enabled: true, effort: 'LOW' } },
      'thinking.effort',
      "thinking.effort: this model's thinking control (template) takes no effort",
    ],
    [
      'a budget for an effort model',
      { model: 'sim/lorem-70b-instruct', thinking: { enabled: true, budgetTokens: 5 } },
      'thinking.budgetTokens',
      "thinking.budgetTokens: this model's thinking control (effort) takes no budget",
    ],
    [
      'turning off an effort model',
      { model: 'sim/lorem-70b-instruct', thinking: { enabled: false } },
      'thinking.enabled',
      'thinking.enabled: this model always reasons (its control is effort): set effort LOW instead',
    ],
    [
      'a budget over maxTokens',
      { thinking: { enabled: true, budgetTokens: 61 } },
      'thinking.budgetTokens',
      'thinking.budgetTokens: must be 1 to maxTokens (60)',
    ],
    [
      'a budget of 0',
      { thinking: { enabled: true, budgetTokens: 0 } },
      'thinking.budgetTokens',
      'thinking.budgetTokens: must be 1 to maxTokens (60)',
    ],
  ];
  for (const [what, variables, argument, message] of refusals) {
    it(`refuses ${what} (InvalidInputError on ${argument}), sending nothing`, async () => {
      const before = stack.sim.requests.length;
      expect(await chat(variables)).toEqual({
        __typename: 'InvalidInputError',
        code: 'BAD_USER_INPUT',
        argument,
        message,
      });
      expect(stack.sim.requests.length).toBe(before);
    });
  }
});

describe('thinking for a model that does not reason', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(
      { MODEL_CAPABILITIES: 'sim/lorem-8b-instruct=tools' },
      { tokenDelayMs: 0 },
    );
  });
  afterAll(() => stack.close());

  it('is refused as UnsupportedByModelError before any upstream call', async () => {
    const before = stack.sim.requests.length;
    const { data } = await stack.gql(CHAT, { thinking: { enabled: true } });
    expect(data!.chat).toMatchObject({
      __typename: 'UnsupportedByModelError',
      capability: 'REASONING',
    });
    expect(stack.sim.requests.length).toBe(before);
  });
});
