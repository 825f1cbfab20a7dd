// The stream useCompiledEvents answers a subscription with (AnsweredStream in
// src/plugins/use-compiled-events.ts), driven directly: the plugin's subscribe over a scripted
// source stream, with and without the request's signal. Each way a stream ends (its end, the
// client leaving, the consumer's return or throw, the source failing) closes what it should and
// leaves no listener on the signal.
import { getEventListeners } from 'node:events';
import {
  GraphQLError,
  GraphQLInt,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  parse,
  type ExecutionArgs,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { useCompiledEvents } from '../../src/plugins/use-compiled-events.ts';

interface Script {
  events: unknown[];
  /** After the events: end, fail with this error, or wait until closed. */
  then?: 'end' | 'wait' | Error;
  withReturn?: boolean;
  withThrow?: boolean;
}

/** A source stream that plays `script` and records what was asked of it. */
function scripted(script: Script) {
  const asked: string[] = [];
  let index = 0;
  let release: (() => void) | undefined;
  const source: AsyncIterator<unknown> & AsyncIterable<unknown> = {
    [Symbol.asyncIterator]: () => source,
    async next() {
      if (index < script.events.length) return { value: script.events[index++], done: false };
      if (script.then instanceof Error) throw script.then;
      if (script.then === 'wait') await new Promise<void>((resolve) => (release = resolve));
      return { value: undefined, done: true };
    },
  };
  if (script.withReturn !== false)
    source.return = async () => {
      asked.push('return');
      release?.();
      index = script.events.length;
      script.then = 'end';
      return { value: undefined, done: true };
    };
  if (script.withThrow)
    source.throw = async (error: unknown) => {
      asked.push(`throw ${(error as Error).message}`);
      return { value: undefined, done: true };
    };
  return { source, asked };
}

const Tick = new GraphQLObjectType({
  name: 'Tick',
  fields: {
    i: { type: new GraphQLNonNull(GraphQLInt) },
    later: {
      type: GraphQLString,
      resolve: (tick: { i: number }) => Promise.resolve(`later ${tick.i}`),
    },
  },
});

function schemaOf(source: AsyncIterable<unknown>) {
  return new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: { tick: { type: Tick, subscribe: () => source, resolve: (event: unknown) => event } },
    }),
  });
}

/** The plugin's subscribe for `query` over `script`; its stream, and what the source was asked. */
async function open(script: Script, query = 'subscription { tick { i } }', signal?: AbortSignal) {
  const { source, asked } = scripted(script);
  let subscribe: ((args: ExecutionArgs) => unknown) | undefined;
  const plugin = useCompiledEvents();
  (plugin.onSubscribe as (payload: unknown) => void)({
    subscribeFn: () => {
      throw new Error('not compiled');
    },
    setSubscribeFn: (fn: (args: ExecutionArgs) => unknown) => (subscribe = fn),
  });
  const args = { schema: schemaOf(source), document: parse(query), contextValue: {}, signal };
  const stream = (await subscribe!(args as ExecutionArgs)) as AsyncIterableIterator<{
    data?: unknown;
    errors?: readonly GraphQLError[];
  }>;
  return { stream, asked };
}

const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

describe('the compiled events stream', () => {
  it('answers each event, ends with its source, and leaves no listener on the signal', async () => {
    const signal = new AbortController().signal;
    const { stream } = await open({ events: [{ i: 1 }, { i: 2 }] }, undefined, signal);
    expect(listeners(signal)).toBe(1);
    expect(await stream.next()).toEqual({ value: { data: { tick: { i: 1 } } }, done: false });
    expect(await stream.next()).toEqual({ value: { data: { tick: { i: 2 } } }, done: false });
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    expect(listeners(signal)).toBe(0);
  });

  it('executes an event it cannot answer at once (a field that resolves later)', async () => {
    const { stream } = await open({ events: [{ i: 3 }] }, 'subscription { tick { i later } }');
    expect(await stream.next()).toEqual({
      value: { data: { tick: { i: 3, later: 'later 3' } } },
      done: false,
    });
    expect((await stream.next()).done).toBe(true);
  });

  it('closes its source when the client leaves, and stops listening', async () => {
    const controller = new AbortController();
    const { stream, asked } = await open(
      { events: [{ i: 1 }], then: 'wait' },
      undefined,
      controller.signal,
    );
    await stream.next();
    const waiting = stream.next();
    controller.abort();
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(asked).toEqual(['return']);
    expect(listeners(controller.signal)).toBe(0);
  });

  it('returns: the source is closed, or, with no return of its own, the stream just ends', async () => {
    const signal = new AbortController().signal;
    const closable = await open({ events: [{ i: 1 }], then: 'wait' }, undefined, signal);
    expect(await closable.stream.return!()).toEqual({ value: undefined, done: true });
    expect(closable.asked).toEqual(['return']);
    const bare = await open({ events: [{ i: 1 }], withReturn: false }, undefined, signal);
    expect(await bare.stream.return!()).toEqual({ value: undefined, done: true });
    expect(listeners(signal)).toBe(0);
  });

  it('throws into a source that takes it, else closes the source and fails with the error', async () => {
    const taking = await open({ events: [], withThrow: true });
    expect(await taking.stream.throw!(new Error('stop'))).toEqual({ value: undefined, done: true });
    expect(taking.asked).toEqual(['throw stop']);
    const signal = new AbortController().signal;
    const other = await open({ events: [], then: 'wait' }, undefined, signal);
    await expect(other.stream.throw!(new Error('stop'))).rejects.toThrow('stop');
    expect(other.asked).toEqual(['return']);
    expect(listeners(signal)).toBe(0);
    // A source with neither: the stream fails with the error all the same.
    const bare = await open({ events: [], withReturn: false });
    await expect(bare.stream.throw!(new Error('stop'))).rejects.toThrow('stop');
  });

  it('fails as execution reports a failing source: located on the operation; the source closed', async () => {
    const signal = new AbortController().signal;
    const { stream, asked } = await open(
      { events: [{ i: 1 }], then: new Error('source broke') },
      'subscription Ticks { tick { i } }',
      signal,
    );
    await stream.next();
    const failure = await stream.next().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(GraphQLError);
    expect((failure as GraphQLError).message).toBe('source broke');
    expect((failure as GraphQLError).locations).toEqual([{ line: 1, column: 1 }]);
    expect(asked).toEqual(['return']);
    expect(listeners(signal)).toBe(0);
  });
});
