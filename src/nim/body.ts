// Upstream response bodies, handled in one place: read within a byte limit, drained to keep the
// connection, or destroyed. Each first gets an error listener: undici's body emits 'error' when it
// is destroyed unread, cut or aborted, and with nobody listening that error ends the process.
import type { Dispatcher } from 'undici';

export type UpstreamBody = Dispatcher.ResponseData['body'];

/** A success body over the limit: refused whole, never half-parsed. */
export class BodyTooLarge extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`exceeded ${limit} bytes`);
    this.limit = limit;
  }
}

const guarded = new WeakSet<UpstreamBody>();

/** From here on, the body's errors are seen by whoever reads it, and never go unhandled. */
export function guard(body: UpstreamBody): UpstreamBody {
  if (!guarded.has(body)) {
    guarded.add(body);
    body.on('error', () => undefined);
  }
  return body;
}

/** The body will not be read: destroyed (the connection is closed). */
export function discard(body: UpstreamBody): void {
  guard(body);
  // Stryker disable next-line ConditionalExpression: destroying a destroyed body again does nothing.
  if (!body.destroyed) body.destroy();
}

/** The rest of a body that is done with: read off (at most `limit` bytes, for `ms`) so the connection can be reused, else destroyed. */
export function drain(body: UpstreamBody, limit: number, ms: number): void {
  guard(body);
  // Closed already (a body read to its end closes itself, as a stream's does after [DONE]):
  // nothing to read off, and no timer to make (its abort would build an error with a stack a
  // second later, for nothing).
  if (body.destroyed) return;
  body.dump({ limit, signal: AbortSignal.timeout(ms) }).catch(() => discard(body));
}

/** The whole body as text; over `limit` bytes it is destroyed and BodyTooLarge thrown. */
export async function readText(body: UpstreamBody, limit: number): Promise<string> {
  const { text, truncated } = await read(body, limit);
  if (truncated) throw new BodyTooLarge(limit);
  return text;
}

/** At most the first `limit` bytes as text (an error page: its start tells what went wrong); the rest is dropped. */
export function readExcerpt(
  body: UpstreamBody,
  limit: number,
): Promise<{ text: string; truncated: boolean }> {
  return read(body, limit);
}

async function read(
  body: UpstreamBody,
  limit: number,
): Promise<{ text: string; truncated: boolean }> {
  guard(body);
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (size + chunk.length > limit) {
        // Stryker disable next-line ArithmeticOperator: Buffer.concat(chunks, size) below cuts at the limit all the same.
        chunks.push(chunk.subarray(0, limit - size));
        size = limit;
        truncated = true;
        break;
      }
      chunks.push(chunk);
      size += chunk.length;
    }
    // Stryker disable next-line BlockStatement: leaving a for-await early already destroys the body (Node's stream iterator); the finally only stands guard should that change.
  } finally {
    // Leaving early (over the limit, or a read that failed) must not leave the body open.
    // Stryker disable next-line BooleanLiteral,ConditionalExpression,CallExpression: as above, the iterator has destroyed it already.
    if (!body.readableEnded) discard(body);
  }
  return { text: Buffer.concat(chunks, size).toString('utf8'), truncated };
}

/** What a body that closed before its end and without an error fails with (as Node's stream iterator does). */
function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}

/** Whatever can end a wait for the next read: data to read, the end, an error, the close. */
const CHANGES = ['readable', 'end', 'error', 'close'] as const;

/**
 * A body's reads, one at a time, for `for await`: what its own iterator with
 * `destroyOnReturn: false` gives (each read's bytes; the body's error, or a premature close, thrown;
 * leaving the loop early leaves the body open, to be drained), as one object with one listener.
 * Node's iterator is a generator and an end-of-stream watcher with seven listeners, which a held
 * stream keeps for its life (~1 KiB).
 */
export class BodyReads implements AsyncIterableIterator<Buffer> {
  readonly #body: UpstreamBody;
  #listening = false;
  #done = false;
  #wake: (() => void) | null = null;
  readonly #onChange = () => {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  };

  constructor(body: UpstreamBody) {
    this.#body = guard(body);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<Buffer>> {
    const body = this.#body;
    // As Node's iterator, it listens from the first read on: a reader never asked leaves the body
    // as it was (a `readable` listener would hold it paused, and a drain would never flow).
    if (!this.#listening && !this.#done) {
      this.#listening = true;
      for (const event of CHANGES) body.on(event, this.#onChange);
    }
    for (;;) {
      if (this.#done) return DONE;
      const bytes = body.destroyed ? null : (body.read() as Buffer | null);
      if (bytes !== null) return { value: bytes, done: false };
      if (body.readableEnded) return this.#stop();
      if (body.errored) throw this.#stopWith(body.errored);
      if (body.destroyed) throw this.#stopWith(prematureClose());
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /** The loop was left early: the body stays as it is, and a read still awaited ends. */
  return(): Promise<IteratorResult<Buffer>> {
    return Promise.resolve(this.#stop());
  }

  #stop(): IteratorResult<Buffer> {
    this.#done = true;
    this.#listening = false;
    // Removing a listener that was never added does nothing.
    for (const event of CHANGES) this.#body.off(event, this.#onChange);
    this.#onChange();
    return DONE;
  }

  #stopWith(error: unknown): unknown {
    this.#stop();
    return error;
  }
}

const DONE: IteratorResult<Buffer> = Object.freeze({ value: undefined, done: true });
