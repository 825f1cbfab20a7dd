// NimClient: the only code that speaks HTTP to NIM Proxy. One keep-alive undici Pool per
// upstream origin, reused by every call; every failure leaves here as a NimError.
import { createParser, type EventSourceMessage, type ParseError } from 'eventsource-parser';
import { Pool, type Dispatcher } from 'undici';
import type { z } from 'zod';
import type { UpstreamConfig } from '../config.ts';
import {
  brokenStream,
  fromResponse,
  fromStreamError,
  fromTransport,
  NimError,
  streamTimeout,
  totalTimeout,
} from './errors.ts';
import { chatBody, completionBody, streaming, type ChatInput, type CompletionInput } from './params.ts';
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

  constructor(options: NimClientOptions) {
    const url = new URL(options.baseUrl);
    this.options = options;
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

  close(): Promise<void> {
    return this.pool.close();
  }

  private async json<T extends z.ZodType>(call: Call, schema: T): Promise<z.output<T>> {
    return this.withDeadline(call, async (signal) => {
      const response = await this.send(call, signal);
      const text = await this.readText(response.body, call);
      if (response.statusCode < 200 || response.statusCode >= 300) {
        throw fromResponse(response.statusCode, text, response.headers['retry-after'], call.model);
      }
      const parsed = schema.safeParse(parseJson(text));
      if (!parsed.success) {
        throw new NimError({ kind: 'upstream', status: response.statusCode, model: call.model,
          message: `upstream sent a malformed ${call.path} response` });
      }
      return parsed.data;
    });
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
   * malformed data, or an end without `[DONE]` throws.
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
    let timer = arm('first_token', firstTokenTimeoutMs);
    const onAbort = () => controller.abort(call.signal?.reason);
    call.signal?.addEventListener('abort', onAbort, { once: true });
    let response: Dispatcher.ResponseData | undefined;
    try {
      call.signal?.throwIfAborted();
      response = await this.send(call, controller.signal, 0);
      if (response.statusCode < 200 || response.statusCode >= 300) {
        const text = await this.readText(response.body, call);
        throw fromResponse(response.statusCode, text, response.headers['retry-after'], call.model);
      }
      const type = String(response.headers['content-type'] ?? '');
      if (!type.startsWith('text/event-stream')) {
        throw brokenStream(call.model, `was not an event stream (content-type ${type || 'missing'})`, response.statusCode);
      }
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
      if (fired !== null) throw streamTimeout(fired, call.model, fired === 'idle' ? idleTimeoutMs : firstTokenTimeoutMs);
      if (error instanceof NimError || response === undefined) throw fromTransport(error, call.model);
      // The request reached the model and part of the answer came: a lost connection now is a broken stream.
      throw brokenStream(call.model, 'lost its connection mid-answer: the answer may be truncated');
    } finally {
      clearTimeout(timer);
      call.signal?.removeEventListener('abort', onAbort);
      // Stopping early (client gone, [DONE] before the socket ends) must not leave the body open.
      response?.body.destroy();
    }
  }

  private streamEvent<T extends z.ZodType>(call: Call, data: string, schema: T): z.output<T> {
    const json = parseJson(data);
    if (json === undefined) throw brokenStream(call.model, 'sent an event that is not JSON');
    if (typeof json === 'object' && json !== null && 'error' in json) {
      const detail = readErrorBody(json);
      if (detail) throw fromStreamError(detail, call.model);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw brokenStream(call.model, 'sent a malformed chunk');
    return parsed.data;
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

  private async readText(body: Dispatcher.ResponseData['body'], call: Call): Promise<string> {
    const limit = this.options.maxResponseBytes;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        body.destroy();
        throw new NimError({ kind: 'upstream', model: call.model,
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
