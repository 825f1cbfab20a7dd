// node:http around the Yoga app: listen, and close gracefully (drain, then cut what is left).
import { randomUUID } from 'node:crypto';
import {
  createServer,
  ServerResponse,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
} from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { Gateway } from './yoga.ts';

export interface RunningServer {
  server: Server;
  url: string;
  /** Requests whose response has not finished: streams included. */
  requestsInFlight(): number;
  /**
   * Stops accepting, answers not-ready, lets in-flight requests and open streams finish for up to
   * `graceMs`, then closes the connections left and the gateway (upstream pool included).
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * The writes of one turn of the event loop leave in one system call: an event stream's events come
 * one by one through Yoga's adapter (a `write` each), and those of one upstream read would otherwise
 * each be their own `writev`. After a response's first write (a unary answer is one write, and a
 * stream's first event is not held), plain writes are gathered and written together once the turn's
 * I/O is done; `end()` and a write with an encoding or a callback write what was gathered first.
 * Backpressure is the socket's: once a gathered write is refused, writes answer false until 'drain'.
 * (`cork()` would do this, but corking a chunked response breaks its framing on Node 24.)
 */
const { write: plainWrite, end: plainEnd } = ServerResponse.prototype;

/** What a response has gathered; the functions below are shared by every response. */
interface Gathered {
  first: boolean;
  pending: (string | Uint8Array)[];
  blocked: boolean;
  flushing: boolean;
}

const gathered = new WeakMap<ServerResponse, Gathered>();

function unblock(this: ServerResponse): void {
  gathered.get(this)!.blocked = false;
}

function flush(response: ServerResponse, state: Gathered): void {
  state.flushing = false;
  if (state.pending.length === 0) return;
  const chunks = state.pending;
  state.pending = [];
  // The client left: nothing more to send.
  if (response.destroyed || response.writableEnded) return;
  const data =
    chunks.length === 1
      ? chunks[0]!
      : Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));
  if (!(plainWrite as (chunk: unknown) => boolean).call(response, data)) {
    state.blocked = true;
    response.once('drain', unblock);
  }
}

function flushGathered(response: ServerResponse): void {
  flush(response, gathered.get(response)!);
}

function gatheringWrite(this: ServerResponse, chunk: unknown, ...rest: unknown[]): boolean {
  const state = gathered.get(this)!;
  if (
    state.first ||
    rest.length > 0 ||
    (typeof chunk !== 'string' && !(chunk instanceof Uint8Array))
  ) {
    state.first = false;
    flush(this, state);
    return (plainWrite as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  }
  if (!state.flushing) {
    state.flushing = true;
    setImmediate(flushGathered, this);
  }
  state.pending.push(chunk);
  return !state.blocked;
}

function gatheringEnd(this: ServerResponse, ...args: unknown[]): ServerResponse {
  flush(this, gathered.get(this)!);
  return (plainEnd as (...args: unknown[]) => ServerResponse).apply(this, args);
}

function coalesceWrites(response: ServerResponse): void {
  gathered.set(response, { first: true, pending: [], blocked: false, flushing: false });
  response.write = gatheringWrite as typeof response.write;
  response.end = gatheringEnd as typeof response.end;
}

export async function listen(gateway: Gateway, host: string, port: number): Promise<RunningServer> {
  const server = createServer();
  let draining = false;
  const open = new Set<ServerResponse>();
  // Registered before the app, so that a response still has its headers to set while draining.
  // One listener function for every response (a response emits each once): no closure and no
  // once-wrapper per response, which a held stream keeps for its life.
  function onClose(this: ServerResponse) {
    open.delete(this);
  }
  // A keep-alive connection would otherwise idle on after its last response until its timeout.
  const closeIdle = () => server.closeIdleConnections();
  function onFinish() {
    if (draining) setImmediate(closeIdle);
  }
  // A body that fails once its response began (an event stream's source throwing) cuts the
  // response, so the client sees it broken instead of waiting on a stream that says nothing more.
  function onPipe(this: ServerResponse, body: Readable) {
    body.once('error', () => this.destroy());
  }
  server.on('request', (_request, response: ServerResponse) => {
    open.add(response);
    coalesceWrites(response);
    if (draining) response.setHeader('connection', 'close');
    response.on('close', onClose);
    response.on('finish', onFinish);
    response.on('pipe', onPipe);
  });
  // A request Node's parser refuses (malformed, headers over its limit) is answered as every other
  // refusal: JSON, with its code and a request id, instead of Node's bare status line.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || error.code === 'ECONNRESET') return void socket.destroy();
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const code = status === 431 ? 'HEADERS_TOO_LARGE' : 'BAD_REQUEST';
    const message =
      status === 431
        ? 'The request headers (URL included) are over the 16 KiB limit.'
        : 'The request is not valid HTTP.';
    const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `x-request-id: ${randomUUID()}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  // The gate (src/gate/gate.ts) refuses oversized bodies before anything reads them.
  server.on('request', (request: IncomingMessage, response: ServerResponse) =>
    gateway.handle(request, response),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;

  const close = async (graceMs = 0) => {
    draining = true;
    gateway.drain();
    for (const response of open)
      if (!response.headersSent) response.setHeader('connection', 'close');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
    await closed;
    clearTimeout(deadline);
    await gateway.close();
  };

  return {
    server,
    url: `http://${shownHost}:${address.port}`,
    requestsInFlight: () => open.size,
    close: (graceMs) => (closing ??= close(graceMs)),
  };
}
