// Prometheus metrics of one gateway: a registry of its own (two gateways in one process, as in the
// tests, must not share counters), names after Prometheus conventions (_total, _seconds).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface CatalogCounts {
  hits: number;
  misses: number;
  refreshes: number;
  refreshFailures: number;
  staleServed: number;
}

const LATENCY = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
];
const OVERHEAD = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];
const GAP = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const RATE = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500];
const CIRCUIT_STATES = ['closed', 'half-open', 'open'] as const;
/** Error codes come from the gateway's own code, yet a label must never grow with what clients send. */
const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;
const MAX_ERROR_CODES = 64;

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly operations = new Counter({
    name: 'nim_graphql_operations_total',
    help: 'GraphQL operations by name, type and outcome (ok, error, refused, cancelled).',
    labelNames: ['operation', 'type', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly operationDuration = new Histogram({
    name: 'nim_graphql_operation_duration_seconds',
    help: 'Duration of GraphQL operations (for subscriptions: until the stream ends).',
    labelNames: ['operation', 'type', 'outcome'] as const,
    buckets: LATENCY,
    registers: [this.registry],
  });
  readonly upstreamRequests = new Counter({
    name: 'nim_graphql_upstream_requests_total',
    help: 'Calls to NIM Proxy by upstream, endpoint and HTTP status (0 = no response).',
    labelNames: ['upstream', 'endpoint', 'status'] as const,
    registers: [this.registry],
  });
  readonly upstreamDuration = new Histogram({
    name: 'nim_graphql_upstream_request_duration_seconds',
    help: 'Duration of calls to NIM Proxy by upstream, endpoint and status (streams: until the last event).',
    labelNames: ['upstream', 'endpoint', 'status'] as const,
    buckets: LATENCY,
    registers: [this.registry],
  });
  readonly overhead = new Histogram({
    name: 'nim_graphql_gateway_overhead_seconds',
    help: "The gateway's own time per non-streamed operation: total minus time waiting for NIM Proxy.",
    buckets: OVERHEAD,
    registers: [this.registry],
  });
  readonly timeToFirstToken = new Histogram({
    name: 'nim_graphql_stream_time_to_first_token_seconds',
    help: 'Streams: from the subscription start to the first chunk relayed.',
    buckets: LATENCY,
    registers: [this.registry],
  });
  readonly chunkGap = new Histogram({
    name: 'nim_graphql_stream_chunk_gap_seconds',
    help: 'Streams: time between two relayed chunks.',
    buckets: GAP,
    registers: [this.registry],
  });
  readonly tokensPerSecond = new Histogram({
    name: 'nim_graphql_stream_tokens_per_second',
    help: 'Streams: chunks relayed per second, from the first chunk to the end.',
    buckets: RATE,
    registers: [this.registry],
  });
  readonly tokens = new Counter({
    name: 'nim_graphql_tokens_total',
    help: 'Tokens by model, kind (prompt, completion) and client (the key id when auth is on, else "anonymous").',
    labelNames: ['model', 'kind', 'client'] as const,
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: 'nim_graphql_in_flight_requests',
    help: 'HTTP requests being handled right now.',
    registers: [this.registry],
  });
  readonly openStreams = new Gauge({
    name: 'nim_graphql_open_streams',
    help: 'Subscriptions streaming right now.',
    registers: [this.registry],
  });
  readonly cancellations = new Counter({
    name: 'nim_graphql_cancellations_total',
    help: 'Operations whose client went away before the end (the upstream call was aborted).',
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'nim_graphql_errors_total',
    help: 'Errors answered, by code: a typed error (GatewayError.code), a top-level error (extensions.code; masked ones INTERNAL_SERVER_ERROR), or HTTP_<status> for a refusal without a GraphQL result (CSRF). Counted once per code and request.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  private readonly errorCodes = new Set<string>();
  readonly retries = new Counter({
    name: 'nim_graphql_upstream_retries_total',
    help: 'Retried calls to NIM Proxy by upstream and endpoint.',
    labelNames: ['upstream', 'endpoint'] as const,
    registers: [this.registry],
  });
  readonly keyTokens = new Counter({
    name: 'nim_graphql_key_tokens_total',
    help: 'Tokens per client key name (never the key) and model, as the upstream reported them: kind prompt or completion.',
    labelNames: ['key', 'model', 'kind'] as const,
    registers: [this.registry],
  });
  readonly keyRequests = new Counter({
    name: 'nim_graphql_key_requests_total',
    help: 'Calls per client key name and model: outcome ok or error (upstream calls), or refused (by a token budget, before any upstream call).',
    labelNames: ['key', 'model', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly failovers = new Counter({
    name: 'nim_graphql_upstream_failovers_total',
    help: 'Calls an upstream failed before any answer that went on to the next upstream serving the model (UPSTREAMS_FILE).',
    labelNames: ['from', 'to', 'endpoint'] as const,
    registers: [this.registry],
  });
  readonly escapedErrors = new Counter({
    name: 'nim_graphql_escaped_errors_total',
    help: 'Errors no handler caught (a bug): logged and counted by the last line of defence instead of ending the process.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'nim_graphql_' });
  }

  /** One request answered with this error code; past MAX_ERROR_CODES distinct codes, or a malformed one, it counts as OTHER. */
  countError(code: string): void {
    const known =
      ERROR_CODE.test(code) &&
      (this.errorCodes.has(code) || this.errorCodes.size < MAX_ERROR_CODES);
    if (known) this.errorCodes.add(code);
    this.errors.inc({ code: known ? code : 'OTHER' });
  }

  /** A client key's call to a model (src/usage/spending.ts). */
  keyUsage(
    key: string,
    model: string,
    counts: { promptTokens: number; completionTokens: number; errors: number },
  ): void {
    if (counts.promptTokens > 0)
      this.keyTokens.inc({ key, model, kind: 'prompt' }, counts.promptTokens);
    if (counts.completionTokens > 0)
      this.keyTokens.inc({ key, model, kind: 'completion' }, counts.completionTokens);
    this.keyRequests.inc({ key, model, outcome: counts.errors > 0 ? 'error' : 'ok' });
  }

  /** Counters kept by the model catalog, gauges of the upstream queue and its breaker, read at each scrape. */
  watch(
    catalog: () => CatalogCounts,
    upstream: () => {
      inFlight: number;
      queued: number;
      circuits: readonly { name: string; circuit: string }[];
    },
  ): void {
    new Counter({
      name: 'nim_graphql_model_catalog_events_total',
      help: 'Model list cache: hit, miss (a read that waited for NIM Proxy), refresh, refresh_failed, stale_served.',
      labelNames: ['event'] as const,
      registers: [this.registry],
      collect() {
        const counts = catalog();
        this.reset();
        this.inc({ event: 'hit' }, counts.hits);
        this.inc({ event: 'miss' }, counts.misses);
        this.inc({ event: 'refresh' }, counts.refreshes);
        this.inc({ event: 'refresh_failed' }, counts.refreshFailures);
        this.inc({ event: 'stale_served' }, counts.staleServed);
      },
    });
    new Gauge({
      name: 'nim_graphql_upstream_in_flight_calls',
      help: 'Calls to NIM Proxy holding a concurrency slot (streams until they end).',
      registers: [this.registry],
      collect() {
        this.set(upstream().inFlight);
      },
    });
    new Gauge({
      name: 'nim_graphql_upstream_queued_calls',
      help: 'Calls waiting for a concurrency slot.',
      registers: [this.registry],
      collect() {
        this.set(upstream().queued);
      },
    });
    new Gauge({
      name: 'nim_graphql_upstream_circuit_state',
      help: "Each upstream's circuit breaker: 1 for its current state (closed, half-open or open), 0 for the others.",
      labelNames: ['upstream', 'state'] as const,
      registers: [this.registry],
      collect() {
        for (const { name, circuit } of upstream().circuits)
          for (const state of CIRCUIT_STATES)
            this.set({ upstream: name, state }, state === circuit ? 1 : 0);
      },
    });
  }
}
