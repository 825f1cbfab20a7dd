// Yoga's answers written straight to a node response, for the fast path: which answer an Accept
// header gets, JSON through Yoga's own result processor, and GraphQL over SSE in Yoga's event format.
import type { ServerResponse } from 'node:http';
import { processRegularResult } from 'graphql-yoga';

const JSON_TYPES = ['application/graphql-response+json', 'application/json'] as const;

/** What an Accept header admits, read as Yoga reads it (`getMediaTypesForRequestInOrder`). */
export interface Accepted {
  /** The JSON media type Yoga would answer with (the last match wins), or null. */
  json: string | null;
  sse: boolean;
  multipart: boolean;
}

export function readAccept(accept: string | undefined): Accepted {
  const matches = (offered: string, asked: string) => {
    const [type, subtype] = offered.split('/');
    const [askedType, askedSubtype] = asked.split('/');
    return (
      (askedType === '*' || askedType === type) &&
      (askedSubtype === '*' || askedSubtype === subtype)
    );
  };
  const accepted: Accepted = { json: null, sse: false, multipart: false };
  for (const entry of (accept || '*/*').replace(/\s/g, '').toLowerCase().split(',').reverse()) {
    const [type = '', ...params] = entry.split(';');
    if ((params.find((param) => param.includes('charset=')) ?? 'charset=utf-8') !== 'charset=utf-8')
      continue;
    accepted.sse ||= matches('text/event-stream', type);
    accepted.multipart ||= matches('multipart/mixed', type);
    for (const offered of JSON_TYPES) if (matches(offered, type)) accepted.json = offered;
  }
  return accepted;
}

/**
 * Whether the fast path can answer an operation of this kind whatever its result turns out to be,
 * as Yoga's result processors would (tried SSE, multipart, then JSON, the last match winning; a
 * stream only by SSE). False where Yoga's answer could be multipart or 406: Yoga answers those.
 */
export function servable(accepted: Accepted, subscription: boolean): boolean {
  if (subscription) return accepted.sse && (accepted.json !== null || !accepted.multipart);
  return accepted.json !== null || (accepted.sse && !accepted.multipart);
}

/** How Yoga answers a result, for a servable request: a stream by SSE; one result as JSON when accepted. */
export type Answer = { kind: 'json'; mediaType: string } | { kind: 'sse' };

export function answerFor(accepted: Accepted, result: ProcessorInput): Answer {
  if (Symbol.asyncIterator in result || accepted.json === null) return { kind: 'sse' };
  return { kind: 'json', mediaType: accepted.json };
}

/** The one response shape processRegularResult builds: a string body, a plain header record. */
class PlainResponse {
  readonly body: string;
  readonly status: number;
  readonly headers: { record: Record<string, string>; set(name: string, value: string): void };

  constructor(body: string, init: { status: number; headers: Record<string, string> }) {
    this.body = body;
    this.status = init.status;
    const record = init.headers;
    this.headers = { record, set: (name, value) => void (record[name] = value) };
  }
}
const PLAIN_FETCH = { Response: PlainResponse } as unknown as Parameters<
  typeof processRegularResult
>[1];

/** What the fast path does around an answer: trace its head before it is written, log a failure. */
export interface AnswerHooks {
  beforeHead(response: {
    status: number;
    headers: { set(name: string, value: string): void };
  }): void;
  failed(error: unknown): void;
}

/** One result as JSON, as Yoga's `processRegularResult` makes it, with its Content-Length. */
export function sendJson(
  res: ServerResponse,
  result: ProcessorInput,
  mediaType: string,
  hooks: AnswerHooks,
): void {
  const response = processRegularResult(result, PLAIN_FETCH, mediaType) as unknown as PlainResponse;
  hooks.beforeHead(response);
  if (res.destroyed) return;
  response.headers.set('content-length', String(Buffer.byteLength(response.body)));
  res.writeHead(response.status, response.headers.record);
  res.end(response.body);
}

export type ProcessorInput = Parameters<typeof processRegularResult>[0];
type SingleResult = Exclude<ProcessorInput, AsyncIterable<unknown> | readonly unknown[]>;

/** One result as Yoga serialises it (internal error extensions left out). */
function stringifyResult(result: SingleResult): string {
  if (!result.errors?.length && !(result.extensions as { http?: unknown } | undefined)?.http)
    return (result.stringify ?? JSON.stringify)(result);
  return (processRegularResult(result, PLAIN_FETCH, 'application/json') as unknown as PlainResponse)
    .body;
}

const PING_MS = 12_000;
const COMPLETE = 'event: complete\ndata:\n\n';

/**
 * GraphQL over SSE, distinct-connections mode, as Yoga's SSE processor writes it: a first `:` ping,
 * `event: next` per result, `event: complete` at the end, a ping every 12 s. Events that one upstream
 * read produces (one tick) leave in one write; the client leaving closes the iterator (and with it
 * the upstream stream).
 */
export function sendEvents(res: ServerResponse, result: ProcessorInput, hooks: AnswerHooks): void {
  const iterable = Symbol.asyncIterator in result;
  // Status and extra headers (e.g. Retry-After of a refusal) as Yoga computes them for one result.
  const first = iterable
    ? null
    : (processRegularResult(result, PLAIN_FETCH, 'application/json') as unknown as PlainResponse);
  const headers: Record<string, string> = {
    'Content-Type': 'text/event-stream',
    Connection: 'keep-alive',
    'Cache-Control': 'no-cache',
    'Content-Encoding': 'none',
  };
  if (first)
    for (const [name, value] of Object.entries(first.headers.record))
      if (name !== 'Content-Type') headers[name] = value;
  const response = {
    status: first?.status ?? 200,
    headers: { set: (name: string, value: string) => void (headers[name] = value) },
  };
  hooks.beforeHead(response);
  const iterator = iterable
    ? (result as AsyncIterable<SingleResult>)[Symbol.asyncIterator]()
    : null;
  if (res.destroyed) {
    void Promise.resolve(iterator?.return?.()).catch(() => undefined);
    return;
  }
  res.writeHead(response.status, headers);
  // One result (a refusal, or a query asked for as SSE): the whole stream at once.
  if (iterator === null)
    return void res.end(`:\n\nevent: next\ndata: ${first!.body}\n\n${COMPLETE}`);
  res.write(':\n\n');
  // Text written in one tick leaves in one res.write (one syscall) when the tick ends. (res.cork()
  // would do it, but an end() in the tick of a cork garbles the chunked body.)
  let pending = '';
  let closed = false;
  let drained: Promise<void> | null = null;
  const flush = () => {
    if (pending === '' || closed) return;
    const text = pending;
    pending = '';
    if (!res.write(text)) {
      drained ??= new Promise<void>((resolve) => {
        const done = () => {
          drained = null;
          res.off('drain', done).off('close', done);
          resolve();
        };
        res.on('drain', done).on('close', done);
      });
    }
  };
  const send = (text: string) => {
    if (pending === '') process.nextTick(flush);
    pending += text;
  };
  const ping = setInterval(() => send(':\n\n'), PING_MS);
  const onClose = () => {
    closed = true;
    clearInterval(ping);
    void Promise.resolve(iterator.return?.()).catch(() => undefined);
  };
  res.once('close', onClose);
  const pump = async () => {
    for (;;) {
      const step = await iterator.next();
      if (closed) return;
      if (step.value != null) send(`event: next\ndata: ${stringifyResult(step.value)}\n\n`);
      if (step.done) break;
      // Backpressure: a slow reader holds the next pull, as Yoga's ReadableStream does.
      if (drained) await drained;
    }
    res.off('close', onClose);
    clearInterval(ping);
    const rest = pending;
    pending = '';
    res.end(`${rest}${COMPLETE}`);
  };
  pump().catch((error: unknown) => {
    clearInterval(ping);
    hooks.failed(error);
    res.destroy();
  });
}
