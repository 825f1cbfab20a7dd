// What one request did, gathered while it runs and reported once at its end: one log line,
// the operation metrics, the Server-Timing header.
import { randomFillSync, randomUUID } from 'node:crypto';

const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

// Ids come from one pooled random buffer: a crypto call per request showed in the profile.
const pool = Buffer.alloc(4096);
let offset = pool.length;
function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  offset += bytes;
  return pool.toString('hex', offset - bytes, offset);
}

/** The caller's x-request-id when it is a sane one, else a new id. */
export function requestIdOf(headers: { get(name: string): string | null }): string {
  const given = headers.get('x-request-id');
  return given !== null && REQUEST_ID.test(given) ? given : randomUUID();
}

export interface UpstreamCall {
  /** Which upstream of the fleet answered (`default` for NIM_PROXY_BASE_URL). */
  upstream: string;
  endpoint: string;
  status: number;
  ms: number;
}

export class RequestTrace {
  readonly requestId: string;
  /** Sent upstream: the caller's W3C trace context, or a new trace when it sent none. */
  traceparent: string;
  readonly startedAt = performance.now();
  /** Who called (Context.client), once the operation runs. */
  client: string | null = null;
  operationName: string | null = null;
  operationType: string | null = null;
  readonly models = new Set<string>();
  readonly calls: UpstreamCall[] = [];
  promptTokens = 0;
  completionTokens = 0;
  errorCode: string | null = null;
  /** Codes of the top-level errors in its results (extensions.code). */
  readonly resultErrorCodes = new Set<string>();
  cancelled = false;
  streaming = false;
  /** Its log line and operation metrics are out (once per request). */
  reported = false;
  /** Streams: chunks relayed, when the first and the last went out (performance.now()). */
  chunks = 0;
  firstChunkAt: number | null = null;
  lastChunkAt: number | null = null;
  /** Set by whoever watches gaps between chunks live (metrics). */
  onChunkGap: ((seconds: number) => void) | null = null;

  /** The caller's span, from a valid `traceparent`. */
  readonly parent: { traceId: string; spanId: string; sampled: boolean } | null;

  constructor(headers: { get(name: string): string | null }) {
    this.requestId = requestIdOf(headers);
    const match = TRACEPARENT.exec(headers.get('traceparent')?.trim().toLowerCase() ?? '');
    this.parent =
      match && !/^0+$/.test(match[1]!) && !/^0+$/.test(match[2]!)
        ? {
            traceId: match[1]!,
            spanId: match[2]!,
            sampled: (Number.parseInt(match[3]!, 16) & 1) === 1,
          }
        : null;
    // A new span id for our hop keeps the caller's trace id, as a proxy in the trace should.
    const traceId = this.parent?.traceId ?? randomHex(16);
    this.traceparent = `00-${traceId}-${randomHex(8)}-${this.parent?.sampled === false ? '00' : '01'}`;
  }

  /** With OpenTelemetry on, our hop is its server span. */
  adopt(traceId: string, spanId: string, sampled: boolean): void {
    this.traceparent = `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
  }

  /** Set by OpenTelemetry tracing to turn each attempt into a client span. */
  onUpstream: ((call: UpstreamCall) => void) | null = null;

  upstream(call: UpstreamCall): void {
    this.calls.push(call);
    this.onUpstream?.(call);
  }

  usage(model: string, prompt: number, completion: number): void {
    this.models.add(model);
    this.promptTokens += prompt;
    this.completionTokens += completion;
  }

  /** A typed error ends the operation: remember its code, hand the error back to throw. */
  fail<T extends { code: string }>(failure: T): T {
    this.errorCode = failure.code;
    return failure;
  }

  chunk(): void {
    const now = performance.now();
    if (this.lastChunkAt !== null) this.onChunkGap?.((now - this.lastChunkAt) / 1000);
    this.firstChunkAt ??= now;
    this.lastChunkAt = now;
    this.chunks += 1;
  }

  get upstreamMs(): number {
    return this.calls.reduce((sum, call) => sum + call.ms, 0);
  }

  get elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  get lastStatus(): number | null {
    return this.calls.at(-1)?.status ?? null;
  }

  /** The upstream of the last call: the one that answered, after any failover. */
  get lastUpstream(): string | null {
    return this.calls.at(-1)?.upstream ?? null;
  }
}
