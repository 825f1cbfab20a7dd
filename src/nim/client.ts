// NimClient: the only code that speaks HTTP to NIM Proxy (through NimTransport): the model list,
// completions and chats, JSON or streamed as server-sent events with first-token and idle timeouts.
import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import { discard, drain, guard } from './body.ts';
import { brokenStream, fromInBandError, fromTransport, NimError, streamTimeout } from './errors.ts';
import {
  chatBody,
  completionBody,
  streaming,
  type ChatInput,
  type CompletionInput,
} from './params.ts';
import type { Leased } from './resilience.ts';
import { parseWith } from './chunk-reader.ts';
import { eventBatches, EventTooLarge } from './sse.ts';
import {
  assembleChat,
  assembleCompletion,
  chatHasContent,
  completionHasContent,
  type StreamPart,
} from './stream.ts';
import { NimTransport, parseJson, type Call, type CallOptions } from './transport.ts';
import {
  chatChunk,
  chatCompletionResponse,
  completionChunk,
  completionResponse,
  modelList,
  readInBandError,
  type ChatCompletionResponse,
  type CompletionResponse,
  type ModelCard,
} from './wire.ts';

export type { CallOptions, UpstreamAttempt } from './transport.ts';

/** How long the end of a stream's response may take after `[DONE]` before its connection is closed. */
const DONE_DRAIN_MS = 1000;

export class NimClient extends NimTransport {
  async listModels(options: CallOptions = {}): Promise<ModelCard[]> {
    const body = await this.json(
      { ...options, method: 'GET', path: '/v1/models', model: null },
      modelList,
    );
    return body.data;
  }

  async complete(input: CompletionInput, options: CallOptions = {}): Promise<CompletionResponse> {
    const body = completionBody(input, this.options.dialect);
    return this.json(
      { ...options, method: 'POST', path: '/v1/completions', body, model: input.model },
      completionResponse,
    );
  }

  async chat(input: ChatInput, options: CallOptions = {}): Promise<ChatCompletionResponse> {
    const body = chatBody(input, this.options.dialect);
    return this.json(
      { ...options, method: 'POST', path: '/v1/chat/completions', body, model: input.model },
      chatCompletionResponse,
    );
  }

  /** Streams a completion: deltas as they arrive, then the assembled result (only after `[DONE]`). */
  streamCompletion(
    input: CompletionInput,
    options: CallOptions = {},
  ): AsyncGenerator<StreamPart<CompletionResponse>> {
    const body = streaming(completionBody(input, this.options.dialect), this.options.streamUsage);
    const call: Call = {
      ...options,
      method: 'POST',
      path: '/v1/completions',
      body,
      model: input.model,
    };
    return assembleCompletion(
      this.events(call, completionChunk, completionHasContent),
      input.model,
      input.params?.n ?? 1,
    );
  }

  streamChat(
    input: ChatInput,
    options: CallOptions = {},
  ): AsyncGenerator<StreamPart<ChatCompletionResponse>> {
    const body = streaming(chatBody(input, this.options.dialect), this.options.streamUsage);
    const call: Call = {
      ...options,
      method: 'POST',
      path: '/v1/chat/completions',
      body,
      model: input.model,
    };
    return assembleChat(
      this.events(call, chatChunk, chatHasContent),
      input.model,
      input.params?.n ?? 1,
    );
  }

  /**
   * The data of each server-sent event, parsed with `schema`, until `[DONE]`. Streams have no total
   * timeout: a first-token timeout until the first event with content (`hasContent`: a role
   * preamble is none), then an idle timeout between events. An in-band error event, malformed
   * data, or an end without `[DONE]` throws. Retries happen only before a 2xx response arrived;
   * the concurrency slot is held until the stream ends.
   */
  private async *events<T extends z.ZodType>(
    call: Call,
    schema: T,
    hasContent: (chunk: z.output<T>) => boolean,
  ): AsyncGenerator<z.output<T>> {
    const { firstTokenTimeoutMs, idleTimeoutMs } = this.options;
    const controller = new AbortController();
    let fired: 'first_token' | 'idle' | null = null;
    const arm = (phase: 'first_token' | 'idle', ms: number) =>
      setTimeout(() => {
        fired = phase;
        controller.abort();
      }, ms);
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => controller.abort(call.signal?.reason);
    call.signal?.addEventListener('abort', onAbort, { once: true });
    let lease: Leased<Dispatcher.ResponseData> | undefined;
    let started = 0;
    let done = false;
    let answering = false;
    try {
      call.signal?.throwIfAborted();
      const payload = this.serialise(call);
      lease = await this.resilience.lease({ ...call, endpoint: call.path }, async (progress) => {
        timer = arm('first_token', firstTokenTimeoutMs);
        started = performance.now();
        try {
          return await this.openStream(call, payload, controller.signal, progress);
        } catch (error) {
          clearTimeout(timer);
          this.report(call, error instanceof NimError ? (error.status ?? 0) : 0, started);
          if (call.signal?.aborted) throw call.signal.reason;
          if (fired !== null) throw streamTimeout(fired, call.model, firstTokenTimeoutMs);
          throw fromTransport(error, call.model, progress.headersArrived);
        }
      });
      // Leaving the loop must not destroy the body: after [DONE] it is read to its end (below), so
      // that the connection goes back to the pool instead of being closed.
      const body = lease.value.body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
      for await (const batch of eventBatches(body, this.options.maxResponseBytes)) {
        // The idle clock stops while the consumer handles events: only upstream silence counts.
        // The first-token clock runs on through events without content.
        if (answering) clearTimeout(timer);
        for (const data of batch) {
          if (data.trim() === '[DONE]') {
            done = true;
            return;
          }
          const chunk = this.streamEvent(call, data, schema);
          if (!answering && hasContent(chunk)) {
            answering = true;
            clearTimeout(timer);
          }
          yield chunk;
        }
        if (answering) timer = arm('idle', idleTimeoutMs);
      }
      throw brokenStream(call.model, 'closed before [DONE]: the answer may be truncated');
    } catch (error) {
      if (call.signal?.aborted) throw call.signal.reason;
      // Before the stream opened, the retry layer has classified the failure and told the breaker.
      if (lease === undefined) throw error;
      const failure = this.streamFailure(error, call, fired);
      this.resilience.recordStreamFailure(failure);
      throw failure;
    } finally {
      clearTimeout(timer);
      call.signal?.removeEventListener('abort', onAbort);
      // After [DONE] the upstream ends the response: read what is left (at most 64 KiB, for at most
      // a second, then the connection is closed instead) and keep the connection. Stopping early
      // otherwise (client gone, a failure) must not leave the body open.
      if (lease && done) drain(lease.value.body, 64 * 1024, DONE_DRAIN_MS);
      else if (lease) discard(lease.value.body);
      lease?.release();
      if (lease) this.report(call, lease.value.statusCode, started);
    }
  }

  /** Sends a stream request; resolves with a 2xx event-stream response, throws a NimError otherwise. */
  private async openStream(
    call: Call,
    payload: string | undefined,
    signal: AbortSignal,
    progress: { headersArrived: boolean },
  ): Promise<Dispatcher.ResponseData> {
    const response = await this.send(call, payload, signal, 0);
    progress.headersArrived = true;
    guard(response.body);
    if (response.statusCode < 200 || response.statusCode >= 300)
      throw await this.refusal(call, response);
    const type = String(response.headers['content-type'] ?? '');
    if (!type.toLowerCase().startsWith('text/event-stream'))
      throw await this.notAnEventStream(call, response, type);
    return response;
  }

  /** A failure once the stream was open: the request reached the model, part of the answer may have come. */
  private streamFailure(
    error: unknown,
    call: Call,
    fired: 'first_token' | 'idle' | null,
  ): NimError {
    const { firstTokenTimeoutMs, idleTimeoutMs } = this.options;
    if (fired !== null)
      return streamTimeout(
        fired,
        call.model,
        fired === 'idle' ? idleTimeoutMs : firstTokenTimeoutMs,
      );
    if (error instanceof NimError) return error;
    if (error instanceof EventTooLarge) return brokenStream(call.model, `sent ${error.message}`);
    return fromTransport(error, call.model, true);
  }

  private streamEvent<T extends z.ZodType>(call: Call, data: string, schema: T): z.output<T> {
    const json = parseJson(data);
    if (json === undefined) throw brokenStream(call.model, 'sent an event that is not JSON');
    const inBand = readInBandError(json);
    if (inBand) throw fromInBandError(inBand, call.model, this.redact);
    const parsed = parseWith(schema, json);
    if (!parsed.success) throw brokenStream(call.model, 'sent a malformed chunk');
    return parsed.data;
  }
}
