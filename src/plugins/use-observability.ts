// Per request: a request id (kept from x-request-id or made) in the response and upstream, a
// Server-Timing header, one JSON log line per operation, and the operation metrics. /metrics serves
// the Prometheus text.
import { getOperationAST, type DocumentNode } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Context } from '../context.ts';
import type { Logger } from '../observability/logger.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import { RequestTrace, requestIdOf } from '../observability/trace.ts';
import type { Tracing } from '../observability/tracing.ts';
import { whenStreamEnds } from './stream-end.ts';

export interface Observability {
  metrics: GatewayMetrics;
  logger: Logger;
  /** The trace of each GraphQL request, for the context factory. */
  traces: WeakMap<Request, RequestTrace>;
  /** OpenTelemetry spans, when an exporter is configured. */
  tracing: Tracing | null;
}

type Outcome = 'ok' | 'error' | 'refused' | 'cancelled';

function describeOperation(
  trace: RequestTrace,
  document: DocumentNode,
  operationName: string | null | undefined,
): void {
  const operation = getOperationAST(document, operationName);
  trace.operationName = operation?.name?.value ?? operationName ?? 'anonymous';
  // Stryker disable next-line OptionalChaining: Yoga refuses a document whose operation it cannot pick before execute, so the operation is found here.
  trace.operationType = operation?.operation ?? 'unknown';
}

/**
 * Codes of a document that was not run: answered 200 under `application/json` and over SSE (as the
 * GraphQL-over-HTTP spec and the GraphQL-over-SSE protocol say), 400 otherwise, refused either way.
 */
const NOT_RUN = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'COST_LIMIT_EXCEEDED',
  'PERSISTED_QUERY_ONLY',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_ID_REQUIRED',
]);

/** One log line and the operation metrics, once per request, when its result is complete. */
function finish(observability: Observability, trace: RequestTrace, status: number | null): void {
  const { metrics, logger } = observability;
  // Refused: answered 4xx before it ran, or a document not run whatever its status; error: ran and failed.
  const outcome: Outcome = trace.cancelled
    ? 'cancelled'
    : (status ?? 0) >= 400 || NOT_RUN.has(trace.errorCode ?? '')
      ? 'refused'
      : trace.errorCode !== null
        ? 'error'
        : 'ok';
  const seconds = trace.elapsedMs / 1000;
  const labels = {
    operation: trace.operationName ?? 'none',
    type: trace.operationType ?? 'none',
    outcome,
  };
  observability.tracing?.end(trace, outcome);
  metrics.operations.inc(labels);
  metrics.operationDuration.observe(labels, seconds);
  if (trace.cancelled) metrics.cancellations.inc();
  const codes = new Set(trace.resultErrorCodes);
  if (trace.errorCode !== null) codes.add(trace.errorCode);
  if (codes.size === 0 && (status ?? 0) >= 400) codes.add(`HTTP_${status}`);
  for (const code of codes) metrics.countError(code);
  const who = trace.client?.startsWith('key:') ? trace.client : 'anonymous';
  // With several models in one operation the tokens go to the first: the log line has the split.
  const [model] = trace.models;
  if (model !== undefined) {
    metrics.tokens.inc({ model, kind: 'prompt', client: who }, trace.promptTokens);
    metrics.tokens.inc({ model, kind: 'completion', client: who }, trace.completionTokens);
  }
  if (trace.streaming) {
    if (trace.firstChunkAt !== null) {
      metrics.timeToFirstToken.observe((trace.firstChunkAt - trace.startedAt) / 1000);
      const span = ((trace.lastChunkAt ?? trace.firstChunkAt) - trace.firstChunkAt) / 1000;
      // A chunk may hold several tokens (those of one upstream read): the usage counts them.
      const tokens = trace.completionTokens > 0 ? trace.completionTokens : trace.chunks;
      if (span > 0) metrics.tokensPerSecond.observe(tokens / span);
    }
  } else if (trace.calls.length > 0) {
    metrics.overhead.observe(Math.max(0, trace.elapsedMs - trace.upstreamMs) / 1000);
  }
  logger.info(
    {
      requestId: trace.requestId,
      operation: trace.operationName,
      type: trace.operationType,
      client: trace.client,
      models: [...trace.models],
      durationMs: Math.round(trace.elapsedMs * 1000) / 1000,
      upstreamMs: Math.round(trace.upstreamMs * 1000) / 1000,
      upstreamCalls: trace.calls.length,
      upstreamStatus: trace.lastStatus,
      upstream: trace.lastUpstream,
      promptTokens: trace.promptTokens,
      completionTokens: trace.completionTokens,
      ...(trace.streaming ? { chunks: trace.chunks } : {}),
      status,
      outcome,
      errorCode: trace.errorCode,
    },
    'operation',
  );
}

/**
 * A request refused before any handler could take it (src/yoga.ts): its id, log line and metrics,
 * like any other refusal. Returns the request id for the answer.
 */
export function traceRefusal(
  observability: Observability,
  headers: { get(name: string): string | null },
  code: string,
  status: number,
): string {
  const trace = new RequestTrace(headers);
  trace.fail({ code });
  finishOnce(observability, trace, status);
  return trace.requestId;
}

/** A GraphQL request begins: its trace, the OpenTelemetry server span, in-flight. */
function traceRequest(observability: Observability, request: Request): RequestTrace {
  const { metrics, tracing } = observability;
  const trace = new RequestTrace(request.headers);
  trace.onChunkGap = (seconds) => metrics.chunkGap.observe(seconds);
  if (tracing) {
    tracing.start(trace);
    trace.onUpstream = (call) => tracing.upstream(trace, call);
  }
  observability.traces.set(request, trace);
  metrics.inFlight.inc();
  return trace;
}

/**
 * Its response is ready: x-request-id and Server-Timing on it, and (unless a stream goes on) the
 * log line and metrics.
 */
function traceResponse(
  observability: Observability,
  trace: RequestTrace,
  request: Request,
  response: { status: number; headers: { set(name: string, value: string): void } },
): void {
  observability.metrics.inFlight.dec();
  response.headers.set('x-request-id', trace.requestId);
  if (trace.streaming) return;
  if (request.signal.aborted) trace.cancelled = true;
  const upstream = trace.upstreamMs;
  response.headers.set(
    'server-timing',
    `gateway;dur=${Math.max(0, trace.elapsedMs - upstream).toFixed(3)}, upstream;dur=${upstream.toFixed(3)}`,
  );
  finishOnce(observability, trace, response.status);
}

type AnyResult = { errors?: readonly { extensions?: Record<string, unknown> }[] | undefined };

/**
 * A result with errors (a refusal, a failed query, a masked error): its first code goes in the log
 * line and metrics, unless a typed error of a mutation or stream already named one.
 */
function noteResult(
  observability: Observability,
  request: Request,
  result: AnyResult | readonly AnyResult[] | AsyncIterable<unknown>,
): void {
  const trace = observability.traces.get(request);
  if (trace === undefined || trace.errorCode !== null || isAsyncIterable(result)) return;
  const results: readonly AnyResult[] = Array.isArray(result) ? result : [result as AnyResult];
  const first = results.find((r) => r.errors?.length)?.errors?.[0];
  // Stryker disable next-line OptionalChaining: a GraphQLError always has an extensions object.
  if (first) trace.errorCode = String(first.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
}

function finishOnce(
  observability: Observability,
  trace: RequestTrace,
  status: number | null,
): void {
  if (trace.reported) return;
  trace.reported = true;
  finish(observability, trace, status);
}

const QUIET_PATHS = /^\/(health\/|metrics$|graphiql\/)/;

export function useObservability(observability: Observability): Plugin<Context> {
  const { metrics } = observability;
  /** Each request's stream until it is answered: Yoga answers 406 without reading one it cannot send. */
  const unsent = new WeakMap<Request, AsyncIterable<unknown>>();
  return {
    // Synchronous unless it answers /metrics: a promise per request is a step Yoga must wait for.
    onRequest({ request, url, endResponse }) {
      if (url.pathname === '/metrics' && request.method === 'GET') {
        return metrics.registry.metrics().then((body) => {
          endResponse(
            new Response(body, { headers: { 'content-type': metrics.registry.contentType } }),
          );
        });
      }
      // Probes, scrapes and GraphiQL's files are no operations: an id on the answer, no log line.
      if (!QUIET_PATHS.test(url.pathname)) traceRequest(observability, request);
      return undefined;
    },
    onExecute({ args }) {
      const { trace, client } = args.contextValue;
      trace.client = client;
      describeOperation(trace, args.document, args.operationName);
    },
    onSubscribe({ args }) {
      const { trace, client } = args.contextValue;
      trace.client = client;
      describeOperation(trace, args.document, args.operationName);
      trace.streaming = true;
      metrics.openStreams.inc();
      const end = () => {
        // Never sent (a 406): counted and logged as it was answered.
        if (!trace.streaming) return;
        metrics.openStreams.dec();
        if (args.contextValue.signal.aborted && trace.errorCode === null) trace.cancelled = true;
        finishOnce(observability, trace, 200);
      };
      return {
        onSubscribeResult: ({ result, setResult }) => {
          if (isAsyncIterable(result)) return whenStreamEnds(result, setResult, end);
          // Refused before it streamed: one result, logged with its status when it is answered.
          metrics.openStreams.dec();
          trace.streaming = false;
        },
      };
    },
    // Top-level errors of every result (both handlers run this hook): the log line's code, and the errors by code.
    onExecutionResult({ request, result }) {
      if (result === undefined) return;
      noteResult(observability, request, result);
      const trace = observability.traces.get(request);
      if (trace === undefined || Symbol.asyncIterator in result) return;
      for (const error of result.errors ?? []) {
        const code = error.extensions?.code;
        trace.resultErrorCodes.add(typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR');
      }
    },
    onResultProcess({ request, result }) {
      if (isAsyncIterable(result)) unsent.set(request, result);
      noteResult(observability, request, result);
    },
    onResponse({ request, response }) {
      const trace = observability.traces.get(request);
      if (trace?.streaming && response.status === 406) {
        // No Accept it can stream under: the stream is closed unread (its upstream call never
        // starts, its reservations are given back) and the request is a refusal like any other.
        trace.streaming = false;
        metrics.openStreams.dec();
        void unsent.get(request)?.[Symbol.asyncIterator]().return?.();
      }
      if (trace !== undefined) traceResponse(observability, trace, request, response);
      else if (!response.headers.has('x-request-id'))
        response.headers.set('x-request-id', requestIdOf(request.headers));
    },
  };
}
