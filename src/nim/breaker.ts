// A circuit breaker for one upstream: after a run of consecutive faults it fails calls fast for a
// cool-down instead of piling them onto a sick upstream, then lets a single probe decide.
import { NimError } from './errors.ts';

export type CircuitState = 'closed' | 'open' | 'half-open';

/** `ignore`: the call says nothing about the upstream (the caller went away, it never left). */
export type Outcome = 'success' | 'failure' | 'ignore';

export interface CircuitStatus {
  state: CircuitState;
  consecutiveFailures: number;
  /** While open: when the next probe may go through (epoch ms). */
  probeAt: number | null;
}

/** One admitted call; its first settle() counts, later ones are ignored. */
export interface BreakerPermit {
  /** The half-open probe: its outcome decides whether the circuit closes. */
  readonly probe: boolean;
  settle(outcome: Outcome): void;
}

/** The circuit opened (again, after a failed probe) or closed: operators want to hear of both. */
export type CircuitChange = { to: 'open'; failures: number; cooldownMs: number } | { to: 'closed' };

export interface BreakerOptions {
  failureThreshold: number;
  cooldownMs: number;
  now?: () => number;
  onChange?: (change: CircuitChange) => void;
}

export class CircuitBreaker {
  private failures = 0;
  private openUntil: number | null = null;
  private probing = false;
  private readonly options: BreakerOptions;
  private readonly now: () => number;

  constructor(options: BreakerOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  status(): CircuitStatus {
    return { state: this.state(), consecutiveFailures: this.failures, probeAt: this.openUntil };
  }

  /** Lets a call through, or throws `unavailable` while open (and while a half-open probe is out). */
  admit(model: string | null): BreakerPermit {
    const state = this.state();
    if (state === 'closed') return this.permit(false);
    if (state === 'half-open' && !this.probing) {
      this.probing = true;
      return this.permit(true);
    }
    throw this.openError(model, state);
  }

  /** Something learnt outside an admitted attempt, e.g. a stream that failed after it started. */
  record(outcome: Outcome): void {
    // Late results of calls admitted before the circuit opened change nothing: the probe decides.
    if (this.state() !== 'closed' || outcome === 'ignore') return;
    if (outcome === 'success') {
      this.failures = 0;
      return;
    }
    this.failures += 1;
    if (this.failures >= this.options.failureThreshold) this.open();
  }

  private permit(probe: boolean): BreakerPermit {
    let settled = false;
    return {
      probe,
      settle: (outcome) => {
        if (settled) return;
        settled = true;
        if (!probe) return this.record(outcome);
        this.probing = false;
        if (outcome === 'success') {
          this.failures = 0;
          this.openUntil = null;
          this.options.onChange?.({ to: 'closed' });
        } else if (outcome === 'failure') {
          this.failures += 1;
          this.open();
        }
      },
    };
  }

  private open(): void {
    this.openUntil = this.now() + this.options.cooldownMs;
    this.options.onChange?.({
      to: 'open',
      failures: this.failures,
      cooldownMs: this.options.cooldownMs,
    });
  }

  private state(): CircuitState {
    if (this.openUntil === null) return 'closed';
    return this.now() < this.openUntil ? 'open' : 'half-open';
  }

  private openError(model: string | null, state: CircuitState): NimError {
    const waitMs = Math.max(0, (this.openUntil ?? 0) - this.now());
    const when =
      state === 'open'
        ? `the next probe goes through in ${Math.ceil(waitMs / 1000)} s`
        : 'a probe call is in flight';
    return new NimError({
      kind: 'unavailable',
      model,
      retryable: true,
      retryAfterSeconds: Math.ceil(waitMs / 1000),
      // Clients read this: it names no upstream address.
      message: `circuit open after ${this.failures} consecutive upstream failures: failing fast, ${when}`,
    });
  }
}
