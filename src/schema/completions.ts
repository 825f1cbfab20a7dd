import { z } from 'zod';
import type { CompletionResponse, Usage } from '../nim/wire.ts';
import { builder } from './builder.ts';
import { toFailure } from './errors.ts';
import { GENERATION_FAILURES, InvalidInputError } from './failures.ts';
import { ModelRef } from './models.ts';
import type { Context } from '../context.ts';

const FINISH_REASONS = ['STOP', 'LENGTH', 'TOOL_CALLS', 'ABORT', 'OTHER'] as const;
type FinishReasonName = (typeof FINISH_REASONS)[number];

export const FinishReasonEnum = builder.enumType('FinishReason', {
  description: 'Why generation stopped.',
  values: {
    STOP: { description: 'The model ended its answer or hit a stop sequence.' },
    LENGTH: { description: 'maxTokens or the context window was reached: the text is cut.' },
    TOOL_CALLS: { description: 'The model asked to call a tool.' },
    ABORT: { description: 'The upstream aborted the generation.' },
    OTHER: { description: 'A reason this gateway does not know; see the upstream logs.' },
  },
});

export function toFinishReason(reason: string | null): FinishReasonName | null {
  if (reason === null) return null;
  const name = reason.toUpperCase();
  return (FINISH_REASONS as readonly string[]).includes(name) ? (name as FinishReasonName) : 'OTHER';
}

export const UsageRef = builder.objectRef<Usage>('Usage').implement({
  description: 'Token counts as reported by the model.',
  fields: (t) => ({
    promptTokens: t.exposeInt('prompt_tokens', { description: 'Tokens in the prompt.' }),
    completionTokens: t.exposeInt('completion_tokens', { description: 'Tokens generated.' }),
    totalTokens: t.exposeInt('total_tokens', { description: 'Prompt plus completion tokens.' }),
  }),
});

type CompletionChoice = CompletionResponse['choices'][number];

const CompletionChoiceRef = builder.objectRef<CompletionChoice>('CompletionChoice').implement({
  description: 'One generated alternative.',
  fields: (t) => ({
    index: t.exposeInt('index', { description: 'Position of this choice (0 unless several were asked for).' }),
    text: t.exposeString('text', { description: 'The generated text.' }),
    finishReason: t.field({
      type: FinishReasonEnum,
      nullable: true,
      description: 'Why this choice ended.',
      resolve: (c) => toFinishReason(c.finish_reason),
    }),
  }),
});

export const CompletionRef = builder.objectRef<CompletionResponse>('Completion').implement({
  description: 'A text completion: the model continued the prompt.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Upstream id of the completion (`cmpl-…`).' }),
    created: t.field({
      type: 'DateTime',
      description: 'When the upstream created it.',
      resolve: (c) => new Date((c.created ?? Math.floor(Date.now() / 1000)) * 1000),
    }),
    model: t.field({
      type: ModelRef,
      description: 'The model that generated it.',
      resolve: async (c, _args, ctx) => (await ctx.models.load(c.model)) ?? bareModel(c.model),
    }),
    text: t.string({ description: 'Text of the first choice.', resolve: (c) => c.choices[0]?.text ?? '' }),
    choices: t.field({ type: [CompletionChoiceRef], description: 'Every choice, by index.', resolve: (c) => c.choices }),
    usage: t.field({
      type: UsageRef,
      nullable: true,
      description: 'Token usage; null when the upstream did not report it.',
      resolve: (c) => c.usage,
    }),
  }),
});

export function bareModel(id: string) {
  return { id, object: 'model', created: null, owned_by: null, root: null, parent: null, max_model_len: null };
}

/** Limits that come from configuration, so they cannot live in the static argument schemas. */
export function checkGenerationLimits(ctx: Context, maxTokens: number, promptChars: number, promptArgument: string) {
  if (maxTokens > ctx.limits.maxTokens) {
    throw new InvalidInputError('maxTokens', `maxTokens: must be at most ${ctx.limits.maxTokens}`);
  }
  if (promptChars > ctx.limits.maxPromptChars) {
    throw new InvalidInputError(promptArgument, `${promptArgument}: must be at most ${ctx.limits.maxPromptChars} characters`);
  }
}

export const modelArgSchema = z.string().trim().min(1, 'must not be empty');
export const maxTokensArgSchema = z.number().int().min(1, 'must be at least 1').nullish();

builder.mutationField('complete', (t) =>
  t.field({
    type: CompletionRef,
    description: 'Continue a prompt with a model (`POST /v1/completions`).',
    errors: { types: GENERATION_FAILURES, union: { name: 'CompleteResult', description: 'A Completion, or why there is none.' } },
    args: {
      model: t.arg.id({ required: true, description: 'Model id from `models`.', validate: modelArgSchema }),
      prompt: t.arg.string({ required: true, description: 'The text to continue. Not empty; at most MAX_PROMPT_CHARS characters.', validate: z.string().min(1, 'must not be empty') }),
      maxTokens: t.arg.int({
        description: 'Most tokens to generate: 1 to MAX_TOKENS_LIMIT (default 4096). Default DEFAULT_MAX_TOKENS (256).',
        validate: maxTokensArgSchema,
      }),
    },
    resolve: async (_root, args, ctx) => {
      const model = String(args.model).trim();
      const maxTokens = args.maxTokens ?? ctx.limits.defaultMaxTokens;
      checkGenerationLimits(ctx, maxTokens, args.prompt.length, 'prompt');
      try {
        return await ctx.models.withModel(model, () =>
          ctx.nim.complete({ model, prompt: args.prompt, max_tokens: maxTokens }, ctx.signal),
        );
      } catch (error) {
        throw toFailure(error);
      }
    },
  }),
);
