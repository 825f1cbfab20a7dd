import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL, startStack, type Stack } from '../support/stack.ts';

// Pieces of real operations, so that random documents often parse and reach the resolvers.
const FIELDS = [
  'models { id maxModelLength parent { id } }',
  `model(id: "${MODEL}") { id }`,
  'model(id: $id) { id ownedBy }',
  `complete(model: $model, prompt: $prompt, maxTokens: $maxTokens, options: $options) { __typename ... on Completion { text } ... on GatewayError { code } }`,
  `chat(model: $model, messages: $messages, maxTokens: $maxTokens) { __typename ... on ChatCompletion { reply { content } } ... on GatewayError { code } }`,
  '__typename',
  'nope { id }',
];

const documents = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc
    .tuple(
      fc.constantFrom('query', 'mutation', 'subscription', ''),
      fc.array(fc.constantFrom(...FIELDS), { minLength: 1, maxLength: 4 }),
      fc.boolean(),
    )
    .map(([kind, fields, withVariables]) => {
      const variables = withVariables
        ? '($id: ID!, $model: ID!, $prompt: String!, $maxTokens: Int, $options: GenerationOptions, $messages: [ChatMessageInput!]!)'
        : '';
      return `${kind}${kind ? ` Op${variables}` : ''} { ${fields.join(' ')} }`;
    }),
);

const json = fc.jsonValue({ maxDepth: 3 });
const variables = fc.oneof(
  json,
  fc.record(
    {
      id: fc.oneof(fc.constant(MODEL), fc.string(), json),
      model: fc.oneof(fc.constant(MODEL), fc.string({ maxLength: 20 }), json),
      prompt: fc.oneof(fc.string({ maxLength: 40 }), json),
      maxTokens: fc.oneof(fc.integer({ min: -5, max: 10 }), fc.double(), json),
      options: fc.oneof(
        fc.record(
          {
            temperature: fc.double(),
            n: fc.integer({ min: -2, max: 3 }),
            stop: fc.array(fc.string(), { maxLength: 3 }),
          },
          { requiredKeys: [] },
        ),
        json,
      ),
      messages: fc.oneof(
        fc.array(
          fc.record({
            role: fc.constantFrom('USER', 'SYSTEM', 'robot'),
            content: fc.string({ maxLength: 20 }),
          }),
          { maxLength: 3 },
        ),
        json,
      ),
    },
    { requiredKeys: [] },
  ),
);

describe('random documents and variables', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ MAX_TOKENS_LIMIT: '16' }, { tokenDelayMs: 0 });
  });
  afterAll(() => stack.close());

  it('always get a well-formed GraphQL response, and the server keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(documents, variables, fc.boolean(), async (query, vars, asGet) => {
        const response = asGet
          ? await fetch(
              `${stack.endpoint}?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify(vars))}`,
              {
                headers: {
                  accept: 'application/graphql-response+json',
                  'x-graphql-yoga-csrf': '1',
                },
              },
            )
          : await fetch(stack.endpoint, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                accept: 'application/graphql-response+json',
              },
              body: JSON.stringify({ query, variables: vars }),
            });
        expect(response.status).toBeLessThan(500);
        const body = (await response.json()) as Record<string, unknown>;
        expect(typeof body).toBe('object');
        expect('data' in body || 'errors' in body).toBe(true);
        for (const key of Object.keys(body))
          expect(['data', 'errors', 'extensions']).toContain(key);
        if ('errors' in body) {
          expect(Array.isArray(body.errors)).toBe(true);
          for (const error of body.errors as { message: unknown }[])
            expect(typeof error.message).toBe('string');
          // Nothing unexpected leaked: a masked error says so and nothing else.
          expect(JSON.stringify(body.errors)).not.toMatch(/at .*\.ts:\d+|stack/);
        }
      }),
      { numRuns: 300 },
    );
    const { data } = await stack.gql('{ models { id } }');
    expect(data!.models.map((m: { id: string }) => m.id)).toContain(MODEL);
  });
});
