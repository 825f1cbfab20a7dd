// Bounded concurrency to one upstream: at most `max` calls in flight, then a FIFO queue of bounded
// length and wait. Beyond either bound a call fails at once, so memory stays bounded under overload.
import { NimError } from './errors.ts';

export type Release = () => void;

export interface ConcurrencyOptions {
  max: number;
  queueLimit: number;
  queueTimeoutMs: number;
}

interface Waiter {
  grant(): void;
}

export class ConcurrencyLimit {
  private active = 0;
  /** A Set keeps insertion order (FIFO) and removes a waiter that gives up in O(1). */
  private readonly queue = new Set<Waiter>();
  private readonly options: ConcurrencyOptions;

  constructor(options: ConcurrencyOptions) {
    this.options = options;
  }

  get inFlight(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.size;
  }

  /** A slot, held until the returned release is called (once; further calls do nothing). */
  acquire(model: string | null, signal?: AbortSignal): Promise<Release> {
    signal?.throwIfAborted();
    const { max, queueLimit, queueTimeoutMs } = this.options;
    // A slot freed while calls wait passes straight to the oldest, so a free slot means nobody waits.
    if (this.active < max) {
      this.active += 1;
      return Promise.resolve(this.releaser());
    }
    if (this.queue.size >= queueLimit) {
      return Promise.reject(
        unavailable(
          model,
          `gateway queue full: ${this.active} calls in flight to the upstream and ${this.queue.size} waiting (UPSTREAM_MAX_CONCURRENCY ${max}, UPSTREAM_QUEUE_LIMIT ${queueLimit})`,
        ),
      );
    }
    return new Promise<Release>((resolve, reject) => {
      const leave = () => {
        this.queue.delete(waiter);
        // Stryker disable next-line CallExpression: a timer that fires after the grant finds the waiter gone and its promise settled
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const waiter: Waiter = {
        grant: () => {
          leave();
          resolve(this.releaser());
        },
      };
      const onAbort = () => {
        leave();
        // Stryker disable next-line OptionalChaining: only a signal calls this
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        leave();
        reject(
          unavailable(
            model,
            `waited too long: no free upstream slot within ${queueTimeoutMs} ms (UPSTREAM_QUEUE_TIMEOUT_MS)`,
          ),
        );
      }, queueTimeoutMs);
      signal?.addEventListener('abort', onAbort);
      this.queue.add(waiter);
    });
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The slot passes straight to the oldest waiter, so `active` only drops when nobody waits.
      const next = this.queue.values().next();
      if (next.done) this.active -= 1;
      else next.value.grant();
    };
  }
}

function unavailable(model: string | null, message: string): NimError {
  return new NimError({ kind: 'unavailable', model, retryable: true, message });
}
