// The one retry layer between NimClient and the wire: each attempt passes the circuit breaker and
// takes a concurrency slot; a failed attempt is retried only when that is safe, the attempts and
// the retry budget allow it, and the caller is still there.
import type { ResilienceConfig } from './settings.ts';
import { CircuitBreaker, type CircuitChange, type CircuitStatus, type Outcome } from './breaker.ts';
import { ConcurrencyLimit, type Release } from './concurrency.ts';
import { NimError } from './errors.ts';
import {
  isMisconfigured,
  isSafeToRetry,
  isUpstreamFault,
  retryDelayMs,
  RetryBudget,
  sleep,
  type AttemptProgress,
  type Method,
} from './retry.ts';

export interface GuardedCall {
  method: Method;
  /** The path called, for retry metrics. */
  endpoint: string;
  model: string | null;
  signal?: AbortSignal | undefined;
  /** Fewer retries than configured: 0 when another upstream of the fleet takes the call instead. */
  maxRetries?: number | undefined;
}

/** An attempt's result and the concurrency slot it holds: a stream keeps it until it ends. */
export interface Leased<T> {
  value: T;
  release: Release;
  /** How the call ended, for the breaker (a stream's outcome is known only when it ends). */
  settle(outcome: Outcome): void;
}

export interface ResilienceOptions {
  now?: () => number;
  random?: () => number;
}

export class Resilience {
  readonly breaker: CircuitBreaker;
  readonly limit: ConcurrencyLimit;
  readonly budget: RetryBudget;
  private readonly config: ResilienceConfig;
  private readonly random: (() => number) | undefined;
  private readonly now: () => number;
  private readonly answeredListeners: ((at: number) => void)[] = [];
  private readonly retryListeners: ((endpoint: string) => void)[] = [];
  private readonly circuitListeners: ((change: CircuitChange) => void)[] = [];

  constructor(config: ResilienceConfig, options: ResilienceOptions = {}) {
    this.config = config;
    this.now = options.now ?? Date.now;
    this.random = options.random;
    this.breaker = new CircuitBreaker({
      failureThreshold: config.breakerFailureThreshold,
      cooldownMs: config.breakerCooldownMs,
      now: this.now,
      onChange: (change) => {
        for (const listener of this.circuitListeners) listener(change);
      },
    });
    this.limit = new ConcurrencyLimit({
      max: config.maxConcurrency,
      queueLimit: config.queueLimit,
      queueTimeoutMs: config.queueTimeoutMs,
    });
    this.budget = new RetryBudget({ ratio: config.retryBudgetRatio, now: this.now });
  }

  circuit(): CircuitStatus {
    return this.breaker.status();
  }

  /** Called whenever the upstream answers in a way that shows it is healthy (readiness). */
  onAnswered(listener: (at: number) => void): void {
    this.answeredListeners.push(listener);
  }

  onCircuitChange(listener: (change: CircuitChange) => void): void {
    this.circuitListeners.push(listener);
  }

  onRetry(listener: (endpoint: string) => void): void {
    this.retryListeners.push(listener);
  }

  /** Runs `attempt` until it succeeds or may not be repeated; the slot is released before returning. */
  async run<T>(call: GuardedCall, attempt: (progress: AttemptProgress) => Promise<T>): Promise<T> {
    const { value, release, settle } = await this.lease(call, attempt);
    settle('success');
    release();
    return value;
  }

  /** As run(), but the caller keeps the slot and must release it (a stream, until it ends). */
  async lease<T>(
    call: GuardedCall,
    attempt: (progress: AttemptProgress) => Promise<T>,
  ): Promise<Leased<T>> {
    this.budget.recordCall();
    for (let retry = 0; ; retry++) {
      const permit = this.breaker.admit(call.model);
      let release: Release;
      try {
        release = await this.limit.acquire(call.model, call.signal);
      } catch (error) {
        permit.settle('ignore');
        throw error;
      }
      // Stryker disable next-line ObjectLiteral: an absent headersArrived reads as false.
      const progress: AttemptProgress = { headersArrived: false };
      try {
        const value = await attempt(progress);
        // A probe decides as soon as the upstream answers, so that calls flow again. Any other call
        // tells the breaker when it ends: a stream that opens and then breaks off is a failure.
        if (permit.probe) permit.settle('success');
        this.answered();
        return { value, release, settle: permit.settle };
      } catch (error) {
        release();
        if (call.signal?.aborted || !(error instanceof NimError)) {
          permit.settle('ignore');
          throw error;
        }
        permit.settle(this.outcome(error));
        const wait = this.nextWait(call, error, progress, retry);
        if (wait === null) throw error;
        for (const listener of this.retryListeners) listener(call.endpoint);
        await sleep(wait, call.signal);
      }
    }
  }

  /**
   * A failure after the attempt succeeded (a stream breaking off) still tells the breaker. A stream
   * the upstream broke off after its 2xx (closed before [DONE], an event that is no JSON or too
   * large) is the upstream's fault, as a lost connection is.
   */
  recordStreamFailure(error: unknown): void {
    if (!(error instanceof NimError)) return;
    const brokenOff = error.kind === 'upstream' && error.status !== null && error.status < 300;
    // Stryker disable next-line StringLiteral: the breaker counts anything but success and ignore as a failure.
    this.breaker.record(brokenOff ? 'failure' : this.outcome(error));
  }

  private outcome(error: NimError): Outcome {
    if (isUpstreamFault(error)) return 'failure';
    // Neither a sick upstream nor a healthy answer: readiness must not count it, the breaker cannot help.
    if (isMisconfigured(error)) return 'ignore';
    this.answered();
    return 'success';
  }

  /** How long to wait before the next attempt, or null when there is none. */
  private nextWait(
    call: GuardedCall,
    error: NimError,
    progress: AttemptProgress,
    retry: number,
  ): number | null {
    const retries = Math.min(call.maxRetries ?? Infinity, this.config.maxRetries);
    if (retry >= retries || !isSafeToRetry(error, call.method, progress)) return null;
    // A Retry-After beyond the cap is not waited for: the caller hears it at once.
    const wait = retryDelayMs(error, retry, this.config, this.random);
    if (wait === null || !this.budget.tryRetry()) return null;
    return wait;
  }

  private answered(): void {
    const at = this.now();
    for (const listener of this.answeredListeners) listener(at);
  }
}
