// Reads a GraphQL subscription over SSE (distinct-connections mode) the way a browser would:
// one POST with Accept: text/event-stream, events parsed as they arrive, each stamped with its time.
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface Received {
  /** The GraphQL payload of a `next` event. */
  payload: {
    data?: Record<string, any> | null;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  };
  /** performance.now() when the event was parsed. */
  at: number;
}

export async function* subscribe(
  endpoint: string,
  query: string,
  variables: Record<string, unknown>,
  init: { signal?: AbortSignal; headers?: Record<string, string>; operationName?: string } = {},
): AsyncGenerator<Received> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...init.headers },
    body: JSON.stringify({ query, variables, operationName: init.operationName }),
    signal: init.signal,
  });
  if (!response.ok || !response.body)
    throw new Error(`subscription answered ${response.status}: ${await response.text()}`);
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  const decoder = new TextDecoder();
  for await (const bytes of response.body) {
    parser.feed(decoder.decode(bytes, { stream: true }));
    while (events.length > 0) {
      const event = events.shift()!;
      if (event.event === 'complete') return;
      if (event.event === 'next') yield { payload: JSON.parse(event.data), at: performance.now() };
    }
  }
}

/** Every event's value of the subscription field, until the server completes the stream. */
export async function collect(
  endpoint: string,
  query: string,
  variables: Record<string, unknown>,
  init?: { signal?: AbortSignal; headers?: Record<string, string> },
): Promise<(Record<string, any> & { at: number })[]> {
  const values: (Record<string, any> & { at: number })[] = [];
  for await (const { payload, at } of subscribe(endpoint, query, variables, init)) {
    if (payload.errors) throw new Error(`GraphQL errors: ${JSON.stringify(payload.errors)}`);
    const value = Object.values(payload.data ?? {})[0] as Record<string, any>;
    values.push({ ...value, at });
  }
  return values;
}
