// Rate limits per client (ctx.client): operations a minute, and generated tokens a minute. An
// operation reserves its maximum cost (maxTokens × n over its generation fields) before it runs,
// and gives back what it did not use when it ends. Refusals come before any upstream call.
import { GraphQLError, type ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Context, GenerationMeter } from '../context.ts';
import type { RateLimitStore } from './rate-limit-store.ts';
import { whenStreamEnds } from './stream-end.ts';
import { operationCost, type CostRules } from './use-operation-cost.ts';

type Limit = 'REQUESTS_PER_MINUTE' | 'TOKENS_PER_MINUTE';

/** A request-level refusal: a top-level error, HTTP 429 with Retry-After (when a wait helps). */
function rateLimited(
  message: string,
  limit: Limit,
  retryAfterSeconds: number | null,
): GraphQLError {
  const headers: Record<string, string> =
    retryAfterSeconds === null ? {} : { 'Retry-After': String(retryAfterSeconds) };
  return new GraphQLError(message, {
    extensions: { code: 'RATE_LIMITED', retryAfterSeconds, limit, http: { status: 429, headers } },
  });
}

interface Reservation {
  client: string;
  points: number;
  windowEndsAt: number;
}

interface OperationArgs {
  schema: Parameters<typeof operationCost>[0];
  document: Parameters<typeof operationCost>[1];
  variableValues?: Parameters<typeof operationCost>[2];
  operationName?: string | null;
  contextValue: Context;
}

type Admission = { refusal: GraphQLError } | { reservation: Reservation | null };

async function admit(
  store: RateLimitStore,
  rules: CostRules,
  args: OperationArgs,
): Promise<Admission> {
  const { client } = args.contextValue;
  if (store.requests) {
    const taken = await store.requests.take(client, 1);
    if (!taken.ok) {
      const message = `Too many requests: a client may run ${store.requests.perMinute} operations a minute.`;
      return { refusal: rateLimited(message, 'REQUESTS_PER_MINUTE', taken.retryAfterSeconds) };
    }
  }
  const { tokens } = store;
  const cost = tokens
    ? operationCost(args.schema, args.document, args.variableValues, args.operationName, rules)
    : 0;
  if (!tokens || cost === 0) return { reservation: null };
  if (cost > tokens.perMinute) {
    // Waiting never helps here: no Retry-After.
    const message = `This operation may use up to ${cost} tokens (maxTokens × n, and embedding and ranking input), more than the ${tokens.perMinute} a client may use a minute: lower maxTokens or send less.`;
    return { refusal: rateLimited(message, 'TOKENS_PER_MINUTE', null) };
  }
  const taken = await tokens.take(client, cost);
  if (!taken.ok) {
    const message = `Token budget spent: this operation may use up to ${cost} tokens (maxTokens × n, and embedding and ranking input), more than is left of the ${tokens.perMinute} a client may use a minute.`;
    return { refusal: rateLimited(message, 'TOKENS_PER_MINUTE', taken.retryAfterSeconds) };
  }
  return { reservation: { client, points: cost, windowEndsAt: taken.windowEndsAt } };
}

/**
 * What the operation is charged: the reported tokens (completion tokens, and the input tokens of
 * embeddings and rankings, which may pass their estimate). The whole reservation when a generation
 * succeeded without usage, or when the client left before any reported it (a stream read and closed
 * before its Done would otherwise be free). Failed calls cost nothing.
 */
function charge(reserved: number, meter: GenerationMeter, clientGone: boolean): number {
  if (meter.unreported || (clientGone && meter.reports === 0)) return reserved;
  return meter.used;
}

export function useRateLimits(store: RateLimitStore, rules: CostRules): Plugin<Context> {
  const settle = async (reservation: Reservation, context: Context, clientGone: boolean) => {
    const { client, points, windowEndsAt } = reservation;
    const charged = charge(points, context.meter, clientGone);
    // Stryker disable next-line OptionalChaining: a reservation is only ever taken from the token budget, so it exists here.
    await store.tokens?.giveBack(client, points - charged, windowEndsAt);
    await store.tokens?.takeMore(client, charged - points, windowEndsAt);
  };

  return {
    onYogaInit({ yoga }) {
      store.logger = yoga.logger;
    },
    async onExecute({ args, setResultAndStopExecution }) {
      const admission = await admit(store, rules, args);
      if ('refusal' in admission) return setResultAndStopExecution({ errors: [admission.refusal] });
      const { reservation } = admission;
      if (reservation === null) return;
      return {
        onExecuteDone({ result }) {
          const done = (clientGone: boolean) => settle(reservation, args.contextValue, clientGone);
          // Incremental delivery: settle when the last part is out.
          if (isAsyncIterable(result)) return { onEnd: () => void done(false) };
          return done(args.contextValue.signal.aborted);
        },
      };
    },
    async onSubscribe({ args, setResultAndStopExecution }) {
      // Before the subscribe resolver: a refused stream never opens the upstream one.
      const admission = await admit(store, rules, args);
      if ('refusal' in admission)
        return setResultAndStopExecution({ errors: [admission.refusal] } satisfies ExecutionResult);
      const { reservation } = admission;
      if (reservation === null) return;
      return {
        onSubscribeResult({ result, setResult }) {
          const done = (clientGone: boolean) => settle(reservation, args.contextValue, clientGone);
          if (isAsyncIterable(result)) whenStreamEnds(result, setResult, done);
          else void done(false);
        },
      };
    },
  };
}
