import type { ObjectFieldBuilder } from '@pothos/core';
import type { CompletionResponse } from '../nim/wire.ts';
import { builder, type BuilderTypes } from './builder.ts';
import type { Context } from '../context.ts';
import { GENERATION_FAILURES, InvalidInputError } from './failures.ts';
import {
  finishReasonField,
  generate,
  generationArgs,
  GenerationRef,
  logprobsField,
  prepareGeneration,
  type Formatted,
  type Prepared,
} from './generation.ts';
import { parsedJson } from './options.ts';
import { generationCost } from './cost.ts';

type CompletionChoice = CompletionResponse['choices'][number];
export type CompletionResult = Formatted<CompletionResponse>;

const CompletionChoiceRef = builder.objectRef<CompletionChoice>('CompletionChoice').implement({
  description: 'One generated alternative.',
  fields: (t) => ({
    index: t.exposeInt('index', {
      description: 'Position of this choice (0 unless several were asked for).',
    }),
    text: t.exposeString('text', { description: 'The generated text.' }),
    finishReason: finishReasonField(t),
    logprobs: logprobsField(t),
  }),
});

/** The fields a Completion and the end of a completion stream (CompletionDone) share. */
export const completionFields = (t: ObjectFieldBuilder<BuilderTypes, CompletionResult>) => ({
  text: t.string({
    description: 'Text of the first choice.',
    resolve: (c) => c.choices[0]?.text ?? '',
  }),
  json: t.field({
    type: 'JSON',
    nullable: true,
    description:
      "With a JSON responseFormat: the first choice's text parsed; null when it is not valid JSON (e.g. cut by LENGTH).",
    resolve: (c) => parsedJson(c.choices[0]?.text ?? '', c.responseFormat),
  }),
  choices: t.field({
    type: [CompletionChoiceRef],
    description: 'Every choice, by index.',
    resolve: (c) => c.choices,
  }),
});

const CompletionRef = builder.objectRef<CompletionResult>('Completion').implement({
  description: 'A text completion: the model continued the prompt.',
  interfaces: [GenerationRef],
  fields: completionFields,
});

export const completionArgs = (arg: Parameters<typeof generationArgs>[0]) => ({
  ...generationArgs(arg),
  prompt: arg.string({
    required: true,
    description: 'The text to continue. Not empty; at most MAX_PROMPT_CHARS characters.',
  }),
});

export function prepareCompletion(
  ctx: Context,
  args: Parameters<typeof prepareGeneration>[1] & { prompt: string },
): Prepared & { prompt: string } {
  if (args.prompt === '') throw new InvalidInputError('prompt', 'prompt: must not be empty');
  const prepared = prepareGeneration(
    ctx,
    args,
    'completion',
    { argument: 'prompt', chars: args.prompt.length },
    generationCost,
  );
  return { ...prepared, prompt: args.prompt };
}

builder.mutationField('complete', (t) =>
  t.field({
    extensions: generationCost,
    type: CompletionRef,
    description: 'Continue a prompt with a model (`POST /v1/completions`).',
    errors: {
      types: GENERATION_FAILURES,
      union: { name: 'CompleteResult', description: 'A Completion, or why there is none.' },
    },
    args: completionArgs(t.arg),
    resolve: (_root, args, ctx) =>
      generate(
        ctx,
        () => prepareCompletion(ctx, args),
        (input) => ctx.nim.complete(input, ctx.upstream),
      ),
  }),
);
