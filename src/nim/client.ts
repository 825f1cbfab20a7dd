// NimClient: the only code that speaks to NIM Proxy: the model list, completions and chats, JSON or
// streamed as server-sent events with first-token and idle timeouts, embeddings and rankings. It
// holds the HTTP side (a Fleet of NimTransports, one for NIM_PROXY_BASE_URL; another when rankings
// have their own upstream), says what to call and fails over to the next upstream while nothing of
// an answer came; the stream's reading is in event-stream.ts.
import type { z } from 'zod';
import type { CircuitChange, CircuitStatus } from './breaker.ts';
import { upstreamEvents, type StreamAttempt } from './event-stream.ts';
import { Fleet, FleetMember, type UpstreamHealth } from './fleet.ts';
import {
  chatBody,
  completionBody,
  streaming,
  type ChatInput,
  type CompletionInput,
} from './params.ts';
import { isSafeToFailOver } from './retry.ts';
import type { FleetUpstream, ResilienceConfig } from './settings.ts';
import {
  assembleChat,
  assembleCompletion,
  chatHasContent,
  completionHasContent,
  type StreamPart,
} from './stream.ts';
import {
  NimTransport,
  type CallOptions,
  type NimClientOptions,
  type UpstreamAttempt,
} from './transport.ts';
import {
  chatChunk,
  chatCompletionResponse,
  completionChunk,
  completionResponse,
  embeddingResponse,
  rankingResponse,
  type ChatCompletionRequest,
  type ChatCompletionResponse,
  type CompletionRequest,
  type CompletionResponse,
  type EmbeddingRequest,
  type EmbeddingResponse,
  type ModelCard,
  type RankingRequest,
  type RankingResponse,
} from './wire.ts';

export type { CallOptions, UpstreamAttempt } from './transport.ts';

export type { UpstreamHealth } from './fleet.ts';

/** A call went to the next upstream: `from` failed it before any answer. */
export interface Failover {
  from: string;
  to: string;
  endpoint: string;
}

export class NimClient {
  readonly #fleet: Fleet;
  /** The ranking upstream: the fleet unless NIM_RANKING_BASE_URL names another. */
  readonly #ranking: Fleet;
  readonly #failoverListeners: ((failover: Failover) => void)[] = [];

  /** One upstream (`options`), or the fleet of an upstreams file when `upstreams` is given. */
  constructor(
    options: NimClientOptions,
    resilience: ResilienceConfig,
    upstreams?: readonly FleetUpstream[],
  ) {
    const members =
      upstreams === undefined
        ? [new FleetMember('default', new NimTransport(options, resilience), 1, ANY_MODEL)]
        : upstreams.map(
            (u) =>
              new FleetMember(
                u.name,
                new NimTransport(u.upstream, u.resilience, u.name),
                u.weight,
                u.models,
              ),
          );
    this.#fleet = new Fleet(members);
    const ranking = upstreams === undefined ? options.rankingBaseUrl : undefined;
    this.#ranking =
      ranking === undefined || ranking === options.baseUrl
        ? this.#fleet
        : new Fleet([
            new FleetMember(
              'ranking',
              new NimTransport({ ...options, baseUrl: ranking }, resilience, 'ranking'),
              1,
              ANY_MODEL,
            ),
          ]);
  }

  #transports(): NimTransport[] {
    const members =
      this.#ranking === this.#fleet
        ? this.#fleet.members
        : [...this.#fleet.members, ...this.#ranking.members];
    return members.map((m) => m.transport);
  }

  get #first(): NimTransport {
    return this.#fleet.members[0]!.transport;
  }

  /** The circuit breaker's view of the upstream (readiness); of the first one in a fleet. */
  circuit(): CircuitStatus {
    return this.#first.circuit();
  }

  /** Each upstream by name with its health (readiness, `Model.upstreams`). */
  upstreams(): UpstreamHealth[] {
    return this.#fleet.members.map((m) => m.health());
  }

  /** The upstreams serving `model`, each with its health. */
  upstreamsOf(model: string): UpstreamHealth[] {
    return this.#fleet.upstreamsOf(model);
  }

  /** Calls holding or awaiting a concurrency slot, and the pools' sockets and requests, summed over the upstreams (metrics, leak checks). */
  stats(): ReturnType<NimTransport['stats']> {
    const sum = { inFlight: 0, queued: 0, connected: 0, running: 0, pending: 0 };
    for (const member of this.#fleet.members) {
      const stats = member.transport.stats();
      for (const key of Object.keys(sum) as (keyof typeof sum)[]) sum[key] += stats[key];
    }
    return sum;
  }

  /** `listener` hears every attempt (metrics); `onRetry` every retry the resilience layer makes. */
  onAttempts(
    listener: (attempt: UpstreamAttempt) => void,
    onRetry?: (endpoint: string, upstream: string) => void,
  ): void {
    for (const transport of this.#transports())
      transport.onAttempts(listener, onRetry && ((endpoint) => onRetry(endpoint, transport.name)));
  }

  /** `listener` hears each call that went on to the next upstream (metrics). */
  onFailover(listener: (failover: Failover) => void): void {
    this.#failoverListeners.push(listener);
  }

  /** `listener` hears the circuit breakers open and close (the operator's log). */
  onCircuitChange(listener: (change: CircuitChange, upstream: string) => void): void {
    for (const transport of this.#transports())
      transport.onCircuitChange((change) => listener(change, transport.name));
  }

  /** `listener` hears each time an upstream answers as a healthy upstream does (readiness). */
  onAnswered(listener: (at: number) => void): void {
    for (const member of this.#fleet.members) member.transport.onAnswered(listener);
  }

  /** Closes the pools once their calls are done; what is still running after `graceMs` is cut. */
  async close(graceMs?: number): Promise<void> {
    await Promise.all(this.#transports().map((transport) => transport.close(graceMs)));
  }

  listModels(options: CallOptions = {}): Promise<ModelCard[]> {
    return this.#fleet.listModels(options);
  }

  async complete(input: CompletionInput, options: CallOptions = {}): Promise<CompletionResponse> {
    return this.#json(
      this.#fleet,
      input.model,
      '/v1/completions',
      options,
      completionResponse,
      (m) =>
        completionBody({ ...input, model: m.upstreamId(input.model) }, m.transport.options.dialect),
    );
  }

  async chat(input: ChatInput, options: CallOptions = {}): Promise<ChatCompletionResponse> {
    return this.#json(
      this.#fleet,
      input.model,
      '/v1/chat/completions',
      options,
      chatCompletionResponse,
      (m) => chatBody({ ...input, model: m.upstreamId(input.model) }, m.transport.options.dialect),
    );
  }

  async embed(body: EmbeddingRequest, options: CallOptions = {}): Promise<EmbeddingResponse> {
    return this.#json(
      this.#fleet,
      body.model,
      '/v1/embeddings',
      options,
      embeddingResponse,
      (m) => ({
        ...body,
        model: m.upstreamId(body.model),
      }),
    );
  }

  async rank(body: RankingRequest, options: CallOptions = {}): Promise<RankingResponse> {
    return this.#json(this.#ranking, body.model, '/v1/ranking', options, rankingResponse, (m) => ({
      ...body,
      model: m.upstreamId(body.model),
    }));
  }

  /**
   * Streams a completion: deltas as they arrive, then the assembled result (only after `[DONE]`);
   * the parts of one upstream read come as one array.
   */
  streamCompletion(
    input: CompletionInput,
    options: CallOptions = {},
  ): AsyncGenerator<StreamPart<CompletionResponse>[]> {
    const attempts = this.#streamAttempts(input.model, '/v1/completions', options, (m) =>
      completionBody({ ...input, model: m.upstreamId(input.model) }, m.transport.options.dialect),
    );
    return assembleCompletion(
      upstreamEvents(attempts, completionChunk, completionHasContent, this.#failOver),
      input.model,
      input.params?.n ?? 1,
      this.#aliased(input.model),
    );
  }

  streamChat(
    input: ChatInput,
    options: CallOptions = {},
  ): AsyncGenerator<StreamPart<ChatCompletionResponse>[]> {
    const attempts = this.#streamAttempts(input.model, '/v1/chat/completions', options, (m) =>
      chatBody({ ...input, model: m.upstreamId(input.model) }, m.transport.options.dialect),
    );
    return assembleChat(
      upstreamEvents(attempts, chatChunk, chatHasContent, this.#failOver),
      input.model,
      input.params?.n ?? 1,
      this.#aliased(input.model),
    );
  }

  /** One JSON call, at the next upstream serving the model while the one before failed it before any answer. */
  async #json<T extends z.ZodType>(
    fleet: Fleet,
    model: string,
    path: string,
    options: CallOptions,
    schema: T,
    body: (member: FleetMember) => unknown,
  ): Promise<z.output<T>> {
    const route = fleet.route(model);
    for (let next = 1; ; next++) {
      const member = route[next - 1]!;
      const then = route[next];
      // While another upstream can take the call, it is the retry: a sick upstream is not asked twice.
      const maxRetries = then === undefined ? undefined : 0;
      try {
        const result = await member.transport.json(
          { ...options, method: 'POST', path, body: body(member), model, maxRetries },
          schema,
        );
        return member.upstreamId(model) === model ? result : publicModel(result, model);
      } catch (error) {
        if (then === undefined || options.signal?.aborted || !isSafeToFailOver(error)) throw error;
        this.#failedOver({ from: member.name, to: then.name, endpoint: path });
      }
    }
  }

  /** Whether an upstream serves `model` under another id: its answers then keep the public one. */
  #aliased(model: string): boolean {
    return this.#fleet.members.some((m) => m.upstreamId(model) !== model);
  }

  #streamAttempts(
    model: string,
    path: string,
    options: CallOptions,
    body: (member: FleetMember) => CompletionRequest | ChatCompletionRequest,
  ): [StreamAttempt, ...StreamAttempt[]] {
    const route = this.#fleet.route(model);
    const [first, ...rest] = route.map((member, index) => ({
      transport: member.transport,
      call: {
        ...options,
        method: 'POST' as const,
        path,
        body: streaming(body(member), member.transport.options.streamUsage),
        model,
        // As for JSON calls: the next upstream is the retry.
        maxRetries: index < route.length - 1 ? 0 : undefined,
      },
    }));
    return [first!, ...rest];
  }

  readonly #failOver = (error: unknown, from: StreamAttempt, to: StreamAttempt): boolean => {
    if (!isSafeToFailOver(error)) return false;
    this.#failedOver({
      from: from.transport.name,
      to: to.transport.name,
      endpoint: from.call.path,
    });
    return true;
  };

  #failedOver(failover: Failover): void {
    for (const listener of this.#failoverListeners) listener(failover);
  }
}

const ANY_MODEL = { include: null, aliases: {} } as const;

/** An answer of an upstream that serves the model under an alias names the model as clients know it. */
function publicModel<T>(result: T, model: string): T {
  if (typeof result !== 'object' || result === null || !('model' in result)) return result;
  return { ...result, model };
}
