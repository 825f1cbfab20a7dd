// A streamed chat on Apollo Client: `client.subscribe` runs chatStream over HttpLink's multipart
// subscriptions, and each result goes to the stream state the two example apps share
// (../../react-shared/chat-stream.ts); unsubscribing aborts the request (and so the generation
// upstream). The events are typed by the generated document: no cast.
import { useApolloClient } from '@apollo/client/react';
import { useCallback } from 'react';
import {
  NO_TERMINAL_EVENT,
  useChatStreamState,
  type ChatStream,
  type SubscribeChatStream,
} from '../../react-shared/chat-stream.ts';
import { ChatStreamDocument } from './gql/graphql.ts';

export function useChatStream(): ChatStream {
  const client = useApolloClient();
  const subscribe = useCallback<SubscribeChatStream>(
    (variables, sink) =>
      client
        .subscribe({ query: ChatStreamDocument, variables, fetchPolicy: 'no-cache' })
        .subscribe({
          next({ data, error }) {
            if (error) sink.end(error.message);
            else if (data) sink.event(data.chatStream);
          },
          error: (error: unknown) =>
            sink.end(error instanceof Error ? error.message : String(error)),
          complete: () => sink.end(NO_TERMINAL_EVENT),
        }),
    [client],
  );
  return useChatStreamState(subscribe);
}
