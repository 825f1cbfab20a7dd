// The compiled subscription events against execution: for every selection and event below, the
// compiled answer (or, where it declines, the execution it falls back to) is exactly what
// @graphql-tools/executor gives for that event as root value, and the compiled functions answer
// the events they should (chunks) instead of quietly leaving everything to execution.
import { readFileSync } from 'node:fs';
import { execute } from '@graphql-tools/executor';
import {
  GraphQLInt,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  parse,
  type ExecutionResult,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { compileEvents, UNANSWERED } from '../../src/plugins/compiled-events.ts';
import { UpstreamTimeoutError, RateLimitedError } from '../../src/schema/failures.ts';
import { schema } from '../../src/schema/index.ts';

const delta = (fields: Record<string, unknown> = {}) => ({
  index: 0,
  text: 'Once',
  role: null,
  reasoning: null,
  finish_reason: null,
  logprobs: null,
  ...fields,
});
const logprobs = [
  {
    token: ' upon',
    logprob: -0.25,
    top: [
      { token: ' upon', logprob: -0.25 },
      { token: ' in', logprob: -2.5 },
    ],
  },
  { token: ' a', logprob: null, top: [] },
];
const usage = { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 };
const completionDone = {
  id: 'cmpl-1',
  created: 1_700_000_000,
  model: 'sim/model',
  usage,
  choices: [{ index: 0, text: 'Once upon', finish_reason: 'length', logprobs: null }],
  responseFormat: null,
};
const chatDone = {
  id: 'chatcmpl-1',
  created: 1_700_000_000,
  model: 'sim/model',
  usage,
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'Hi', reasoning_content: null },
      finish_reason: 'stop',
      logprobs: null,
    },
  ],
  responseFormat: null,
};

/** Chunks the compiled functions must answer themselves. */
const chunks = [
  delta(),
  delta({ index: 2, text: '', finish_reason: 'stop' }),
  delta({ finish_reason: 'length', logprobs }),
  delta({ finish_reason: 'something new' }),
  delta({ role: 'assistant', reasoning: 'thinking' }),
  delta({ role: 'tool', text: ' there' }),
];
/** Events left to execution: a null where none may be, a value that does not serialise. */
const unusual = [
  delta({ text: null }),
  delta({ index: 'first' }),
  delta({ logprobs: [{ token: 'x', logprob: 'high', top: [] }] }),
];
/** The terminal typed errors, as the errors plugin yields them. */
const failures = [
  new UpstreamTimeoutError('no first token within 1000 ms', 'FIRST_TOKEN'),
  new RateLimitedError('slow down', 3),
];

const operation = (name: string) =>
  readFileSync(new URL(`../../examples/operations/${name}.graphql`, import.meta.url), 'utf8');

const completionVariables = { model: 'sim/model', prompt: 'Once', maxTokens: 16 };
const chatVariables = { model: 'sim/model', messages: [{ role: 'USER', content: 'Hi' }] };
const documents: [string, string, Record<string, unknown>, unknown[]][] = [
  [
    'the example completionStream',
    operation('completionStream'),
    completionVariables,
    [completionDone],
  ],
  ['the example chatStream', operation('chatStream'), chatVariables, [chatDone]],
  [
    'aliases, __typename inside fragments, nested logprobs, a field asked twice',
    `subscription($m: ID!) {
      s: completionStream(model: $m, prompt: "p") {
        kind: __typename
        ... on CompletionChunk {
          i: index text t2: text
          why: finishReason
          lp: logprobs { token p: logprob alts: topLogprobs { token logprob __typename } }
          text
        }
        ... on GatewayError { code message }
      }
    }`,
    { m: 'sim/model' },
    [completionDone],
  ],
  [
    'named and nested fragments, a fragment on the interface, @include and @skip by variable',
    `subscription Chat($m: ID!, $withRole: Boolean!, $noText: Boolean = false) {
      chatStream(model: $m, messages: []) { ...event }
    }
    fragment event on ChatStreamEvent {
      __typename
      ... on ChatChunk { ...chunk role @include(if: $withRole) }
      ... on Generation { id }
      ... on GatewayError { code }
    }
    fragment chunk on ChatChunk {
      index
      content @skip(if: $noText)
      reasoningContent
      finishReason
      ... { logprobs { token } }
    }`,
    { m: 'sim/model', withRole: true },
    [chatDone],
  ],
  [
    'the same with the other variable values',
    `subscription Chat($m: ID!, $withRole: Boolean!, $noText: Boolean = false) {
      chatStream(model: $m, messages: []) {
        ... on ChatChunk { role @include(if: $withRole) content @skip(if: $noText) }
      }
    }`,
    { m: 'sim/model', withRole: false, noText: true },
    [chatDone],
  ],
];

const executed = (
  document: ReturnType<typeof parse>,
  variables: Record<string, unknown>,
  event: unknown,
) =>
  execute({ schema, document, variableValues: variables, rootValue: event, contextValue: {} }) as
    ExecutionResult | Promise<ExecutionResult>;

/** What the compiled path serves for one event: its own answer, or the execution it falls back to. */
async function served(
  document: ReturnType<typeof parse>,
  variables: Record<string, unknown>,
  event: unknown,
): Promise<{ result: ExecutionResult; compiled: boolean }> {
  const compiled = compileEvents({ schema, document, variableValues: variables, contextValue: {} });
  expect(compiled, 'the subscription compiles').not.toBeNull();
  const answer = await compiled!.answer(event);
  if (answer === UNANSWERED)
    return { result: await executed(document, variables, event), compiled: false };
  return { result: answer, compiled: true };
}

/** As a client receives it: JSON, so key order counts and undefined values drop out. */
const wire = (result: ExecutionResult) => JSON.stringify(result);

describe('compiled subscription events', () => {
  for (const [name, source, variables, finals] of documents) {
    it(`serve what execution serves: ${name}`, async () => {
      const document = parse(source);
      for (const event of [...chunks, ...unusual, ...failures, ...finals]) {
        const expected = await executed(document, variables, event);
        const { result, compiled } = await served(document, variables, event);
        expect(wire(result), JSON.stringify(event)).toBe(wire(expected));
        // Chunks are the point: each must come from the compiled functions, not from execution.
        if (chunks.includes(event as never)) expect(compiled, JSON.stringify(event)).toBe(true);
      }
    });
  }

  it('errors of unusual events are execution’s own: located, with their path', async () => {
    const document = parse(operation('completionStream'));
    const { result, compiled } = await served(document, completionVariables, delta({ text: null }));
    expect(compiled).toBe(false);
    expect(result.errors?.[0]?.path).toEqual(['completionStream', 'text']);
    // completionStream is non-null: the null goes up to data.
    expect(result.data).toBeNull();
    // Each unusual event, where its odd field is asked for, is left to execution.
    const everything = parse(
      `subscription { completionStream(model: "m", prompt: "p") {
        ... on CompletionChunk { index text logprobs { logprob } } } }`,
    );
    for (const event of unusual)
      expect((await served(everything, {}, event)).compiled, JSON.stringify(event)).toBe(false);
  });

  it('declines what it cannot compile, so it runs as before', () => {
    const compile = (source: string, variables: Record<string, unknown> = {}) =>
      compileEvents({
        schema,
        document: parse(source),
        variableValues: variables,
        contextValue: {},
      });
    expect(compile('{ models { id } }')).toBeNull();
    // A variable of the wrong type: execution answers the error.
    expect(
      compile('subscription($m: ID!) { completionStream(model: $m, prompt: "p") { __typename } }', {
        m: { not: 'an id' },
      }),
    ).toBeNull();
    expect(
      compile('subscription { completionStream(model: "m", prompt: "p") { __typename } }'),
    ).not.toBeNull();
  });

  it('share one plan between the streams of a document, but not across the variables the selection reads', async () => {
    const document = parse(operation('completionStream'));
    const streams = Array.from({ length: 50 }, (_, i) =>
      compileEvents({
        schema,
        document,
        variableValues: { ...completionVariables, prompt: `prompt ${i}`, maxTokens: i + 1 },
        contextValue: {},
      }),
    );
    // Fifty streams that differ only in the root field's arguments: one plan.
    expect(new Set(streams.map((stream) => stream!.plan)).size).toBe(1);
    for (const stream of streams)
      expect(wire((await stream!.answer(chunks[0])) as ExecutionResult)).toBe(
        wire(await executed(document, completionVariables, chunks[0])),
      );
    // Another parse of the same text is another document: its own plan.
    const again = compileEvents({
      schema,
      document: parse(operation('completionStream')),
      variableValues: completionVariables,
      contextValue: {},
    });
    expect(again!.plan).not.toBe(streams[0]!.plan);
    // A variable an @include below the root field reads: a plan per value.
    const chat = parse(`subscription($m: ID!, $withRole: Boolean!) {
      chatStream(model: $m, messages: []) { ... on ChatChunk { content role @include(if: $withRole) } }
    }`);
    const chatStream = (m: string, withRole: boolean) =>
      compileEvents({ schema, document: chat, variableValues: { m, withRole }, contextValue: {} })!;
    expect(chatStream('a', true).plan).toBe(chatStream('b', true).plan);
    expect(chatStream('a', true).plan).not.toBe(chatStream('a', false).plan);
    // Variables the selection reads, by value: kept for 32 distinct values of an operation, then
    // each stream compiles its own (a client cannot grow the cache without end).
    const counted =
      parse(`subscription($m: ID!, $a: Boolean!, $b: Boolean!, $c: Boolean!, $d: Boolean!, $e: Boolean!, $f: Boolean!) {
      chatStream(model: $m, messages: []) { ... on ChatChunk { content @include(if: $a) role @include(if: $b) index @include(if: $c) reasoning @include(if: $d) finishReason @include(if: $e) toolCalls @include(if: $f) { index } } }
    }`);
    const bits = (n: number) =>
      Object.fromEntries(
        ['a', 'b', 'c', 'd', 'e', 'f'].map((name, i) => [name, ((n >> i) & 1) === 1]),
      );
    const plan = (n: number) =>
      compileEvents({
        schema,
        document: counted,
        variableValues: { m: 'x', ...bits(n) },
        contextValue: {},
      })!.plan;
    const kept = Array.from({ length: 32 }, (_, n) => plan(n));
    expect(new Set(kept).size).toBe(32);
    for (let n = 0; n < 32; n++) expect(plan(n)).toBe(kept[n]);
    expect(plan(40)).not.toBe(plan(40));
  });

  it('answer each stream of a shared plan with its own context, variables and root arguments', async () => {
    // A schema whose event fields read everything that differs between streams.
    const Stamp = new GraphQLScalarType({
      name: 'Stamp',
      parseValue: (value) => new Date(value as number),
      serialize: (value) => String(value),
    });
    const Tick = new GraphQLObjectType<Record<string, unknown>, { who: string }>({
      name: 'Tick',
      fields: {
        n: { type: GraphQLInt },
        label: { type: GraphQLString },
        who: { type: GraphQLString, resolve: (_source, _args, context) => context.who },
        variables: {
          type: GraphQLString,
          resolve: (_source, _args, _context, info) => JSON.stringify(info.variableValues),
        },
        times: {
          type: GraphQLString,
          args: { k: { type: GraphQLInt } },
          resolve: (source, args: { k?: number | null }) => `${String(source.n)}x${args.k}`,
        },
        // A variable that coerces to a Date, which JSON cannot tell apart from a string.
        when: {
          type: GraphQLString,
          args: { at: { type: Stamp } },
          resolve: (_source, args: { at?: Date | null }) => args.at?.toISOString() ?? null,
        },
      },
    });
    const tickSchema = new GraphQLSchema({
      query: new GraphQLObjectType({ name: 'Query', fields: { x: { type: GraphQLInt } } }),
      subscription: new GraphQLObjectType({
        name: 'Subscription',
        fields: {
          tick: {
            type: new GraphQLNonNull(Tick),
            args: { label: { type: GraphQLString } },
            resolve: (event: Record<string, unknown>, args: { label?: string }) => ({
              ...event,
              label: args.label,
            }),
          },
        },
      }),
    });
    const tickDocument = parse(`subscription($label: String, $k: Int, $show: Boolean!, $at: Stamp) {
      tick(label: $label) {
        n label who variables times(k: $k) @include(if: $show) t0: times(k: 0) @skip(if: $show) when(at: $at)
      }
      ... @include(if: false) { tick(label: "x") { n } }
    }`);
    type Stream = [Record<string, unknown>, { who: string }];
    const streams: Stream[] = [
      [{ label: 'a', k: 1, show: true }, { who: 'A' }],
      [{ label: 'b', k: 1, show: true }, { who: 'B' }],
      [{ label: 'c', k: 2, show: true }, { who: 'C' }],
      [{ label: 'd', k: 1, show: false }, { who: 'D' }],
      [{ label: 'e', show: true }, { who: 'E' }],
      [{ label: 'f', k: null, show: true }, { who: 'F' }],
      [{ label: 'g', k: 1, show: true, at: 5000 }, { who: 'G' }],
      [{ label: 'h', k: 1, show: true, at: 5000 }, { who: 'H' }],
    ];
    const compiled = streams.map(([variableValues, contextValue]) =>
      compileEvents({ schema: tickSchema, document: tickDocument, variableValues, contextValue }),
    );
    const plans = compiled.map((stream) => stream!.plan);
    // a and b differ only in the root argument and the context: shared. k, show, an absent k and
    // a null k are what the selection reads: each its own. A Date is not told apart by its JSON:
    // g and h each compile their own.
    expect(plans[1]).toBe(plans[0]);
    expect(new Set(plans).size).toBe(7);
    // Interleaved, so that one stream's first event compiles what another then uses.
    for (const n of [1, 2, 3])
      for (const [index, [variableValues, contextValue]] of streams.entries()) {
        const expected = await (execute({
          schema: tickSchema,
          document: tickDocument,
          variableValues,
          contextValue,
          rootValue: { n },
        }) as ExecutionResult | Promise<ExecutionResult>);
        const answer = await compiled[index]!.answer({ n });
        expect(answer, `stream ${index}, event ${n}`).not.toBe(UNANSWERED);
        expect(wire(answer as ExecutionResult), `stream ${index}, event ${n}`).toBe(wire(expected));
      }
  });
});
