// Subscriptions over Apollo's HTTP multipart protocol (subscriptionSpec 1.0), which Apollo Client's
// HttpLink speaks by default: it sends a subscription with
// `Accept: multipart/mixed;boundary=graphql;subscriptionSpec=1.0,application/json`. Yoga serves
// multipart only for incremental delivery and answers such a subscription 406; this serves it on
// the same endpoint, in Apollo's format: every result as a part `{"payload": result}`, a `{}`
// heartbeat part while the stream is quiet, and a stream that fails as
// `{"payload": null, "errors": [...]}`. Refusals before the stream (validation, the gate, limits)
// stay JSON answers, as the protocol allows (Apollo's Accept also takes JSON).
import type { ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';

/** The protocol's boundary: Apollo's client and router use "graphql". */
const BOUNDARY = 'graphql';
const CONTENT_TYPE = `multipart/mixed;boundary="${BOUNDARY}";subscriptionSpec="1.0"`;
/** Apollo's router sends a heartbeat every 5 s; its clients skip them. */
const HEARTBEAT_MS = 5_000;

const PART = `\r\n--${BOUNDARY}\r\ncontent-type: application/json; charset=utf-8\r\n\r\n`;
const END = `\r\n--${BOUNDARY}--\r\n`;

/** Whether the Accept header asks for multipart/mixed with subscriptionSpec 1.0. */
function acceptsMultipartSubscriptions(accept: string | null): boolean {
  if (accept === null) return false;
  return accept.split(',').some((range) => {
    const [type, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    return (
      type === 'multipart/mixed' &&
      // Stryker disable next-line Regex: a global replace of single spaces removes runs of them too.
      params.some((param) => param.replace(/\s+/g, '').replace(/"/g, '') === 'subscriptionspec=1.0')
    );
  });
}

/**
 * A result as a client reads it, as Yoga's other answers are: no `http` extension (Yoga's, for the
 * status) on it, and neither `http` nor `unexpected` (masked errors are marked so) on its errors.
 */
function forClient(event: ExecutionResult & { hasNext?: boolean }): ExecutionResult {
  // A subscription's parts carry no hasNext in Apollo's protocol (Apollo would read incremental delivery).
  const { hasNext: _hasNext, ...result } = event;
  const { extensions, errors } = result;
  // Stryker disable next-line ConditionalExpression,EqualityOperator: a shortcut; a result without errors or http comes out of the rest unchanged as JSON.
  if (!errors?.length && extensions?.http === undefined) return result;
  const { http: _status, ...rest } = extensions ?? {};
  return {
    ...result,
    ...(errors
      ? {
          errors: errors.map((error) => {
            const json = error.toJSON();
            const { http: _http, unexpected: _unexpected, ...kept } = json.extensions ?? {};
            return { ...json, extensions: Object.keys(kept).length > 0 ? kept : undefined };
          }) as never,
        }
      : {}),
    extensions: Object.keys(rest).length > 0 ? rest : undefined,
  };
}

function multipartResponse(
  results: AsyncIterable<ExecutionResult>,
  fetchAPI: { Response: typeof Response; ReadableStream: typeof ReadableStream },
  heartbeatMs: number,
): Response {
  const encoder = new TextEncoder();
  let iterator: AsyncIterator<ExecutionResult>;
  let heartbeat: NodeJS.Timeout | undefined;
  const stop = () => clearInterval(heartbeat);
  const body = new fetchAPI.ReadableStream<Uint8Array>({
    start(controller) {
      iterator = results[Symbol.asyncIterator]();
      // The first boundary at once: a browser's fetch resolves on the headers, the client sees the
      // stream begin.
      controller.enqueue(encoder.encode(`${PART}{}`));
      heartbeat = setInterval(() => {
        if (controller.desiredSize === null) return stop();
        controller.enqueue(encoder.encode(`${PART}{}`));
      }, heartbeatMs);
    },
    async pull(controller) {
      let next: IteratorResult<ExecutionResult>;
      try {
        next = await iterator.next();
      } catch {
        // A stream that fails: the protocol's fatal error, then the end. Its cause stays in the log.
        stop();
        const errors = [
          { message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } },
        ];
        controller.enqueue(
          encoder.encode(`${PART}${JSON.stringify({ payload: null, errors })}${END}`),
        );
        controller.close();
        return;
      }
      if (next.done) {
        stop();
        controller.enqueue(encoder.encode(END));
        controller.close();
        return;
      }
      controller.enqueue(
        encoder.encode(`${PART}${JSON.stringify({ payload: forClient(next.value) })}`),
      );
    },
    async cancel() {
      stop();
      await iterator.return?.();
    },
  });
  return new fetchAPI.Response(body, {
    status: 200,
    headers: { 'Content-Type': CONTENT_TYPE, 'Cache-Control': 'no-cache' },
  });
}

/** Serves a subscription in Apollo's multipart format when its Accept asks for it. */
export function useMultipartSubscriptions({ heartbeatMs = HEARTBEAT_MS } = {}): Plugin {
  return {
    onResultProcess({ request, result, setResultProcessor }) {
      if (!isAsyncIterable(result)) return;
      if (!acceptsMultipartSubscriptions(request.headers.get('accept'))) return;
      setResultProcessor(
        (stream, fetchAPI) =>
          multipartResponse(
            stream as AsyncIterable<ExecutionResult>,
            fetchAPI as never,
            heartbeatMs,
          ),
        'multipart/mixed',
      );
    },
  };
}
