// Subscriptions whose events are answered by the compiled selection (./compiled-events.ts) instead
// of an execution per event: the same source stream, the same results; an event the compiled
// functions cannot answer exactly is executed as the executor would (@graphql-tools/executor, with
// the event as root value). Everything around the stream (the plugins' subscribe hooks, their
// wrappers on the result, cancellation) stays as it was.
import { execute } from '@graphql-tools/executor';
import { createSourceEventStream, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { createGraphQLError, isAsyncIterable, isPromise, type Plugin } from 'graphql-yoga';
import { compileEvents, UNANSWERED, type CompiledEvents } from './compiled-events.ts';

type Subscribe = (args: ExecutionArgs) => unknown;
type Event = ExecutionResult | Promise<ExecutionResult>;

/** An error of the source stream as the executor reports it: located on the operation. */
function sourceError(error: unknown, args: ExecutionArgs): Error {
  const operation = args.document.definitions.find(
    (definition) =>
      definition.kind === 'OperationDefinition' &&
      (args.operationName == null || definition.name?.value === args.operationName),
  );
  const wrap = (e: unknown) =>
    createGraphQLError((e as Error).message, {
      originalError: e as Error,
      nodes: operation ? [operation] : undefined,
    });
  if (error instanceof AggregateError)
    return new AggregateError(error.errors.map(wrap), error.message);
  return wrap(error);
}

const step = (value: ExecutionResult): IteratorResult<ExecutionResult> => ({ value, done: false });

/**
 * The source stream with each event answered: compiled when it can be, else executed as the
 * executor maps a source event (with the event as root value). What `mapAsyncIterator(source,
 * answer, sourceError, stopListening)` gave, as one object whose steps are its methods: no
 * closures per stream beyond two, no promise helpers per event. As the executor does, the client
 * leaving (the request's signal) closes the source. (Over Yoga's SSE and graphql-sse the response
 * being cancelled returns the stream as well, so no client tells.)
 */
class AnsweredStream implements AsyncIterableIterator<ExecutionResult> {
  readonly #source: AsyncIterator<unknown>;
  readonly #args: ExecutionArgs;
  readonly #compiled: CompiledEvents;
  readonly #signal: AbortSignal | undefined;
  readonly #onStep = (result: IteratorResult<unknown>) => this.#answerStep(result);
  /** The source failed: closed (as the executor's mapping does), and the stream fails as the executor reports it. */
  readonly #onError = (error: unknown): Promise<never> =>
    this.#closeWith(sourceError(error, this.#args));

  constructor(source: AsyncIterator<unknown>, args: ExecutionArgs, compiled: CompiledEvents) {
    this.#source = source;
    this.#args = args;
    this.#compiled = compiled;
    this.#signal = (args as { signal?: AbortSignal }).signal;
    // Stryker disable next-line ObjectLiteral,BooleanLiteral: the cancelled response returns the stream too (see above)
    this.#signal?.addEventListener('abort', this, { once: true });
  }

  /** The signal's abort: the client left. */
  handleEvent(): void {
    // Stryker disable next-line OptionalChaining: the cancelled response returns the stream too (see above)
    void this.#source.return?.();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    return this.#source.next().then(this.#onStep, this.#onError);
  }

  return(): Promise<IteratorResult<ExecutionResult>> {
    const returned = this.#source.return?.();
    if (returned === undefined) {
      this.#stopListening();
      return Promise.resolve({ value: undefined, done: true });
    }
    return returned.then(this.#onStep, this.#onError);
  }

  throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    if (this.#source.throw) return this.#source.throw(error).then(this.#onStep, this.#onError);
    return this.#closeWith(error);
  }

  #answerStep(
    result: IteratorResult<unknown>,
  ): IteratorResult<ExecutionResult> | Promise<IteratorResult<ExecutionResult>> {
    if (result.done) {
      this.#stopListening();
      return result;
    }
    let answer: Event;
    try {
      answer = this.#answer(result.value);
    } catch (error) {
      return this.#closeWith(error);
    }
    if (isPromise(answer)) return answer.then(step, (error: unknown) => this.#closeWith(error));
    return step(answer);
  }

  #answer(event: unknown): Event {
    const answer = this.#compiled.answer(event);
    if (answer === UNANSWERED) return this.#execute(event);
    if (isPromise(answer))
      return answer.then((settled) => (settled === UNANSWERED ? this.#execute(event) : settled));
    return answer;
  }

  #execute(event: unknown): Event {
    return execute({ ...this.#args, rootValue: event }) as Event;
  }

  /** An event could not be answered: the source is closed, and the stream fails with the error. */
  #closeWith(error: unknown): Promise<never> {
    this.#stopListening();
    const rethrow = (): never => {
      throw error;
    };
    return Promise.resolve(this.#source.return?.()).then(rethrow, rethrow);
  }

  /** The stream is over, whichever way: the signal has nothing left to close (a listener removed twice is removed once). */
  #stopListening(): void {
    this.#signal?.removeEventListener('abort', this);
  }
}

function subscribeCompiled(args: ExecutionArgs, original: Subscribe): unknown {
  const compiled = compileEvents(args);
  if (compiled === null) return original(args);
  const stream = (source: Awaited<ReturnType<typeof createSourceEventStream>>) =>
    isAsyncIterable(source)
      ? new AnsweredStream(source[Symbol.asyncIterator](), args, compiled)
      : source;
  const source = createSourceEventStream(args);
  return isPromise(source) ? source.then(stream) : stream(source);
}

/** Serves subscription events from the compiled selection; anything it cannot compile runs as before. */
export function useCompiledEvents(): Plugin {
  return {
    onSubscribe({ subscribeFn, setSubscribeFn }) {
      setSubscribeFn((args) => subscribeCompiled(args, subscribeFn as Subscribe) as never);
    },
  };
}
