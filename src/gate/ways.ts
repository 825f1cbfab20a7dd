// Every way into the gateway, named once. The HTTP handler dispatches by it, the gate decides by
// it, and test/integration/gate-matrix.test.ts drives each one against every protection: a way in
// added here without a driver there (or a protection without a probe) fails that test.

/**
 * The ways a GraphQL operation can arrive. Production code uses the type; the list is what the gate
 * matrix crosses.
 * @internal
 */
export const WAYS_IN = [
  /** POST /graphql, JSON in, JSON out. */
  'post',
  /** GET /graphql with the operation in the query string. */
  'get',
  /** POST /graphql with Accept: text/event-stream (GraphQL over SSE, distinct connections). */
  'post-sse',
  /** GET /graphql with Accept: text/event-stream. */
  'get-sse',
  /** POST /graphql with Accept: multipart/mixed;subscriptionSpec=1.0 (Apollo's multipart subscriptions). */
  'post-multipart',
  /** GET /graphql, likewise. */
  'get-multipart',
  /** POST /graphql/stream: graphql-sse's distinct-connections mode (the same protocol as post-sse). */
  'stream-post',
  /** GET /graphql/stream, likewise. */
  'stream-get',
  /** /graphql/stream with a stream token: graphql-sse's single-connection mode (PUT, GET, POST, DELETE). */
  'stream-single',
] as const;
export type WayIn = (typeof WAYS_IN)[number];

/** What a request is, from its method, URL and headers alone (before its body is read). */
export type Route =
  | { kind: 'graphql'; way: WayIn }
  /** Answered without a client key or CSRF header: health, metrics, CORS preflights, GraphiQL's page and assets. */
  | { kind: 'open' }
  /** Anything else: guarded like GraphQL (Yoga answers 404). */
  | { kind: 'other' };

export const STREAM_PATH = '/graphql/stream';
export const STREAM_TOKEN_HEADER = 'x-graphql-event-stream-token';

interface RequestHead {
  method: string;
  /** The request target: path and query (`/graphql?query=…`). */
  url: string;
  header(name: string): string | null;
}

/** Liveness (Yoga's health check) and readiness (Yoga's readiness check, src/plugins/use-health.ts). */
export const LIVE_PATH = '/health/live';
export const READY_PATH = '/health/ready';
const OPEN_PATHS = new Set([LIVE_PATH, READY_PATH, '/metrics']);

function pathOf(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

const acceptsEvents = (head: RequestHead) =>
  (head.header('accept') ?? '').includes('text/event-stream');
const acceptsMultipart = (head: RequestHead) =>
  (head.header('accept') ?? '').toLowerCase().includes('multipart/mixed');

export function routeOf(
  head: RequestHead,
  options: { endpoint: string; graphiql: boolean; assetPrefix?: string },
): Route {
  const path = pathOf(head.url);
  if (head.method === 'OPTIONS' || OPEN_PATHS.has(path)) return { kind: 'open' };
  if (options.graphiql && options.assetPrefix !== undefined && path.startsWith(options.assetPrefix))
    return { kind: 'open' };
  const onEndpoint = path === options.endpoint || path === `${options.endpoint}/`;
  // GraphiQL's page, as Yoga decides to render it.
  if (
    options.graphiql &&
    onEndpoint &&
    head.method === 'GET' &&
    (head.header('accept') ?? '').includes('text/html')
  ) {
    return { kind: 'open' };
  }
  if (path === `${options.endpoint}/stream` || path === `${options.endpoint}/stream/`) {
    const single =
      head.header(STREAM_TOKEN_HEADER) !== null ||
      /[?&]token=/.test(head.url) ||
      head.method === 'PUT' ||
      head.method === 'DELETE';
    if (single) return { kind: 'graphql', way: 'stream-single' };
    return { kind: 'graphql', way: head.method === 'GET' ? 'stream-get' : 'stream-post' };
  }
  if (onEndpoint) {
    const sse = acceptsEvents(head);
    const multipart = !sse && acceptsMultipart(head);
    if (head.method === 'GET')
      return { kind: 'graphql', way: sse ? 'get-sse' : multipart ? 'get-multipart' : 'get' };
    return { kind: 'graphql', way: sse ? 'post-sse' : multipart ? 'post-multipart' : 'post' };
  }
  return { kind: 'other' };
}

/** graphql-sse's distinct-connections mode is GraphQL over SSE as /graphql serves it: served there. */
export function servedAsEndpoint(way: WayIn): boolean {
  return way === 'stream-post' || way === 'stream-get';
}
