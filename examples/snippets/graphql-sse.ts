// The README's graphql-sse snippet, compiled under the project's strict settings by `npm test`
// (test/unit/readme-snippets.test.ts checks that the README shows the part between the markers).
import {
  ChatStreamDocument,
  type ChatStreamSubscription,
  type ChatStreamSubscriptionVariables,
} from '../gql/graphql.ts';

declare function render(text: string): void;
const variables: ChatStreamSubscriptionVariables = {
  model: 'sim/lorem-8b-instruct',
  messages: [{ role: 'USER', content: 'Tell me about lighthouses.' }],
};

// README:start
import { createClient } from 'graphql-sse';
const client = createClient({ url: 'http://localhost:4000/graphql' }); // distinct connections
// or: createClient({ url: 'http://localhost:4000/graphql/stream', singleConnection: true })
const query = ChatStreamDocument.toString();
for await (const { data } of client.iterate<ChatStreamSubscription>({ query, variables })) {
  const event = data?.chatStream;
  if (event?.__typename === 'ChatChunk') render(event.content);
  else if (event?.__typename === 'ChatDone') render('\n');
  else if (event !== undefined) throw new Error(`${event.code}: ${event.message}`);
}
// README:end
