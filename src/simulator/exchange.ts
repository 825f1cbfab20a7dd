// One request/response pair: what was received, the fault it drew, and how to answer or abandon it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { errorBody, type ErrorStyle } from './errors.ts';
import type { Fault } from './faults.ts';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  /** The client's TCP port: equal ports mean a reused keep-alive connection. */
  remotePort: number | null;
  receivedAt: number;
  /** ms timestamp when the client closed the connection before the response finished, else null */
  abortedAt: number | null;
  finishedAt: number | null;
}

export type ParsedBody = { ok: true; value: unknown } | { ok: false; reason: string };

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  record: RecordedRequest;
  body: ParsedBody;
  fault: Fault | null;
  /** Aborted when the connection closes before the response finished: stop all work. */
  signal: AbortSignal;
  /** Set when the simulator itself destroyed the socket, so it is not recorded as a client abort. */
  dropped: boolean;
  errorStyle: ErrorStyle;
}

/** Waits without blocking the event loop; rejects with an AbortError once the exchange is abandoned. */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  if (ms > 0) await delay(ms, undefined, { signal });
}

/** Resolves only when the exchange is abandoned: a stalled upstream that never speaks again. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/** Destroys the socket on purpose (a fault), once what was already written has reached it. */
export function dropConnection(exchange: Exchange): void {
  exchange.dropped = true;
  const socket = exchange.req.socket;
  // node:http corks the socket until the next tick; an empty write's callback runs after that flush.
  socket.write(Buffer.alloc(0), () => socket.destroy());
}

/** Serialized JSON grown to about `bytes` with an extra string field, still valid JSON. */
export function padJson(json: string, bytes: number): string {
  if (!json.endsWith('}')) return json;
  const field = ',"sim_padding":""';
  const fill = Math.max(0, bytes - json.length - field.length);
  const separator = json === '{}' ? field.slice(1) : field;
  return `${json.slice(0, -1)}${separator.slice(0, -1)}${'x'.repeat(fill)}"}`;
}

export function sendBody(
  exchange: Exchange,
  status: number,
  body: string,
  contentType: string,
  headers: Record<string, string> = {},
): void {
  const { res, fault } = exchange;
  if (exchange.signal.aborted || res.headersSent) return;
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    ...headers,
    'Content-Type': contentType,
    'Content-Length': String(bytes.length),
  });
  if (fault?.drop === 'mid-body') {
    // Full Content-Length, half the bytes, then a dead socket: the client sees a truncated body.
    res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => dropConnection(exchange));
    return;
  }
  res.end(bytes);
}

export function sendJson(
  exchange: Exchange,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  let json = JSON.stringify(body);
  const oversized = exchange.fault?.oversizedBytes;
  if (status === 200 && oversized !== undefined) json = padJson(json, oversized);
  sendBody(exchange, status, json, 'application/json', headers);
}

export function sendError(
  exchange: Exchange,
  status: number,
  message: string,
  param: string | null = null,
  options: { style?: ErrorStyle; headers?: Record<string, string> } = {},
): void {
  sendJson(
    exchange,
    status,
    errorBody(options.style ?? exchange.errorStyle, status, message, param),
    options.headers,
  );
}
