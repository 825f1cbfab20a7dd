// What a model is for (MODEL_KINDS, then defaults by name), and the check every model field makes.
import type { Context } from '../context.ts';
import { MODEL_KINDS, type ModelKind } from '../nim/kinds.ts';
import { builder } from './builder.ts';
import { WrongModelKindError } from './failures.ts';

const DESCRIPTIONS: Record<ModelKind, string> = {
  generation: 'Generates text: complete, chat and their streams.',
  embedding: 'Turns text into vectors: embed.',
  ranking: 'Scores passages against a query: rerank.',
};

export const ModelKindEnum = builder.enumType('ModelKind', {
  description:
    "What a model is for. NIM's model list does not say: the gateway's map by model id pattern does (MODEL_KINDS first, then defaults by name).",
  values: Object.fromEntries(
    MODEL_KINDS.map((k) => [k.toUpperCase(), { value: k, description: DESCRIPTIONS[k] }]),
  ) as Record<string, { value: ModelKind; description: string }>,
});

/** Refuses, before any upstream call, a model that is for something else. */
export function requireKind(ctx: Context, model: string, required: ModelKind): void {
  const { kind, rule } = ctx.kinds.of(model);
  if (kind !== required) throw new WrongModelKindError(model, kind, required, rule);
}
