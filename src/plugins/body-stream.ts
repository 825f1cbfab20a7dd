// The ReadableStream the gateway's Fetch API builds response bodies with: Yoga's SSE and multipart
// processors, graphql-sse's handler and our multipart writer each answer a stream as
// `new fetchAPI.ReadableStream({ start, pull, cancel })` handed to `new fetchAPI.Response(…)`.
// The Fetch ponyfill's stream builds a controller and two promise helpers for every pull and joins
// each pull's chunks into a new buffer; this one is a Node Readable with one controller, so the
// ponyfill's Response takes it as a Node stream and the server pipes it to the socket as it is.
// What it keeps of a WHATWG stream is what those writers use: start before the first pull, pull
// again while the consumer wants more (also after a pull that enqueued nothing), `desiredSize`
// (null once errored or cancelled), enqueue, close, error, and cancel when the consumer goes.
import { Readable } from 'node:stream';

interface Controller {
  readonly desiredSize: number | null;
  enqueue(chunk: Uint8Array | string): void;
  close(): void;
  error(reason?: unknown): void;
}

interface Source {
  start?(controller: Controller): unknown;
  pull?(controller: Controller): unknown;
  cancel?(reason?: unknown): unknown;
}

const ignore = () => undefined;

const isPromiseLike = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { then?: unknown }).then === 'function';

export class BodyStream extends Readable {
  readonly #source: Source;
  readonly #controller: Controller;
  /** Until start() settles, nothing is pulled. */
  #starting: PromiseLike<unknown> | null = null;
  #pulling = false;
  /** The consumer asked for more while a pull was under way. */
  #wanted = false;
  #enqueued = false;
  #closed = false;

  constructor(source: Source = {}) {
    super();
    // A stream that errors is destroyed with its error, for a consumer that listens (a Response's
    // reader does). The server pipes it and pipe hears no errors: unheard, the error would end the
    // process. It ends the response instead (src/server.ts).
    this.on('error', ignore);
    this.#source = source;
    const stream = this;
    this.#controller = {
      get desiredSize() {
        if (stream.destroyed || stream.errored) return null;
        return stream.#closed ? 0 : stream.readableHighWaterMark - stream.readableLength;
      },
      enqueue(chunk) {
        if (stream.#closed || stream.destroyed) throw new TypeError('The stream is closed');
        stream.#enqueued = true;
        stream.push(chunk);
      },
      close() {
        if (stream.#closed) throw new TypeError('The stream is closed');
        stream.#closed = true;
        stream.push(null);
      },
      error(reason) {
        stream.destroy(reason instanceof Error ? reason : new Error(String(reason)));
      },
    };
    let started: unknown;
    try {
      started = source.start?.(this.#controller);
    } catch (error) {
      this.destroy(error as Error);
      return;
    }
    if (isPromiseLike(started)) {
      this.#starting = started;
      started.then(
        () => {
          this.#starting = null;
          if (this.#wanted) this.#pull();
        },
        (error: unknown) => this.#controller.error(error),
      );
    }
  }

  override _read(): void {
    if (this.#pulling || this.#starting !== null) {
      this.#wanted = true;
      return;
    }
    this.#pull();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const cancel = this.#closed ? undefined : this.#source.cancel;
    this.#closed = true;
    if (cancel === undefined) return callback(error);
    let cancelled: unknown;
    try {
      cancelled = cancel.call(this.#source, error ?? undefined);
    } catch (thrown) {
      return callback(thrown as Error);
    }
    if (isPromiseLike(cancelled))
      cancelled.then(
        () => callback(error),
        (thrown: unknown) => callback(thrown as Error),
      );
    else callback(error);
  }

  #pull(): void {
    const pull = this.#source.pull;
    this.#wanted = false;
    if (pull === undefined || this.#closed || this.destroyed) return;
    this.#pulling = true;
    this.#enqueued = false;
    let pulled: unknown;
    try {
      pulled = pull.call(this.#source, this.#controller);
    } catch (error) {
      this.#controller.error(error);
      return;
    }
    if (isPromiseLike(pulled))
      pulled.then(
        () => this.#pulled(false),
        (error: unknown) => this.#controller.error(error),
      );
    else this.#pulled(true);
  }

  /**
   * A pull that gave nothing is followed by another, as a WHATWG stream does while it has room
   * (from the next turn when it gave nothing at once, so that it cannot spin without I/O).
   */
  #pulled(synchronously: boolean): void {
    if (synchronously && !this.#enqueued) {
      setImmediate(() => {
        this.#pulling = false;
        this.#pull();
      });
      return;
    }
    this.#pulling = false;
    if (this.#wanted || !this.#enqueued) this.#pull();
  }
}
