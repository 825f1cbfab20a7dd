// The compiled subscription events on a schema built for the purpose: every kind of field the
// gateway's schema may grow (lists, enums, custom scalars, nested objects, resolvers that read
// their arguments, context and info, promises, errors, isTypeOf, interfaces), each event compared
// with what @graphql-tools/executor gives for it as root value. Where the compiled functions
// answer, the answer must be execution's; where they cannot be exact, they must decline, so the
// event is executed.
import { execute } from '@graphql-tools/executor';
import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLInt,
  GraphQLInterfaceType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  GraphQLUnionType,
  parse,
  type ExecutionResult,
  type GraphQLResolveInfo,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { compileEvents, UNANSWERED } from '../../src/plugins/compiled-events.ts';

const Color = new GraphQLEnumType({
  name: 'Color',
  values: { RED: { value: 'r' }, GREEN: { value: 'g' } },
});
/** A custom scalar: a number of seconds as "12s"; undefined for "void", a throw for anything else. */
/** A custom scalar that serializes anything as text: an Error too, which execution never serializes. */
const Text = new GraphQLScalarType({ name: 'Text', serialize: (value) => String(value) });
const Seconds = new GraphQLScalarType({
  name: 'Seconds',
  serialize: (value) => {
    if (value === 'void') return undefined;
    if (typeof value !== 'number') throw new TypeError(`not seconds: ${String(value)}`);
    return `${value}s`;
  },
});

/** Where a resolver ran, as its info says: the path (with its typenames) and what surrounds it. */
const whereFrom = (info: GraphQLResolveInfo, context: unknown) => {
  const path: unknown[] = [];
  for (let at: GraphQLResolveInfo['path'] | undefined = info.path; at; at = at.prev)
    path.unshift([at.key, at.typename ?? null]);
  return JSON.stringify({
    path,
    field: info.fieldName,
    parent: info.parentType.name,
    returns: String(info.returnType),
    nodes: info.fieldNodes.map((node) => node.alias?.value ?? node.name.value),
    operation: info.operation.name?.value ?? null,
    variables: info.variableValues,
    fragments: Object.keys(info.fragments),
    root: (info.rootValue as { tag?: unknown } | null)?.tag ?? null,
    sameSchema: info.schema === schema,
    context: (context as { who?: unknown }).who ?? null,
    signal: (info as { signal?: AbortSignal }).signal === signal,
  });
};

/** The values below the event: plain objects. */
type Source = Record<string, unknown>;
const NamedType: GraphQLInterfaceType = new GraphQLInterfaceType({
  name: 'Named',
  fields: { name: { type: GraphQLString } },
  resolveType: () => 'Item',
});
const Checked = new GraphQLObjectType({
  name: 'Checked',
  fields: { ok: { type: GraphQLString } },
  isTypeOf: (value) => (value as { ok?: unknown }).ok === 'yes',
});
const Item: GraphQLObjectType = new GraphQLObjectType<Source>({
  name: 'Item',
  interfaces: [NamedType],
  fields: () => ({
    name: { type: new GraphQLNonNull(GraphQLString) },
    color: { type: Color },
    seconds: { type: Seconds },
    tags: { type: new GraphQLList(new GraphQLNonNull(GraphQLString)) },
    where: {
      type: GraphQLString,
      resolve: (_source, _args, context, info) => whereFrom(info, context),
    },
    // A resolver that declares no info: it gets none, and the path still reaches `where` below.
    child: { type: Item, resolve: (source) => source.child },
    greet: {
      type: GraphQLString,
      args: { to: { type: new GraphQLNonNull(GraphQLString) }, times: { type: GraphQLInt } },
      resolve: (_source, args: { to: string; times?: number | null }) =>
        `hello ${args.to}`.repeat(args.times ?? 1),
    },
    later: { type: Item, resolve: (source) => Promise.resolve(source.child) },
    boom: {
      type: GraphQLString,
      resolve: () => {
        throw new Error('boom');
      },
    },
    named: { type: NamedType, resolve: (source) => source },
    namedSure: { type: new GraphQLNonNull(NamedType), resolve: (source) => source },
    nameds: { type: new GraphQLList(NamedType), resolve: (source) => [source] },
    note: { type: Text },
    // Its argument is required, and the resolver does not read it: only execution refuses its absence.
    flag: {
      type: GraphQLString,
      args: { on: { type: new GraphQLNonNull(GraphQLBoolean) } },
      resolve: () => 'set',
    },
    checked: { type: Checked, resolve: (source) => source.checked },
  }),
});
const Event = new GraphQLObjectType({
  name: 'Event',
  fields: {
    id: { type: new GraphQLNonNull(GraphQLInt) },
    item: { type: Item },
    items: { type: new GraphQLList(Item) },
    ids: { type: new GraphQLList(new GraphQLList(GraphQLInt)) },
    where: {
      type: GraphQLString,
      resolve: (_source, _args, context, info) => whereFrom(info, context),
    },
  },
});
const Other = new GraphQLObjectType({ name: 'Other', fields: { note: { type: GraphQLString } } });
const Either = new GraphQLUnionType({
  name: 'Either',
  types: [Event, Other],
  resolveType: (value: { kind?: unknown }) => {
    if (value.kind === 'throw') throw new Error('no type');
    return value.kind as string;
  },
});

const identity = (event: unknown) => event;
const Subscription = new GraphQLObjectType<Source | null>({
  name: 'Subscription',
  fields: {
    event: {
      type: Event,
      args: { bump: { type: GraphQLInt } },
      resolve: (event, args: { bump?: number | null }) =>
        event !== null && typeof event === 'object' && args.bump != null
          ? { ...event, id: ((event.id as number | undefined) ?? 0) + args.bump }
          : event,
    },
    required: { type: new GraphQLNonNull(Event), resolve: identity },
    either: { type: new GraphQLNonNull(Either), resolve: identity },
    // No resolver: the event's own `wrapped` property, as the default resolver reads it.
    wrapped: { type: Event },
    later: {
      type: Event,
      resolve: (event) =>
        event?.fail ? Promise.reject(new Error('later')) : Promise.resolve(event),
    },
    throws: {
      type: Event,
      resolve: () => {
        throw new Error('no event');
      },
    },
    needs: {
      type: Event,
      args: { n: { type: new GraphQLNonNull(GraphQLInt) } },
      resolve: identity,
    },
    word: { type: GraphQLString, resolve: identity },
  },
});
const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { x: { type: GraphQLInt } } }),
  subscription: Subscription,
  types: [Item, Other],
});

const signal = new AbortController().signal;
const context = { who: 'the caller' };

const args = (source: string, variables: Record<string, unknown> = {}, operationName?: string) => ({
  schema,
  document: parse(source),
  variableValues: variables,
  contextValue: context,
  operationName,
  signal,
});

/** Execution's answer to one event, as JSON (what a client receives). */
const executed = async (
  source: string,
  event: unknown,
  variables?: Record<string, unknown>,
  operationName?: string,
) =>
  JSON.stringify(
    await (execute({ ...args(source, variables, operationName), rootValue: event }) as
      ExecutionResult | Promise<ExecutionResult>),
  );

/** The compiled answer to one event, as JSON, or UNANSWERED. */
async function compiledAnswer(
  source: string,
  event: unknown,
  variables?: Record<string, unknown>,
  operationName?: string,
): Promise<string | typeof UNANSWERED> {
  const compiled = compileEvents(args(source, variables, operationName));
  expect(compiled, 'the subscription compiles').not.toBeNull();
  const answer = await compiled!.answer(event);
  return answer === UNANSWERED ? UNANSWERED : JSON.stringify(answer);
}

/** The compiled functions answer this event themselves, exactly as execution does. */
async function answers(
  source: string,
  event: unknown,
  variables?: Record<string, unknown>,
  operationName?: string,
) {
  const expected = await executed(source, event, variables, operationName);
  expect(await compiledAnswer(source, event, variables, operationName)).toBe(expected);
  return JSON.parse(expected) as ExecutionResult;
}

/** The compiled functions leave this event to execution; what execution makes of it is returned. */
async function declines(source: string, event: unknown, variables?: Record<string, unknown>) {
  expect(await compiledAnswer(source, event, variables)).toBe(UNANSWERED);
  return JSON.parse(await executed(source, event, variables)) as ExecutionResult;
}

const item = (fields: Record<string, unknown> = {}) => ({
  name: 'a',
  color: 'r',
  seconds: 3,
  tags: ['x', 'y'],
  ...fields,
});

describe('compiled events on every kind of field', () => {
  it('answer scalars, enums, custom scalars, lists and nested objects as execution does', async () => {
    const source = `subscription { event {
      id __typename
      item { name color seconds tags __typename t: __typename }
      items { name color child { name tags } }
      ids
    } }`;
    const result = await answers(source, {
      id: 1,
      item: item(),
      items: [
        item({ color: 'g', child: item({ name: 'b', tags: null }) }),
        null,
        item({ child: null }),
      ],
      ids: [[1, 2], null, []],
    });
    // Not vacuous: the values went through the serializers.
    expect(result.data).toMatchObject({
      event: { item: { color: 'RED', seconds: '3s', t: 'Item' }, ids: [[1, 2], null, []] },
    });
    // Nulls where they may be, and an empty list.
    await answers(source, { id: 2, item: null, items: [], ids: null });
    await answers(source, {
      id: 3,
      item: item({ color: null, seconds: null, tags: [] }),
      items: null,
    });
  });

  it('pass each resolver its arguments, the context and the info execution passes, down to list items', async () => {
    const source = `subscription On($who: String = "you", $times: Int) {
      event(bump: 10) {
        id
        where
        items { w: where child { greet(to: $who, times: $times) child { where } } }
        item { ...f }
      }
    }
    fragment f on Item { where greet(to: "me") }`;
    const event = {
      tag: 'event-7',
      id: 1,
      item: item(),
      items: [item(), item({ child: item({ child: item() }) })],
    };
    const result = await answers(source, event, { times: 2 }, 'On');
    const data = result.data as { event: Record<string, any> };
    expect(data.event.id).toBe(11);
    expect(data.event.items[1].child.greet).toBe('hello youhello you');
    expect(JSON.parse(data.event.items[1].child.child.where).path).toEqual([
      ['event', 'Subscription'],
      ['items', 'Event'],
      [1, null],
      ['child', 'Item'],
      ['child', 'Item'],
      ['where', 'Item'],
    ]);
    expect(JSON.parse(data.event.where)).toMatchObject({
      root: 'event-7',
      context: 'the caller',
      signal: true,
      operation: 'On',
      fragments: ['f'],
    });
    // The same operation chosen by name among several.
    const two = `${source}\nsubscription Other { wrapped { id } }`;
    await answers(two, event, { times: 1 }, 'On');
    await answers(two, { wrapped: { id: 2 } }, {}, 'Other');
  });

  it('answer without variables given, and a custom scalar’s text', async () => {
    const document = parse('subscription { event { id item { note } } }');
    const compiled = compileEvents({ schema, document, contextValue: context });
    const event = { id: 1, item: item({ note: 12 }) };
    expect(await compiled!.answer(event)).toEqual({
      data: { event: { id: 1, item: { note: '12' } } },
    });
  });

  it('answer the root field from the default resolver, and a null where the event may be null', async () => {
    await answers('subscription { wrapped { id where } }', { tag: 't', wrapped: { id: 4 } });
    await answers('subscription { wrapped { id } }', { wrapped: null });
    await answers('subscription { event { id } }', null);
  });

  it('answer a union event by its resolved type, and a promise of the event when the root resolver returns one', async () => {
    const source = `subscription { either { __typename ... on Event { id } ... on Other { note } } }`;
    await answers(source, { kind: 'Event', id: 5 });
    await answers(source, { kind: 'Other', note: 'n' });
    // Twice the same type: the second event is answered as the first.
    await answers(source, { kind: 'Event', id: 6 });
    const compiled = compileEvents(args('subscription { later { id } }'));
    const answer = compiled!.answer({ id: 8 });
    expect(answer).toBeInstanceOf(Promise);
    expect(await answer).toEqual({ data: { later: { id: 8 } } });
  });

  it('decline what execution answers with an error or a null it propagates', async () => {
    const source = 'subscription { event { id item { name color seconds tags } } }';
    // A null where none may be: in the event, in an object, in a list.
    expect((await declines(source, { id: null })).errors).toHaveLength(1);
    await declines(source, { id: 1, item: item({ name: null }) });
    await declines(source, { id: 1, item: item({ tags: ['x', null] }) });
    // A value the enum or the custom scalar cannot serialize, or serializes to nothing.
    await declines(source, { id: 1, item: item({ color: 'blue' }) });
    await declines(source, { id: 1, item: item({ seconds: 'soon' }) });
    await declines(source, { id: 1, item: item({ seconds: 'void' }) });
    // An Error returned as a value, for a leaf, an object, a list, the event itself.
    await declines(source, { id: new Error('id'), item: null });
    await declines(source, { id: 1, item: new Error('item') });
    await declines(source, { id: 1, item: item({ tags: new Error('tags') }) });
    await declines('subscription { event { id } }', new Error('event'));
    await declines('subscription { event { item { name } } }', new Error('event'));
    await declines('subscription { event { item { note } } }', {
      item: item({ note: new Error('n') }),
    });
    // Something that is not a list where a list is asked for.
    await declines(source, { id: 1, item: item({ tags: 'x' }) });
    await declines('subscription { event { items { name } } }', {
      items: { length: 1, 0: item() },
    });
    // A list item that cannot be answered.
    await declines('subscription { event { items { name } } }', {
      items: [item(), item({ name: null })],
    });
    // A resolver that throws, or returns a promise, below the event.
    await declines('subscription { event { item { name boom } } }', { id: 1, item: item() });
    await declines('subscription { event { item { later { color } } } }', {
      item: item({ child: item({ name: 'in a promise' }) }),
    });
    // The non-null root field null or an error.
    await declines('subscription { required { id } }', null);
    await declines('subscription { required { id } }', new Error('no'));
  });

  it('decline the root resolver’s throw and rejection, and a union member it cannot resolve', async () => {
    await declines('subscription { throws { id } }', { id: 1 });
    await declines('subscription { later { id } }', { id: 1, fail: true });
    const source = 'subscription { either { ... on Event { id } } }';
    // resolveType throws, names no type, a type outside the union, or a type that is no object.
    await declines(source, { kind: 'throw' });
    await declines(source, { kind: undefined });
    await declines(source, { kind: 'Item', name: 'a' });
    await declines(source, { kind: 'Color' });
    await declines(source, { kind: 'Nothing' });
  });

  it('decline selections it does not compile: an interface below the event, an isTypeOf check, an unknown field, a missing argument', async () => {
    await declines('subscription { event { item { named { name } } } }', { item: item() });
    await declines('subscription { event { item { namedSure { name } } } }', { item: item() });
    await declines('subscription { event { item { nameds { name } } } }', { item: item() });
    // isTypeOf would refuse this value: execution answers an error, so the compiled path must not answer.
    const refused = await declines('subscription { event { item { checked { ok } } } }', {
      item: item({ checked: { ok: 'no' } }),
    });
    expect(refused.errors).toHaveLength(1);
    await declines('subscription { event { item { checked { ok } } } }', {
      item: item({ checked: { ok: 'yes' } }),
    });
    // Documents that validation would refuse; execution still answers them, and so must the fallback.
    await declines('subscription { event { id nope } }', { id: 1 });
    await declines('subscription { event { item { greet } } }', { item: item() });
    await declines('subscription { event { item { flag } } }', { item: item() });
  });

  it('does not compile operations it cannot: no subscription, two root fields, an unknown root field, a missing root argument', () => {
    expect(compileEvents(args('query { x }'))).toBeNull();
    expect(compileEvents(args('subscription { word event { id } }'))).toBeNull();
    expect(compileEvents(args('subscription { event { id } wrapped { id } }'))).toBeNull();
    // A variable of the wrong type, though only a field below the event reads it.
    expect(
      compileEvents(
        args('subscription($n: Int) { event { item { greet(to: "x", times: $n) } } }', {
          n: 'many',
        }),
      ),
    ).toBeNull();
    expect(compileEvents(args('subscription { nothing }'))).toBeNull();
    expect(compileEvents(args('subscription { needs { id } }'))).toBeNull();
    expect(compileEvents(args('subscription { needs(n: 1) { id } }'))).not.toBeNull();
    expect(compileEvents(args('subscription { wrapped { id } }', {}, 'Missing'))).toBeNull();
    // An event that is no object: a string.
    expect(compileEvents(args('subscription { word }'))).toBeNull();
    const noSubscriptions = new GraphQLSchema({ query: schema.getQueryType() });
    expect(
      compileEvents({ ...args('subscription { wrapped { id } }'), schema: noSubscriptions }),
    ).toBeNull();
  });
});
