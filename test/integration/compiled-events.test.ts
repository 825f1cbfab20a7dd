// Subscriptions served from the compiled selection, over SSE from real servers: whatever a
// subscriber receives (each event, the end, an error of the source stream, the source stream
// closed when it leaves) is what the same server without the compiled events sends, event for
// event. A schema built for the purpose reaches what the gateway's cannot: a root resolver that
// answers at once (the gateway's error-wrapped resolvers always answer with a promise) and a
// source stream that throws (the gateway's turn every error into a typed event). The gateway's
// own streams are checked at the end.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  GraphQLError,
  GraphQLInt,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
} from 'graphql';
import { createYoga, isAsyncIterable, useExecutionCancellation, type Plugin } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { useCompiledEvents } from '../../src/plugins/use-compiled-events.ts';
import { subscribe } from '../support/sse.ts';
import { MODEL, startStack, type Stack } from '../support/stack.ts';

/** The events the compiled path hands to execution: each is one call of the executor's execute. */
const executed = vi.hoisted(() => ({ events: 0 }));
vi.mock('@graphql-tools/executor', async (importOriginal) => {
  const original = await importOriginal<typeof import('@graphql-tools/executor')>();
  return {
    ...original,
    execute: (...args: Parameters<typeof original.execute>) => {
      executed.events += 1;
      return original.execute(...args);
    },
  };
});

interface Tick {
  i: number;
  label?: unknown;
}

/** Source streams closed early, by name, so a test can wait for the client's leaving to reach them. */
const closed = new Set<string>();

/** A source stream of `ticks`, then its end, a throw, or (`hang`) a wait until it is closed. */
function source(name: string, ticks: Tick[], end: 'done' | 'hang' | Error = 'done') {
  let index = 0;
  let release: (() => void) | undefined;
  const iterator: AsyncIterableIterator<Tick> = {
    [Symbol.asyncIterator]: () => iterator,
    async next() {
      if (index < ticks.length) return { done: false, value: ticks[index++]! };
      if (end instanceof Error) throw end;
      if (end === 'hang') await new Promise<void>((resolve) => (release = resolve));
      return { done: true, value: undefined };
    },
    async return() {
      closed.add(name);
      release?.();
      return { done: true, value: undefined };
    },
  };
  return iterator;
}

const Tick = new GraphQLObjectType<Tick>({
  name: 'Tick',
  fields: {
    i: { type: new GraphQLNonNull(GraphQLInt) },
    label: { type: GraphQLString },
    sure: { type: new GraphQLNonNull(GraphQLString), resolve: (tick) => tick.label },
    later: { type: GraphQLString, resolve: (tick) => Promise.resolve(`later ${tick.i}`) },
  },
});
const ticks: Tick[] = [
  { i: 0, label: 'a' },
  { i: 1, label: null },
  { i: 2, label: 'c' },
];
const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { x: { type: GraphQLInt } } }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      // The event as it comes, answered at once.
      ticks: {
        type: new GraphQLNonNull(Tick),
        args: { from: { type: GraphQLInt } },
        subscribe: (_root, args: { from?: number | null }) =>
          source('ticks', ticks.slice(args.from ?? 0)),
        resolve: (tick: Tick) => tick,
      },
      // The same through a promise, as the gateway's error-wrapped resolvers answer.
      promised: {
        type: new GraphQLNonNull(Tick),
        subscribe: () => source('promised', ticks),
        resolve: (tick: Tick) => Promise.resolve(tick),
      },
      broken: {
        type: Tick,
        subscribe: () => source('broken', ticks.slice(0, 1), new Error('the source broke')),
        resolve: (tick: Tick) => tick,
      },
      many: {
        type: Tick,
        subscribe: () =>
          source(
            'many',
            ticks.slice(0, 1),
            new AggregateError([new Error('first'), new Error('second')], 'both broke'),
          ),
        resolve: (tick: Tick) => tick,
      },
      // An event that is no object: not compiled, the subscription runs as without the plugin.
      word: {
        type: GraphQLString,
        subscribe: () => source('word', ticks),
        resolve: (tick: Tick) => tick.label,
      },
      refused: {
        type: Tick,
        subscribe: () => {
          throw new Error('not for you');
        },
      },
      hanging: {
        type: Tick,
        subscribe: () => source('hanging', ticks.slice(0, 1), 'hang'),
        resolve: (tick: Tick) => tick,
      },
    },
  }),
});

/**
 * What a plugin after the compiled events sees of a source stream that throws: SSE alone only cuts
 * the response, so this one sends the error as a last event (as a product plugin could log it).
 */
const thrownAsEvent: Plugin = {
  onSubscribe: () => ({
    onSubscribeResult({ result, setResult }) {
      if (!isAsyncIterable(result)) return;
      setResult(
        (async function* () {
          try {
            yield* result;
          } catch (error) {
            const seen = (e: unknown) => ({
              message: (e as Error).message,
              graphql: e instanceof GraphQLError,
              original: (e as GraphQLError).originalError?.message ?? null,
              locations: (e as GraphQLError).locations ?? null,
            });
            yield {
              data: null,
              extensions: {
                thrown: seen(error),
                aggregate: error instanceof AggregateError ? error.errors.map(seen) : null,
              },
            };
          }
        })(),
      );
    },
  }),
};

interface Running {
  endpoint: string;
  server: Server;
}
async function serve(compiled: boolean, cancellation = true): Promise<Running> {
  const yoga = createYoga({
    schema,
    logging: false,
    plugins: [
      ...(cancellation ? [useExecutionCancellation()] : []),
      ...(compiled ? [useCompiledEvents()] : []),
      thrownAsEvent,
    ],
  });
  const server = createServer(yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}/graphql`, server };
}

/** Every payload the server sends for one subscription, until it completes the stream. */
async function received(
  endpoint: string,
  query: string,
  variables: Record<string, unknown> = {},
  operationName?: string,
) {
  const payloads: unknown[] = [];
  for await (const { payload } of subscribe(endpoint, query, variables, { operationName }))
    payloads.push(payload);
  return payloads;
}

let withCompiled: Running;
let without: Running;
/** With compiled events, but no execution signal (Yoga without execution cancellation). */
let noSignal: Running;
beforeAll(async () => {
  withCompiled = await serve(true);
  without = await serve(false);
  noSignal = await serve(true, false);
});
afterAll(async () => {
  for (const { server } of [withCompiled, without, noSignal]) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** What the subscriber receives from the server with compiled events; it must be the other's. */
async function same(query: string, variables?: Record<string, unknown>, operationName?: string) {
  const expected = await received(without.endpoint, query, variables, operationName);
  const actual = await received(withCompiled.endpoint, query, variables, operationName);
  expect(actual).toEqual(expected);
  return actual;
}

describe('compiled subscription events over SSE', () => {
  it('sends every event as execution would, those it answers and those it leaves to execution', async () => {
    const events = await same(
      'subscription($from: Int) { ticks(from: $from) { i label __typename } }',
      {
        from: 1,
      },
    );
    expect(events).toEqual([
      { data: { ticks: { i: 1, label: null, __typename: 'Tick' } } },
      { data: { ticks: { i: 2, label: 'c', __typename: 'Tick' } } },
    ]);
    // A non-null field null: execution's error, and a null that reaches data.
    const errors = await same('subscription { ticks { i sure } }');
    expect(errors[1]).toMatchObject({ data: null, errors: [{ path: ['ticks', 'sure'] }] });
    // A field whose resolver answers with a promise: executed, with its value.
    expect(await same('subscription { ticks { later } }')).toEqual([
      { data: { ticks: { later: 'later 0' } } },
      { data: { ticks: { later: 'later 1' } } },
      { data: { ticks: { later: 'later 2' } } },
    ]);
  });

  it('executes only the events it cannot answer exactly', async () => {
    executed.events = 0;
    await received(withCompiled.endpoint, 'subscription { ticks { i label } promised { i } }');
    await received(withCompiled.endpoint, 'subscription { ticks { i label } }');
    await received(withCompiled.endpoint, 'subscription { promised { i label __typename } }');
    expect(executed.events).toBe(0);
    // The tick whose label is null, where the selection says it cannot be: once each.
    await received(withCompiled.endpoint, 'subscription { ticks { i sure } }');
    await received(withCompiled.endpoint, 'subscription { promised { i sure } }');
    expect(executed.events).toBe(2);
  });

  it('runs what it does not compile as before, and a refused subscription as before', async () => {
    expect(await same('subscription { word }')).toEqual([
      { data: { word: 'a' } },
      { data: { word: null } },
      { data: { word: 'c' } },
    ]);
    // The subscribe resolver throws: no stream, one error answer, the same from both.
    const answer = (endpoint: string) =>
      received(endpoint, 'subscription { refused { i } }').then(
        () => 'a stream',
        (error: Error) => error.message,
      );
    const refused = await answer(withCompiled.endpoint);
    expect(refused).toBe(await answer(without.endpoint));
    expect(refused).toMatch(/answered 500.*"path":\["refused"\]/s);
  });

  it('serves a Yoga without execution cancellation alike', async () => {
    expect(await received(noSignal.endpoint, 'subscription { ticks { i label } }')).toEqual(
      await received(without.endpoint, 'subscription { ticks { i label } }'),
    );
  });

  it('sends the events of a root resolver that answers with a promise, and execution’s where the answer cannot be exact', async () => {
    expect(await same('subscription { promised { i label } }')).toHaveLength(3);
    const errors = await same('subscription { promised { i sure } }');
    expect(errors[1]).toMatchObject({ data: null, errors: [{ path: ['promised', 'sure'] }] });
  });

  it('reports a source stream that throws as execution does: located on the operation chosen', async () => {
    const broken = await same('subscription { broken { i } }');
    expect(broken).toEqual([
      { data: { broken: { i: 0 } } },
      {
        data: null,
        extensions: {
          thrown: {
            message: 'the source broke',
            graphql: true,
            original: 'the source broke',
            locations: [{ line: 1, column: 1 }],
          },
          aggregate: null,
        },
      },
    ]);
    const two = `subscription A { ticks { i } }\nsubscription B { broken { i } }`;
    const chosen = await same(two, {}, 'B');
    expect(chosen[1]).toMatchObject({
      extensions: { thrown: { locations: [{ line: 2, column: 1 }] } },
    });
    // A named operation sent without its name; a fragment defined before the operation.
    const named = await same('subscription Named { broken { i } }');
    expect(named[1]).toMatchObject({
      extensions: { thrown: { locations: [{ line: 1, column: 1 }] } },
    });
    const fragmentFirst = await same('fragment f on Tick { i }\nsubscription { broken { ...f } }');
    expect(fragmentFirst[1]).toMatchObject({
      extensions: { thrown: { locations: [{ line: 2, column: 1 }] } },
    });
    const many = await same('subscription { many { i } }');
    expect(many[1]).toMatchObject({
      extensions: {
        thrown: { message: 'both broke', graphql: false },
        aggregate: [
          {
            message: 'first',
            graphql: true,
            original: 'first',
            locations: [{ line: 1, column: 1 }],
          },
          { message: 'second', graphql: true },
        ],
      },
    });
  });

  it('closes the source stream when the subscriber leaves', async () => {
    for (const { endpoint } of [without, withCompiled]) {
      closed.delete('hanging');
      const controller = new AbortController();
      const events = subscribe(
        endpoint,
        'subscription { hanging { i } }',
        {},
        {
          signal: controller.signal,
        },
      );
      expect((await events.next()).value?.payload).toEqual({ data: { hanging: { i: 0 } } });
      controller.abort();
      await events.next().catch(() => undefined);
      await expect.poll(() => closed.has('hanging'), { timeout: 5000 }).toBe(true);
    }
  });
});

describe('the gateway’s streams', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack.close();
  });

  it('relay chunks, the Done event and typed errors with aliases, fragments and directives', async () => {
    const query = `subscription S($model: ID!, $withIndex: Boolean!) {
      s: completionStream(model: $model, prompt: "Once", maxTokens: 4) {
        kind: __typename
        ...chunk
        ... on CompletionDone { all: text choices { finishReason } }
        ... on GatewayError { code }
      }
    }
    fragment chunk on CompletionChunk { i: index @include(if: $withIndex) t: text text @skip(if: true) finishReason }`;
    const events = await received(stack.endpoint, query, { model: MODEL, withIndex: true });
    const values = events.map(
      (event) => (event as { data: { s: Record<string, unknown> } }).data.s,
    );
    const chunks = values.slice(0, -1);
    expect(chunks.length).toBeGreaterThan(0);
    for (const chunk of chunks) {
      expect(Object.keys(chunk)).toEqual(['kind', 'i', 't', 'finishReason']);
      expect(chunk.kind).toBe('CompletionChunk');
    }
    const done = values.at(-1)!;
    expect(done).toMatchObject({ kind: 'CompletionDone', choices: [{ finishReason: 'LENGTH' }] });
    expect(done.all).toBe(chunks.map((chunk) => chunk.t).join(''));
    const unknown = await received(stack.endpoint, query, {
      model: 'no/such-model',
      withIndex: false,
    });
    // The terminal event says it ends the stream (src/plugins/use-final-event.ts).
    expect(unknown).toEqual([
      { data: { s: { kind: 'ModelNotFoundError', code: 'MODEL_NOT_FOUND' } }, hasNext: false },
    ]);
  });
});
