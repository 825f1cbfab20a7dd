// A streamed chat on urql: `client.subscription` runs chatStream over urql's fetch transport, and
// each result goes to the stream state the two example apps share (../../react-shared/chat-stream.ts).
// urql ends the stream on the terminal event's `hasNext: false`; unsubscribing aborts the request
// (and so the generation upstream). The events are typed by the generated document: no cast.
import { useCallback } from 'react';
import { useClient } from 'urql';
import {
  NO_TERMINAL_EVENT,
  useChatStreamState,
  type ChatStream,
  type SubscribeChatStream,
} from '../../react-shared/chat-stream.ts';
import { ChatStreamDocument } from './gql/graphql.ts';

export function useChatStream(): ChatStream {
  const client = useClient();
  const subscribe = useCallback<SubscribeChatStream>(
    (variables, sink) =>
      client.subscription(ChatStreamDocument, variables).subscribe(({ data, error, hasNext }) => {
        if (error) sink.end(error.message);
        else if (data) sink.event(data.chatStream);
        // The last result: after a terminal event this changes nothing.
        if (!hasNext) sink.end(NO_TERMINAL_EVENT);
      }),
    [client],
  );
  return useChatStreamState(subscribe);
}
