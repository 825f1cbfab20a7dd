// The app's urql Client. urql's own fetch transport is the only one: queries and mutations go as
// JSON, and with `fetchSubscriptions: true` a subscription is a POST answered as server-sent
// events (GraphQL over SSE), whose terminal event carries `hasNext: false`, so urql ends the
// stream on it. Unsubscribing aborts the request, and the gateway then aborts the upstream
// generation.
import { cacheExchange } from '@urql/exchange-graphcache';
import { persistedExchange } from '@urql/exchange-persisted';
import { Client, fetchExchange } from 'urql';
import { graphcacheKeys } from '../../gql/cache-keys.ts';
import { persistedHash } from '../../react-shared/persisted.ts';
import { fetchEndingQuietly } from './fetch.ts';
import schema from './gql/introspection.ts';

export function createUrqlClient(url: string): Client {
  return new Client({
    url,
    fetchSubscriptions: true,
    fetch: fetchEndingQuietly,
    exchanges: [
      // Graphcache, the normalised cache, aware of the schema: it knows which types implement
      // GatewayError and make up each result union, so a ModelNotFoundError reads back with its
      // code and message. Only Model is keyed (by id); every other type is a value embedded in its
      // parent.
      cacheExchange({ schema, keys: graphcacheKeys }),
      // urql's exchange for persisted queries: every operation, subscriptions included, goes as its
      // manifest hash (extensions.persistedQuery), never as text, and as a POST (the gateway's CSRF
      // prevention refuses a bare GET).
      persistedExchange({
        enforcePersistedQueries: true,
        enableForMutation: true,
        enableForSubscriptions: true,
        preferGetForPersistedQueries: false,
        generateHash: async (_query, document) => persistedHash(document),
      }),
      fetchExchange,
    ],
  });
}
