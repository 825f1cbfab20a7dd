// The hand readers of stream chunks against the zod schemas they stand in for: whatever a reader
// accepts it reads exactly as the schema does, and it does accept the common shapes (else the
// comparison would hold by never answering).
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
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
});
