// OpenTelemetry spans, when an OTLP endpoint is configured: a server span per GraphQL request (a
// child of the caller's traceparent) and a client span per upstream attempt. The traceparent sent
// to NIM Proxy names the server span, so the trace crosses the gateway.
import { createRequire } from 'node:module';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { TracerProvider } from '@opentelemetry/sdk-trace';
import type { UpstreamAttempt } from '../nim/client.ts';
import type { RequestTrace } from './trace.ts';

export interface TracingConfig {
  /** OTLP/HTTP base URL (OTEL_EXPORTER_OTLP_ENDPOINT); spans go to `<endpoint>/v1/traces`. */
  endpoint: string;
  serviceName: string;
}

export class Tracing {
  private readonly provider: TracerProvider;
  private readonly tracer: Tracer;
  private readonly spans = new WeakMap<RequestTrace, Span>();

  constructor(config: TracingConfig) {
    // The SDK and exporter (~25 MB of heap) load only when tracing is configured.
    const require = createRequire(import.meta.url);
    const { OTLPTraceExporter } =
      require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
    const { resourceFromAttributes } =
      require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
    const { BatchSpanProcessor, TracerProvider } =
      require('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
    const exporter = new OTLPTraceExporter({
      url: `${config.endpoint.replace(/\/+$/, '')}/v1/traces`,
    });
    this.provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': config.serviceName }),
      spanProcessors: [new BatchSpanProcessor({ exporter })],
    });
    this.tracer = this.provider.getTracer('nim-graphql');
  }

  /** Opens the request's server span under the caller's trace and makes it the parent sent upstream. */
  start(request: RequestTrace): void {
    const parent = request.parent
      ? trace.setSpanContext(ROOT_CONTEXT, {
          traceId: request.parent.traceId,
          spanId: request.parent.spanId,
          traceFlags: request.parent.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
          isRemote: true,
        })
      : ROOT_CONTEXT;
    const span = this.tracer.startSpan(
      'graphql',
      { kind: SpanKind.SERVER, attributes: { 'nim_graphql.request_id': request.requestId } },
      parent,
    );
    const { traceId, spanId, traceFlags } = span.spanContext();
    request.adopt(traceId, spanId, (traceFlags & TraceFlags.SAMPLED) !== 0);
    this.spans.set(request, span);
  }

  upstream(request: RequestTrace, attempt: UpstreamAttempt): void {
    const span = this.spans.get(request);
    if (span === undefined) return;
    this.tracer
      .startSpan(
        `POST ${attempt.endpoint}`,
        {
          kind: SpanKind.CLIENT,
          startTime: Date.now() - attempt.ms,
          attributes: { 'url.path': attempt.endpoint, 'http.response.status_code': attempt.status },
        },
        trace.setSpan(ROOT_CONTEXT, span),
      )
      .end();
  }

  end(request: RequestTrace, outcome: string): void {
    const span = this.spans.get(request);
    if (span === undefined) return;
    span.updateName(
      `graphql ${request.operationType ?? 'request'} ${request.operationName ?? ''}`.trim(),
    );
    span.setAttributes({
      'graphql.operation.name': request.operationName ?? '',
      'graphql.operation.type': request.operationType ?? '',
      'nim_graphql.outcome': outcome,
      'nim_graphql.tokens.prompt': request.promptTokens,
      'nim_graphql.tokens.completion': request.completionTokens,
      ...(request.errorCode ? { 'nim_graphql.error_code': request.errorCode } : {}),
    });
    if (outcome === 'error' || outcome === 'refused')
      span.setStatus({ code: SpanStatusCode.ERROR, message: request.errorCode ?? outcome });
    span.end();
  }

  /** Sends what is buffered and stops. */
  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}
