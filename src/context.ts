// One request owns one context: its AbortSignal, its view of the model catalog, its caller.
import type { Limits } from './config.ts';
import type { CapabilityMap } from './nim/capabilities.ts';
import { EmbeddingBatcher, estimateTokens } from './nim/embeddings.ts';
import type { ModelKindMap } from './nim/kinds.ts';
import type { ThinkingMap } from './nim/thinking.ts';
import { RequestModels, type ModelCatalog } from './nim/catalog.ts';
import type { CallOptions, NimClient } from './nim/client.ts';
import type { Usage } from './nim/wire.ts';
import { RequestTrace } from './observability/trace.ts';
import { Spending, type UsageServices } from './usage/spending.ts';

/** What outlives a request: shared by every context. */
export interface GatewayServices {
  nim: NimClient;
  catalog: ModelCatalog;
  limits: Limits;
  /** MAX_OPERATION_COST: the most tokens one operation may cost (src/schema/cost.ts). */
  maxOperationCost: number;
  capabilities: CapabilityMap;
  kinds: ModelKindMap;
  thinking: ThinkingMap;
  /** Usage per key and model, and the budgets (TOKEN_BUDGETS). */
  usage: UsageServices;
}

/**
 * The tokens an operation's calls reported (generated tokens, and the input tokens of embeddings and
 * rankings); the token rate limit settles its reservation with it.
 */
export class GenerationMeter {
  used = 0;
  reports = 0;
  /** A call succeeded without usage: what it cost is unknown. */
  unreported = false;

  /** A call succeeded: its usage.completion_tokens (input tokens for retrieval), or null when the upstream sent no usage. */
  generated(tokens: number | null): void {
    this.reports += 1;
    if (tokens === null) this.unreported = true;
    else this.used += tokens;
  }
}

export interface Context {
  nim: NimClient;
  models: RequestModels;
  limits: Limits;
  /** MAX_OPERATION_COST: a field that alone costs more is refused as a bad argument. */
  maxOperationCost: number;
  /** What each model can do (tools, images, reasoning, guided decoding). */
  capabilities: CapabilityMap;
  /** What each model is for: generation, embedding or ranking. */
  kinds: ModelKindMap;
  /** How each model's thinking is turned on and off. */
  thinking: ThinkingMap;
  /** Aborts when the client goes away: upstream calls made for this request stop with it. */
  signal: AbortSignal;
  /** Who calls, never a secret: `key:<name>` for a named key, `key:<sha-256 prefix of the API key>`, or `ip:<address>` without client auth. */
  client: string;
  meter: GenerationMeter;
  /** The caller's budgets and usage. */
  spending: Spending;
  /** What this request did (log line, metrics, Server-Timing). */
  trace: RequestTrace;
  /** For every upstream call of this request: its signal, the request id and trace context to forward, timing. */
  upstream: CallOptions;
}

export function createContext(
  services: GatewayServices,
  request: Request,
  client: string,
  trace?: RequestTrace,
): Context {
  // Requests that reach GraphQL without the HTTP plugin's trace (graphql-sse's own route) get one here.
  const requestTrace = trace ?? new RequestTrace(request.headers);
  const upstream: CallOptions = {
    signal: request.signal,
    headers: { 'x-request-id': requestTrace.requestId, traceparent: requestTrace.traceparent },
    onAttempt: (attempt) => requestTrace.upstream(attempt),
  };
  const context: Context = {
    trace: requestTrace,
    upstream,
    nim: services.nim,
    limits: services.limits,
    maxOperationCost: services.maxOperationCost,
    capabilities: services.capabilities,
    kinds: services.kinds,
    thinking: services.thinking,
    models: new RequestModels(services.catalog, upstream),
    signal: request.signal,
    client,
    meter: new GenerationMeter(),
    spending: new Spending(services.usage, client),
  };
  return context;
}

/** Each request's embedding batcher, made by its first embed field: most requests have none. */
const batchers = new WeakMap<CallOptions, EmbeddingBatcher>();

/**
 * The operation's embed fields, batched into shared upstream calls. Keyed by the request's
 * `upstream` options, which only this request holds, so the batcher goes with the request.
 */
export function embeddingsOf(ctx: Context): EmbeddingBatcher {
  let batcher = batchers.get(ctx.upstream);
  if (batcher === undefined) {
    batcher = new EmbeddingBatcher({
      embed: (body) => ctx.nim.embed(body, ctx.upstream),
      batchSize: ctx.limits.embedBatchSize,
      onUsage: (model, usage, inputs) =>
        void recordInput(
          ctx,
          model,
          usage?.prompt_tokens ?? null,
          inputs.reduce((sum, text) => sum + estimateTokens(text), 0),
        ),
    });
    batchers.set(ctx.upstream, batcher);
  }
  return batcher;
}

/** A generation succeeded: the token rate limit, the request's trace and the key's usage hear its usage. */
export function recordGeneration(ctx: Context, model: string, usage: Usage | null): Promise<void> {
  ctx.meter.generated(usage?.completion_tokens ?? null);
  ctx.trace.usage(model, usage?.prompt_tokens ?? 0, usage?.completion_tokens ?? 0);
  return ctx.spending.used(model, usage?.prompt_tokens ?? 0, usage?.completion_tokens ?? 0);
}

/**
 * An embedding or ranking call succeeded: its input tokens count where generated tokens do (the
 * estimate the limits reserved when the upstream reports none).
 */
export function recordInput(
  ctx: Context,
  model: string,
  reported: number | null,
  estimated: number,
): Promise<void> {
  const tokens = reported ?? estimated;
  ctx.meter.generated(tokens);
  ctx.trace.usage(model, tokens, 0);
  return ctx.spending.used(model, tokens, 0);
}
