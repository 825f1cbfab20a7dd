// Reranking (`POST /v1/ranking`, on NIM_RANKING_BASE_URL): passages scored against a query, best
// first. A query field, as embed is (see README, "Embeddings and reranking").
import { recordInput, type Context } from '../context.ts';
import type { RankingRequest, Truncate } from '../nim/wire.ts';
import { builder } from './builder.ts';
import { withinBudget } from './budget.ts';
import { rankingCost, requireWithinCostLimit } from './cost.ts';
import { toFailure } from './errors.ts';
import { InvalidInputError, RETRIEVAL_FAILURES } from './failures.ts';
import { requireKind } from './kinds.ts';
import { ModelRef } from './models.ts';
import { InputUsageRef, modelOf, readRetrievalModel, TruncateEnum } from './retrieval.ts';

interface Ranked {
  index: number;
  logit: number;
  passage: string;
}

const RankingRef = builder.objectRef<Ranked>('Ranking').implement({
  description: 'One passage, scored against the query.',
  fields: (t) => ({
    index: t.exposeInt('index', { description: 'Its position in `passages`.' }),
    score: t.exposeFloat('logit', {
      description:
        "The model's relevance logit: higher is more relevant, any real number, comparable within one query only. Not a probability: see `probability`.",
    }),
    probability: t.float({
      description: 'The logistic of `score`, 1 / (1 + e^-score): between 0 and 1.',
      resolve: (r) => 1 / (1 + Math.exp(-r.logit)),
    }),
    passage: t.exposeString('passage', { description: 'The passage itself.' }),
  }),
});

const RankingsRef = builder
  .objectRef<{ rankings: Ranked[]; model: string; promptTokens: number | null }>('Rankings')
  .implement({
    description: 'The passages, best first.',
    fields: (t) => ({
      rankings: t.field({
        type: [RankingRef],
        description: 'Best first; `topN` of them when given, else every passage.',
        resolve: (r) => r.rankings,
      }),
      model: t.field({
        type: ModelRef,
        description: 'The model that ranked them.',
        resolve: (r, _args, ctx) => modelOf(ctx, r.model),
      }),
      usage: t.field({
        type: InputUsageRef,
        nullable: true,
        description:
          'Input tokens; null when the upstream did not report them (the limits then count the estimate).',
        resolve: (r) => (r.promptTokens === null ? null : { promptTokens: r.promptTokens }),
      }),
    }),
  });

interface RerankArgs {
  model: string | number;
  query: string;
  passages: readonly string[];
  topN?: number | null;
  truncate?: Truncate | null;
}

function prepareRerank(
  ctx: Context,
  args: RerankArgs,
): RankingRequest & { topN: number | null; cost: number } {
  const model = readRetrievalModel(args.model);
  requireKind(ctx, model, 'ranking');
  const { limits } = ctx;
  if (args.query === '') throw new InvalidInputError('query', 'query: must not be empty');
  if (args.passages.length === 0)
    throw new InvalidInputError('passages', 'passages: must hold at least one passage');
  if (args.passages.length > limits.maxRerankPassages)
    throw new InvalidInputError(
      'passages',
      `passages: at most ${limits.maxRerankPassages} in one rerank (MAX_RERANK_PASSAGES), got ${args.passages.length}`,
    );
  if (args.passages.some((p) => p === ''))
    throw new InvalidInputError('passages', 'passages: a passage must not be empty');
  const chars = args.passages.reduce((sum, p) => sum + p.length, args.query.length);
  if (chars > limits.maxRetrievalChars)
    throw new InvalidInputError(
      'passages',
      `passages: at most ${limits.maxRetrievalChars} characters with the query in one rerank (MAX_RETRIEVAL_CHARS), got ${chars}`,
    );
  if (args.topN != null && args.topN < 1)
    throw new InvalidInputError('topN', 'topN: must be at least 1');
  const cost = requireWithinCostLimit(ctx, rankingCost, args);
  return {
    cost,
    model,
    query: { text: args.query },
    passages: args.passages.map((text) => ({ text })),
    ...(args.truncate == null ? {} : { truncate: args.truncate }),
    topN: args.topN ?? null,
  };
}

builder.queryField('rerank', (t) =>
  t.field({
    extensions: rankingCost,
    type: RankingsRef,
    description:
      'Passages ranked by relevance to a query, best first (`POST /v1/ranking`, sent to NIM_RANKING_BASE_URL).',
    errors: {
      types: RETRIEVAL_FAILURES,
      union: { name: 'RerankResult', description: 'Rankings, or why there are none.' },
    },
    args: {
      model: t.arg.id({ required: true, description: 'A RANKING model from `models`.' }),
      query: t.arg.string({ required: true, description: 'What the passages are ranked for.' }),
      passages: t.arg.stringList({
        required: true,
        description:
          'The passages, not empty: at most MAX_RERANK_PASSAGES (512), with the query at most MAX_RETRIEVAL_CHARS characters.',
      }),
      topN: t.arg.int({ description: 'Only the best N; every passage when left out.' }),
      truncate: t.arg({
        type: TruncateEnum,
        description:
          'What to do with a query and passage longer than the model takes: NONE (the default when left out) answers ContextLengthExceededError.',
      }),
    },
    resolve: async (_root, args, ctx) => {
      try {
        const { topN, cost, ...body } = prepareRerank(ctx, args);
        const response = await ctx.models.withModel(body.model, () =>
          withinBudget(
            ctx,
            body.model,
            cost,
            () => ctx.nim.rank(body, ctx.upstream),
            (r) => r.usage?.prompt_tokens ?? null,
          ),
        );
        await recordInput(ctx, body.model, response.usage?.prompt_tokens ?? null, cost);
        const rankings = response.rankings
          .filter((r) => r.index < args.passages.length)
          .sort((a, b) => b.logit - a.logit)
          .slice(0, topN ?? undefined)
          .map((r) => ({ ...r, passage: args.passages[r.index]! }));
        return {
          rankings,
          model: body.model,
          promptTokens: response.usage?.prompt_tokens ?? null,
        };
      } catch (error) {
        throw ctx.trace.fail(toFailure(error));
      }
    },
  }),
);
