// A document the gateway will not run (here: over MAX_OPERATION_COST) reads the same every time,
// under every Accept header, and each client library gets the errors as errors: graphql-sse as a
// result (not a NetworkError), Apollo Client as a GraphQL error.
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { createClient } from 'graphql-sse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL, startStack, type Stack } from '../support/stack.ts';
import { MULTIPART_ACCEPT } from '../support/ways.ts';

const costly = `subscription Costly { chatStream(model: "${MODEL}", messages: [{ role: USER, content: "hi" }], maxTokens: 200) { __typename } }`;
const costlyMutation = `mutation Two { a: complete(model: "${MODEL}", prompt: "x", maxTokens: 60) { __typename } b: complete(model: "${MODEL}", prompt: "x", maxTokens: 60) { __typename } }`;

describe('an over-cost document, under every Accept and client', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ MAX_OPERATION_COST: '100' });
  });
  afterAll(() => stack.close());
  const generations = () =>
    stack.sim.countRequests('/v1/completions') + stack.sim.countRequests('/v1/chat/completions');

  for (const query of [costly, costlyMutation]) {
    for (const [accept, status] of [
      ['application/json', 200],
      ['application/graphql-response+json', 400],
      ['text/event-stream', 200],
      [MULTIPART_ACCEPT, 400],
    ] as const) {
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
          expect(text).toContain('"code":"COST_LIMIT_EXCEEDED"');
          answers.push(`${response.headers.get('content-type')}\n${text}`);
        }
        expect(new Set(answers).size).toBe(1);
        expect(generations()).toBe(before);
      });
    }
  }

  it('graphql-sse hands the errors to the app as a result, every time', async () => {
    const client = createClient({ url: stack.endpoint, retryAttempts: 0 });
    try {
      for (let i = 0; i < 3; i++) {
        const results: unknown[] = [];
        for await (const result of client.iterate({ query: costly })) results.push(result);
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
