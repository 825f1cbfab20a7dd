// What embed and rerank share: truncation, input token usage, the model they name.
import type { Context } from '../context.ts';
import type { ModelCard } from '../nim/wire.ts';
import { builder } from './builder.ts';
import { InvalidInputError } from './failures.ts';

export const TruncateEnum = builder.enumType('Truncate', {
  description: 'What a retrieval model does with an input longer than it takes.',
  values: {
    NONE: {
      description: 'Refuse it: ContextLengthExceededError (what the upstream does when left out).',
    },
    START: { description: 'Cut its start, keep the end.' },
    END: { description: 'Cut its end, keep the start.' },
  } as const,
});

export const InputUsageRef = builder.objectRef<{ promptTokens: number }>('InputUsage').implement({
  description: 'Tokens an embedding or ranking model read.',
  fields: (t) => ({
    promptTokens: t.exposeInt('promptTokens', { description: 'Input tokens.' }),
  }),
});

export function readRetrievalModel(id: string | number): string {
  const model = String(id).trim();
  if (model === '') throw new InvalidInputError('model', 'model: must not be empty');
  return model;
}

/** The model a result names: its catalog entry, or just its id when the list does not have it. */
export async function modelOf(ctx: Context, id: string): Promise<ModelCard> {
  return (
    (await ctx.models.load(id)) ?? {
      id,
      object: 'model',
      created: null,
      owned_by: null,
      root: null,
      parent: null,
      max_model_len: null,
    }
  );
}
