// NimTransport: the HTTP side, which NimClient holds. One keep-alive undici Pool per upstream
// origin, reused by every call, behind one Resilience (retries, circuit breaker, concurrency limit);
// JSON calls under a total deadline, event streams opened and settled; every attempt reported to
// observers; every failure a NimError.
import { Pool, type Dispatcher } from 'undici';
import type { z } from 'zod';
import type { ResilienceConfig, UpstreamConfig } from './settings.ts';
import { BodyReads, BodyTooLarge, discard, drain, guard, readExcerpt, readText } from './body.ts';
import type { CircuitChange, CircuitStatus } from './breaker.ts';
import {
  brokenStream,
  fromInBandError,
  fromResponse,
  fromTransport,
  NimError,
  totalTimeout,
  type Redact,
} from './errors.ts';
import { forgetRawHeaders } from './raw-headers.ts';
import { Resilience, type Leased } from './resilience.ts';
import type { AttemptProgress } from './retry.ts';
import { readInBandError } from './wire.ts';

export type NimClientOptions = UpstreamConfig & { baseUrl: string };

/** How much of an error response is read: its start says what went wrong; the rest only costs memory. */
const ERROR_BODY_BYTES = 64 * 1024;

/** How long the end of a stream's response may take after `[DONE]` before its connection is closed. */
const DONE_DRAIN_MS = 1000;

/** A 2xx event-stream response, holding its concurrency slot until `settle`. */
export interface OpenStream {
  body: AsyncIterable<Buffer>;
  /**
   * The stream is over: after `[DONE]` (`complete`) the rest of the body is read and the connection
   * kept; otherwise the body is closed. Frees the slot and reports the attempt.
   */
  settle(complete: boolean): void;
}

/** The first-token clock of a stream being opened: armed for each attempt, asked which fired. */
export interface OpeningClock {
  startFirstToken(): void;
  stop(): void;
  /** The timeout error when a clock fired, else null. */
  timeout(model: string | null): NimError | null;
}

/** One try at the upstream, as reported to observers: status 0 when no response came. */
export interface UpstreamAttempt {
  /** The fleet's name for the upstream (`default` for NIM_PROXY_BASE_URL). */
  upstream: string;
  endpoint: string;
  status: number;
  ms: number;
}

/** What a caller adds to a call: its signal, headers to forward (request id, trace context), a report per attempt. */
export interface CallOptions {
  signal?: AbortSignal | undefined;
  headers?: Readonly<Record<string, string>> | undefined;
  onAttempt?: ((attempt: UpstreamAttempt) => void) | undefined;
}

export interface Call extends CallOptions {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  model: string | null;
  /** Fewer retries than configured (see GuardedCall). */
  maxRetries?: number | undefined;
}

export class NimTransport {
  readonly options: NimClientOptions;
  /** In metrics, logs and readiness. */
  readonly name: string;
  private readonly pool: Pool;
  /** The pool, through which calls go. */
  private readonly dispatcher: Dispatcher;
  private readonly basePath: string;
  private readonly headers: Record<string, string>;
  private readonly resilience: Resilience;
  private readonly attemptListeners: ((attempt: UpstreamAttempt) => void)[] = [];
  /** The upstream key as a body may spell it (errors.ts decodes JSON and HTML escapes first): as is, and percent-encoded in either case. */
  // Stryker disable next-line ArrayDeclaration: without a key there is nothing to redact (set below when there is one).
  private readonly keySpellings: RegExp[] = [];
  /** How much of a cut body's tail may hold part of the key. */
  private readonly keyLength: number = 0;

  constructor(options: NimClientOptions, resilience: ResilienceConfig, name = 'default') {
    const url = new URL(options.baseUrl);
    this.options = options;
    this.name = name;
    this.resilience = new Resilience(resilience);
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, {
      connections: options.connections,
      connect: { timeout: options.connectTimeoutMs },
      headersTimeout: options.headersTimeoutMs,
      bodyTimeout: options.bodyTimeoutMs,
      keepAliveTimeout: 30_000,
    });
    this.dispatcher = this.pool.compose(forgetRawHeaders);
    this.headers = { accept: 'application/json' };
    if (options.apiKey) this.headers.authorization = `Bearer ${options.apiKey}`;
    const key = options.apiKey;
    if (key) {
      const percent = encodeURIComponent(key);
      const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      this.keySpellings = [new RegExp(literal(percent), 'gi'), new RegExp(literal(key), 'g')];
      this.keyLength = percent.length;
    }
  }

  /** `listener` hears every attempt (metrics); `onRetry` every retry the resilience layer makes. */
  onAttempts(
    listener: (attempt: UpstreamAttempt) => void,
    onRetry?: (endpoint: string) => void,
  ): void {
    this.attemptListeners.push(listener);
    if (onRetry) this.resilience.onRetry(onRetry);
  }

  /** The circuit breaker's view of the upstream (readiness). */
  circuit(): CircuitStatus {
    return this.resilience.circuit();
  }

  /** Calls holding or awaiting a concurrency slot, and the pool's sockets and requests (metrics, leak checks). */
  stats(): {
    inFlight: number;
    queued: number;
    connected: number;
    running: number;
    pending: number;
  } {
    const { connected, running, pending } = this.pool.stats;
    return {
      inFlight: this.resilience.limit.inFlight,
      queued: this.resilience.limit.waiting,
      connected,
      running,
      pending,
    };
  }

  /** `listener` hears the circuit breaker open and close (the operator's log). */
  onCircuitChange(listener: (change: CircuitChange) => void): void {
    this.resilience.onCircuitChange(listener);
  }

  /** `listener` hears each time the upstream answers as a healthy upstream does (readiness). */
  onAnswered(listener: (at: number) => void): void {
    this.resilience.onAnswered(listener);
  }

  /** Closes the pool once its calls are done; what is still running after `graceMs` is cut. */
  async close(graceMs = 1000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), graceMs);
    });
    // Stryker disable next-line ArrowFunction: anything but 'late' is closed.
    const closed = this.pool.close().then(
      () => 'closed' as const,
      () => 'closed' as const,
    );
    // Stryker disable next-line ConditionalExpression: destroying a pool that closed does nothing more.
    if ((await Promise.race([closed, late])) === 'late') await this.pool.destroy();
    clearTimeout(timer);
  }

  /** One JSON call under the total deadline, retried as the resilience layer allows. */
  async json<T extends z.ZodType>(call: Call, schema: T): Promise<z.output<T>> {
    const payload = this.serialise(call);
    return this.resilience.run({ ...call, endpoint: call.path }, (progress) =>
      this.withDeadline(call, progress, async (signal) => {
        const started = performance.now();
        let status = 0;
        try {
          const response = await this.send(call, payload, signal);
          status = response.statusCode;
          progress.headersArrived = true;
          return await this.readJson(call, response, schema);
        } finally {
          this.report(call, status, started);
        }
      }),
    );
  }

  /**
   * Opens an event stream (retried only before a response arrived) under `clock`'s first-token
   * timeout, aborting through `signal`; resolves with a 2xx event stream holding its slot.
   */
  async openStream(call: Call, signal: AbortSignal, clock: OpeningClock): Promise<OpenStream> {
    const payload = this.serialise(call);
    let started = 0;
    const lease = await this.resilience.lease(
      { ...call, endpoint: call.path },
      async (progress) => {
        clock.startFirstToken();
        started = performance.now();
        try {
          return await this.streamResponse(call, payload, signal, progress);
        } catch (error) {
          clock.stop();
          this.report(call, error instanceof NimError ? (error.status ?? 0) : 0, started);
          // A caller that left gets its own reason back from upstreamEvents, whatever is thrown here.
          throw (
            clock.timeout(call.model) ?? fromTransport(error, call.model, progress.headersArrived)
          );
        }
      },
    );
    return {
      // Leaving a loop over it must not destroy the body: after [DONE] it is read to its end, so
      // that the connection goes back to the pool instead of being closed.
      body: new BodyReads(lease.value.body),
      settle: (complete) => this.settle(call, lease, complete, started),
    };
  }

  /** A failure once a stream was open counts against the upstream as a failed call does. */
  recordStreamFailure(failure: NimError): void {
    this.resilience.recordStreamFailure(failure);
  }

  private settle(
    call: Call,
    lease: Leased<Dispatcher.ResponseData>,
    complete: boolean,
    started: number,
  ): void {
    // After [DONE] the upstream ends the response: read what is left (at most 64 KiB, for at most
    // a second, then the connection is closed instead) and keep the connection. Stopping early
    // otherwise (client gone, a failure) must not leave the body open.
    if (complete) drain(lease.value.body, 64 * 1024, DONE_DRAIN_MS);
    else discard(lease.value.body);
    // A failure was recorded as it happened (recordStreamFailure); a client that left says nothing.
    lease.settle(complete ? 'success' : 'ignore');
    lease.release();
    this.report(call, lease.value.statusCode, started);
  }

  /** Sends a stream request; resolves with a 2xx event-stream response, throws a NimError otherwise. */
  private async streamResponse(
    call: Call,
    payload: string | undefined,
    signal: AbortSignal,
    progress: AttemptProgress,
  ): Promise<Dispatcher.ResponseData> {
    const response = await this.send(call, payload, signal, 0);
    progress.headersArrived = true;
    guard(response.body);
    // Stryker disable next-line ConditionalExpression: undici answers 1xx itself, so a response here is 200 or over.
    if (response.statusCode < 200 || response.statusCode >= 300)
      throw await this.refusal(call, response);
    const type = String(response.headers['content-type'] ?? '');
    if (!type.toLowerCase().startsWith('text/event-stream'))
      throw await this.notAnEventStream(call, response, type);
    return response;
  }

  private report(call: Call, status: number, started: number): void {
    const attempt = {
      upstream: this.name,
      endpoint: call.path,
      status,
      ms: performance.now() - started,
    };
    call.onAttempt?.(attempt);
    for (const listener of this.attemptListeners) listener(attempt);
  }

  private async readJson<T extends z.ZodType>(
    call: Call,
    response: Dispatcher.ResponseData,
    schema: T,
  ): Promise<z.output<T>> {
    // Stryker disable next-line ConditionalExpression: undici answers 1xx itself, so a response here is 200 or over.
    if (response.statusCode < 200 || response.statusCode >= 300)
      throw await this.refusal(call, response);
    let text: string;
    try {
      text = await readText(response.body, this.options.maxResponseBytes);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      throw new NimError({
        kind: 'upstream',
        status: response.statusCode,
        model: call.model,
        message: `upstream ${call.path} response ${error.message}`,
      });
    }
    const json = parseJson(text);
    const inBand = readInBandError(json);
    if (inBand) throw fromInBandError(inBand, call.model, this.redact);
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new NimError({
        kind: 'upstream',
        status: response.statusCode,
        model: call.model,
        message: `upstream sent a malformed ${call.path} response`,
      });
    }
    return parsed.data;
  }

  /** A 2xx that is not the event stream asked for: an error in JSON is classified as such; anything else is a broken stream. */
  private async notAnEventStream(
    call: Call,
    response: Dispatcher.ResponseData,
    type: string,
  ): Promise<NimError> {
    if (/\bjson\b/i.test(type)) {
      const { text } = await readExcerpt(
        response.body,
        Math.min(ERROR_BODY_BYTES, this.options.maxResponseBytes),
      );
      const inBand = readInBandError(parseJson(text));
      if (inBand) return fromInBandError(inBand, call.model, this.redact);
    }
    discard(response.body);
    return brokenStream(
      call.model,
      `was not an event stream (content-type ${type || 'missing'})`,
      response.statusCode,
    );
  }

  /** An error status: the start of its body read (a huge or endless one cannot hold us) and classified. */
  private async refusal(call: Call, response: Dispatcher.ResponseData): Promise<NimError> {
    const { text, truncated } = await readExcerpt(
      response.body,
      Math.min(ERROR_BODY_BYTES, this.options.maxResponseBytes),
    );
    // Where the read limit cut the body, a key may have been cut in two: its first part goes too.
    const whole = truncated ? text.slice(0, Math.max(0, text.length - this.keyLength)) : text;
    return fromResponse(
      response.statusCode,
      whole,
      response.headers['retry-after'],
      call.model,
      this.redact,
    );
  }

  /** Runs `work` under the total timeout and the caller's signal, whichever fires first. */
  private async withDeadline<T>(
    call: Call,
    progress: AttemptProgress,
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.options.totalTimeoutMs);
    // Stryker disable next-line OptionalChaining: onAbort is only ever a listener of call.signal.
    const onAbort = () => controller.abort(call.signal?.reason);
    // Stryker disable next-line ObjectLiteral,BooleanLiteral: the finally below removes the listener either way.
    call.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await work(controller.signal);
    } catch (error) {
      if (call.signal?.aborted) throw call.signal.reason;
      if (controller.signal.aborted) throw totalTimeout(call.model, this.options.totalTimeoutMs);
      throw fromTransport(error, call.model, progress.headersArrived);
    } finally {
      clearTimeout(timer);
      call.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** An upstream that echoes our key in an error must not hand it to clients through us. */
  readonly redact: Redact = (text) => {
    for (const spelling of this.keySpellings) text = text.replace(spelling, '[redacted]');
    return text;
  };

  /**
   * The request body as JSON, made once before any attempt: a body that cannot be serialised (a
   * BigInt, a cycle, nesting deeper than the stack) is the caller's input, never an upstream fault.
   */
  private serialise(call: Call): string | undefined {
    // Stryker disable next-line ConditionalExpression: JSON.stringify(undefined) is undefined as well.
    if (call.body === undefined) return undefined;
    try {
      return JSON.stringify(call.body);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new NimError({
        kind: 'bad_request',
        model: call.model,
        cause: error,
        message: `the request cannot be sent as JSON: ${reason}`,
      });
    }
  }

  /** `bodyTimeout` 0 turns undici's own gap timer off where the caller keeps its own. */
  private send(
    call: Call,
    payload: string | undefined,
    signal: AbortSignal,
    bodyTimeout?: number,
  ): Promise<Dispatcher.ResponseData> {
    return this.dispatcher.request({
      method: call.method,
      path: `${this.basePath}${call.path}`,
      // The caller's headers first: they may never replace ours (the upstream key, the content type).
      headers: {
        ...call.headers,
        ...this.headers,
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: payload,
      signal,
      ...(bodyTimeout === undefined ? {} : { bodyTimeout }),
    });
  }
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
    // Stryker disable next-line BlockStatement: a function that returns nothing returns undefined as well.
  } catch {
    return undefined;
  }
}
