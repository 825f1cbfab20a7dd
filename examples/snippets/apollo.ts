// The README's Apollo Client snippet, compiled under the project's strict settings by `npm test`
// (test/unit/readme-snippets.test.ts checks that the README shows the part between the markers).
import { gql, type TypedDocumentNode } from '@apollo/client';
import type { ChatStreamSubscription, ChatStreamSubscriptionVariables } from '../gql/graphql.ts';

declare function render(text: string): void;
const variables: ChatStreamSubscriptionVariables = {
  model: 'sim/lorem-8b-instruct',
  messages: [{ role: 'USER', content: 'Tell me about lighthouses.' }],
};
const ChatStreamDocument: TypedDocumentNode<
  ChatStreamSubscription,
  ChatStreamSubscriptionVariables
> = gql`
  subscription ChatStream($model: ID!, $messages: [ChatMessageInput!]!) {
    chatStream(model: $model, messages: $messages) {
      __typename
      ... on ChatChunk {
        content
      }
      ... on GatewayError {
        code
        message
      }
    }
  }
`;

// README:start
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import possibleTypes from '../gql/possible-types.ts';
const client = new ApolloClient({
  link: new HttpLink({ uri: 'http://localhost:4000/graphql' }),
  cache: new InMemoryCache({ possibleTypes: possibleTypes.possibleTypes }),
});
client.subscribe({ query: ChatStreamDocument, variables }).subscribe(({ data }) => {
  const event = data?.chatStream;
  if (event?.__typename === 'ChatChunk') render(event.content);
});
// README:end
