// Subscriptions whose events are answered by the compiled selection (./compiled-events.ts) instead
// of an execution per event: the same source stream, the same results; an event the compiled
// functions cannot answer exactly is executed as the executor would (@graphql-tools/executor, with
// the event as root value). Everything around the stream (the plugins' subscribe hooks, their
// wrappers on the result, cancellation) stays as it was.
import { execute } from '@graphql-tools/executor';
import { createSourceEventStream, type ExecutionArgs, type ExecutionResult } from 'graphql';
import {
  createGraphQLError,
  isAsyncIterable,
  isPromise,
  mapAsyncIterator,
  type Plugin,
} from 'graphql-yoga';
import { compileEvents, UNANSWERED, type CompiledEvents } from './compiled-events.ts';

type Subscribe = (args: ExecutionArgs) => unknown;
type Event = ExecutionResult | Promise<ExecutionResult>;

/** One event: compiled when it can be, else executed as the executor maps a source event. */
function answerer(args: ExecutionArgs, compiled: CompiledEvents): (event: unknown) => Event {
  const executeEvent = (event: unknown) =>
    execute({ ...args, rootValue: event }) as ExecutionResult | Promise<ExecutionResult>;
  return (event) => {
    const answer = compiled.answer(event);
    if (answer === UNANSWERED) return executeEvent(event);
    if (isPromise(answer))
      return answer.then((settled) => (settled === UNANSWERED ? executeEvent(event) : settled));
    return answer;
  };
}

/** As the executor reports an error of the source stream: located on the operation. */
function sourceError(error: unknown, args: ExecutionArgs): never {
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
    throw new AggregateError(error.errors.map(wrap), error.message);
  throw wrap(error);
}

function subscribeCompiled(args: ExecutionArgs, original: Subscribe): unknown {
  const compiled = compileEvents(args);
  if (compiled === null) return original(args);
  const signal = (args as { signal?: AbortSignal }).signal;
  const stream = (source: Awaited<ReturnType<typeof createSourceEventStream>>) => {
    if (!isAsyncIterable(source)) return source;
    const iterator = source[Symbol.asyncIterator]();
    // As the executor does: the client leaving closes the source stream. (Over Yoga's SSE and
    // graphql-sse the response being cancelled returns the stream as well, so no client tells.)
    // Stryker disable next-line ArrowFunction,OptionalChaining: the cancelled response returns the stream too (see above)
    const onAbort = () => void iterator.return?.();
    // Stryker disable next-line StringLiteral,ObjectLiteral,BooleanLiteral: the cancelled response returns the stream too (see above)
    signal?.addEventListener('abort', onAbort, { once: true });
    return mapAsyncIterator(
      iterator,
      answerer(args, compiled),
      (error: unknown) => sourceError(error, args),
      // Stryker disable next-line ArrowFunction,StringLiteral: a listener left behind fires at most a return of a finished stream
      () => signal?.removeEventListener('abort', onAbort),
    );
  };
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
