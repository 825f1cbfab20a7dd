// A streamed chat as React state, for both example apps: each app's useChatStream subscribes to
// chatStream with its own client and hands what arrives to the sink this gives it. Each ChatChunk
// appends its tokens, and ChatDone or a typed error ends the stream; `stop` unsubscribes, which
// aborts the request (and so the generation upstream). The events are typed by the generated
// documents: a switch over `__typename` needs no cast, and a new member of the union fails the
// type check until it is handled.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ChatStreamSubscription, ChatStreamSubscriptionVariables } from './gql/graphql.ts';

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

/** What a stream that ends with neither ChatDone nor a typed error shows. */
export const NO_TERMINAL_EVENT = 'The stream ended without a terminal event.';

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

/** Where a client's subscription delivers what arrives. */
interface ChatStreamSink {
  /** An event of the stream. */
  event(event: StreamEvent): void;
  /** The stream ended otherwise, for the reason given: the request failed, or no terminal event. */
  end(message: string): void;
}

/**
 * The app's call of its client: starts the subscription, hands each result to `sink`, and returns
 * what ends it.
 */
export type SubscribeChatStream = (
  variables: ChatStreamSubscriptionVariables,
  sink: ChatStreamSink,
) => { unsubscribe(): void };

export interface ChatStream {
  state: ChatStreamState;
  start(variables: ChatStreamSubscriptionVariables): void;
  stop(): void;
}

/** The stream's state and controls, on `subscribe` (keep it stable, with useCallback). */
export function useChatStreamState(subscribe: SubscribeChatStream): ChatStream {
  const [state, setState] = useState<ChatStreamState>(IDLE);
  const current = useRef<{ unsubscribe(): void } | null>(null);

  const stop = useCallback(() => {
    current.current?.unsubscribe();
    current.current = null;
    setState((s) => (s.phase === 'streaming' ? { phase: 'stopped', text: s.text } : s));
  }, []);

  const start = useCallback(
    (variables: ChatStreamSubscriptionVariables) => {
      current.current?.unsubscribe();
      setState({ phase: 'streaming', text: '' });
      current.current = subscribe(variables, {
        event: (event) => setState((s) => onEvent(s, event)),
        end: (message) => setState((s) => onEnd(s, message)),
      });
    },
    [subscribe],
  );

  // Leaving the page (or unmounting) stops the stream too.
  useEffect(() => () => current.current?.unsubscribe(), []);

  return { state, start, stop };
}
