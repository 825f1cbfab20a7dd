// Faults a test can queue: what goes wrong, for which requests, how many times.
import type { ErrorStyle } from './errors.ts';

type StreamFaultKind = 'stall' | 'malformed' | 'no-done' | 'error-event' | 'cut';

export interface Fault {
  /** Only requests whose pathname equals this; default any /v1/* path except health. */
  path?: string;
  /** How many matching requests it applies to, default 1 (Infinity allowed). */
  times?: number;
  /** Answer with this status and a NIM error body; with `stream: 'error-event'`, the in-band error's code. */
  status?: number;
  message?: string;
  /** The error's shape, for a status fault and for the in-band error event (default: flat bodies, nested events). */
  errorStyle?: ErrorStyle;
  retryAfter?: string;
  /** Answer with exactly this body (status default 502). */
  rawBody?: string;
  contentType?: string;
  /** Wait this long before sending headers. */
  delayMs?: number;
  /** Destroy the socket before any byte, or after part of the body. */
  drop?: 'before-headers' | 'mid-body';
  /** Stream faults: how many token chunks to send first (default 2). */
  afterTokens?: number;
  stream?: StreamFaultKind;
  /** Stream: wait this long before the first chunk (after headers). */
  firstTokenDelayMs?: number;
  /** Stream: send what comes before the first token (the chat role preamble) at once, then wait this long. */
  firstContentDelayMs?: number;
  /** Stream: each round's chunks go out highest choice index first (vLLM promises no order across choices). */
  choicesReversed?: boolean;
  /** Choice i ends with finishReasons[i] instead of its own (null: with none at all); undefined entries keep theirs. */
  finishReasons?: Array<string | null | undefined>;
  /** Stream: send `[DONE]`, then end the response only after this long (a proxy flushing the last chunk apart). */
  endDelayMs?: number;
  /** A 200 JSON response padded to about this many bytes; for streams, the first chunk. */
  oversizedBytes?: number;
}

export const DEFAULT_AFTER_TOKENS = 2;

interface QueuedFault {
  fault: Fault;
  remaining: number;
}

function isHealthPath(path: string): boolean {
  return path === '/health' || path.startsWith('/v1/health/');
}

/** Faults that only make sense once an event stream has started match streaming requests only. */
function needsStream(fault: Fault): boolean {
  return (
    fault.stream !== undefined ||
    fault.firstTokenDelayMs !== undefined ||
    fault.firstContentDelayMs !== undefined ||
    fault.choicesReversed !== undefined
  );
}

/** FIFO queue: each request takes the oldest fault that matches it. */
export class FaultQueue {
  #queue: QueuedFault[] = [];

  add(fault: Fault): void {
    const times = fault.times ?? 1;
    if (!(times > 0))
      throw new RangeError(`fault.times must be a positive number, got ${String(fault.times)}`);
    this.#queue.push({ fault: { ...fault }, remaining: times });
  }

  clear(): void {
    this.#queue = [];
  }

  get size(): number {
    return this.#queue.length;
  }

  /** Removes one use of the first fault matching this request and returns it, or null. */
  take(path: string, streaming: boolean): Fault | null {
    const index = this.#queue.findIndex(({ fault }) => {
      const pathMatches =
        fault.path === undefined
          ? path.startsWith('/v1/') && !isHealthPath(path)
          : fault.path === path;
      return pathMatches && (streaming || !needsStream(fault));
    });
    const entry = this.#queue[index];
    if (entry === undefined) return null;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.#queue.splice(index, 1);
    return entry.fault;
  }
}
