// Guided decoding (responseFormat CHOICE, REGEX, GRAMMAR) through GraphQL against the simulator as
// NIM 2.x and as early NIM 1.x: the answer fits the constraint, the upstream gets the one form its
// version reads (never one it would silently ignore), and bad input is a typed error that costs no
// upstream call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../support/sse.ts';
import { MODEL, startStack, type Stack } from '../support/stack.ts';

const COMPLETE = /* GraphQL */ `
  mutation C($f: ResponseFormatInput) {
    complete(model: "${MODEL}", prompt: "Pick one", maxTokens: 40, responseFormat: $f) {
      __typename
      ... on Completion {
        text
        json
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
    }
  }
`;
const CHAT = /* GraphQL */ `
  mutation Ch($f: ResponseFormatInput) {
    chat(
      model: "${MODEL}"
      messages: [{ role: USER, content: "Is it?" }]
      maxTokens: 40
      responseFormat: $f
    ) {
      __typename
      ... on ChatCompletion {
        reply {
          content
        }
      }
      ... on GatewayError {
        code
        message
      }
    }
  }
`;
const STREAM = /* GraphQL */ `
  subscription S($f: ResponseFormatInput) {
    chatStream(
      model: "${MODEL}"
      messages: [{ role: USER, content: "Is it?" }]
      maxTokens: 40
      responseFormat: $f
    ) {
      __typename
      ... on ChatChunk {
        content
      }
      ... on ChatDone {
        choices {
          finishReason
        }
      }
    }
  }
`;

interface Answer {
  __typename: string;
  text?: string;
  json?: unknown;
  choices?: { finishReason: string }[];
  code?: string;
  message?: string;
  argument?: string;
  reply?: { content: string };
}

const CHOICES = ['yes', 'no', 'not sure'];
const PATTERN = '[A-Z]{2}-\\d{3}(-(alpha|beta))?';
const GRAMMAR = 'root ::= "red" | "green" | "blue"';

for (const [dialect, apiVersion] of [
  ['top-level', 2],
  ['nvext', 1],
] as const) {
  describe(`guided decoding (NIM_API_DIALECT=${dialect}, NIM ${apiVersion}.x)`, () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({ NIM_API_DIALECT: dialect }, { tokenDelayMs: 0, apiVersion });
    });
    afterAll(() => stack.close());

    const lastBody = (path: string) =>
      stack.sim.requests.filter((r) => r.path === path).at(-1)!.body as Record<string, unknown>;
    const complete = async (f: Record<string, unknown>) =>
      (await stack.gql<{ complete: Answer }>(COMPLETE, { f })).data!.complete;

    /** The body carries the guide in this dialect's form and in no other. */
    const expectSentAs = (body: Record<string, unknown>, kind: string, value: unknown) => {
      const nvext = (body.nvext ?? {}) as Record<string, unknown>;
      if (dialect === 'top-level') {
        expect(body.structured_outputs).toEqual({ [kind]: value });
        expect(nvext).toEqual({});
      } else {
        expect(nvext[`guided_${kind}`]).toEqual(value);
        expect(body).not.toHaveProperty('structured_outputs');
      }
      expect(Object.keys(body).filter((k) => k.startsWith('guided_'))).toEqual([]);
      expect(body).not.toHaveProperty('response_format');
    };

    it('CHOICE: the text is one of the choices, sent as this NIM reads it', async () => {
      const seen = new Set<string>();
      for (const prompt of ['a', 'b', 'c', 'd', 'e', 'f']) {
        const { data } = await stack.gql<{ complete: Answer }>(
          COMPLETE.replace('"Pick one"', JSON.stringify(prompt)),
          { f: { type: 'CHOICE', choices: CHOICES } },
        );
        const answer = data!.complete;
        expect(answer.__typename, answer.message).toBe('Completion');
        expect(CHOICES).toContain(answer.text);
        expect(answer.choices).toEqual([{ finishReason: 'STOP' }]);
        // Not JSON: the json field is for JSON formats only.
        expect(answer.json).toBeNull();
        seen.add(answer.text!);
      }
      expect(seen.size).toBeGreaterThan(1);
      expectSentAs(lastBody('/v1/completions'), 'choice', CHOICES);
    });

    it('REGEX: the text matches the whole pattern', async () => {
      const answer = await complete({ type: 'REGEX', pattern: PATTERN });
      expect(answer.__typename, answer.message).toBe('Completion');
      expect(answer.text).toMatch(new RegExp(`^(?:${PATTERN})$`));
      expectSentAs(lastBody('/v1/completions'), 'regex', PATTERN);
    });

    it('GRAMMAR: the text is a string of the grammar', async () => {
      const answer = await complete({ type: 'GRAMMAR', grammar: GRAMMAR });
      expect(answer.__typename, answer.message).toBe('Completion');
      expect(['red', 'green', 'blue']).toContain(answer.text);
      expectSentAs(lastBody('/v1/completions'), 'grammar', GRAMMAR);
    });

    it('chat and chatStream take it too, and keep the sampling extensions beside it', async () => {
      const { data } = await stack.gql<{ chat: Answer }>(
        CHAT.replace('responseFormat: $f', 'responseFormat: $f, options: { topK: 5 }'),
        { f: { type: 'CHOICE', choices: CHOICES } },
      );
      expect(data!.chat.__typename, data!.chat.message).toBe('ChatCompletion');
      expect(CHOICES).toContain(data!.chat.reply!.content);
      const body = lastBody('/v1/chat/completions');
      expectSentAs(body, 'choice', CHOICES);
      if (dialect === 'nvext') expect(body.nvext).toMatchObject({ top_k: 5 });
      else expect(body.top_k).toBe(5);

      const events = await collect(stack.endpoint, STREAM, {
        f: { type: 'CHOICE', choices: CHOICES },
      });
      const text = events
        .filter((e) => e.__typename === 'ChatChunk')
        .map((e) => e.content)
        .join('');
      expect(CHOICES).toContain(text);
      expect(events.at(-1)).toMatchObject({
        __typename: 'ChatDone',
        choices: [{ finishReason: 'STOP' }],
      });
    });
  });
}

describe('guided decoding: bad input is a typed error, and nothing is sent', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({}, { tokenDelayMs: 0 });
  });
  afterAll(() => stack.close());

  const cases: [string, Record<string, unknown>, string, string][] = [
    ['CHOICE without choices', { type: 'CHOICE' }, 'choices', 'CHOICE needs at least one choice'],
    ['an empty list', { type: 'CHOICE', choices: [] }, 'choices', 'at least one choice'],
    ['an empty choice', { type: 'CHOICE', choices: ['a', ''] }, 'choices', 'empty string'],
    ['a repeated choice', { type: 'CHOICE', choices: ['a', 'a'] }, 'choices', 'repeat'],
    [
      'too many choices',
      { type: 'CHOICE', choices: Array.from({ length: 257 }, (_, i) => `c${i}`) },
      'choices',
      'at most 256',
    ],
    ['REGEX without a pattern', { type: 'REGEX' }, 'pattern', 'REGEX needs a pattern'],
    ['an empty pattern', { type: 'REGEX', pattern: '' }, 'pattern', 'REGEX needs a pattern'],
    [
      'a pattern too long',
      { type: 'REGEX', pattern: 'a'.repeat(16_385) },
      'pattern',
      'at most 16384 characters',
    ],
    ['GRAMMAR without one', { type: 'GRAMMAR' }, 'grammar', 'GRAMMAR needs a grammar'],
    ['choices on REGEX', { type: 'REGEX', pattern: 'a', choices: ['a'] }, 'choices', 'only CHOICE'],
    ['a pattern on TEXT', { type: 'TEXT', pattern: 'a' }, 'pattern', 'only REGEX'],
    [
      'a schema on CHOICE',
      { type: 'CHOICE', choices: ['a'], schema: {} },
      'schema',
      'only JSON_SCHEMA',
    ],
    [
      'a grammar on JSON_SCHEMA',
      { type: 'JSON_SCHEMA', schema: {}, grammar: 'x' },
      'grammar',
      'only GRAMMAR',
    ],
  ];
  for (const [what, format, field, message] of cases) {
    it(`${what}: InvalidInputError on responseFormat.${field}`, async () => {
      const before = stack.sim.requests.length;
      const { data } = await stack.gql<{ complete: Answer }>(COMPLETE, { f: format });
      expect(data!.complete).toMatchObject({
        __typename: 'InvalidInputError',
        code: 'BAD_USER_INPUT',
        argument: `responseFormat.${field}`,
        message: expect.stringContaining(message),
      });
      expect(data!.complete.message).toMatch(new RegExp(`^responseFormat\\.${field}: `));
      expect(stack.sim.requests.length).toBe(before);
    });
  }
});
