// A NIM-compatible upstream over node:http: the default upstream for `npm start` and every test's upstream.
import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultMessage, SimulatorError, type ErrorStyle } from './errors.ts';
import {
  dropConnection,
  isAbortError,
  sendBody,
  sendError,
  sleep,
  type Exchange,
  type ParsedBody,
  type RecordedRequest,
} from './exchange.ts';
import { FaultQueue, type Fault } from './faults.ts';
import { cloneModels, DEFAULT_MODELS, type SimulatorModel } from './models.ts';
import { ROUTES, type Settings, type SimulatorState } from './routes.ts';
import type { ApiVersion } from './sampling.ts';
import type { ToolCallDeltas } from './tools.ts';
import type { ReasoningStyle } from './generation.ts';

// What tests drive the simulator with.
/** @internal */
export { DEFAULT_MODELS } from './models.ts';
/** @internal */
export type { Fault } from './faults.ts';

export interface SimulatorOptions {
  host?: string;
  port?: number;
  models?: SimulatorModel[];
  /** Pacing between streamed tokens; non-streamed responses wait latencyMs only. */
  tokenDelayMs?: number;
  /** Delay before response headers for generation endpoints. */
  latencyMs?: number;
  /** Error body shape for non-stream errors (stream errors are always nested). */
  errorStyle?: ErrorStyle;
  /** When set, requests without `Authorization: Bearer <apiKey>` get 401. */
  apiKey?: string;
  /**
   * 2 (default): NIM 2.x / vLLM, sampling extras top-level and `nvext` ignored.
   * 1: early NIM 1.x, top-level `top_k` / `repetition_penalty` refused, `nvext` read.
   */
  apiVersion?: ApiVersion;
  /** false: an engine started without --enable-auto-tool-choice (tool_choice auto/required get 400). */
  toolsEnabled?: boolean;
  /** How streamed tool calls arrive: a fragment per delta (default), interleaved across calls, or whole. */
  toolCallDeltas?: ToolCallDeltas;
  /** A reasoning model's thought in `reasoning`, `reasoning_content` or inline `<think>`; none by default. */
  reasoningStyle?: ReasoningStyle;
}

type Configurable = Partial<
  Pick<
    SimulatorOptions,
    | 'tokenDelayMs'
    | 'latencyMs'
    | 'errorStyle'
    | 'apiKey'
    | 'apiVersion'
    | 'toolsEnabled'
    | 'toolCallDeltas'
    | 'reasoningStyle'
  >
>;

export interface Simulator {
  url: string;
  requests: RecordedRequest[];
  inject(fault: Fault): void;
  clearFaults(): void;
  setModels(models: SimulatorModel[]): void;
  configure(options: Configurable): void;
  countRequests(path: string): number;
  /** TCP connections accepted so far: how well clients reuse them. */
  connections(): number;
  reset(): void;
  waitForAbort(path: string, timeoutMs: number): Promise<RecordedRequest>;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

function checkedDelay(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0)
    throw new RangeError(`${name} must be a non-negative number of ms, got ${value}`);
  return value;
}

function applySettings(base: Settings, options: Configurable): Settings {
  return {
    tokenDelayMs: checkedDelay('tokenDelayMs', options.tokenDelayMs, base.tokenDelayMs),
    latencyMs: checkedDelay('latencyMs', options.latencyMs, base.latencyMs),
    errorStyle: options.errorStyle ?? base.errorStyle,
    apiKey: 'apiKey' in options ? options.apiKey : base.apiKey,
    apiVersion: checkedApiVersion(options.apiVersion, base.apiVersion),
    toolsEnabled: options.toolsEnabled ?? base.toolsEnabled,
    toolCallDeltas: options.toolCallDeltas ?? base.toolCallDeltas,
    reasoningStyle: options.reasoningStyle ?? base.reasoningStyle,
  };
}

function checkedApiVersion(value: ApiVersion | undefined, fallback: ApiVersion): ApiVersion {
  if (value === undefined) return fallback;
  if (value !== 1 && value !== 2)
    throw new RangeError(`apiVersion must be 1 or 2, got ${String(value)}`);
  return value;
}

/** Reads the whole body; past the limit it keeps draining (so the client can read our 413) but stores nothing. */
async function readBody(req: IncomingMessage): Promise<{ text: string; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  const tooLarge = size > MAX_BODY_BYTES;
  return { text: tooLarge ? '' : Buffer.concat(chunks).toString('utf8'), tooLarge };
}

function parseBody(text: string): ParsedBody {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

function isStreamingBody(body: ParsedBody): boolean {
  return (
    body.ok &&
    typeof body.value === 'object' &&
    body.value !== null &&
    (body.value as { stream?: unknown }).stream === true
  );
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const initialModels = cloneModels(options.models ?? DEFAULT_MODELS);
  const initialSettings = applySettings(
    {
      tokenDelayMs: 0,
      latencyMs: 0,
      errorStyle: 'flat',
      apiKey: undefined,
      apiVersion: 2,
      toolsEnabled: true,
      toolCallDeltas: 'fragments',
      reasoningStyle: 'none',
    },
    options,
  );
  const state: SimulatorState = {
    models: cloneModels(initialModels),
    settings: initialSettings,
    startedAt: Math.floor(Date.now() / 1000),
  };
  const faults = new FaultQueue();
  const requests: RecordedRequest[] = [];
  const aborts = new EventEmitter<{ abort: [RecordedRequest] }>();
  const claimedAborts = new Set<RecordedRequest>();
  let closing = false;

  async function serve(exchange: Exchange, tooLarge: boolean): Promise<void> {
    const { fault, req } = exchange;
    if (fault !== null) {
      await sleep(fault.delayMs ?? 0, exchange.signal);
      if (fault.drop === 'before-headers') return dropConnection(exchange);
      // With a stream fault, `status` is the in-band error's code, not the HTTP status.
      const headers: Record<string, string> =
        fault.retryAfter === undefined ? {} : { 'Retry-After': fault.retryAfter };
      if (fault.rawBody !== undefined) {
        return sendBody(
          exchange,
          fault.status ?? 502,
          fault.rawBody,
          fault.contentType ?? 'text/html',
          headers,
        );
      }
      if (fault.status !== undefined && fault.stream === undefined) {
        const style = fault.errorStyle ?? exchange.errorStyle;
        return sendError(
          exchange,
          fault.status,
          fault.message ?? defaultMessage(fault.status),
          null,
          { style, headers },
        );
      }
    }
    if (tooLarge)
      throw new SimulatorError(413, `Request body exceeds ${MAX_BODY_BYTES} bytes.`, null);
    const route = ROUTES.get(exchange.path);
    if (route === undefined) {
      return sendError(exchange, 404, `Route ${exchange.path} not found.`, null, {
        style: 'nested',
      });
    }
    if (req.method !== route.method) {
      const message = `Method ${req.method ?? ''} not allowed on ${exchange.path}.`;
      return sendError(exchange, 405, message, null, {
        style: 'nested',
        headers: { Allow: route.method },
      });
    }
    const apiKey = state.settings.apiKey;
    if (apiKey !== undefined && !route.public && req.headers.authorization !== `Bearer ${apiKey}`) {
      return sendError(exchange, 401, 'Unauthorized', null, {
        headers: { 'WWW-Authenticate': 'Bearer' },
      });
    }
    await route.handle(exchange, state);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: new URL(req.url ?? '/', 'http://simulator').pathname,
      headers: { ...req.headers },
      body: null,
      remotePort: req.socket.remotePort ?? null,
      receivedAt: Date.now(),
      abortedAt: null,
      finishedAt: null,
    };
    requests.push(record);
    const controller = new AbortController();
    const exchange: Exchange = {
      req,
      res,
      path: record.path,
      record,
      body: { ok: false, reason: 'empty body' },
      fault: null,
      signal: controller.signal,
      dropped: false,
      errorStyle: state.settings.errorStyle,
    };
    res.on('error', () => undefined);
    res.on('finish', () => {
      record.finishedAt = Date.now();
    });
    res.on('close', () => {
      const abandoned = !res.writableFinished;
      controller.abort();
      if (!abandoned || exchange.dropped || closing) return;
      record.abortedAt = Date.now();
      aborts.emit('abort', record);
    });
    try {
      const { text, tooLarge } = await readBody(req);
      if (text !== '') {
        exchange.body = parseBody(text);
        record.body = exchange.body.ok ? exchange.body.value : text;
      }
      exchange.fault = faults.take(record.path, isStreamingBody(exchange.body));
      await serve(exchange, tooLarge);
    } catch (error) {
      if (controller.signal.aborted || isAbortError(error)) return;
      if (res.headersSent) {
        res.destroy();
      } else if (error instanceof SimulatorError) {
        sendError(exchange, error.status, error.message, error.param);
      } else {
        sendError(exchange, 500, error instanceof Error ? error.message : 'Internal server error');
      }
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  let connections = 0;
  server.on('connection', () => void (connections += 1));
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closed: Promise<void> | null = null;

  return {
    url: `http://${host}:${address.port}`,
    requests,
    inject: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    setModels: (models) => {
      state.models = cloneModels(models);
    },
    configure: (changes) => {
      state.settings = applySettings(state.settings, changes);
    },
    countRequests: (path) => requests.filter((r) => r.path === path).length,
    connections: () => connections,
    reset: () => {
      requests.length = 0;
      claimedAborts.clear();
      faults.clear();
      state.models = cloneModels(initialModels);
      state.settings = { ...initialSettings };
    },
    waitForAbort: (path, timeoutMs) => {
      const seen = requests.find(
        (r) => r.path === path && r.abortedAt !== null && !claimedAborts.has(r),
      );
      if (seen !== undefined) {
        claimedAborts.add(seen);
        return Promise.resolve(seen);
      }
      return new Promise((resolve, reject) => {
        const onAbort = (record: RecordedRequest): void => {
          if (record.path !== path || claimedAborts.has(record)) return;
          claimedAborts.add(record);
          clearTimeout(timer);
          aborts.off('abort', onAbort);
          resolve(record);
        };
        const timer = setTimeout(() => {
          aborts.off('abort', onAbort);
          reject(
            new Error(`no request to ${path} was aborted by its client within ${timeoutMs} ms`),
          );
        }, timeoutMs);
        aborts.on('abort', onAbort);
      });
    },
    close: () => {
      closed ??= new Promise<void>((resolve, reject) => {
        closing = true;
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
