// The gate: the request-level decisions every way in passes before anything runs — the body-size
// limit, client auth, CSRF prevention, and no GraphQL outside its endpoints. Decided here once, from the request's
// method, URL and headers; applied by useGate, on every request Yoga serves (and Yoga serves every
// request: nothing answers around it), so a refusal is always answered, logged and counted there.
// What needs the operation itself (trusted documents, introspection, limits, cost, rate limits,
// masking) runs in Yoga's onParams and envelop hooks, which every way in reaches: Yoga's own handler,
// or runOperation (src/gate/operation.ts) for graphql-sse's single-connection mode.
import type { Plugin } from 'graphql-yoga';
import type { RequestTrace } from '../observability/trace.ts';
import { bearerToken, type ClientAuth, REALM } from './client-auth.ts';
import { routeOf, STREAM_TOKEN_HEADER, type Route } from './ways.ts';

/** The header browsers' GET requests (and form-like POSTs) must carry: a request with it is preflighted. */
export const CSRF_HEADER = 'x-graphql-yoga-csrf';

/** Content types a browser sends cross-site without a CORS preflight. */
const SIMPLE_CONTENT_TYPES = new Set([
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'text/plain',
]);

export interface RequestHead {
  method: string;
  /** Path and query. */
  url: string;
  header(name: string): string | null;
}

export interface Refusal {
  status: number;
  code: string;
  message: string;
  headers: Record<string, string>;
}

export interface GateOptions {
  auth: ClientAuth;
  /** MAX_REQUEST_BYTES, checked on Content-Length before the body is read. */
  maxRequestBytes: number;
  endpoint: string;
  graphiql: boolean;
  /** Where GraphiQL's own scripts and styles are served (open, like its page). */
  assetPrefix?: string;
}

/**
 * Whether a browser could send this request from any web page without asking first (a "simple"
 * request): GET, HEAD or POST with no content type or a form-like one, and no custom header. Such a
 * request must not run an operation: it is how a page makes a visitor's browser reach a gateway on
 * their network. Custom headers and JSON bodies force a preflight, which CORS then refuses.
 */
function simpleRequest(head: RequestHead): boolean {
  if (!['GET', 'HEAD', 'POST'].includes(head.method)) return false;
  if (head.header(CSRF_HEADER) !== null || head.header(STREAM_TOKEN_HEADER) !== null) return false;
  const type = head.header('content-type');
  if (type === null) return true;
  const essence = type.split(';', 1)[0]!.trim().toLowerCase();
  return SIMPLE_CONTENT_TYPES.has(essence);
}

export class Gate {
  readonly #options: GateOptions;

  constructor(options: GateOptions) {
    this.#options = options;
  }

  #sizeRefusal(head: RequestHead): Refusal | null {
    return sizeRefusal(head, this.#options.maxRequestBytes);
  }

  route(head: RequestHead): Route {
    return routeOf(head, this.#options);
  }

  /**
   * A request no handler can even name: a target that is not a path (absolute-form, `*`) or a Host
   * that is no host. Yoga would fail to build its URL (a 500 with a stack trace): answered here.
   */
  malformed(head: RequestHead): Refusal | null {
    const host = head.header('host') ?? 'localhost';
    if (head.url.startsWith('/') && URL.canParse(`http://${host}${head.url}`)) return null;
    return {
      status: 400,
      code: 'BAD_REQUEST',
      message: 'The request target or its Host header is not valid.',
      headers: { connection: 'close' },
    };
  }

  /** Why this request may not go on, or null. The same answer whichever handler asks. */
  refusal(head: RequestHead, route: Route = this.route(head)): Refusal | null {
    if (route.kind === 'open') return null;
    const size = this.#sizeRefusal(head);
    if (size !== null) return size;
    if (route.kind === 'other') {
      return {
        status: 404,
        code: 'NOT_FOUND',
        message: `Not found: GraphQL is served at ${this.#options.endpoint}.`,
        headers: {},
      };
    }
    const { auth } = this.#options;
    if (auth.enabled) {
      const token = bearerToken(head.header('authorization'));
      if (token === null) {
        return {
          status: 401,
          code: 'UNAUTHENTICATED',
          message:
            'Authentication required: send the header `Authorization: Bearer <key>` with a gateway API key.',
          headers: { 'www-authenticate': REALM },
        };
      }
      if (auth.match(token) === null) {
        return {
          status: 401,
          code: 'UNAUTHENTICATED',
          message: 'The API key is not valid.',
          headers: { 'www-authenticate': `${REALM}, error="invalid_token"` },
        };
      }
    }
    if (simpleRequest(head)) {
      return {
        status: 403,
        code: 'CSRF_HEADER_REQUIRED',
        message: `Send the \`${CSRF_HEADER}\` header (any value) or a JSON body: a request any web page could make a browser send does not run.`,
        headers: {},
      };
    }
    return null;
  }
}

/**
 * The request-size limit, on the headers before the body is read: Node's parser never reads past
 * Content-Length, so a declared length within the limit bounds the body. (This replaces Yoga's own
 * check, which streams every body through a transform: a tenth of a request's CPU, measured.)
 */
function sizeRefusal(head: RequestHead, maxBytes: number): Refusal | null {
  const length = head.header('content-length');
  // The rest of a refused body is never read: the connection closes after the answer.
  const close = { connection: 'close' };
  if (length === null) {
    if (head.header('transfer-encoding') === null) return null;
    return {
      status: 411,
      code: 'LENGTH_REQUIRED',
      message: 'Send the body with a Content-Length header.',
      headers: close,
    };
  }
  if (Number(length) > maxBytes) {
    return {
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
      message: `The body is over the ${maxBytes}-byte limit (MAX_REQUEST_BYTES).`,
      headers: close,
    };
  }
  return null;
}

export function refusalBody(refusal: Refusal): string {
  return JSON.stringify({
    errors: [{ message: refusal.message, extensions: { code: refusal.code } }],
  });
}

/** The gate on every request Yoga serves: before GraphQL, after CORS (so a browser can read a refusal). */
export function useGate(gate: Gate, traces: WeakMap<Request, RequestTrace>): Plugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      const refusal = gate.refusal({
        method: request.method,
        url: `${url.pathname}${url.search}`,
        header: (name) => request.headers.get(name),
      });
      if (refusal === null) return;
      traces.get(request)?.fail(refusal);
      endResponse(
        new fetchAPI.Response(refusalBody(refusal), {
          status: refusal.status,
          headers: { 'content-type': 'application/json; charset=utf-8', ...refusal.headers },
        }),
      );
    },
  };
}
