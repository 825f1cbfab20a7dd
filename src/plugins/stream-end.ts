// The end of a subscription's stream, for the plugins that account for it (observability, rate
// limits): one wrapper per stream, however many plugins listen, instead of one each (envelop's
// onEnd and onSubscribeError each add a layer every event passes through).

/** `clientGone`: the reader closed the stream (return() or throw()) rather than it ending or failing. */
export type StreamEndListener = (clientGone: boolean) => void | Promise<void>;

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };
// A reader that closed the stream is not there to hear that a listener failed.
const ignore = () => {};

/** A listener's outcome as a promise, a listener that throws included: the others are told all the same. */
function heard(listener: StreamEndListener, clientGone: boolean): Promise<void> {
  try {
    return Promise.resolve(listener(clientGone));
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

class EndingStream<T> implements AsyncIterableIterator<T> {
  readonly #iterator: AsyncIterator<T>;
  readonly #listeners: StreamEndListener[];
  #ended: Promise<void> | null = null;
  // Bound once per stream: every step passes through these, with no closure per event.
  readonly #onStep = (step: IteratorResult<T>): IteratorResult<T> | Promise<IteratorResult<T>> =>
    step.done ? this.#end(false).then(() => step) : step;
  readonly #onError = (error: unknown): Promise<never> =>
    this.#end(false).then(() => {
      throw error;
    });

  constructor(source: AsyncIterable<T>, listener: StreamEndListener) {
    this.#iterator = source[Symbol.asyncIterator]();
    this.#listeners = [listener];
  }

  listen(listener: StreamEndListener): void {
    this.#listeners.push(listener);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    return this.#iterator.next().then(this.#onStep, this.#onError);
  }

  // The source is closed first (the relay's own clean-up runs whatever a listener does), then the
  // listeners hear of it.
  return(value?: unknown): Promise<IteratorResult<T>> {
    const returned = this.#iterator.return?.(value);
    this.#end(true).catch(ignore);
    return returned === undefined ? Promise.resolve(DONE) : returned;
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    const thrown = this.#iterator.throw
      ? this.#iterator.throw(error)
      : Promise.reject(error as Error);
    this.#end(true).catch(ignore);
    return thrown;
  }

  /** Every listener once, whichever way the stream ends first; the stream's last step waits for them. */
  #end(clientGone: boolean): Promise<void> {
    this.#ended ??= Promise.all(
      this.#listeners.map((listener) => heard(listener, clientGone)),
    ).then(() => undefined);
    return this.#ended;
  }
}

/**
 * Calls `listener` once when the subscription's stream ends by itself, fails, or is closed by its
 * reader. The first plugin to listen wraps the stream (through onSubscribeResult's `setResult`);
 * the next ones join that wrapper.
 */
export function whenStreamEnds<T>(
  result: AsyncIterable<T>,
  setResult: (result: AsyncIterableIterator<T>) => void,
  listener: StreamEndListener,
): void {
  if (result instanceof EndingStream) result.listen(listener);
  else setResult(new EndingStream(result, listener));
}
