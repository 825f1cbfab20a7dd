// One rule for the token cost, the same every time under every Accept header: a field that alone
// costs more than MAX_OPERATION_COST is a typed InvalidInputError of that field (the operation runs,
// 200); an operation whose fields each fit but not together is not run (COST_LIMIT_EXCEEDED), and
// each client library gets that as errors: graphql-sse as a result (not a NetworkError), Apollo
// Client as a GraphQL error.
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { createClient } from 'graphql-sse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL, startStack, type Stack } from '../support/stack.ts';
import { MULTIPART_ACCEPT } from '../support/ways.ts';

const overStream = `subscription OverStream { chatStream(model: "${MODEL}", messages: [{ role: USER, content: "hi" }], maxTokens: 200) { __typename ... on InvalidInputError { argument } } }`;
const overMutation = `mutation OverMutation { complete(model: "${MODEL}", prompt: "x", maxTokens: 60, options: { n: 2 }) { __typename ... on InvalidInputError { argument } } }`;
const costlyMutation = `mutation Two { a: complete(model: "${MODEL}", prompt: "x", maxTokens: 60) { __typename } b: complete(model: "${MODEL}", prompt: "x", maxTokens: 60) { __typename } }`;

describe('an over-cost document, under every Accept and client', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ MAX_OPERATION_COST: '100' });
  });
  afterAll(() => stack.close());
  const generations = () =>
    stack.sim.countRequests('/v1/completions') + stack.sim.countRequests('/v1/chat/completions');

  const field = '{"__typename":"InvalidInputError","argument":"maxTokens"}';
  const refusal = '"code":"COST_LIMIT_EXCEEDED"';
  // [document, Accept, status, what the answer holds]. A subscription streams only as events (JSON
  // alone is 406 for any subscription).
  const cases: [string, string, number, string][] = [
    ...['text/event-stream', MULTIPART_ACCEPT].map((accept): [string, string, number, string] => [
      overStream,
      accept,
      200,
      field,
    ]),
    ...[
      'application/json',
      'application/graphql-response+json',
      'text/event-stream',
      MULTIPART_ACCEPT,
    ].map((accept): [string, string, number, string] => [overMutation, accept, 200, field]),
    [costlyMutation, 'application/json', 200, refusal],
    [costlyMutation, 'application/graphql-response+json', 400, refusal],
    [costlyMutation, 'text/event-stream', 200, refusal],
    [costlyMutation, MULTIPART_ACCEPT, 400, refusal],
  ];
  for (const [query, accept, status, holds] of cases) {
    it(`${query.split(' ')[1]} with ${accept.split(';')[0]}: ${status}, the same three times`, async () => {
      const before = generations();
      const answers: string[] = [];
      for (let i = 0; i < 3; i++) {
        const response = await fetch(stack.endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept },
          body: JSON.stringify({ query }),
        });
        expect(response.status).toBe(status);
        const text = await response.text();
        expect(text).toContain(holds);
        // A field's typed error is data, not errors.
        if (holds === field) expect(text).not.toContain('"errors"');
        // Multipart boundaries aside.
        answers.push(
          `${response.headers.get('content-type')}\n${text.replace(/-{2,}[\w-]*/g, '')}`,
        );
      }
      expect(new Set(answers).size).toBe(1);
      expect(generations()).toBe(before);
    });
  }

  it('graphql-sse hands the errors to the app as a result, every time', async () => {
    const client = createClient({ url: stack.endpoint, retryAttempts: 0 });
    try {
      for (let i = 0; i < 3; i++) {
        const results: unknown[] = [];
        const field: unknown[] = [];
        for await (const result of client.iterate({ query: overStream })) field.push(result);
        expect(field).toEqual([
          {
            data: { chatStream: { __typename: 'InvalidInputError', argument: 'maxTokens' } },
            hasNext: false,
          },
        ]);
        for await (const result of client.iterate({ query: costlyMutation })) results.push(result);
        expect(results).toEqual([
          {
            errors: [
              expect.objectContaining({
                extensions: expect.objectContaining({ code: 'COST_LIMIT_EXCEEDED', limit: 100 }),
              }),
            ],
          },
        ]);
      }
    } finally {
      client.dispose();
    }
  });

  it('Apollo Client reports it as a GraphQL error with its code', async () => {
    const client = new ApolloClient({
      link: new HttpLink({ uri: stack.endpoint }),
      cache: new InMemoryCache(),
    });
    try {
      // Apollo 4 rejects with CombinedGraphQLErrors (or returns it as `error` with errorPolicy).
      const error = (await client.mutate({ mutation: gql(costlyMutation) }).then(
        (result) => result.error,
        (rejected: unknown) => rejected,
      )) as { errors?: { extensions?: { code?: string } }[] } | undefined;
      expect(error?.errors?.[0]?.extensions?.code).toBe('COST_LIMIT_EXCEEDED');
    } finally {
      client.stop();
    }
  });
});
