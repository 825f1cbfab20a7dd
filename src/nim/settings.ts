// What nim/ takes of the configuration, declared here so that nim/ depends on nothing of the app:
// src/config.ts reads the environment into these.
import type { NimDialect } from './parameters.ts';

export interface UpstreamConfig {
  /** Origin plus optional path prefix, without a trailing slash or `/v1`; undefined = the built-in simulator. */
  baseUrl: string | undefined;
  apiKey: string | undefined;
  /** Where `POST /v1/ranking` goes (NIM Proxy does not document routing it); undefined = baseUrl. */
  rankingBaseUrl: string | undefined;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  totalTimeoutMs: number;
  connections: number;
  maxResponseBytes: number;
  /** Streams: from sending the request to the first event, then the longest gap between events. */
  firstTokenTimeoutMs: number;
  idleTimeoutMs: number;
  /** Where NIM's sampling extensions go: top level (NIM 2.x, vLLM) or inside `nvext` (NIM 1.x). */
  dialect: NimDialect;
  /** Whether streams ask for usage with `stream_options.include_usage`. */
  streamUsage: boolean;
}

/** How calls to NIM Proxy survive its faults without multiplying an outage. */
export interface ResilienceConfig {
  /** Retries after the first attempt, only where safe (nothing reached the model, or it refused outright). */
  maxRetries: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** Longest Retry-After honoured; a longer one is not waited for. */
  retryAfterCapMs: number;
  /** Retries may be at most this fraction of recent calls. */
  retryBudgetRatio: number;
  /** Consecutive failures that open the circuit breaker, and how long it stays open. */
  breakerFailureThreshold: number;
  breakerCooldownMs: number;
  /** Calls in flight to the upstream at once; more wait in a queue of bounded length and wait. */
  maxConcurrency: number;
  queueLimit: number;
  queueTimeoutMs: number;
  /** /health/ready says ready when the upstream answered within this long. */
  readyMaxAgeMs: number;
}

/** Which of an upstream's models the gateway serves, and under which ids. */
export interface ModelSelection {
  /** Model id patterns (`*` any run of characters, case ignored) of the upstream's ids to serve; null = all. */
  include: readonly string[] | null;
  /** Public id → the upstream's own id: the model is served under the public id (and not under its own). */
  aliases: Readonly<Record<string, string>>;
}

/** One upstream of a fleet (UPSTREAMS_FILE): its own pool, breaker, concurrency limit and retry budget. */
export interface FleetUpstream {
  /** Unique, `[a-z0-9_-]`: in metrics, logs, readiness and `Model.upstreams`. */
  name: string;
  /** The environment's upstream settings with this upstream's own values over them. */
  upstream: UpstreamConfig & { baseUrl: string };
  resilience: ResilienceConfig;
  /** Share of the traffic among the healthy upstreams serving a model (relative, > 0). */
  weight: number;
  models: ModelSelection;
}
