// The same work asked two ways: over NIM's REST API to the simulator, and as the equivalent
// GraphQL operation to the gateway. Operations are the repository's own examples.
import { readFileSync } from 'node:fs';
import type { RequestSpec } from './load.ts';

export const MODEL = 'sim/lorem-8b-instruct';
const PROMPT = 'Once upon a time';
const CHAT_MESSAGE = 'Name three harbors.';
export const STREAM_TOKENS = 256;

export type Workload = 'models' | 'complete' | 'chat';

export interface WorkloadPair {
  name: Workload;
  direct: RequestSpec;
  gateway: RequestSpec;
}

const operation = (name: string) =>
  readFileSync(new URL(`../examples/operations/${name}.graphql`, import.meta.url), 'utf8');

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

function graphql(
  query: string,
  variables: Record<string, unknown>,
  verify: (body: string) => boolean,
): RequestSpec {
  return {
    method: 'POST',
    path: '/graphql',
    headers: JSON_HEADERS,
    body: JSON.stringify({ query, variables }),
    verify: (body) => !body.includes('"errors"') && verify(body),
  };
}

function rest(
  method: 'GET' | 'POST',
  path: string,
  body: unknown,
  verify: (body: string) => boolean,
): RequestSpec {
  return {
    method,
    path,
    headers: method === 'GET' ? { accept: 'application/json' } : JSON_HEADERS,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    verify: (text) => !text.includes('"error"') && verify(text),
  };
}

export const WORKLOADS: Record<Workload, WorkloadPair> = {
  models: {
    name: 'models',
    direct: rest('GET', '/v1/models', undefined, (body) => body.includes(MODEL)),
    gateway: graphql(operation('models'), {}, (body) => body.includes(MODEL)),
  },
  complete: {
    name: 'complete',
    direct: rest(
      'POST',
      '/v1/completions',
      { model: MODEL, prompt: PROMPT, max_tokens: 16 },
      (body) => body.includes('"finish_reason"'),
    ),
    gateway: graphql(
      operation('complete'),
      { model: MODEL, prompt: PROMPT, maxTokens: 16 },
      (body) => body.includes('"__typename":"Completion"'),
    ),
  },
  chat: {
    name: 'chat',
    direct: rest(
      'POST',
      '/v1/chat/completions',
      { model: MODEL, messages: [{ role: 'user', content: CHAT_MESSAGE }], max_tokens: 16 },
      (body) => body.includes('"finish_reason"'),
    ),
    gateway: graphql(
      operation('chat'),
      { model: MODEL, messages: [{ role: 'USER', content: CHAT_MESSAGE }], maxTokens: 16 },
      (body) => body.includes('"__typename":"ChatCompletion"'),
    ),
  },
};

export type EventKind = 'token' | 'done' | 'error' | 'other';

export interface StreamSpec {
  path: string;
  body: string;
  headers: Record<string, string>;
  /** Classifies one server-sent event (the text between blank lines). */
  classify(event: string): EventKind;
  /**
   * The stream's tokens, read from its terminal event, where a token event may carry several
   * tokens (the gateway joins the tokens of one upstream read); without it, a token event is one.
   */
  tokensAtDone?(event: string): number | null;
}

/** The simulator's own SSE: one `data:` chunk a token, a usage chunk, then `[DONE]`. */
export function directStream(maxTokens: number): StreamSpec {
  return {
    path: '/v1/completions',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({
      model: MODEL,
      prompt: PROMPT,
      max_tokens: maxTokens,
      // Without it the simulated model may stop early; the gateway sends the same field (options.ignoreEos).
      ignore_eos: true,
      stream: true,
      stream_options: { include_usage: true },
    }),
    classify(event) {
      if (event.startsWith('data: [DONE]')) return 'done';
      if (event.includes('"error"')) return 'error';
      return event.includes('"choices":[{') ? 'token' : 'other';
    },
  };
}

/** completionStream over GraphQL over SSE (distinct connections): `event: next` a chunk, then Done. */
export function gatewayStream(maxTokens: number): StreamSpec {
  return {
    path: '/graphql',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({
      query: operation('completionStream'),
      variables: { model: MODEL, prompt: PROMPT, maxTokens, options: { ignoreEos: true } },
    }),
    classify(event) {
      if (!event.startsWith('event: next')) return 'other';
      if (event.includes('"__typename":"CompletionChunk"')) return 'token';
      if (event.includes('"__typename":"CompletionDone"')) return 'done';
      return 'error';
    },
    tokensAtDone(event) {
      const count = /"completionTokens":(\d+)/.exec(event);
      return count === null ? null : Number(count[1]);
    },
  };
}
