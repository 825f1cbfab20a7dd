// The data of an upstream event stream, parsed chunk by chunk until `[DONE]`, under a first-token
// and an idle timeout. NimClient's streams read through this; NimTransport opens and settles them.
import type { z } from 'zod';
import { brokenStream, fromInBandError, fromTransport, NimError, streamTimeout } from './errors.ts';
import { parseWith } from './chunk-reader.ts';
import { EventReader, EventTooLarge } from './sse.ts';
import { parseJson, type Call, type NimTransport, type OpenStream } from './transport.ts';
import { readInBandError } from './wire.ts';

type Phase = 'first_token' | 'idle';

interface StreamTimeouts {
  firstTokenTimeoutMs: number;
  idleTimeoutMs: number;
}

/**
 * A stream's two clocks on one timer: the first-token clock runs until the first event with
 * content (a role preamble is none), then the idle clock between upstream reads. It stops while
 * the consumer handles events: only upstream silence counts. When one fires, it aborts the call.
 * Between reads the same timer is refreshed, not made anew: a paced stream has a read per token.
 */
class StreamClock {
  #fired: Phase | null = null;
  #timer: NodeJS.Timeout | undefined;
  /** The phase the timer counts, and for how long. */
  #phase: Phase = 'first_token';
  #timerMs = -1;
  #answering = false;
  /** The consumer is handling a read's events: a timer that comes due meanwhile does not count. */
  #handling = false;
  readonly #controller: AbortController;
  #ms: Record<Phase, number> = { first_token: 0, idle: 0 };

  constructor(controller: AbortController, timeouts: StreamTimeouts) {
    this.#controller = controller;
    this.use(timeouts);
  }

  /** The upstream being tried has timeouts of its own. */
  use(timeouts: StreamTimeouts): void {
    this.#ms = { first_token: timeouts.firstTokenTimeoutMs, idle: timeouts.idleTimeoutMs };
  }

  startFirstToken(): void {
    this.#arm('first_token');
  }

  /** An upstream read arrived: its events are the consumer's time. */
  readArrived(): void {
    if (this.#answering) this.#handling = true;
  }

  /** True once an event with content arrived. */
  // Stryker disable next-line BlockStatement: without it, answering() runs on every content event, and sets again what it set
  get answered(): boolean {
    return this.#answering;
  }

  /** An event with content arrived: from now on the idle clock counts. */
  answering(): void {
    this.#answering = true;
    this.#handling = true;
  }

  /** The read's events are handled: wait for the next read. */
  readHandled(): void {
    this.#handling = false;
    if (this.#answering) this.#arm('idle');
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  timeout(model: string | null): NimError | null {
    return this.#fired === null ? null : streamTimeout(this.#fired, model, this.#ms[this.#fired]);
  }

  #arm(phase: Phase): void {
    this.#phase = phase;
    const ms = this.#ms[phase];
    if (this.#timer !== undefined && this.#timerMs === ms) {
      this.#timer.refresh();
      return;
    }
    clearTimeout(this.#timer);
    this.#timerMs = ms;
    this.#timer = setTimeout(() => {
      if (this.#handling) return;
      this.#fired = this.#phase;
      this.#controller.abort();
    }, ms);
  }
}

/** One upstream to try a stream at: its transport, and the call as it is sent there. */
export interface StreamAttempt {
  transport: NimTransport;
  call: Call;
}

/**
 * Each event's data parsed with `schema`, until `[DONE]`: the chunks of one upstream read together,
 * so that what follows handles a read, not each chunk, as one step. Streams have no total timeout (see
 * StreamClock). An in-band error event, malformed data, or an end without `[DONE]` throws.
 * Retries happen only before a 2xx response arrived; the concurrency slot is held until the
 * stream ends. The attempts are tried in order while `failOver` allows it, only before a stream
 * opened: once it has, its failure is the stream's (no text is stitched from two upstreams).
 */
export async function* upstreamEvents<T extends z.ZodType>(
  attempts: readonly [StreamAttempt, ...StreamAttempt[]],
  schema: T,
  hasContent: (chunk: z.output<T>) => boolean,
  failOver: (error: unknown, from: StreamAttempt, to: StreamAttempt) => boolean = () => false,
): AsyncGenerator<z.output<T>[]> {
  let { transport, call } = attempts[0];
  const controller = new AbortController();
  const clock = new StreamClock(controller, transport.options);
  const onAbort = () => controller.abort(call.signal?.reason);
  call.signal?.addEventListener('abort', onAbort, { once: true });
  let stream: OpenStream | undefined;
  let complete = false;
  try {
    call.signal?.throwIfAborted();
    for (let next = 1; stream === undefined; next++) {
      try {
        stream = await transport.openStream(call, controller.signal, clock);
      } catch (error) {
        const then = attempts[next];
        if (
          then === undefined ||
          controller.signal.aborted ||
          !failOver(error, { transport, call }, then)
        )
          throw error;
        ({ transport, call } = then);
        clock.use(transport.options);
      }
    }
    const reader = new EventReader(transport.options.maxResponseBytes);
    for await (const bytes of stream.body) {
      const batch = reader.feed(bytes);
      if (batch.length === 0) continue;
      clock.readArrived();
      const chunks: z.output<T>[] = [];
      for (const data of batch) {
        if (data.trim() === '[DONE]') {
          complete = true;
          break;
        }
        let chunk: z.output<T>;
        try {
          chunk = parseEvent(transport, call, data, schema);
        } catch (error) {
          // What came before the bad event is the client's, as it would be a read earlier.
          if (chunks.length > 0) yield chunks;
          throw error;
        }
        if (!clock.answered && hasContent(chunk)) clock.answering();
        chunks.push(chunk);
      }
      if (chunks.length > 0) yield chunks;
      if (complete) return;
      clock.readHandled();
    }
    throw brokenStream(call.model, 'closed before [DONE]: the answer may be truncated');
  } catch (error) {
    if (call.signal?.aborted) throw call.signal.reason;
    // Before the stream opened, the retry layer has classified the failure and told the breaker.
    if (stream === undefined) throw error;
    const failure = streamFailure(error, call, clock);
    transport.recordStreamFailure(failure);
    throw failure;
  } finally {
    clock.stop();
    call.signal?.removeEventListener('abort', onAbort);
    stream?.settle(complete);
  }
}

/** A failure once the stream was open: the request reached the model, part of the answer may have come. */
function streamFailure(error: unknown, call: Call, clock: StreamClock): NimError {
  const timeout = clock.timeout(call.model);
  if (timeout !== null) return timeout;
  // Stryker disable next-line ConditionalExpression: fromTransport() gives a NimError back as it is
  if (error instanceof NimError) return error;
  if (error instanceof EventTooLarge) return brokenStream(call.model, `sent ${error.message}`);
  return fromTransport(error, call.model, true);
}

function parseEvent<T extends z.ZodType>(
  transport: NimTransport,
  call: Call,
  data: string,
  schema: T,
): z.output<T> {
  const json = parseJson(data);
  if (json === undefined) throw brokenStream(call.model, 'sent an event that is not JSON');
  const inBand = readInBandError(json);
  if (inBand) throw fromInBandError(inBand, call.model, transport.redact);
  const parsed = parseWith(schema, json);
  if (!parsed.success) throw brokenStream(call.model, 'sent a malformed chunk');
  return parsed.data;
}
