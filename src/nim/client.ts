// NimClient: the only code that speaks HTTP to NIM Proxy. One keep-alive undici Pool per
// upstream origin, reused by every call; every failure leaves here as a NimError.
import { Pool, type Dispatcher } from 'undici';
import type { z } from 'zod';
import type { UpstreamConfig } from '../config.ts';
import { fromResponse, fromTransport, NimError, totalTimeout } from './errors.ts';
import {
  chatCompletionResponse,
  completionResponse,
  modelList,
  type ChatCompletionRequest,
  type ChatCompletionResponse,
  type CompletionRequest,
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

  async complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResponse> {
    const call = { method: 'POST', path: '/v1/completions', body: request, model: request.model, signal } as const;
    return this.json(call, completionResponse);
  }

  async chat(request: ChatCompletionRequest, signal?: AbortSignal): Promise<ChatCompletionResponse> {
    const call = { method: 'POST', path: '/v1/chat/completions', body: request, model: request.model, signal } as const;
    return this.json(call, chatCompletionResponse);
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

  private send(call: Call, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    const hasBody = call.body !== undefined;
    return this.pool.request({
      method: call.method,
      path: `${this.basePath}${call.path}`,
      headers: hasBody ? { ...this.headers, 'content-type': 'application/json' } : this.headers,
      body: hasBody ? JSON.stringify(call.body) : undefined,
      signal,
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
