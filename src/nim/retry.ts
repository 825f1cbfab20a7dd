// When another attempt at an upstream call is safe, how long to wait for it, and the budget that
// keeps retries a small share of the traffic so that an outage is not multiplied.
import { setTimeout as delay } from 'node:timers/promises';
import { NimError, transportCode } from './errors.ts';

export type Method = 'GET' | 'POST';

/** How far an attempt got: once response headers arrived, the upstream has seen the whole request. */
export interface AttemptProgress {
  headersArrived: boolean;
}

/** Failures where the request never reached a server: nothing ran, whatever the method. */
const NEVER_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Whether the upstream is unwell: unreachable, erroring (5xx), overloaded (502/503/504), silent
 * (any timeout) or losing connections. The upstream answering 4xx or 429 is a healthy upstream.
 */
export function isUpstreamFault(error: NimError): boolean {
  if (error.kind === 'unavailable' || error.kind === 'timeout') return true;
  if (error.kind !== 'upstream') return false;
  return error.status === null || error.status >= 500 || transportCode(error.cause) !== undefined;
}

/**
 * The gateway is set up wrong for this upstream: it refused the gateway's own key (401, 403), or has
 * no such path for a call that names no model (404: NIM_PROXY_BASE_URL points elsewhere). It is up,
 * but no call can succeed until the configuration is fixed: neither healthy nor a fault.
 */
export function isMisconfigured(error: NimError): boolean {
  if (error.kind === 'upstream' && (error.status === 401 || error.status === 403)) return true;
  return error.status === 404 && error.model === null;
}

/**
 * Whether sending the same request again cannot run a generation twice: it never left (refused,
 * unresolvable, connect timeout), or the upstream refused it outright (429, 503). GET /v1/models
 * is idempotent, so any upstream fault there may be retried too. A reset or timeout after a POST
 * was sent is ambiguous (the model may be running it): never retried.
 */
export function isSafeToRetry(error: NimError, method: Method, progress: AttemptProgress): boolean {
  // Stryker disable next-line StringLiteral: no transport code is any other string either, so none is in the set
  if (!progress.headersArrived && NEVER_SENT.has(transportCode(error.cause) ?? '')) return true;
  if (progress.headersArrived && (error.status === 429 || error.status === 503)) return true;
  return method === 'GET' && isUpstreamFault(error);
}

/**
 * Whether another upstream may take a call this one failed: nothing of an answer came. It never
 * reached a server (refused, unresolvable, a connect timeout, this upstream's breaker or queue), the
 * upstream refused it outright (429, 503), or no response headers came in time.
 */
export function isSafeToFailOver(error: unknown): boolean {
  if (!(error instanceof NimError)) return false;
  if (error.status === 429 || error.status === 503) return true;
  if (error.kind === 'timeout') return error.phase === 'connect' || error.phase === 'headers';
  if (error.kind !== 'unavailable' || error.status !== null) return false;
  // The breaker's and the queue's refusals have no cause: nothing was sent.
  return error.cause === undefined || NEVER_SENT.has(transportCode(error.cause) ?? '');
}

export interface BackoffConfig {
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  retryAfterCapMs: number;
}

/**
 * Full jitter: uniform in [0, min(max, base · 2^retry)), so that callers failing together spread out.
 * @internal exported for its unit test
 */
export function backoffMs(
  retry: number,
  config: BackoffConfig,
  random: () => number = Math.random,
): number {
  return random() * Math.min(config.retryMaxDelayMs, config.retryBaseDelayMs * 2 ** retry);
}

/** The wait before retry number `retry` (0-based), or null when Retry-After asks for longer than the cap. */
export function retryDelayMs(
  error: NimError,
  retry: number,
  config: BackoffConfig,
  random?: () => number,
): number | null {
  const backoff = backoffMs(retry, config, random);
  // No Retry-After asks for no wait of its own.
  const asked = (error.retryAfterSeconds ?? 0) * 1000;
  return asked > config.retryAfterCapMs ? null : Math.max(asked, backoff);
}

/** Waits, or rejects with the caller's abort reason as soon as it goes away. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch (error) {
    // Stryker disable next-line OptionalChaining: only a signal makes the delay reject
    throw signal?.aborted ? signal.reason : error;
  }
}

export interface RetryBudgetOptions {
  ratio: number;
  /** Retries always allowed per window, so that a quiet gateway can still retry. */
  minRetries?: number;
  windowMs?: number;
  now?: () => number;
}

const BUCKETS = 10;

/**
 * Retries in the last `windowMs` may be at most `ratio` of the calls in it (and at least
 * `minRetries`). Counted in ten buckets: constant memory whatever the traffic.
 */
export class RetryBudget {
  private readonly calls = new Array<number>(BUCKETS).fill(0);
  private readonly retries = new Array<number>(BUCKETS).fill(0);
  // Stryker disable next-line ArrayDeclaration,UnaryOperator: a slot's stamp only matters once it has counted something, which sets it
  private readonly stamps = new Array<number>(BUCKETS).fill(-1);
  private readonly ratio: number;
  private readonly minRetries: number;
  private readonly bucketMs: number;
  private readonly now: () => number;

  constructor(options: RetryBudgetOptions) {
    this.ratio = options.ratio;
    this.minRetries = options.minRetries ?? 3;
    this.bucketMs = (options.windowMs ?? 10_000) / BUCKETS;
    this.now = options.now ?? Date.now;
  }

  /** Counts one call (its first attempt). */
  recordCall(): void {
    this.calls[this.bucket()]! += 1;
  }

  /** Takes one retry from the budget; false when the window has used it up. */
  tryRetry(): boolean {
    const slot = this.bucket();
    const { calls, retries } = this.totals();
    if (retries >= Math.max(this.minRetries, this.ratio * calls)) return false;
    this.retries[slot]! += 1;
    return true;
  }

  totals(): { calls: number; retries: number } {
    const current = Math.floor(this.now() / this.bucketMs);
    let calls = 0;
    let retries = 0;
    // Stryker disable next-line EqualityOperator: slot BUCKETS does not exist, so it never counts
    for (let slot = 0; slot < BUCKETS; slot++) {
      if (this.stamps[slot]! > current - BUCKETS) {
        calls += this.calls[slot]!;
        retries += this.retries[slot]!;
      }
    }
    return { calls, retries };
  }

  /** The current bucket's slot, emptied first when it last held an older bucket. */
  private bucket(): number {
    const current = Math.floor(this.now() / this.bucketMs);
    const slot = current % BUCKETS;
    if (this.stamps[slot] !== current) {
      this.stamps[slot] = current;
      this.calls[slot] = 0;
      this.retries[slot] = 0;
    }
    return slot;
  }
}
