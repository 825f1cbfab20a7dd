// The schema a client introspects from a running gateway is, description for description, the
// committed schema.graphql that GraphQL Code Generator and frontend teams read: a parameter's range
// or default in its description is documentation a client relies on.
import { readFileSync } from 'node:fs';
import {
  buildClientSchema,
  buildSchema,
  getIntrospectionQuery,
  lexicographicSortSchema,
  printSchema,
  type IntrospectionQuery,
} from 'graphql';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

const printed = (schema: Parameters<typeof lexicographicSortSchema>[0]) =>
  printSchema(lexicographicSortSchema(schema));

it('introspection over HTTP gives exactly the committed schema.graphql', async () => {
  const { data } = await stack.gql<IntrospectionQuery>(
    getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      inputValueDeprecation: true,
    }),
  );
  const committed = readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8');
  expect(printed(buildClientSchema(data!))).toBe(printed(buildSchema(committed)));
});
