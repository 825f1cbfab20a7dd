import { z } from 'zod';
import type { CompletionResponse } from '../nim/wire.ts';
import { builder } from './builder.ts';
import { toFailure } from './errors.ts';
import { GENERATION_FAILURES } from './failures.ts';
import {
  checkGenerationLimits,
  finishReasonField,
  GenerationRef,
  maxTokensArgSchema,
  modelArgSchema,
} from './generation.ts';

type CompletionChoice = CompletionResponse['choices'][number];

const CompletionChoiceRef = builder.objectRef<CompletionChoice>('CompletionChoice').implement({
  description: 'One generated alternative.',
  fields: (t) => ({
    index: t.exposeInt('index', { description: 'Position of this choice (0 unless several were asked for).' }),
    text: t.exposeString('text', { description: 'The generated text.' }),
    finishReason: finishReasonField(t),
  }),
});

export const CompletionRef = builder.objectRef<CompletionResponse>('Completion').implement({
  description: 'A text completion: the model continued the prompt.',
  interfaces: [GenerationRef],
  fields: (t) => ({
    text: t.string({ description: 'Text of the first choice.', resolve: (c) => c.choices[0]?.text ?? '' }),
    choices: t.field({ type: [CompletionChoiceRef], description: 'Every choice, by index.', resolve: (c) => c.choices }),
  }),
});

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
