// What completions and chats share: finish reasons, usage, the Generation interface, argument checks.
import { z } from 'zod';
import type { Context } from '../context.ts';
import type { ChatCompletionResponse, CompletionResponse, Usage } from '../nim/wire.ts';
import type { ObjectFieldBuilder } from '@pothos/core';
import { builder, type BuilderTypes } from './builder.ts';
import { InvalidInputError } from './failures.ts';
import { ModelRef } from './models.ts';

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

export const UsageRef = builder.objectRef<Usage>('Usage').implement({
  description: 'Token counts as reported by the model.',
  fields: (t) => ({
    promptTokens: t.exposeInt('prompt_tokens', { description: 'Tokens in the prompt.' }),
    completionTokens: t.exposeInt('completion_tokens', { description: 'Tokens generated.' }),
    totalTokens: t.exposeInt('total_tokens', { description: 'Prompt plus completion tokens.' }),
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
        (await ctx.models.load(g.model)) ??
        { id: g.model, object: 'model', created: null, owned_by: null, root: null, parent: null, max_model_len: null },
    }),
    usage: t.field({
      type: UsageRef,
      nullable: true,
      description: 'Token usage; null when the upstream did not report it.',
      resolve: (g) => g.usage,
    }),
  }),
});

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

