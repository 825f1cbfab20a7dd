// A streamed chat as React state: `start` subscribes to chatStream through Apollo Client, each
// ChatChunk appends its tokens, and ChatDone or a typed error ends it; `stop` unsubscribes, which
// aborts the request (and so the generation upstream). The events are typed by the generated
// document: a switch over `__typename` needs no cast, and a new member of the union fails the type
// check until it is handled.
import { useApolloClient } from '@apollo/client/react';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Subscription } from 'rxjs';
import {
  ChatStreamDocument,
  type ChatStreamSubscription,
  type ChatStreamSubscriptionVariables,
} from './gql/graphql.ts';

type StreamEvent = ChatStreamSubscription['chatStream'];
type Done = Extract<StreamEvent, { __typename: 'ChatDone' }>;
/** Every member of the union but the chunk and Done: the typed errors. */
type StreamError = Exclude<StreamEvent, { __typename: 'ChatChunk' | 'ChatDone' }>;

export type ChatStreamState =
  | { phase: 'idle'; text: '' }
  | { phase: 'streaming'; text: string }
  | { phase: 'done'; text: string; done: Done }
  | { phase: 'failed'; text: string; error: StreamError }
  | { phase: 'broken'; text: string; message: string }
  | { phase: 'stopped'; text: string };

const IDLE: ChatStreamState = { phase: 'idle', text: '' };

/** The state after one event: chunks while streaming; Done or a typed error ends the stream. */
function onEvent(state: ChatStreamState, event: StreamEvent): ChatStreamState {
  if (state.phase !== 'streaming') return state;
  switch (event.__typename) {
    case 'ChatChunk':
      return { phase: 'streaming', text: state.text + event.content };
    case 'ChatDone':
      return { phase: 'done', text: state.text, done: event };
    default:
      return { phase: 'failed', text: state.text, error: event };
  }
}

/** The state when the stream ends otherwise: a request that failed, or no terminal event. */
function onEnd(state: ChatStreamState, message: string): ChatStreamState {
  return state.phase === 'streaming' ? { phase: 'broken', text: state.text, message } : state;
}

export function useChatStream(): {
  state: ChatStreamState;
  start(variables: ChatStreamSubscriptionVariables): void;
  stop(): void;
} {
  const client = useApolloClient();
  const [state, setState] = useState<ChatStreamState>(IDLE);
  const current = useRef<Subscription | null>(null);

  const stop = useCallback(() => {
    current.current?.unsubscribe();
    current.current = null;
    setState((s) => (s.phase === 'streaming' ? { phase: 'stopped', text: s.text } : s));
  }, []);

  const start = useCallback(
    (variables: ChatStreamSubscriptionVariables) => {
      current.current?.unsubscribe();
      setState({ phase: 'streaming', text: '' });
      const subscription = client
        .subscribe({ query: ChatStreamDocument, variables, fetchPolicy: 'no-cache' })
        .subscribe({
          next({ data, error }) {
            if (error) setState((s) => onEnd(s, error.message));
            else if (data) setState((s) => onEvent(s, data.chatStream));
          },
          error: (error: unknown) =>
            setState((s) => onEnd(s, error instanceof Error ? error.message : String(error))),
          complete: () => setState((s) => onEnd(s, 'The stream ended without a terminal event.')),
        });
      current.current = subscription;
    },
    [client],
  );

  // Leaving the page (or unmounting) stops the stream too.
  useEffect(() => () => current.current?.unsubscribe(), []);

  return { state, start, stop };
}
