// How a normalised cache keys each type (examples/gql/cache-keys.ts): every object type is keyed or
// embedded, explicitly, and with the maps Apollo's cache keeps two answers apart that would
// otherwise share a key.
import { ApolloClient, ApolloLink, InMemoryCache, gql } from '@apollo/client';
import { isObjectType } from 'graphql';
import { of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { apolloTypePolicies, graphcacheKeys } from '../../examples/gql/cache-keys.ts';
import possibleTypes from '../../examples/gql/possible-types.ts';
import { KEYED_TYPES } from '../../scripts/cache-keys.ts';
import { schema } from '../../src/schema/index.ts';

describe('cache keys', () => {
  it('name every object type but the roots, once, in both maps', () => {
    const objects = Object.values(schema.getTypeMap())
      .filter((type) => isObjectType(type) && !type.name.startsWith('__'))
      .map((type) => type.name)
      .filter((name) => !['Query', 'Mutation', 'Subscription'].includes(name))
      .sort();
    expect(Object.keys(graphcacheKeys).sort()).toEqual(objects);
    expect(Object.keys(apolloTypePolicies).sort()).toEqual(objects);
    expect(graphcacheKeys.Model({ id: 'm' })).toBe('m');
    expect(graphcacheKeys.ChatCompletion()).toBeNull();
  });

  it('key a type only by a field it has', () => {
    for (const [type, field] of Object.entries(KEYED_TYPES)) {
      const named = schema.getType(type);
      expect(isObjectType(named) && field in named.getFields(), type).toBe(true);
    }
  });

  it('keep two answers apart in Apollo that the upstream gave the same id (none)', async () => {
    const CHAT = gql`
      mutation Chat($content: String!) {
        chat(model: "m", messages: [{ role: USER, content: $content }]) {
          __typename
          ... on ChatCompletion {
            id
            reply {
              content
            }
          }
        }
      }
    `;
    const answer = (content: string) => ({
      chat: { __typename: 'ChatCompletion', id: '', reply: { __typename: 'ChatMessage', content } },
    });
    const store = async (typePolicies?: typeof apolloTypePolicies) => {
      const cache = new InMemoryCache({ possibleTypes: possibleTypes.possibleTypes, typePolicies });
      const link = new ApolloLink((operation) =>
        of({ data: answer(operation.variables.content === 'a' ? 'first' : 'second') }),
      );
      const client = new ApolloClient({ cache, link });
      await client.mutate({ mutation: CHAT, variables: { content: 'a' }, keepRootFields: true });
      await client.mutate({ mutation: CHAT, variables: { content: 'b' }, keepRootFields: true });
      client.stop();
      return cache.extract() as Record<string, Record<string, unknown>>;
    };
    // Keyed by id, both answers are one entry, the second: the first reply is gone from the cache.
    const keyed = await store();
    expect(JSON.stringify(keyed)).not.toContain('first');
    expect(keyed['ChatCompletion:']).toBeDefined();
    // Embedded, each answer keeps its own.
    const embedded = await store(apolloTypePolicies);
    expect(embedded['ChatCompletion:']).toBeUndefined();
    expect(JSON.stringify(embedded.ROOT_MUTATION)).toContain('first');
    expect(JSON.stringify(embedded.ROOT_MUTATION)).toContain('second');
  });
});
