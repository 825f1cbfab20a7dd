// The README's Relay environment, compiled under the project's strict settings by `npm test`
// (test/unit/readme-snippets.test.ts checks that the README shows the part between the markers;
// test/integration/relay-compiler.test.ts runs createRelayEnvironment against a gateway).

// README:start
import { createClient } from 'graphql-sse';
import {
  Environment,
  Network,
  Observable,
  RecordSource,
  Store,
  type GraphQLResponse,
  type RequestParameters,
  type Variables,
} from 'relay-runtime';

// With persistConfig the compiler leaves `text` null and `id` is the SHA-256 of the text: the
// gateway reads it from extensions.persistedQuery (graphql-sse wants a query string, hence "").
const body = (operation: RequestParameters, variables: Variables) =>
  operation.id === null
    ? { query: operation.text ?? '', variables }
    : {
        query: '',
        variables,
        extensions: { persistedQuery: { version: 1, sha256Hash: operation.id } },
      };

export function createRelayEnvironment(url: string): Environment {
  const sse = createClient({ url }); // GraphQL over SSE, distinct connections
  const network = Network.create(
    async (operation, variables) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body(operation, variables)),
      });
      return (await response.json()) as GraphQLResponse;
    },
    (operation, variables) =>
      Observable.create<GraphQLResponse>((sink) =>
        sse.subscribe(body(operation, variables), {
          next: (result) => sink.next(result as GraphQLResponse),
          error: (error) => sink.error(error as Error),
          complete: () => sink.complete(),
        }),
      ),
  );
  return new Environment({
    network,
    store: new Store(new RecordSource()),
    // Only a Model's id names one thing; every other record is kept under its path in the answer.
    getDataID: (value, typeName) => (typeName === 'Model' ? `Model:${value.id}` : null),
  });
}

export const environment = createRelayEnvironment('http://localhost:4000/graphql');
// README:end
