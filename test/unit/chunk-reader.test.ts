// The hand readers of stream chunks against the zod schemas they stand in for: whatever a reader
// accepts it reads exactly as the schema does, and it does accept the common shapes (else the
// comparison would hold by never answering).
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { parseWith, readChatChunk, readCompletionChunk } from '../../src/nim/chunk-reader.ts';
import { chatChunk, completionChunk } from '../../src/nim/wire.ts';

/** A field's value: usually right, sometimes absent, null, or of another type. */
const field = <T>(right: fc.Arbitrary<T>) =>
  fc.oneof(
    { weight: 6, arbitrary: right },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant(null) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.integer(),
        fc.double(),
        fc.string(),
        fc.boolean(),
        fc.constant([]),
        fc.constant({}),
        fc.constant(2 ** 60),
        fc.constant(-1),
        fc.constant(1.5),
      ),
    },
  );
/** An object whose absent fields are left out, as JSON would leave them. */
const record = (fields: Record<string, fc.Arbitrary<unknown>>) =>
  fc
    .record(fields)
    .map((value) => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)));

const usage = record({
  prompt_tokens: fc.nat(),
  completion_tokens: fc.nat(),
  total_tokens: fc.nat(),
});
const logprobs = fc.oneof(
  fc.constant({ tokens: ['a'], token_logprobs: [-0.5], top_logprobs: [{ a: -0.5 }] }),
  fc.constant({ content: [{ token: 'a', logprob: -0.5, top_logprobs: [] }] }),
);
const head = {
  id: field(fc.string()),
  object: field(fc.constantFrom('text_completion', 'chat.completion.chunk')),
  created: field(fc.nat()),
  model: field(fc.string()),
  usage: fc.oneof(
    { weight: 6, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: field(usage) },
  ),
};
const choiceHead = {
  index: field(fc.nat(3)),
  finish_reason: field(fc.constantFrom('stop', 'length', 'tool_calls')),
  logprobs: fc.oneof(
    { weight: 6, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: field(logprobs) },
  ),
};
const completion = record({
  ...head,
  choices: field(fc.array(record({ ...choiceHead, text: field(fc.string()) }), { maxLength: 3 })),
});
const chat = record({
  ...head,
  choices: field(
    fc.array(
      record({
        ...choiceHead,
        delta: field(
          record({
            role: field(fc.constantFrom('assistant', 'user')),
            content: field(fc.string()),
            reasoning_content: field(fc.string()),
            reasoning: field(fc.string()),
            tool_calls: fc.oneof(
              { weight: 6, arbitrary: fc.constant(undefined) },
              { weight: 1, arbitrary: fc.constant(null) },
              {
                weight: 1,
                arbitrary: fc.constant([
                  { index: 0, id: 'call-1', function: { name: 'f', arguments: '{' } },
                ]),
              },
            ),
          }),
        ),
      }),
      { maxLength: 3 },
    ),
  ),
});

const cases = [
  ['completion', completion, completionChunk, readCompletionChunk],
  ['chat', chat, chatChunk, readChatChunk],
] as const;

describe('hand readers of stream chunks', () => {
  for (const [name, arbitrary, schema, read] of cases) {
    it(`read a ${name} chunk exactly as the schema does, or leave it to the schema`, () => {
      let answered = 0;
      fc.assert(
        fc.property(arbitrary, (json) => {
          const expected = schema.safeParse(json);
          const own = read(json);
          if (own !== null) {
            answered += 1;
            expect(expected.success).toBe(true);
            expect(own).toStrictEqual(expected.data);
          }
          // What the stream loop sees: the same whichever answered.
          const parsed = parseWith(schema, json);
          expect(parsed.success).toBe(expected.success);
          if (parsed.success && expected.success) expect(parsed.data).toStrictEqual(expected.data);
        }),
        { numRuns: 3000 },
      );
      expect(answered).toBeGreaterThan(100);
    });
  }

  it('answer the chunks a server sends for each token', () => {
    const token = {
      id: 'cmpl-1',
      object: 'text_completion',
      created: 1,
      model: 'm',
      choices: [{ index: 0, text: ' upon', logprobs: null, finish_reason: null }],
    };
    expect(readCompletionChunk(token)).toStrictEqual(completionChunk.parse(token));
    const delta = {
      id: 'c',
      created: 1,
      model: 'm',
      choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }],
    };
    expect(readChatChunk(delta)).toStrictEqual(chatChunk.parse(delta));
    expect(
      readChatChunk({ ...delta, choices: [{ index: 0, finish_reason: 'stop' }] }),
    ).not.toBeNull();
    expect(
      readCompletionChunk({ ...token, choices: [{ index: 0, finish_reason: 'stop' }] }),
    ).not.toBeNull();
  });

  it('keep zod off the chunks they answer', () => {
    const safeParse = vi.spyOn(completionChunk, 'safeParse');
    const token = { id: 'c', model: 'm', choices: [{ index: 0, text: 'a', finish_reason: null }] };
    expect(parseWith(completionChunk, token)).toStrictEqual({
      success: true,
      data: completionChunk.parse(token),
    });
    expect(safeParse).not.toHaveBeenCalled();
    expect(parseWith(completionChunk, { ...token, choices: [{ index: -1 }] }).success).toBe(false);
    expect(safeParse).toHaveBeenCalledOnce();
    safeParse.mockRestore();
  });

  it('keep zod off the chat chunks they answer', () => {
    const safeParse = vi.spyOn(chatChunk, 'safeParse');
    const delta = { id: 'c', model: 'm', choices: [{ index: 0, delta: { content: 'Hi' } }] };
    expect(parseWith(chatChunk, delta)).toStrictEqual({
      success: true,
      data: chatChunk.parse(delta),
    });
    expect(safeParse).not.toHaveBeenCalled();
    safeParse.mockRestore();
  });

  // Each shape below once, by name: those a reader must answer itself (the common ones, with every
  // field that may be null or left out so), and those it must leave to the schema, which reads some
  // of them after all (a model of the wrong type is a null model, an unknown tool-call list is read).
  const answered: [string, unknown][] = [
    ['completion: only choices', { choices: [] }],
    [
      'completion: every field null',
      {
        id: null,
        model: null,
        created: null,
        usage: null,
        choices: [{ index: 0, text: null, finish_reason: null, logprobs: null }],
      },
    ],
    [
      'completion: a later choice, created 0 or negative, an empty text',
      {
        id: 'c',
        model: 'm',
        created: 0,
        choices: [
          { index: 3, text: '', finish_reason: 'stop' },
          { index: 1, text: 'x' },
        ],
      },
    ],
    ['completion: created before 1970', { created: -5, choices: [{ index: 0, text: 'a' }] }],
  ];
  const answeredChat: [string, unknown][] = [
    ['chat: no delta', { choices: [{ index: 0 }] }],
    ['chat: a null delta', { choices: [{ index: 0, delta: null, finish_reason: 'stop' }] }],
    ['chat: an empty delta', { id: 'c', created: 1, choices: [{ index: 1, delta: {} }] }],
    [
      'chat: every delta field',
      {
        choices: [
          {
            index: 0,
            delta: {
              role: 'assistant',
              content: 'a',
              reasoning_content: 'r',
              reasoning: 'q',
              tool_calls: null,
            },
            finish_reason: null,
            logprobs: null,
          },
        ],
      },
    ],
    [
      'chat: every delta field null',
      {
        usage: null,
        choices: [
          {
            index: 0,
            delta: { role: null, content: null, reasoning_content: null, reasoning: null },
          },
        ],
      },
    ],
  ];
  for (const [name, json] of answered)
    it(`answer ${name}`, () => {
      expect(readCompletionChunk(json)).toStrictEqual(completionChunk.parse(json));
    });
  for (const [name, json] of answeredChat)
    it(`answer ${name}`, () => {
      expect(readChatChunk(json)).toStrictEqual(chatChunk.parse(json));
    });

  const token = { id: 'c', model: 'm', created: 1 };
  const declinedBoth: [string, unknown][] = [
    ['no object', null],
    ['a string', 'data'],
    ['an array', []],
    ['no choices', { ...token }],
    ['null choices', { ...token, choices: null }],
    ['choices no list', { ...token, choices: {} }],
    ['an id of another type', { ...token, id: 5, choices: [] }],
    ['a model of another type', { ...token, model: 5, choices: [] }],
    ['a fractional created', { ...token, created: 1.5, choices: [] }],
    ['a created beyond safe integers', { ...token, created: 2 ** 60, choices: [] }],
    ['a created as text', { ...token, created: '1', choices: [] }],
    [
      'a usage',
      { ...token, usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }, choices: [] },
    ],
    ['a choice that is no object', { ...token, choices: ['a'] }],
    ['a null choice', { ...token, choices: [null] }],
    ['a choice that is a list', { ...token, choices: [[]] }],
    ['a choice without index', { ...token, choices: [{}] }],
    ['a negative index', { ...token, choices: [{ index: -1 }] }],
    ['a fractional index', { ...token, choices: [{ index: 0.5 }] }],
    ['an index as text', { ...token, choices: [{ index: '0' }] }],
    ['an index beyond safe integers', { ...token, choices: [{ index: 2 ** 60 }] }],
    ['a finish reason of another type', { ...token, choices: [{ index: 0, finish_reason: 1 }] }],
    ['logprobs', { ...token, choices: [{ index: 0, logprobs: { tokens: [] } }] }],
    ['a second choice it cannot read', { ...token, choices: [{ index: 0 }, { index: -2 }] }],
  ];
  const declinedCompletion: [string, unknown][] = [
    ['a text of another type', { ...token, choices: [{ index: 0, text: 5 }] }],
    ['a text as a list', { ...token, choices: [{ index: 0, text: ['a'] }] }],
  ];
  const declinedChat: [string, unknown][] = [
    ['a delta that is a list', { ...token, choices: [{ index: 0, delta: [] }] }],
    ['a delta that is text', { ...token, choices: [{ index: 0, delta: 'Hi' }] }],
    ['tool-call fragments', { ...token, choices: [{ index: 0, delta: { tool_calls: [] } }] }],
    ['a role of another type', { ...token, choices: [{ index: 0, delta: { role: 1 } }] }],
    ['content of another type', { ...token, choices: [{ index: 0, delta: { content: 1 } }] }],
    [
      'reasoning_content of another type',
      { ...token, choices: [{ index: 0, delta: { reasoning_content: 1 } }] },
    ],
    ['reasoning of another type', { ...token, choices: [{ index: 0, delta: { reasoning: {} } }] }],
  ];
  const declined = [
    ...[...declinedBoth, ...declinedCompletion].map(
      ([name, json]) =>
        [`completion: ${name}`, json, completionChunk, readCompletionChunk] as const,
    ),
    ...[...declinedBoth, ...declinedChat].map(
      ([name, json]) => [`chat: ${name}`, json, chatChunk, readChatChunk] as const,
    ),
  ];
  for (const [name, json, schema, read] of declined)
    it(`leave ${name} to the schema`, () => {
      expect(read(json)).toBeNull();
      const expected = schema.safeParse(json);
      const parsed = parseWith(schema as typeof completionChunk, json);
      expect(parsed.success).toBe(expected.success);
      if (parsed.success && expected.success) expect(parsed.data).toStrictEqual(expected.data);
    });

  it('leave a schema without a hand reader to zod', () => {
    const other = z.object({ a: z.number() });
    expect(parseWith(other, { a: 1 })).toStrictEqual({ success: true, data: { a: 1 } });
    expect(parseWith(other, { a: 'one' }).success).toBe(false);
  });
});
