// Embeddings (`POST /v1/embeddings`): a query field, so that caching clients and GET with trusted
// documents work, and so that several embed fields of one operation run together and share
// upstream calls (mutation fields run one after the other).
import { embeddingsOf, type Context } from '../context.ts';
import {
  vectorBase64,
  vectorFloats,
  vectorLength,
  type EmbedQuery,
  type Embedded,
} from '../nim/embeddings.ts';
import type { InputType, Truncate } from '../nim/wire.ts';
import { builder } from './builder.ts';
import { withinBudget } from './budget.ts';
import { embeddingCost, requireWithinCostLimit } from './cost.ts';
import { toFailure } from './errors.ts';
import { InvalidInputError, RETRIEVAL_FAILURES } from './failures.ts';
import { requireKind } from './kinds.ts';
import { ModelRef } from './models.ts';
import { InputUsageRef, modelOf, readRetrievalModel, TruncateEnum } from './retrieval.ts';

const InputTypeEnum = builder.enumType('EmbeddingInputType', {
  description:
    'What an input is to an asymmetric embedding model (`Model.needsInputType`): its vectors differ for each, and a wrong one silently hurts retrieval.',
  values: {
    QUERY: { value: 'query', description: 'A search query.' },
    PASSAGE: { value: 'passage', description: 'A document or passage to be found.' },
  } as const,
});

const EncodingEnum = builder.enumType('EmbeddingEncoding', {
  description: 'How the upstream sends the vectors.',
  values: {
    FLOAT: { value: 'float', description: 'JSON numbers (the default).' },
    BASE64: {
      value: 'base64',
      description:
        'Base64 of little-endian float32, about a third of the size: for large batches, with `Embeddings.base64`.',
    },
  } as const,
});

const EmbeddingsRef = builder.objectRef<Embedded & { dimensions: number }>('Embeddings').implement({
  description: 'One vector per input, in input order.',
  fields: (t) => ({
    vectors: t.field({
      type: t.listRef(t.listRef('Float')),
      description:
        'Each vector as numbers. With `encoding: BASE64` they are decoded here: select `base64` instead.',
      resolve: (e) => e.vectors.map((v) => [...vectorFloats(v)]),
    }),
    base64: t.stringList({
      description:
        'Each vector as base64 of little-endian float32 (decode with `new Float32Array(buffer)`); as the upstream sent it with `encoding: BASE64`.',
      resolve: (e) => e.vectors.map(vectorBase64),
    }),
    dimensions: t.exposeInt('dimensions', { description: 'Values in each vector.' }),
    model: t.field({
      type: ModelRef,
      description: 'The model that embedded them.',
      resolve: (e, _args, ctx) => modelOf(ctx, e.model),
    }),
    usage: t.field({
      type: InputUsageRef,
      nullable: true,
      description:
        "Input tokens; null when the upstream did not report them. When several embed fields of the operation shared an upstream call, the call's count is divided among them by characters (their sum is what the upstream reported).",
      resolve: (e) => (e.promptTokens === null ? null : { promptTokens: e.promptTokens }),
    }),
  }),
});

interface EmbedArgs {
  model: string | number;
  input: readonly string[];
  inputType?: InputType | null;
  truncate?: Truncate | null;
  dimensions?: number | null;
  encoding?: 'float' | 'base64' | null;
}

/** Checks what an embed takes against the model's kind and the configured limits, before any upstream call. */
function prepareEmbed(ctx: Context, args: EmbedArgs): EmbedQuery & { cost: number } {
  const model = readRetrievalModel(args.model);
  requireKind(ctx, model, 'embedding');
  const { asymmetric, rule } = ctx.kinds.of(model);
  if (asymmetric && args.inputType == null)
    throw new InvalidInputError(
      'inputType',
      `inputType: \`${model}\` is an asymmetric embedding model (the ${rule} rule): say QUERY for search queries or PASSAGE for documents; without it its vectors would silently be worse.`,
    );
  const { limits } = ctx;
  if (args.input.length === 0)
    throw new InvalidInputError('input', 'input: must hold at least one text');
  if (args.input.length > limits.maxEmbedInputs)
    throw new InvalidInputError(
      'input',
      `input: at most ${limits.maxEmbedInputs} texts in one embed (MAX_EMBED_INPUTS), got ${args.input.length}`,
    );
  if (args.input.some((text) => text === ''))
    throw new InvalidInputError('input', 'input: a text must not be empty');
  const chars = args.input.reduce((sum, text) => sum + text.length, 0);
  if (chars > limits.maxRetrievalChars)
    throw new InvalidInputError(
      'input',
      `input: at most ${limits.maxRetrievalChars} characters in one embed (MAX_RETRIEVAL_CHARS), got ${chars}`,
    );
  if (args.dimensions != null && args.dimensions < 1)
    throw new InvalidInputError('dimensions', 'dimensions: must be at least 1');
  const cost = requireWithinCostLimit(ctx, embeddingCost, args);
  return {
    cost,
    model,
    inputs: args.input,
    inputType: args.inputType ?? null,
    truncate: args.truncate ?? null,
    dimensions: args.dimensions ?? null,
    encoding: args.encoding ?? 'float',
  };
}

builder.queryField('embed', (t) =>
  t.field({
    extensions: embeddingCost,
    type: EmbeddingsRef,
    description:
      'Vectors for texts (`POST /v1/embeddings`). Every embed field of one operation (aliases, fragments) with the same model and options goes upstream as one call of at most EMBED_BATCH_SIZE inputs, and each field gets its own vectors back.',
    errors: {
      types: RETRIEVAL_FAILURES,
      union: { name: 'EmbedResult', description: 'Embeddings, or why there are none.' },
    },
    args: {
      model: t.arg.id({ required: true, description: 'An EMBEDDING model from `models`.' }),
      input: t.arg.stringList({
        required: true,
        description:
          'The texts, not empty: at most MAX_EMBED_INPUTS (256) of them and MAX_RETRIEVAL_CHARS (100,000) characters in all.',
      }),
      inputType: t.arg({
        type: InputTypeEnum,
        description:
          'QUERY or PASSAGE: required by an asymmetric model (`Model.needsInputType`), refused as BAD_USER_INPUT when left out.',
      }),
      truncate: t.arg({
        type: TruncateEnum,
        description:
          "What to do with an input longer than the model takes: NONE (the upstream's default when left out) answers ContextLengthExceededError.",
      }),
      dimensions: t.arg.int({
        description:
          'Shorter vectors, for a model that supports it (Matryoshka embeddings); the full size when left out.',
      }),
      encoding: t.arg({
        type: EncodingEnum,
        description: 'How the upstream sends the vectors: FLOAT (default) or BASE64.',
      }),
    },
    resolve: async (_root, args, ctx) => {
      try {
        const { cost, ...query } = prepareEmbed(ctx, args);
        // Fields share upstream calls, so each is charged its own estimate (the usage query has what the calls reported).
        const embedded = await ctx.models.withModel(query.model, () =>
          withinBudget(
            ctx,
            query.model,
            cost,
            () => embeddingsOf(ctx).load(query),
            () => null,
          ),
        );
        const first = embedded.vectors[0];
        return { ...embedded, dimensions: first === undefined ? 0 : vectorLength(first) };
      } catch (error) {
        throw ctx.trace.fail(toFailure(error));
      }
    },
  }),
);
