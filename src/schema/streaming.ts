// Token streams as GraphQL subscriptions: for each upstream read, one event per choice and run of
// one kind (its deltas joined: coalesceDeltas), then exactly one terminal event, a …Done or a
// typed error.
import { errorTypeMap, wrapOrThrow } from '@pothos/plugin-errors';
import { recordGeneration, type Context } from '../context.ts';
import type { ResponseFormat } from '../nim/params.ts';
import {
  coalesceDeltas,
  type ChoiceDelta,
  type StreamPart,
  type ToolCallDelta,
} from '../nim/stream.ts';
import type { Usage } from '../nim/wire.ts';
import { builder } from './builder.ts';
import {
  chatArgs,
  chatFields,
  ChatRoleEnum,
  prepareChat,
  toRoleName,
  type ChatResult,
} from './chat.ts';
import {
  completionArgs,
  completionFields,
  prepareCompletion,
  type CompletionResult,
} from './completions.ts';
import { toFailure } from './errors.ts';
import {
  BudgetExceededError,
  CHAT_FAILURES,
  GENERATION_FAILURES,
  type GatewayFailure,
} from './failures.ts';
import { reserveBudget } from './budget.ts';
import type { BudgetHold } from '../usage/budgets.ts';
import { finishReasonField, GenerationRef, logprobsField, type Formatted } from './generation.ts';
import { chatCost, generationCost } from './cost.ts';

const CompletionChunkRef = builder.objectRef<ChoiceDelta>('CompletionChunk').implement({
  description:
    'New text of one choice, as soon as the upstream produced it: all of it that one upstream read brought.',
  fields: (t) => ({
    index: t.exposeInt('index', {
      description: 'The choice this text belongs to (0 unless several were asked for).',
    }),
    text: t.exposeString('text', {
      description: 'The new text; append it to what came before for this index.',
    }),
    finishReason: finishReasonField(t),
    logprobs: logprobsField(t),
  }),
});

const ToolCallDeltaRef = builder.objectRef<ToolCallDelta>('ToolCallDelta').implement({
  description:
    "A fragment of a tool call: append `argumentsText` to the call's earlier fragments of the same `index`.",
  fields: (t) => ({
    index: t.exposeInt('index', { description: 'Which call of the choice this fragment is of.' }),
    id: t.exposeID('id', {
      nullable: true,
      description: "The call's id: on its first fragment only.",
    }),
    name: t.exposeString('name', {
      nullable: true,
      description: 'The tool called: on its first fragment only.',
    }),
    argumentsText: t.exposeString('argumentsText', {
      description: 'More of the arguments text (may be empty).',
    }),
  }),
});

const ChatChunkRef = builder.objectRef<ChoiceDelta>('ChatChunk').implement({
  description:
    'New content of one choice of the answer, as soon as the upstream produced it: each run of one kind (answer, reasoning or tool-call fragments) that one upstream read brought.',
  fields: (t) => ({
    index: t.exposeInt('index', {
      description: 'The choice this delta belongs to (0 unless several were asked for).',
    }),
    role: t.field({
      type: ChatRoleEnum,
      nullable: true,
      description: 'Set on the first delta of a choice when the upstream announces the role.',
      resolve: (d) => (d.role === null ? null : toRoleName(d.role)),
    }),
    content: t.exposeString('text', {
      description: 'The new content; append it to what came before for this index.',
    }),
    reasoning: t.exposeString('reasoning', {
      nullable: true,
      description:
        'New reasoning text of a reasoning model (from `reasoning`, `reasoning_content` or an inline `<think>`), kept apart from `content`.',
    }),
    reasoningContent: t.exposeString('reasoning', {
      nullable: true,
      deprecationReason: 'Use `reasoning`: the same text.',
      description: 'New reasoning text (as `reasoning`).',
    }),
    toolCalls: t.field({
      type: [ToolCallDeltaRef],
      description:
        'Fragments of tool calls, each keyed by `index` within the choice; ChatDone carries every call assembled and checked.',
      resolve: (d) => d.toolCalls,
    }),
    finishReason: finishReasonField(t),
    logprobs: logprobsField(t),
  }),
});

const CompletionDoneRef = builder.objectRef<CompletionResult>('CompletionDone').implement({
  description:
    'The last event of a successful completion stream: every choice in full, its finish reason, and the usage.',
  interfaces: [GenerationRef],
  fields: completionFields,
});

const ChatDoneRef = builder.objectRef<ChatResult>('ChatDone').implement({
  description:
    'The last event of a successful chat stream: every choice in full, its finish reason, and the usage.',
  interfaces: [GenerationRef],
  fields: chatFields,
});

const isDelta = (value: object): value is ChoiceDelta => !('choices' in value);

/**
 * A stream's events: its chunk, its Done, or one of its typed errors. Plain unions that resolve the
 * errors as the errors plugin's own unions do (through the plugin's map of the errors it wrapped),
 * not errorUnions: the plugin wraps a field that returns an errorUnion in an async resolver and an
 * async generator, two steps more for every event; the relay below yields its one failure, wrapped
 * by the plugin's own function, instead (the schema is the same either way).
 */
const eventType =
  (chunk: string, done: string) =>
  (value: object): string => {
    const failure = errorTypeMap.get(value);
    if (failure !== undefined) return builder.configStore.getTypeConfig(failure).name;
    return isDelta(value) ? chunk : done;
  };

const CompletionStreamEvent = builder.unionType('CompletionStreamEvent', {
  description:
    'One event of completionStream: a chunk, or the terminal CompletionDone or typed error.',
  types: [CompletionChunkRef, CompletionDoneRef, ...GENERATION_FAILURES],
  resolveType: eventType('CompletionChunk', 'CompletionDone'),
});

const ChatStreamEvent = builder.unionType('ChatStreamEvent', {
  description: 'One event of chatStream: a chunk, or the terminal ChatDone or typed error.',
  types: [ChatChunkRef, ChatDoneRef, ...CHAT_FAILURES],
  resolveType: eventType('ChatChunk', 'ChatDone'),
});

/** The subscriptions whose terminal event (Done, or a typed error) is the one being answered. */
const ending = new WeakSet<Context>();

/**
 * Whether the event being answered ends its stream: set as the terminal event leaves the source,
 * read when its result is sent (src/plugins/use-final-event.ts), before the source is asked again.
 */
export function endsStream(ctx: Context): boolean {
  return ending.has(ctx);
}

/**
 * Relays a stream; every failure (bad input, unknown model, upstream fault) becomes the one
 * terminal typed error, yielded as the last event (wrapped by the errors plugin, as its unions take
 * them); anything else is thrown, a masked error.
 */
async function* relay<
  Input extends { model: string; cost: number; responseFormat: ResponseFormat | null },
  Final extends { usage: Usage | null },
  Failures extends readonly (new (...args: never[]) => GatewayFailure)[],
>(
  ctx: Context,
  prepare: () => Input,
  open: (input: Input) => AsyncIterable<StreamPart<Final>[]>,
  failures: Failures,
): AsyncGenerator<ChoiceDelta | Formatted<Final> | InstanceType<Failures[number]>> {
  let model: string | null = null;
  // What the stream holds of its caller's budgets until its Done settles it.
  let held: BudgetHold | null = null;
  let settled = false;
  try {
    const input = prepare();
    model = input.model;
    await ctx.models.require(model);
    held = await reserveBudget(ctx, model, input.cost);
    for await (const parts of open(input)) {
      for (const part of coalesceDeltas(parts)) {
        if (part.type === 'delta') {
          ctx.trace.chunk();
          yield part.delta;
          continue;
        }
        settled = true;
        await ctx.spending.settle(held, part.result.usage?.completion_tokens ?? null);
        await recordGeneration(ctx, model, part.result.usage);
        ending.add(ctx);
        const done: Formatted<Final> = { ...part.result, responseFormat: input.responseFormat };
        // The same type: TypeScript does not simplify Awaited<> of a generic intersection.
        yield done as Awaited<Formatted<Final>>;
      }
    }
  } catch (error) {
    // The client is gone: nobody is left to tell, and it is not a server error.
    if (ctx.signal.aborted) {
      ctx.trace.cancelled = true;
      return;
    }
    if (model !== null && !settled) {
      settled = true;
      await ctx.spending.release(held);
      if (!(error instanceof BudgetExceededError)) await ctx.spending.failed(model);
    }
    const failure = toFailure(model === null ? error : await ctx.models.explain(error, model));
    ending.add(ctx);
    // One of `failures` (wrapOrThrow throws anything else on): the union's error types.
    yield wrapOrThrow(ctx.trace.fail(failure), [...failures]) as InstanceType<Failures[number]>;
  } finally {
    // Left before its Done (the client closed it): what it generated is unknown, so all of it counts.
    if (!settled) await ctx.spending.settle(held, null);
  }
}

builder.subscriptionField('completionStream', (t) =>
  t.field({
    extensions: generationCost,
    type: CompletionStreamEvent,
    description:
      'complete, streamed: the text arrives chunk by chunk (`POST /v1/completions` with `stream: true`).',
    args: completionArgs(t.arg),
    subscribe: (_root, args, ctx) =>
      relay(
        ctx,
        () => prepareCompletion(ctx, args),
        (input) => ctx.nim.streamCompletion(input, ctx.upstream),
        GENERATION_FAILURES,
      ),
    resolve: (event) => event,
  }),
);

builder.subscriptionField('chatStream', (t) =>
  t.field({
    extensions: chatCost,
    type: ChatStreamEvent,
    description:
      'chat, streamed: the answer arrives chunk by chunk (`POST /v1/chat/completions` with `stream: true`).',
    args: chatArgs(t.arg),
    subscribe: (_root, args, ctx) =>
      relay(
        ctx,
        () => prepareChat(ctx, args),
        (input) => ctx.nim.streamChat(input, ctx.upstream),
        CHAT_FAILURES,
      ),
    resolve: (event) => event,
  }),
);
