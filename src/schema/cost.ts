// A field's price in tokens (generated, or read by an embedding or ranking model), declared on the
// field itself (`extensions: { tokenCost }`, as Hive declares `@cost`): the cost limit, the token
// rate limit and their metrics read it from the schema, so a field that calls a model cannot be
// free by being left off a list.
import type { Context } from '../context.ts';
import { estimateTokens } from '../nim/embeddings.ts';
import { InvalidInputError } from './failures.ts';

export interface CostDefaults {
  /** DEFAULT_MAX_TOKENS: what a generation without maxTokens may generate. */
  defaultMaxTokens: number;
}

/** The most tokens one use of the field may cost, from its arguments as written (variables filled in). */
export type TokenCost = (args: Readonly<Record<string, unknown>>, defaults: CostDefaults) => number;

const positiveInt = (value: unknown, fallback: number) =>
  typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : fallback;

/** A generation: maxTokens (or the default) for each of its `options.n` choices. */
const generation: TokenCost = (args, { defaultMaxTokens }) => {
  const options =
    typeof args.options === 'object' && args.options !== null
      ? (args.options as Record<string, unknown>)
      : {};
  return positiveInt(args.maxTokens, defaultMaxTokens) * positiveInt(options.n, 1);
};

/**
 * What a field declares: its cost, and the argument named when the field alone is over the limit.
 */
export type DeclaredCost = {
  tokenCost: TokenCost;
  /** The argument an InvalidInputError names when this field alone costs more than an operation may. */
  costArgument: string;
  /** How its cost is counted, for that error's message. */
  costRule: string;
};

export const generationCost: DeclaredCost = {
  tokenCost: generation,
  costArgument: 'maxTokens',
  costRule: 'maxTokens × n',
};

/** What one image part counts for in the cost limits: about what a vision model reads it as. */
const IMAGE_TOKEN_COST = 1024;

/** A chat: its generation, plus IMAGE_TOKEN_COST for each image part of its messages. */
const chat: TokenCost = (args, defaults) => {
  const messages = Array.isArray(args.messages) ? (args.messages as unknown[]) : [];
  const images = messages.reduce<number>((sum, message) => {
    const parts = (message as { parts?: unknown } | null)?.parts;
    if (!Array.isArray(parts)) return sum;
    return sum + parts.filter((p) => (p as { type?: unknown } | null)?.type === 'IMAGE').length;
  }, 0);
  return generation(args, defaults) + images * IMAGE_TOKEN_COST;
};

export const chatCost: DeclaredCost = {
  tokenCost: chat,
  costArgument: 'maxTokens',
  costRule: `maxTokens × n, and ${IMAGE_TOKEN_COST} for each image`,
};

/** The field's declared cost, or null when it has none (it generates nothing). */
export function tokenCostOf(
  extensions: Readonly<Record<string, unknown>> | null | undefined,
): TokenCost | null {
  const cost = extensions?.tokenCost;
  return typeof cost === 'function' ? (cost as TokenCost) : null;
}

const texts = (value: unknown): string[] =>
  (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');

/** An embedding: the estimated tokens of its inputs (about 4 characters a token). */
const embedding: TokenCost = (args) =>
  texts(args.input).reduce((sum, text) => sum + estimateTokens(text), 0);

export const embeddingCost: DeclaredCost = {
  tokenCost: embedding,
  costArgument: 'input',
  costRule: 'about 4 characters a token',
};

/** A ranking: the model reads the query with each passage, so each pair's estimated tokens. */
const ranking: TokenCost = (args) => {
  const query = texts(args.query).join('');
  return texts(args.passages).reduce((sum, text) => sum + estimateTokens(query + text), 0);
};

export const rankingCost: DeclaredCost = {
  tokenCost: ranking,
  costArgument: 'passages',
  costRule: 'the query with each passage, about 4 characters a token',
};

/**
 * What the field may cost, its budget reservation (schema/budget.ts). One field that alone may cost more than MAX_OPERATION_COST can never run: it is refused as a bad
 * argument of that field (a typed InvalidInputError in its result, the rest of the operation runs),
 * before any upstream call. The operation's limit counts it for nothing (use-operation-cost.ts).
 */
export function requireWithinCostLimit(
  ctx: Pick<Context, 'limits' | 'maxOperationCost'>,
  declared: DeclaredCost,
  args: object,
): number {
  // The resolver's arguments, as the cost plugin reads them from the document and variables.
  const cost = declared.tokenCost(args as Readonly<Record<string, unknown>>, ctx.limits);
  if (cost > ctx.maxOperationCost)
    throw new InvalidInputError(
      declared.costArgument,
      `${declared.costArgument}: this field may use up to ${cost} tokens (${declared.costRule}); one operation may use at most ${ctx.maxOperationCost}`,
    );
  return cost;
}
