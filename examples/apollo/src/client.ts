// The app's Apollo Client. Apollo's own HttpLink is the transport: queries and mutations go as
// JSON, and a subscription with `Accept: multipart/mixed;subscriptionSpec=1.0`, which the gateway
// answers on /graphql in Apollo's multipart protocol, one part per event. Unsubscribing aborts the
// request, and the gateway then aborts the upstream generation.
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { apolloTypePolicies } from '../../gql/cache-keys.ts';
import { persistedHash } from '../../react-shared/persisted.ts';
import possibleTypes from './gql/possible-types.ts';

export function createApolloClient(uri: string): ApolloClient {
  return new ApolloClient({
    link: ApolloLink.from([
      // Apollo's link for persisted queries: every operation goes as its manifest hash
      // (extensions.persistedQuery), never as text. The gateway runs no text, so a hash it does
      // not know is an error to show, not a reason to send the document again.
      new PersistedQueryLink({ generateHash: persistedHash, retry: () => false }),
      new HttpLink({ uri }),
    ]),
    cache: new InMemoryCache({
      // Which types implement GatewayError and make up each result union: without it a
      // ModelNotFoundError reads back from the cache with `code` and `message` undefined.
      possibleTypes: possibleTypes.possibleTypes,
      // Only Model is normalised (by id); every other type is a value embedded in its parent.
      typePolicies: apolloTypePolicies,
    }),
  });
}
