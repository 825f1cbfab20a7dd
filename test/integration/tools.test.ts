// Tool calls through GraphQL against the simulator: a two-tool parallel round trip (ask → calls →
// results → answer), the same streamed with fragments one by one, interleaved across calls and
// whole, a call cut by maxTokens (LENGTH and complete: false, even where the upstream's stream
// says tool_calls), the tool choice on the wire, and every refusal typed before any upstream call.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { collect } from '../support/sse.ts';
import { MODEL, startStack, type Stack } from '../support/stack.ts';

const CALL_FIELDS = /* GraphQL */ `
  toolCalls {
    id
    name
    arguments
    argumentsText
    complete
  }
`;
const CHAT = /* GraphQL */ `
  mutation Tools(
    $model: ID! = "${MODEL}"
    $messages: [ChatMessageInput!]!
    $tools: [ToolInput!]
    $toolChoice: ToolChoiceInput
    $parallel: Boolean
    $maxTokens: Int = 200
    $format: ResponseFormatInput
  ) {
    chat(
      model: $model
      messages: $messages
      tools: $tools
      toolChoice: $toolChoice
      parallelToolCalls: $parallel
      maxTokens: $maxTokens
      responseFormat: $format
    ) {
      __typename
      ... on ChatCompletion {
        reply {
          content
          ${CALL_FIELDS}
        }
        choices {
          finishReason
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
  subscription Tools($messages: [ChatMessageInput!]!, $tools: [ToolInput!], $maxTokens: Int = 200) {
    chatStream(model: "${MODEL}", messages: $messages, tools: $tools, maxTokens: $maxTokens) {
      __typename
      ... on ChatChunk {
        index
        toolCalls {
          index
          id
          name
          argumentsText
        }
        finishReason
      }
      ... on ChatDone {
        reply {
          ${CALL_FIELDS}
        }
        choices {
          finishReason
        }
      }
      ... on GatewayError {
        code
        message
      }
    }
  }
`;

const TOOLS = [
  {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { enum: ['C', 'F'] } },
      required: ['city', 'unit'],
    },
  },
  {
    name: 'get_time',
    parameters: {
      type: 'object',
      properties: { zone: { type: 'string' }, hour24: { type: 'boolean' } },
      required: ['zone', 'hour24'],
    },
  },
  { name: 'unused_tool' },
];
const ASK = [{ role: 'USER', content: 'Weather and time in Paris?' }];

interface Call {
  id: string;
  name: string;
  arguments: Record<string, unknown> | null;
  argumentsText: string;
  complete: boolean;
}

describe('tool calls', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(
      { MODEL_CAPABILITIES: 'sim/lorem-70b*=tools,guidedDecoding;*pirate=guidedDecoding' },
      { tokenDelayMs: 0 },
    );
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.sim.configure({ toolCallDeltas: 'fragments', toolsEnabled: true }));
  const lastBody = () =>
    stack.sim.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)!.body as Record<
      string,
      unknown
    >;
  const chat = async (variables: Record<string, unknown>) =>
    (await stack.gql(CHAT, variables)).data!.chat;

  it('runs a two-tool parallel round trip: ask, two calls, two results, an answer', async () => {
    const first = await chat({ messages: ASK, tools: TOOLS });
    expect(first.__typename, first.message).toBe('ChatCompletion');
    expect(first.choices).toEqual([{ finishReason: 'TOOL_CALLS' }]);
    const calls = first.reply.toolCalls as Call[];
    expect(calls.map((c) => c.name)).toEqual(['get_weather', 'get_time']);
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
    for (const call of calls) {
      expect(call.complete).toBe(true);
      expect(JSON.parse(call.argumentsText)).toEqual(call.arguments);
    }
    expect(calls[0]!.arguments).toEqual({
      city: expect.any(String),
      unit: expect.stringMatching(/^[CF]$/),
    });
    expect(calls[1]!.arguments).toEqual({ zone: expect.any(String), hour24: expect.any(Boolean) });
    const sent = lastBody();
    expect(sent.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Current weather in a city',
          parameters: TOOLS[0]!.parameters,
        },
      },
      { type: 'function', function: { name: 'get_time', parameters: TOOLS[1]!.parameters } },
      { type: 'function', function: { name: 'unused_tool', parameters: { type: 'object' } } },
    ]);
    expect(sent).not.toHaveProperty('tool_choice');
    expect(sent).not.toHaveProperty('parallel_tool_calls');

    const second = await chat({
      tools: TOOLS,
      messages: [
        ...ASK,
        {
          role: 'ASSISTANT',
          toolCalls: calls.map(({ id, name, argumentsText }) => ({ id, name, argumentsText })),
        },
        { role: 'TOOL', toolCallId: calls[0]!.id, content: '{"temperature": 21}' },
        { role: 'TOOL', toolCallId: calls[1]!.id, content: '"14:05"' },
      ],
    });
    expect(second.__typename, second.message).toBe('ChatCompletion');
    expect(second.choices).toEqual([{ finishReason: expect.stringMatching(/^(STOP|LENGTH)$/) }]);
    expect(second.reply.toolCalls).toEqual([]);
    expect(second.reply.content).not.toBe('');
    expect((lastBody().messages as unknown[]).slice(1)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: calls.map((c) => ({
          id: c.id,
          type: 'function',
          function: { name: c.name, arguments: c.argumentsText },
        })),
      },
      { role: 'tool', content: '{"temperature": 21}', tool_call_id: calls[0]!.id },
      { role: 'tool', content: '"14:05"', tool_call_id: calls[1]!.id },
    ]);
  });

  for (const style of ['fragments', 'interleaved', 'whole'] as const) {
    it(`streams the calls (${style}): fragments keyed by index, ChatDone with every call assembled`, async () => {
      stack.sim.configure({ toolCallDeltas: style });
      const events = await collect(stack.endpoint, STREAM, { messages: ASK, tools: TOOLS });
      const done = events.at(-1)!;
      expect(done.__typename, JSON.stringify(done)).toBe('ChatDone');
      expect(done.choices).toEqual([{ finishReason: 'TOOL_CALLS' }]);
      const fragments = events.flatMap((e) => (e.__typename === 'ChatChunk' ? e.toolCalls : []));
      const byIndex = new Map<number, typeof fragments>();
      for (const f of fragments) byIndex.set(f.index, [...(byIndex.get(f.index) ?? []), f]);
      expect([...byIndex.keys()].sort()).toEqual([0, 1]);
      const calls = done.reply.toolCalls as Call[];
      for (const [index, parts] of byIndex) {
        // id and name with the first fragment only; the text is the fragments in order.
        expect(parts[0]!.id).toBe(calls[index]!.id);
        expect(parts[0]!.name).toBe(calls[index]!.name);
        expect(parts.slice(1).every((p) => p.id === null && p.name === null)).toBe(true);
        expect(parts.map((p) => p.argumentsText).join('')).toBe(calls[index]!.argumentsText);
        expect(calls[index]!.complete).toBe(true);
      }
      if (style === 'interleaved') {
        const order = fragments.map((f) => f.index);
        expect(order.indexOf(1)).toBeLessThan(order.lastIndexOf(0));
        const together = events.some((e) => e.__typename === 'ChatChunk' && e.toolCalls.length > 1);
        expect(together).toBe(true);
      }
      if (style === 'whole') expect(fragments).toHaveLength(2);
      // The same calls as the JSON answer.
      const json = await chat({ messages: ASK, tools: TOOLS });
      expect(json.reply.toolCalls).toEqual(calls);
    });
  }

  it('a call cut by maxTokens is incomplete and LENGTH, in JSON and in a stream that says tool_calls', async () => {
    const cut = await chat({ messages: ASK, tools: TOOLS, maxTokens: 3 });
    expect(cut.choices).toEqual([{ finishReason: 'LENGTH' }]);
    expect(cut.reply.toolCalls[0]).toMatchObject({
      name: 'get_weather',
      complete: false,
      arguments: null,
    });

    stack.sim.configure({ toolCallDeltas: 'fragments' });
    const events = await collect(stack.endpoint, STREAM, {
      messages: ASK,
      tools: TOOLS,
      maxTokens: 3,
    });
    const upstreamSaid = events.filter(
      (e) => e.__typename === 'ChatChunk' && e.finishReason !== null,
    );
    // The upstream's own last chunk says TOOL_CALLS (as vLLM's streams do); the gateway does not believe it.
    expect(upstreamSaid.map((e) => e.finishReason)).toEqual(['TOOL_CALLS']);
    const done = events.at(-1)!;
    expect(done.choices).toEqual([{ finishReason: 'LENGTH' }]);
    expect(done.reply.toolCalls[0]).toMatchObject({ complete: false, arguments: null });
  });

  it('sends the tool choice as asked: a named function, required, parallel off', async () => {
    const named = await chat({
      messages: ASK,
      tools: TOOLS,
      toolChoice: { mode: 'FUNCTION', function: 'get_time' },
      parallel: false,
    });
    expect(named.reply.toolCalls.map((c: Call) => c.name)).toEqual(['get_time']);
    expect(lastBody()).toMatchObject({
      tool_choice: { type: 'function', function: { name: 'get_time' } },
      parallel_tool_calls: false,
    });
    const required = await chat({ messages: ASK, tools: TOOLS, toolChoice: { mode: 'REQUIRED' } });
    expect(required.choices).toEqual([{ finishReason: 'TOOL_CALLS' }]);
    expect(lastBody().tool_choice).toBe('required');
  });

  it('NONE leaves the tools out of the request, and then takes a JSON responseFormat', async () => {
    const none = await chat({
      messages: ASK,
      tools: TOOLS,
      toolChoice: { mode: 'NONE' },
      format: { type: 'JSON_OBJECT' },
    });
    expect(none.__typename, none.message).toBe('ChatCompletion');
    expect(none.reply.toolCalls).toEqual([]);
    expect(lastBody()).not.toHaveProperty('tools');
    expect(lastBody()).not.toHaveProperty('tool_choice');
  });

  const refusals: [string, Record<string, unknown>, string, string][] = [
    [
      'tools with a JSON responseFormat',
      { tools: TOOLS, format: { type: 'JSON_OBJECT' } },
      'responseFormat',
      'responseFormat: a structured responseFormat keeps tools from ever being called; leave it out, or set toolChoice NONE',
    ],
    [
      'tools with a guided responseFormat',
      { tools: TOOLS, format: { type: 'CHOICE', choices: ['a'] } },
      'responseFormat',
      'responseFormat: a structured responseFormat keeps tools from ever being called; leave it out, or set toolChoice NONE',
    ],
    [
      'a tool choice without tools',
      { toolChoice: { mode: 'AUTO' } },
      'toolChoice',
      'toolChoice: needs tools',
    ],
    [
      'parallelToolCalls without tools',
      { parallel: true },
      'parallelToolCalls',
      'parallelToolCalls: needs tools',
    ],
    [
      'FUNCTION without a name',
      { tools: TOOLS, toolChoice: { mode: 'FUNCTION' } },
      'toolChoice.function',
      'toolChoice.function: FUNCTION needs the name of one of the tools',
    ],
    [
      'FUNCTION naming no tool',
      { tools: TOOLS, toolChoice: { mode: 'FUNCTION', function: 'nope' } },
      'toolChoice.function',
      'toolChoice.function: FUNCTION needs the name of one of the tools',
    ],
    [
      'a function on AUTO',
      { tools: TOOLS, toolChoice: { mode: 'AUTO', function: 'get_time' } },
      'toolChoice.function',
      'toolChoice.function: only FUNCTION takes it',
    ],
    [
      'a tool name twice',
      { tools: [TOOLS[0], TOOLS[0]] },
      'tools[1].name',
      'tools[1].name: get_weather is given twice',
    ],
    [
      'a bad tool name',
      { tools: [{ name: 'get weather' }] },
      'tools[0].name',
      'tools[0].name: must be 1 to 64 characters of a-z A-Z 0-9 _ -',
    ],
    [
      'parameters that are no object',
      { tools: [{ name: 'x', parameters: [1] }] },
      'tools[0].parameters',
      'tools[0].parameters: must be a JSON Schema object',
    ],
    [
      'more than 128 tools',
      { tools: Array.from({ length: 129 }, (_, i) => ({ name: `t${i}` })) },
      'tools',
      'tools: must hold at most 128 tools',
    ],
    [
      'tool calls on a USER message',
      {
        messages: [
          { role: 'USER', content: 'x', toolCalls: [{ id: '1', name: 'x', argumentsText: '{}' }] },
        ],
      },
      'messages[0].toolCalls',
      'messages[0].toolCalls: only ASSISTANT messages take them',
    ],
    [
      'an empty list of tool calls',
      { messages: [...ASK, { role: 'ASSISTANT', toolCalls: [] }] },
      'messages[1].toolCalls',
      'messages[1].toolCalls: must hold at least one call',
    ],
    [
      'a TOOL message without its call id',
      { messages: [...ASK, { role: 'TOOL', content: '1' }] },
      'messages[1].toolCallId',
      'messages[1].toolCallId: a TOOL message needs the id of its call',
    ],
    [
      'a call id on a USER message',
      { messages: [{ role: 'USER', content: 'x', toolCallId: '1' }] },
      'messages[0].toolCallId',
      'messages[0].toolCallId: only TOOL messages take it',
    ],
  ];
  for (const [what, variables, argument, message] of refusals) {
    it(`refuses ${what} (InvalidInputError on ${argument}), sending nothing`, async () => {
      const before = stack.sim.requests.length;
      const answer = await chat({ messages: ASK, ...variables });
      expect(answer).toEqual({
        __typename: 'InvalidInputError',
        code: 'BAD_USER_INPUT',
        argument,
        message,
      });
      expect(stack.sim.requests.length).toBe(before);
    });
  }

  it('refuses tools, and parallel calls, for a model whose capabilities lack them', async () => {
    const before = stack.sim.requests.length;
    const noTools = await chat({
      model: 'sim/lorem-8b-instruct-lora-pirate',
      messages: ASK,
      tools: TOOLS,
    });
    expect(noTools).toMatchObject({ __typename: 'UnsupportedByModelError', capability: 'TOOLS' });
    const noParallel = await chat({
      model: 'sim/lorem-70b-instruct',
      messages: ASK,
      tools: TOOLS,
      parallel: true,
    });
    expect(noParallel).toMatchObject({
      __typename: 'UnsupportedByModelError',
      capability: 'PARALLEL_TOOL_CALLS',
    });
    expect(stack.sim.requests.length).toBe(before);
    const serial = await chat({
      model: 'sim/lorem-70b-instruct',
      messages: ASK,
      tools: TOOLS,
      parallel: false,
    });
    expect(serial.reply.toolCalls).toHaveLength(1);
  });

  it('an upstream started without tool calling answers ToolsNotEnabledError, in JSON and in a stream', async () => {
    stack.sim.configure({ toolsEnabled: false });
    const answer = await chat({ messages: ASK, tools: TOOLS });
    expect(answer).toMatchObject({ __typename: 'ToolsNotEnabledError', code: 'TOOLS_NOT_ENABLED' });
    expect(answer.message).toContain('--enable-auto-tool-choice');
    const events = await collect(stack.endpoint, STREAM, { messages: ASK, tools: TOOLS });
    expect(events.map((e) => e.__typename)).toEqual(['ToolsNotEnabledError']);
    // Without tools the same upstream answers.
    expect((await chat({ messages: ASK })).__typename).toBe('ChatCompletion');
  });
});
