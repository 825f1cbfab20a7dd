// NimClient: the only code that speaks HTTP to NIM Proxy. One keep-alive undici Pool per
// upstream origin, reused by every call, behind one Resilience (retries, circuit breaker,
// concurrency limit); every failure leaves here as a NimError.
import { createParser, type EventSourceMessage, type ParseError } from 'eventsource-parser';
import { Pool, type Dispatcher } from 'undici';
import type { z } from 'zod';
import type { ResilienceConfig, UpstreamConfig } from '../config.ts';
import {
  brokenStream,
  fromResponse,
  fromStreamError,
  fromTransport,
  NimError,
  streamTimeout,
  totalTimeout,
} from './errors.ts';
import type { CircuitStatus } from './breaker.ts';
import { chatBody, completionBody, streaming, type ChatInput, type CompletionInput } from './params.ts';
import { Resilience, type Leased } from './resilience.ts';
import { assembleChat, assembleCompletion, type StreamPart } from './stream.ts';
import {
  chatChunk,
  chatCompletionResponse,
  completionChunk,
  completionResponse,
  modelList,
  readErrorBody,
  type ChatCompletionResponse,
  type CompletionResponse,
  type ModelCard,
} from './wire.ts';

export type NimClientOptions = UpstreamConfig & { baseUrl: string };

interface Call {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  model: string | null;
  signal?: AbortSignal | undefined;
}

export class NimClient {
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly headers: Record<string, string>;
  private readonly options: NimClientOptions;
  private readonly resilience: Resilience;

  constructor(options: NimClientOptions, resilience: ResilienceConfig) {
    const url = new URL(options.baseUrl);
    this.options = options;
    this.resilience = new Resilience(resilience, { name: url.origin });
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, {
      connections: options.connections,
      connect: { timeout: options.connectTimeoutMs },
      headersTimeout: options.headersTimeoutMs,
      bodyTimeout: options.bodyTimeoutMs,
      keepAliveTimeout: 30_000,
    });
    this.headers = { accept: 'application/json' };
    if (options.apiKey) this.headers.authorization = `Bearer ${options.apiKey}`;
  }

  async listModels(signal?: AbortSignal): Promise<ModelCard[]> {
    const body = await this.json({ method: 'GET', path: '/v1/models', model: null, signal }, modelList);
    return body.data;
  }

  async complete(input: CompletionInput, signal?: AbortSignal): Promise<CompletionResponse> {
    const body = completionBody(input, this.options.dialect);
    return this.json({ method: 'POST', path: '/v1/completions', body, model: input.model, signal }, completionResponse);
  }

  async chat(input: ChatInput, signal?: AbortSignal): Promise<ChatCompletionResponse> {
    const body = chatBody(input, this.options.dialect);
    return this.json({ method: 'POST', path: '/v1/chat/completions', body, model: input.model, signal }, chatCompletionResponse);
  }

  /** Streams a completion: deltas as they arrive, then the assembled result (only after `[DONE]`). */
  streamCompletion(input: CompletionInput, signal?: AbortSignal): AsyncGenerator<StreamPart<CompletionResponse>> {
    const body = streaming(completionBody(input, this.options.dialect), this.options.streamUsage);
    const call: Call = { method: 'POST', path: '/v1/completions', body, model: input.model, signal };
    return assembleCompletion(this.events(call, completionChunk), input.model, input.params?.n ?? 1);
  }

  streamChat(input: ChatInput, signal?: AbortSignal): AsyncGenerator<StreamPart<ChatCompletionResponse>> {
    const body = streaming(chatBody(input, this.options.dialect), this.options.streamUsage);
    const call: Call = { method: 'POST', path: '/v1/chat/completions', body, model: input.model, signal };
    return assembleChat(this.events(call, chatChunk), input.model, input.params?.n ?? 1);
  }

  /** The circuit breaker's view of the upstream (readiness). */
  circuit(): CircuitStatus {
    return this.resilience.circuit();
  }

  /** Calls holding or awaiting a concurrency slot, and the pool's sockets and requests (metrics, leak checks). */
  stats(): { inFlight: number; queued: number; connected: number; running: number; pending: number } {
    const { connected, running, pending } = this.pool.stats;
    return { inFlight: this.resilience.limit.inFlight, queued: this.resilience.limit.waiting, connected, running, pending };
  }

  /** `listener` hears each time the upstream answers as a healthy upstream does (readiness). */
  onAnswered(listener: (at: number) => void): void {
    this.resilience.onAnswered(listener);
  }

  /** Closes the pool once its calls are done; what is still running after `graceMs` is cut. */
  async close(graceMs = 1000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), graceMs);
    });
    const closed = this.pool.close().then(() => 'closed' as const, () => 'closed' as const);
    if ((await Promise.race([closed, late])) === 'late') await this.pool.destroy();
    clearTimeout(timer);
  }

  private json<T extends z.ZodType>(call: Call, schema: T): Promise<z.output<T>> {
    return this.resilience.run(call, (progress) => this.withDeadline(call, async (signal) => {
      const response = await this.send(call, signal);
      progress.headersArrived = true;
      const text = await this.readText(response.body, call, response.statusCode);
      if (response.statusCode < 200 || response.statusCode >= 300) {
        throw fromResponse(response.statusCode, this.scrub(text), response.headers['retry-after'], call.model);
      }
      const parsed = schema.safeParse(parseJson(text));
      if (!parsed.success) {
        throw new NimError({ kind: 'upstream', status: response.statusCode, model: call.model,
          message: `upstream sent a malformed ${call.path} response` });
      }
      return parsed.data;
    }));
  }

  /** Runs `work` under the total timeout and the caller's signal, whichever fires first. */
  private async withDeadline<T>(call: Call, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.options.totalTimeoutMs);
    const onAbort = () => controller.abort(call.signal?.reason);
    call.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await work(controller.signal);
    } catch (error) {
      if (call.signal?.aborted) throw call.signal.reason;
      if (controller.signal.aborted) throw totalTimeout(call.model, this.options.totalTimeoutMs);
      throw fromTransport(error, call.model);
    } finally {
      clearTimeout(timer);
      call.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * The data of each server-sent event, parsed with `schema`, until `[DONE]`. Streams have no total
   * timeout: a first-event timeout, then an idle timeout between events. An in-band error event,
   * malformed data, or an end without `[DONE]` throws. Retries happen only before a 2xx response
   * arrived; the concurrency slot is held until the stream ends.
   */
  private async *events<T extends z.ZodType>(call: Call, schema: T): AsyncGenerator<z.output<T>> {
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
    try {
      call.signal?.throwIfAborted();
      lease = await this.resilience.lease(call, async (progress) => {
        timer = arm('first_token', firstTokenTimeoutMs);
        try {
          return await this.openStream(call, controller.signal, progress);
        } catch (error) {
          clearTimeout(timer);
          if (call.signal?.aborted) throw call.signal.reason;
          if (fired !== null) throw streamTimeout(fired, call.model, firstTokenTimeoutMs);
          throw fromTransport(error, call.model);
        }
      });
      const response = lease.value;
      const pending: EventSourceMessage[] = [];
      let parseError: ParseError | undefined;
      const parser = createParser({
        maxBufferSize: this.options.maxResponseBytes,
        onEvent: (event) => pending.push(event),
        onError: (error) => {
          if (error.type === 'max-buffer-size-exceeded') parseError = error;
        },
      });
      const decoder = new TextDecoder();
      for await (const bytes of response.body as AsyncIterable<Buffer>) {
        parser.feed(decoder.decode(bytes, { stream: true }));
        if (parseError) throw brokenStream(call.model, `sent an event over ${this.options.maxResponseBytes} bytes`);
        if (pending.length === 0) continue;
        // The clock stops while the consumer handles events: only upstream silence counts.
        clearTimeout(timer);
        while (pending.length > 0) {
          const { data } = pending.shift()!;
          if (data.trim() === '[DONE]') return;
          yield this.streamEvent(call, data, schema);
        }
        timer = arm('idle', idleTimeoutMs);
      }
      throw brokenStream(call.model, 'closed before [DONE]: the answer may be truncated');
    } catch (error) {
      if (call.signal?.aborted) throw call.signal.reason;
      // Before the stream opened, the retry layer has classified the failure and told the breaker.
      if (lease === undefined) throw error;
      const failure = this.streamFailure(error, call, fired);
      this.resilience.observe(failure);
      throw failure;
    } finally {
      clearTimeout(timer);
      call.signal?.removeEventListener('abort', onAbort);
      // Stopping early (client gone, [DONE] before the socket ends) must not leave the body open.
      lease?.value.body.destroy();
      lease?.release();
    }
  }

  /** Sends a stream request; resolves with a 2xx event-stream response, throws a NimError otherwise. */
  private async openStream(call: Call, signal: AbortSignal, progress: { headersArrived: boolean }): Promise<Dispatcher.ResponseData> {
    const response = await this.send(call, signal, 0);
    progress.headersArrived = true;
    if (response.statusCode < 200 || response.statusCode >= 300) {
      const text = await this.readText(response.body, call, response.statusCode);
      throw fromResponse(response.statusCode, this.scrub(text), response.headers['retry-after'], call.model);
    }
    const type = String(response.headers['content-type'] ?? '');
    if (!type.startsWith('text/event-stream')) {
      response.body.destroy();
      throw brokenStream(call.model, `was not an event stream (content-type ${type || 'missing'})`, response.statusCode);
    }
    return response;
  }

  /** A failure once the stream was open: the request reached the model, part of the answer may have come. */
  private streamFailure(error: unknown, call: Call, fired: 'first_token' | 'idle' | null): NimError {
    const { firstTokenTimeoutMs, idleTimeoutMs } = this.options;
    if (fired !== null) return streamTimeout(fired, call.model, fired === 'idle' ? idleTimeoutMs : firstTokenTimeoutMs);
    if (error instanceof NimError) return error;
    return brokenStream(call.model, 'lost its connection mid-answer: the answer may be truncated', 200, error);
  }

  private streamEvent<T extends z.ZodType>(call: Call, data: string, schema: T): z.output<T> {
    const json = parseJson(data);
    if (json === undefined) throw brokenStream(call.model, 'sent an event that is not JSON');
    if (typeof json === 'object' && json !== null && 'error' in json) {
      const detail = readErrorBody(json);
      if (detail) throw fromStreamError({ ...detail, message: this.scrub(detail.message) }, call.model);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw brokenStream(call.model, 'sent a malformed chunk');
    return parsed.data;
  }

  /** An upstream that echoes our key in an error must not hand it to clients through us. */
  private scrub(text: string): string {
    return this.options.apiKey ? text.replaceAll(this.options.apiKey, '[redacted]') : text;
  }

  /** `bodyTimeout` 0 turns undici's own gap timer off where the caller keeps its own. */
  private send(call: Call, signal: AbortSignal, bodyTimeout?: number): Promise<Dispatcher.ResponseData> {
    const hasBody = call.body !== undefined;
    return this.pool.request({
      method: call.method,
      path: `${this.basePath}${call.path}`,
      headers: hasBody ? { ...this.headers, 'content-type': 'application/json' } : this.headers,
      body: hasBody ? JSON.stringify(call.body) : undefined,
      signal,
      ...(bodyTimeout === undefined ? {} : { bodyTimeout }),
    });
  }

  private async readText(body: Dispatcher.ResponseData['body'], call: Call, status: number): Promise<string> {
    const limit = this.options.maxResponseBytes;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        body.destroy();
        throw new NimError({ kind: 'upstream', status, model: call.model,
          message: `upstream ${call.path} response exceeded ${limit} bytes` });
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, size).toString('utf8');
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
