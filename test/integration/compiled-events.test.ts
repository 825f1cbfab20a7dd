// Subscriptions served from the compiled selection, over SSE from real servers: whatever a
// subscriber receives (each event, the end, the source stream closed when it leaves) is what the
// same server without the compiled events sends, event for event. A schema built for the purpose
// reaches what the gateway's cannot (a root resolver that answers at once, whose error-wrapped
// resolvers always answer with a promise); the gateway's own streams are checked at the end.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  GraphQLInt,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
} from 'graphql';
import { createYoga, useExecutionCancellation } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCompiledEvents } from '../../src/plugins/use-compiled-events.ts';
import { subscribe } from '../support/sse.ts';
import { MODEL, startStack, type Stack } from '../support/stack.ts';

interface Tick {
  i: number;
  label?: unknown;
}

/** Source streams closed early, by name, so a test can wait for the client's leaving to reach them. */
const closed = new Set<string>();

/** A source stream of `ticks`, then its end, or (`hang`) a wait until it is closed. */
function source(name: string, ticks: Tick[], end: 'done' | 'hang' = 'done') {
  let index = 0;
  let release: (() => void) | undefined;
  const iterator: AsyncIterableIterator<Tick> = {
    [Symbol.asyncIterator]: () => iterator,
    async next() {
      if (index < ticks.length) return { done: false, value: ticks[index++]! };
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
      hanging: {
        type: Tick,
        subscribe: () => source('hanging', ticks.slice(0, 1), 'hang'),
        resolve: (tick: Tick) => tick,
      },
    },
  }),
});

interface Running {
  endpoint: string;
  server: Server;
}
async function serve(compiled: boolean): Promise<Running> {
  const yoga = createYoga({
    schema,
    logging: false,
    plugins: [useExecutionCancellation(), ...(compiled ? [useCompiledEvents()] : [])],
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
beforeAll(async () => {
  withCompiled = await serve(true);
  without = await serve(false);
});
afterAll(async () => {
  for (const { server } of [withCompiled, without]) {
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

  it('sends the events of a root resolver that answers with a promise, and execution’s where the answer cannot be exact', async () => {
    expect(await same('subscription { promised { i label } }')).toHaveLength(3);
    const errors = await same('subscription { promised { i sure } }');
    expect(errors[1]).toMatchObject({ data: null, errors: [{ path: ['promised', 'sure'] }] });
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
    expect(unknown).toEqual([
      { data: { s: { kind: 'ModelNotFoundError', code: 'MODEL_NOT_FOUND' } } },
    ]);
  });
});
