// The endpoints NIM for LLMs and NIM Proxy serve, and what each answers.
import { SimulatorError, type ErrorStyle } from './errors.ts';
import { sendJson, sleep, type Exchange } from './exchange.ts';
import {
  chatResponse,
  completionResponse,
  planGeneration,
  withFinishReasons,
  type ReasoningStyle,
} from './generation.ts';
import { toModelCard, type SimulatorModel } from './models.ts';
import { parseGenerationRequest } from './requests.ts';
import { embeddingResponse, rankingResponse } from './retrieval.ts';
import { TOOLS_NOT_ENABLED_MESSAGE, type ToolCallDeltas } from './tools.ts';
import type { ApiVersion } from './sampling.ts';
import { streamPlan } from './stream.ts';

export interface Settings {
  tokenDelayMs: number;
  latencyMs: number;
  errorStyle: ErrorStyle;
  apiKey: string | undefined;
  apiVersion: ApiVersion;
  toolsEnabled: boolean;
  toolCallDeltas: ToolCallDeltas;
  reasoningStyle: ReasoningStyle;
}

export interface SimulatorState {
  models: SimulatorModel[];
  settings: Settings;
  /** Unix seconds; models list it as `created`, as vLLM does with its start time. */
  startedAt: number;
}

type Handler = (exchange: Exchange, state: SimulatorState) => Promise<void> | void;

export interface Route {
  method: 'GET' | 'POST';
  handle: Handler;
  /** Health routes stay open without the API key, as probes carry none. */
  public?: boolean;
}

function isJsonContentType(value: string | undefined): boolean {
  // NIM 1.14.1 and later accept parameters such as `; charset=utf-8`.
  return value?.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

function generationRoute(kind: 'completion' | 'chat'): Handler {
  return async (exchange, state) => {
    if (!isJsonContentType(exchange.req.headers['content-type'])) {
      throw new SimulatorError(
        415,
        "Unsupported Media Type: Only 'application/json' is allowed",
        null,
      );
    }
    if (!exchange.body.ok)
      throw new SimulatorError(400, `JSON decode error: ${exchange.body.reason}`, null);
    const input = parseGenerationRequest(kind, exchange.body.value, state.models, {
      apiVersion: state.settings.apiVersion,
    });
    const choice = input.kind === 'chat' ? input.tools?.choice : undefined;
    if (!state.settings.toolsEnabled && (choice === 'auto' || choice === 'required'))
      throw new SimulatorError(400, TOOLS_NOT_ENABLED_MESSAGE, null);
    await sleep(state.settings.latencyMs, exchange.signal);
    const plan = withFinishReasons(
      planGeneration(input, state.settings),
      exchange.fault?.finishReasons,
    );
    if (input.stream) return streamPlan(exchange, plan, state.settings.tokenDelayMs);
    sendJson(exchange, 200, kind === 'completion' ? completionResponse(plan) : chatResponse(plan));
  };
}

function retrievalRoute(answer: typeof embeddingResponse | typeof rankingResponse): Handler {
  return async (exchange, state) => {
    if (!isJsonContentType(exchange.req.headers['content-type']))
      throw new SimulatorError(415, "Unsupported Media Type: Only 'application/json' is allowed");
    if (!exchange.body.ok)
      throw new SimulatorError(400, `JSON decode error: ${exchange.body.reason}`, null);
    const body = exchange.body.value;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new SimulatorError(400, 'The body must be a JSON object.', null);
    const response = answer(body as Record<string, unknown>, state.models);
    await sleep(state.settings.latencyMs, exchange.signal);
    sendJson(exchange, 200, response);
  };
}

export const ROUTES: ReadonlyMap<string, Route> = new Map<string, Route>([
  [
    '/v1/models',
    {
      method: 'GET',
      handle: (exchange, state) =>
        sendJson(exchange, 200, {
          object: 'list',
          data: state.models.map((m) => toModelCard(m, state.startedAt)),
        }),
    },
  ],
  ['/v1/completions', { method: 'POST', handle: generationRoute('completion') }],
  ['/v1/chat/completions', { method: 'POST', handle: generationRoute('chat') }],
  ['/v1/embeddings', { method: 'POST', handle: retrievalRoute(embeddingResponse) }],
  ['/v1/ranking', { method: 'POST', handle: retrievalRoute(rankingResponse) }],
  [
    '/v1/health/ready',
    {
      method: 'GET',
      public: true,
      handle: (exchange) =>
        sendJson(
          exchange,
          200,
          { object: 'health.response', message: 'Service is ready.' },
          { 'System-Health': 'True' },
        ),
    },
  ],
  [
    '/v1/health/live',
    {
      method: 'GET',
      public: true,
      handle: (exchange) =>
        sendJson(
          exchange,
          200,
          { object: 'health.response', message: 'Service is live.' },
          { 'System-Health': 'True' },
        ),
    },
  ],
  [
    '/health',
    {
      method: 'GET',
      public: true,
      handle: (exchange) =>
        sendJson(exchange, 200, { status: 'healthy', timestamp: new Date().toISOString() }),
    },
  ],
  [
    '/v1/version',
    {
      method: 'GET',
      handle: (exchange) => sendJson(exchange, 200, { release: 'sim-1.0.0', api: '3.1.0' }),
    },
  ],
]);
