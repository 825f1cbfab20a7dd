// NimClient: the only code that speaks to NIM Proxy: the model list, completions and chats, JSON or
// streamed as server-sent events with first-token and idle timeouts, embeddings and rankings. It
// holds the HTTP side (NimTransport; a second one when rankings have their own upstream) and says
// what to call; the stream's reading is in event-stream.ts.
import type { CircuitChange, CircuitStatus } from './breaker.ts';
import { upstreamEvents } from './event-stream.ts';
import {
  chatBody,
  completionBody,
  streaming,
  type ChatInput,
  type CompletionInput,
} from './params.ts';
import type { ResilienceConfig } from './settings.ts';
import {
  assembleChat,
  assembleCompletion,
  chatHasContent,
  completionHasContent,
  type StreamPart,
} from './stream.ts';
import {
  NimTransport,
  type Call,
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
  modelList,
  rankingResponse,
  type ChatCompletionResponse,
  type CompletionResponse,
  type EmbeddingRequest,
  type EmbeddingResponse,
  type ModelCard,
  type RankingRequest,
  type RankingResponse,
} from './wire.ts';

export type { CallOptions, UpstreamAttempt } from './transport.ts';

export class NimClient {
  readonly #transport: NimTransport;
  /** The ranking upstream: the same transport unless NIM_RANKING_BASE_URL names another. */
  readonly #ranking: NimTransport;

  constructor(options: NimClientOptions, resilience: ResilienceConfig) {
    this.#transport = new NimTransport(options, resilience);
    const ranking = options.rankingBaseUrl;
    this.#ranking =
      ranking === undefined || ranking === options.baseUrl
        ? this.#transport
        : new NimTransport({ ...options, baseUrl: ranking }, resilience);
  }

  #transports(): NimTransport[] {
    return this.#ranking === this.#transport ? [this.#transport] : [this.#transport, this.#ranking];
  }

  /** The circuit breaker's view of the upstream (readiness). */
  circuit(): CircuitStatus {
    return this.#transport.circuit();
  }

  /** Calls holding or awaiting a concurrency slot, and the pool's sockets and requests (metrics, leak checks). */
  stats(): ReturnType<NimTransport['stats']> {
    return this.#transport.stats();
  }

  /** `listener` hears every attempt (metrics); `onRetry` every retry the resilience layer makes. */
  onAttempts(
    listener: (attempt: UpstreamAttempt) => void,
    onRetry?: (endpoint: string) => void,
  ): void {
    for (const transport of this.#transports()) transport.onAttempts(listener, onRetry);
  }

  /** `listener` hears the circuit breaker open and close (the operator's log). */
  onCircuitChange(listener: (change: CircuitChange) => void): void {
    for (const transport of this.#transports()) transport.onCircuitChange(listener);
  }

  /** `listener` hears each time the upstream answers as a healthy upstream does (readiness). */
  onAnswered(listener: (at: number) => void): void {
    this.#transport.onAnswered(listener);
  }

  /** Closes the pool once its calls are done; what is still running after `graceMs` is cut. */
  async close(graceMs?: number): Promise<void> {
    await Promise.all(this.#transports().map((transport) => transport.close(graceMs)));
  }

  async listModels(options: CallOptions = {}): Promise<ModelCard[]> {
    const body = await this.#transport.json(
      { ...options, method: 'GET', path: '/v1/models', model: null },
      modelList,
    );
    return body.data;
  }

  async complete(input: CompletionInput, options: CallOptions = {}): Promise<CompletionResponse> {
    const body = completionBody(input, this.#transport.options.dialect);
    return this.#transport.json(
      { ...options, method: 'POST', path: '/v1/completions', body, model: input.model },
      completionResponse,
    );
  }

  async chat(input: ChatInput, options: CallOptions = {}): Promise<ChatCompletionResponse> {
    const body = chatBody(input, this.#transport.options.dialect);
    return this.#transport.json(
      { ...options, method: 'POST', path: '/v1/chat/completions', body, model: input.model },
      chatCompletionResponse,
    );
  }

  async embed(body: EmbeddingRequest, options: CallOptions = {}): Promise<EmbeddingResponse> {
    return this.#transport.json(
      { ...options, method: 'POST', path: '/v1/embeddings', body, model: body.model },
      embeddingResponse,
    );
  }

  async rank(body: RankingRequest, options: CallOptions = {}): Promise<RankingResponse> {
    return this.#ranking.json(
      { ...options, method: 'POST', path: '/v1/ranking', body, model: body.model },
      rankingResponse,
    );
  }

  /** Streams a completion: deltas as they arrive, then the assembled result (only after `[DONE]`). */
  streamCompletion(
    input: CompletionInput,
    options: CallOptions = {},
  ): AsyncGenerator<StreamPart<CompletionResponse>> {
    const body = streaming(
      completionBody(input, this.#transport.options.dialect),
      this.#transport.options.streamUsage,
    );
    const call: Call = {
      ...options,
      method: 'POST',
      path: '/v1/completions',
      body,
      model: input.model,
    };
    return assembleCompletion(
      upstreamEvents(this.#transport, call, completionChunk, completionHasContent),
      input.model,
      input.params?.n ?? 1,
    );
  }

  streamChat(
    input: ChatInput,
    options: CallOptions = {},
  ): AsyncGenerator<StreamPart<ChatCompletionResponse>> {
    const body = streaming(
      chatBody(input, this.#transport.options.dialect),
      this.#transport.options.streamUsage,
    );
    const call: Call = {
      ...options,
      method: 'POST',
      path: '/v1/chat/completions',
      body,
      model: input.model,
    };
    return assembleChat(
      upstreamEvents(this.#transport, call, chatChunk, chatHasContent),
      input.model,
      input.params?.n ?? 1,
    );
  }
}
