// A driver for every way into the gateway (src/gate/ways.ts): send one GraphQL request the way a
// client of that transport would, and read the answer the same way whatever it is (JSON, or
// server-sent events, or a refusal).
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { WayIn } from '../../src/gate/ways.ts';

export interface Params {
  query?: string;
  variables?: Record<string, unknown>;
  extensions?: Record<string, unknown>;
}

interface Send {
  /** Headers added to every request of the transport (Authorization, x-request-id). */
  headers: Record<string, string>;
  /** The form of the request any web page could make a browser send (no custom header, form-like body). */
  simple?: boolean;
}

export interface Answer {
  status: number;
  headers: Headers;
  /** The text of the answer (every event's data, for streams). */
  raw: string;
  /** The first result: the JSON body, or the first `next` event's payload. */
  result: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  } | null;
}

export type Driver = (endpoint: string, params: Params, send: Send) => Promise<Answer>;

const CSRF = { 'x-graphql-yoga-csrf': '1' };
const JSON_ACCEPT = 'application/graphql-response+json';
/** What Apollo Client's HttpLink sends for a subscription. */
export const MULTIPART_ACCEPT =
  'multipart/mixed;boundary=graphql;subscriptionSpec=1.0,application/graphql-response+json,application/json;q=0.9';

/** The JSON parts of an Apollo multipart answer, heartbeats (`{}`) left out. */
export async function multipartParts(response: Response): Promise<Record<string, unknown>[]> {
  const text = await response.text();
  return text
    .split('\r\n--graphql')
    .map((part) => part.slice(part.indexOf('\r\n\r\n') + 4))
    .filter((body) => body.trim().startsWith('{'))
    .map((body) => JSON.parse(body) as Record<string, unknown>)
    .filter((part) => Object.keys(part).length > 0);
}

function search(params: Params, extra: Record<string, string> = {}): string {
  const query = new URLSearchParams(extra);
  if (params.query !== undefined) query.set('query', params.query);
  if (params.variables) query.set('variables', JSON.stringify(params.variables));
  if (params.extensions) query.set('extensions', JSON.stringify(params.extensions));
  return query.toString();
}

/** Reads a whole answer: events until `complete` (or the end), else the body as JSON when it is JSON. */
async function read(response: Response, opId?: string): Promise<Answer> {
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('multipart/mixed')) {
    const parts = await multipartParts(response);
    return {
      status: response.status,
      headers: response.headers,
      raw: parts.map((part) => JSON.stringify(part)).join('\n'),
      result: (parts[0]?.payload ?? parts[0] ?? null) as Answer['result'],
    };
  }
  if (!type.includes('text/event-stream')) {
    const raw = await response.text();
    let result: Answer['result'] = null;
    try {
      result = JSON.parse(raw) as Answer['result'];
    } catch {
      result = null;
    }
    return { status: response.status, headers: response.headers, raw, result };
  }
  const events = await readEvents(response, opId);
  const first = events.find((e) => e.event === 'next');
  let payload = first ? (JSON.parse(first.data) as Record<string, unknown>) : null;
  // Single-connection mode wraps each result: {"id", "payload"}.
  if (payload && opId !== undefined) payload = payload.payload as Record<string, unknown>;
  return {
    status: response.status,
    headers: response.headers,
    raw: events.map((e) => e.data).join('\n'),
    result: payload as Answer['result'],
  };
}

async function readEvents(response: Response, opId?: string): Promise<EventSourceMessage[]> {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  const decoder = new TextDecoder();
  const ended = () =>
    events.some(
      (e) =>
        e.event === 'complete' &&
        (opId === undefined ||
          (e.data !== '' && (JSON.parse(e.data) as { id?: string }).id === opId)),
    );
  for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
    parser.feed(decoder.decode(bytes, { stream: true }));
    if (ended()) break;
  }
  return events.filter(
    (e) =>
      opId === undefined ||
      e.event !== 'next' ||
      (JSON.parse(e.data) as { id?: string }).id === opId,
  );
}

const post =
  (path: string, accept: string): Driver =>
  async (endpoint, params, send) =>
    read(
      await fetch(`${endpoint}${path}`, {
        method: 'POST',
        headers: {
          'content-type': send.simple ? 'text/plain' : 'application/json',
          accept,
          ...send.headers,
        },
        body: JSON.stringify(params),
      }),
    );

const get =
  (path: string, accept: string): Driver =>
  async (endpoint, params, send) =>
    read(
      await fetch(`${endpoint}${path}?${search(params)}`, {
        headers: { accept, ...(send.simple ? {} : CSRF), ...send.headers },
      }),
    );

/** graphql-sse's single-connection protocol: reserve a stream (PUT), open it (GET), post the operation with its id. */
const single: Driver = async (endpoint, params, send) => {
  const url = `${endpoint}/stream`;
  const reserved = await fetch(url, { method: 'PUT', headers: send.headers });
  if (reserved.status !== 201) return read(reserved);
  const token = await reserved.text();
  if (send.simple) {
    // The token in the URL lets an EventSource (no custom header) run an operation: the simple form.
    return read(
      await fetch(`${url}?${search(params, { token })}`, {
        headers: { accept: 'text/event-stream', ...send.headers },
      }),
    );
  }
  const controller = new AbortController();
  const stream = await fetch(url, {
    headers: {
      accept: 'text/event-stream',
      'x-graphql-event-stream-token': token,
      ...send.headers,
    },
    signal: controller.signal,
  });
  try {
    const body = {
      ...params,
      query: params.query ?? '',
      extensions: { ...params.extensions, operationId: 'op1' },
    };
    const accepted = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'x-graphql-event-stream-token': token,
        ...send.headers,
      },
      body: JSON.stringify(body),
    });
    if (accepted.status !== 202) return read(accepted);
    const answer = await read(stream, 'op1');
    // The operation's own request carries its id and status; the events come on the stream.
    return { ...answer, status: accepted.status, headers: accepted.headers };
  } finally {
    controller.abort();
  }
};

export const DRIVERS: Record<WayIn, Driver> = {
  post: post('', JSON_ACCEPT),
  get: get('', JSON_ACCEPT),
  'post-sse': post('', 'text/event-stream'),
  'get-sse': get('', 'text/event-stream'),
  'post-multipart': post('', MULTIPART_ACCEPT),
  'get-multipart': get('', MULTIPART_ACCEPT),
  'stream-post': post('/stream', 'text/event-stream'),
  'stream-get': get('/stream', 'text/event-stream'),
  'stream-single': single,
};
