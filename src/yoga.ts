// createGateway(config): the Yoga app, its plugins and the process-wide services. Binds nothing.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createYoga, useExecutionCancellation, type YogaServerInstance } from 'graphql-yoga';
import type { GatewayConfig } from './config.ts';
import { createContext, type Context, type GatewayServices } from './context.ts';
import { ModelCatalog } from './nim/catalog.ts';
import { CapabilityMap } from './nim/capabilities.ts';
import { ModelKindMap } from './nim/kinds.ts';
import { ThinkingMap } from './nim/thinking.ts';
import { NimClient } from './nim/client.ts';
import { BodyStream } from './plugins/body-stream.ts';
import { useCompiledEvents } from './plugins/use-compiled-events.ts';
import { useCompression } from './plugins/use-compression.ts';
import { GRAPHIQL_ASSETS, useGraphiQL } from './plugins/use-graphiql.ts';
import { useReadiness } from './plugins/use-health.ts';
import { useFinalEvent } from './plugins/use-final-event.ts';
import { useMultipartSubscriptions } from './plugins/use-multipart-subscriptions.ts';
import { useOperationCost } from './plugins/use-operation-cost.ts';
import { useOperationLimits } from './plugins/use-operation-limits.ts';
import { TrustedDocuments, useTrustedDocuments } from './plugins/use-trusted-documents.ts';
import { ClientAuth } from './gate/client-auth.ts';
import { gatedEntry } from './gate/entry.ts';
import { withJsonBody } from './gate/json-body.ts';
import { CSRF_HEADER, Gate, useGate } from './gate/gate.ts';
import { useSingleConnectionStreams } from './gate/single-connection.ts';
import { LIVE_PATH, STREAM_PATH } from './gate/ways.ts';
import { useIntrospectionOff } from './plugins/use-introspection-off.ts';
import { createRateLimitStore } from './plugins/rate-limit-store.ts';
import { useRateLimits } from './plugins/use-rate-limits.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { GatewayMetrics } from './observability/metrics.ts';
import { Tracing } from './observability/tracing.ts';
import { useObservability, type Observability } from './plugins/use-observability.ts';
import { schema } from './schema/index.ts';
import { Budgets } from './usage/budgets.ts';
import { createLedger } from './usage/ledger.ts';

const ENDPOINT = '/graphql';

export interface GatewayOptions {
  /** Model id GraphiQL's example operations start with, when the upstream serves it (or its list cannot be read). */
  exampleModel?: string;
  /** Where log lines go; by default a pino logger on stdout at LOG_LEVEL. */
  logger?: Logger;
}

export interface Gateway {
  yoga: YogaServerInstance<Record<string, never>, Context>;
  /** The HTTP handler: the gate's entry, then Yoga's node adapter for every request. */
  handle(request: IncomingMessage, response: ServerResponse): void;
  services: GatewayServices;
  metrics: GatewayMetrics;
  /** From now on /health/ready answers 503: the gateway drains before it stops. */
  drain(): void;
  logger: Logger;
  close(): Promise<void>;
}

export function createGateway(config: GatewayConfig, options: GatewayOptions = {}): Gateway {
  const logger = options.logger ?? createLogger(config.logLevel);
  const nim = new NimClient(config.upstream, config.resilience, config.upstreams ?? undefined);
  const catalog = new ModelCatalog(nim, {
    ttlMs: config.modelsCacheTtlMs,
    refreshMinIntervalMs: config.modelsRefreshMinIntervalMs,
    warn: (fields, message) => logger.warn(fields, message),
  });
  const metrics = new GatewayMetrics();
  const rateLimits = createRateLimitStore(config.rateLimit);
  // Usage and budgets in the same Redis as the rate limits, on their connection when they have one.
  const ledger = createLedger({
    redisUrl: config.rateLimit.redisUrl,
    shared: rateLimits?.connection ?? null,
    logger: { warn: (message) => logger.warn({ event: 'usage' }, message) },
  });
  const services: GatewayServices = {
    usage: {
      ledger,
      budgets: config.budgets.length === 0 ? null : new Budgets(config.budgets, ledger),
      admins: new Set(config.security.adminKeys),
      onRecord: (key, model, counts) => metrics.keyUsage(key, model, counts),
      onRefused: (key, model) => metrics.keyRequests.inc({ key, model, outcome: 'refused' }),
    },
    nim,
    catalog,
    limits: config.limits,
    maxOperationCost: config.security.maxOperationCost,
    capabilities: new CapabilityMap(config.capabilities),
    kinds: new ModelKindMap(config.kinds),
    thinking: new ThinkingMap(config.thinking),
  };
  let draining = false;
  const { security } = config;
  // What an operation may cost, for the cost limit and the token rate limit alike.
  const costRules = {
    defaultMaxTokens: config.limits.defaultMaxTokens,
    maxOperationCost: security.maxOperationCost,
  };
  const trusted =
    security.trustedDocumentsFile === undefined
      ? null
      : new TrustedDocuments(security.trustedDocumentsFile, {
          warn: (message) => logger.warn({ event: 'trusted_documents' }, message),
        });

  metrics.watch(
    () => catalog.stats,
    () => ({ ...nim.stats(), circuits: nim.upstreams() }),
  );
  nim.onAttempts(
    (attempt) => {
      const labels = {
        upstream: attempt.upstream,
        endpoint: attempt.endpoint,
        status: String(attempt.status),
      };
      metrics.upstreamRequests.inc(labels);
      metrics.upstreamDuration.observe(labels, attempt.ms / 1000);
    },
    (endpoint, upstream) => metrics.retries.inc({ upstream, endpoint }),
  );
  nim.onFailover((failover) => metrics.failovers.inc({ ...failover }));
  // An outage is news at warn level, not only in the operation lines.
  nim.onCircuitChange((change, upstream) =>
    change.to === 'open'
      ? logger.warn(
          { circuit: 'open', upstream, failures: change.failures },
          `upstream ${upstream} circuit open after ${change.failures} consecutive failures: failing fast for ${change.cooldownMs} ms, then one probe`,
        )
      : logger.warn(
          { circuit: 'closed', upstream },
          `upstream ${upstream} circuit closed: the probe call succeeded`,
        ),
  );
  const tracing = config.tracing ? new Tracing(config.tracing) : null;
  const observability: Observability = { metrics, logger, traces: new WeakMap(), tracing };

  const clientAuth = new ClientAuth(security.apiKeys);
  const gate = new Gate({
    auth: clientAuth,
    maxRequestBytes: security.maxRequestBytes,
    endpoint: ENDPOINT,
    graphiql: security.graphiql,
    assetPrefix: GRAPHIQL_ASSETS,
  });

  const yoga = createYoga<Record<string, never>, Context>({
    schema,
    context: (initial) =>
      createContext(
        services,
        initial.request,
        clientAuth.identify(initial.request, initial),
        observability.traces.get(initial.request),
      ),
    graphqlEndpoint: ENDPOINT,
    // Yoga's liveness check: 200 while the process serves (readiness below).
    healthCheckEndpoint: LIVE_PATH,
    landingPage: false,
    // Yoga's own messages (unexpected errors, Redis fallbacks of the rate limits) go to the same JSON log.
    logging: logger,
    maskedErrors: { isDev: false },
    // Served by useGraphiQL: its assets as cached files, its example model from the catalog.
    graphiql: false,
    // Yoga reflects any Origin by default: only the configured ones get CORS headers.
    cors:
      security.corsOrigins.length === 0
        ? false
        : { origin: [...security.corsOrigins], credentials: false },
    batching: security.batchingLimit > 0 ? { limit: security.batchingLimit } : false,
    // Checked by the gate on Content-Length before anything reads the body.
    maxRequestBodySize: false,
    multipart: false,
    // Response bodies that stream (SSE, multipart, graphql-sse) as Node streams: see body-stream.ts.
    fetchAPI: { ReadableStream: BodyStream as unknown as typeof ReadableStream },
    plugins: [
      // GraphiQL's page and assets are no operations: answered before the operation log, auth and CSRF, as Yoga's own GraphiQL was.
      ...(security.graphiql
        ? [
            useGraphiQL({
              endpoint: ENDPOINT,
              catalog,
              exampleModel: options.exampleModel,
              kindOf: (model) => services.kinds.of(model).kind,
              // GraphiQL subscribes over SSE with GET, which CSRF prevention refuses without this header.
              additionalHeaders: { [CSRF_HEADER]: '1' },
              authorization: security.apiKeys.length > 0,
            }),
          ]
        : []),
      // Text answers such as /metrics in gzip or br when the client accepts it (GraphiQL's come compressed already).
      useCompression(),
      // First: every request gets its id, its log line and its metrics, refusals included.
      useObservability(observability),
      // Body size, client auth, CSRF, GraphQL only on its endpoints: before anything that serves an operation.
      useGate(gate, observability.traces),
      // The gate lets probes through without a client key (and refuses any other path that ends like one).
      useReadiness(services, {
        readyMaxAgeMs: config.resilience.readyMaxAgeMs,
        draining: () => draining,
        fleet: config.upstreams !== null,
      }),
      useExecutionCancellation(),
      // Subscription events from the operation's compiled selection, not an execution each.
      useCompiledEvents(),
      // Subscriptions: GraphQL over SSE on /graphql (and graphql-sse's distinct-connections mode on
      // /graphql/stream, sent there by the handler below), graphql-sse's single-connection mode on /graphql/stream.
      useSingleConnectionStreams(STREAM_PATH, (request, serverContext) =>
        clientAuth.identify(request, serverContext),
      ),
      // Apollo Client's multipart subscriptions on /graphql, beside SSE.
      useMultipartSubscriptions(),
      // The terminal event of a stream carries hasNext: false (urql reads it).
      useFinalEvent(),
      ...(trusted ? [useTrustedDocuments(trusted)] : []),
      ...useOperationLimits(security),
      useOperationCost(costRules),
      ...(security.introspection ? [] : useIntrospectionOff()),
      ...(rateLimits ? [useRateLimits(rateLimits, costRules)] : []),
    ],
  });

  const serve = withJsonBody(security.maxRequestBytes, (request, response) => {
    void yoga(request, response);
  });
  const handle = gatedEntry(gate, observability, ENDPOINT, serve);

  return {
    yoga,
    handle,
    services,
    metrics,
    logger,
    drain() {
      draining = true;
    },
    async close() {
      await yoga.dispose();
      await nim.close();
      await rateLimits?.close();
      await ledger.close();
      await tracing?.shutdown();
    },
  };
}
