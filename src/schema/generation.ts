// What completions and chats share: finish reasons, usage, the Generation interface, argument checks.
import type { ArgBuilder, ObjectFieldBuilder } from '@pothos/core';
import { recordGeneration, type Context } from '../context.ts';
import type { Capability } from '../nim/capabilities.ts';
import type { GenerationParams, ResponseFormat } from '../nim/params.ts';
import type {
  ChatCompletionResponse,
  CompletionResponse,
  TokenLogprob,
  Usage,
} from '../nim/wire.ts';
import { withinBudget } from './budget.ts';
import { builder, type BuilderTypes } from './builder.ts';
import { requireWithinCostLimit, type DeclaredCost } from './cost.ts';
import { toFailure } from './errors.ts';
import { InvalidInputError, UnsupportedByModelError } from './failures.ts';
import { requireKind } from './kinds.ts';
import { ModelRef } from './models.ts';
import {
  GenerationOptionsInput,
  readOptions,
  readResponseFormat,
  ResponseFormatInput,
  type ResponseFormatArg,
} from './options.ts';

const FINISH_REASONS = [
  'STOP',
  'LENGTH',
  'TOOL_CALLS',
  'CONTENT_FILTER',
  'ABORT',
  'OTHER',
] as const;
type FinishReasonName = (typeof FINISH_REASONS)[number];

const FinishReasonEnum = builder.enumType('FinishReason', {
  description: 'Why generation stopped.',
  values: {
    STOP: { description: 'The model ended its answer or hit a stop sequence.' },
    LENGTH: { description: 'maxTokens or the context window was reached: the text is cut.' },
    TOOL_CALLS: { description: 'The model asked to call a tool.' },
    CONTENT_FILTER: {
      description: 'A content filter (a guardrail in front of the model) withheld or cut the text.',
    },
    ABORT: { description: 'The upstream aborted the generation.' },
    OTHER: { description: 'A reason this gateway does not know; see the upstream logs.' },
  },
});

function toFinishReason(reason: string | null): FinishReasonName | null {
  if (reason === null) return null;
  const name = reason.toUpperCase();
  return (FINISH_REASONS as readonly string[]).includes(name)
    ? (name as FinishReasonName)
    : 'OTHER';
}

/** The `finishReason` field of a choice, for every kind of choice. */
export function finishReasonField<Choice extends { finish_reason: string | null }>(
  t: ObjectFieldBuilder<BuilderTypes, Choice>,
) {
  return t.field({
    type: FinishReasonEnum,
    nullable: true,
    description: 'Why this choice ended.',
    resolve: (c) => toFinishReason(c.finish_reason),
  });
}

const UsageRef = builder.objectRef<Usage>('Usage').implement({
  description: 'Token counts as reported by the model.',
  fields: (t) => ({
    promptTokens: t.exposeInt('prompt_tokens', { description: 'Tokens in the prompt.' }),
    completionTokens: t.exposeInt('completion_tokens', { description: 'Tokens generated.' }),
    totalTokens: t.exposeInt('total_tokens', { description: 'Prompt plus completion tokens.' }),
    reasoningTokens: t.exposeInt('reasoning_tokens', {
      nullable: true,
      description:
        'Of completionTokens, those a reasoning model spent thinking, when the upstream says (vLLM does not: null).',
    }),
  }),
});

type GenerationResponse = CompletionResponse | ChatCompletionResponse;

export const GenerationRef = builder.interfaceRef<GenerationResponse>('Generation').implement({
  description: 'What every generation result carries: Completion and ChatCompletion.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Upstream id of the result (`cmpl-…`, `chatcmpl-…`).' }),
    created: t.field({
      type: 'DateTime',
      description: 'When the upstream created it.',
      resolve: (g) => new Date((g.created ?? Math.floor(Date.now() / 1000)) * 1000),
    }),
    model: t.field({
      type: ModelRef,
      description: 'The model that generated it.',
      resolve: async (g, _args, ctx) =>
        (await ctx.models.load(g.model)) ?? {
          id: g.model,
          // Stryker disable next-line StringLiteral: no field of Model reads the card's object
          object: 'model',
          created: null,
          owned_by: null,
          root: null,
          parent: null,
          max_model_len: null,
        },
    }),
    usage: t.field({
      type: UsageRef,
      nullable: true,
      description: 'Token usage; null when the upstream did not report it.',
      resolve: (g) => g.usage,
    }),
  }),
});

const TokenLogprobRef = builder.objectRef<TokenLogprob>('TokenLogprob').implement({
  description:
    'A generated token with its log-probability and the likeliest alternatives at its position.',
  fields: (t) => ({
    token: t.exposeString('token', { description: 'The token as text.' }),
    logprob: t.exposeFloat('logprob', {
      nullable: true,
      description: 'Its natural-log probability (0 is certain); null when unknown.',
    }),
    topLogprobs: t.field({
      type: [TopLogprobRef],
      description:
        'The likeliest tokens at this position, as many as `options.logprobs` asked for.',
      resolve: (l) => l.top,
    }),
  }),
});

const TopLogprobRef = builder.objectRef<TokenLogprob['top'][number]>('TopLogprob').implement({
  description: 'One alternative token at a position.',
  fields: (t) => ({
    token: t.exposeString('token', { description: 'The token as text.' }),
    logprob: t.exposeFloat('logprob', { description: 'Its natural-log probability.' }),
  }),
});

/** The `logprobs` field of a choice or a chunk. */
export function logprobsField<Source extends { logprobs: TokenLogprob[] | null }>(
  t: ObjectFieldBuilder<BuilderTypes, Source>,
) {
  return t.field({
    type: [TokenLogprobRef],
    nullable: true,
    description: 'Per-token log-probabilities, when `options.logprobs` asked for them.',
    resolve: (c) => c.logprobs,
  });
}

/** A result together with the response format it was asked for, so `json` knows whether to parse. */
export type Formatted<T> = T & { responseFormat: ResponseFormat | null };

export const generationArgs = (arg: ArgBuilder<BuilderTypes>) => ({
  model: arg.id({ required: true, description: 'Model id from `models`.' }),
  maxTokens: arg.int({
    description:
      'Most tokens to generate per choice: 1 to MAX_TOKENS_LIMIT (default 4096). Default DEFAULT_MAX_TOKENS (256); a cap is always sent.',
  }),
  options: arg({
    type: GenerationOptionsInput,
    description: 'Sampling parameters; every field is optional.',
  }),
  responseFormat: arg({
    type: ResponseFormatInput,
    description: 'Ask for JSON instead of free text.',
  }),
});

interface GenerationArgs {
  model: string | number;
  maxTokens?: number | null;
  options?: Parameters<typeof readOptions>[0];
  responseFormat?: ResponseFormatArg | null;
}

export interface Prepared {
  model: string;
  /** The most tokens it may use (its declared cost): what its budgets reserve. */
  cost: number;
  maxTokens: number;
  params: GenerationParams;
  responseFormat: ResponseFormat | null;
}

/**
 * Checks what every generation takes, against the static ranges and the configured limits, before
 * any upstream call; throws InvalidInputError naming the argument.
 */
export function prepareGeneration(
  ctx: Context,
  args: GenerationArgs,
  kind: 'completion' | 'chat',
  prompt: { argument: string; chars: number },
  declared: DeclaredCost,
): Prepared {
  const model = String(args.model).trim();
  if (model === '') throw new InvalidInputError('model', 'model: must not be empty');
  requireKind(ctx, model, 'generation');
  const maxTokens = args.maxTokens ?? ctx.limits.defaultMaxTokens;
  if (!Number.isInteger(maxTokens) || maxTokens < 1)
    throw new InvalidInputError('maxTokens', 'maxTokens: must be at least 1');
  if (maxTokens > ctx.limits.maxTokens) {
    throw new InvalidInputError('maxTokens', `maxTokens: must be at most ${ctx.limits.maxTokens}`);
  }
  if (prompt.chars > ctx.limits.maxPromptChars) {
    throw new InvalidInputError(
      prompt.argument,
      `${prompt.argument}: must be at most ${ctx.limits.maxPromptChars} characters`,
    );
  }
  const params = readOptions(args.options, kind, maxTokens);
  const responseFormat = readResponseFormat(args.responseFormat);
  if (
    responseFormat !== null &&
    (responseFormat.type === 'choice' ||
      responseFormat.type === 'regex' ||
      responseFormat.type === 'grammar')
  )
    requireCapability(ctx, model, 'guidedDecoding', 'responseFormat');
  const cost = requireWithinCostLimit(ctx, declared, args);
  return { model, cost, maxTokens, params, responseFormat };
}

/** Refuses, before any upstream call, what the model's capabilities say it cannot do. */
export function requireCapability(
  ctx: Context,
  model: string,
  capability: Capability,
  argument: string,
): void {
  const capabilities = ctx.capabilities.of(model);
  if (!capabilities[capability])
    throw new UnsupportedByModelError(model, capability, argument, capabilities.rule);
}

/**
 * The body of a generation mutation: the checked input, one upstream call routed by model, its
 * usage recorded, and every failure as the typed error the result union carries.
 */
export async function generate<Input extends Prepared, Response extends { usage: Usage | null }>(
  ctx: Context,
  prepare: () => Input,
  call: (input: Input) => Promise<Response>,
): Promise<Formatted<Response>> {
  try {
    const input = prepare();
    const response = await ctx.models.withModel(input.model, () =>
      withinBudget(
        ctx,
        input.model,
        input.cost,
        () => call(input),
        (r) => r.usage?.completion_tokens ?? null,
      ),
    );
    await recordGeneration(ctx, input.model, response.usage);
    return { ...response, responseFormat: input.responseFormat };
  } catch (error) {
    throw ctx.trace.fail(toFailure(error));
  }
}
