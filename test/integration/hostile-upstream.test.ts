// Whatever the upstream answers (an auth proxy's login page, JSON to a stream request, a cut or
// endless body, broken HTTP, garbage), every operation ends in a result or a typed error, and the
// process never sees an uncaught exception or an unhandled rejection.
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/schema/failures.ts';
import { collect } from '../support/sse.ts';
import { CHAT_STREAM, COMPLETION_STREAM } from '../support/streams.ts';
import {
  gatewayInFront,
  sendModels,
  startUpstream,
  type Asked,
  type GatewayInFront,
  type TestUpstream,
} from '../support/upstream.ts';

const MODEL = 'test/model';
const COMPLETION_JSON = JSON.stringify({
  id: 'cmpl-1',
  object: 'text_completion',
  created: 1,
  model: MODEL,
  choices: [
    { index: 0, text: 'hi', message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' },
  ],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
});
const CHUNK = JSON.stringify({
  id: 'c-1',
  object: 'chat.completion.chunk',
  created: 1,
  model: MODEL,
  choices: [{ index: 0, delta: { content: 'hi' }, text: 'hi', finish_reason: 'stop' }],
});

const typeFor = (asked: Asked) => (asked.stream ? 'text/event-stream' : 'application/json');

/** Writes `piece` every 50 ms until the client goes away. */
function endless(res: ServerResponse, status: number, type: string, piece: string): void {
  res.writeHead(status, { 'content-type': type });
  res.flushHeaders();
  const timer = setInterval(() => res.write(piece), 50);
  res.on('close', () => clearInterval(timer));
}

type Reply = (res: ServerResponse, asked: Asked) => void;

const ANSWERS: Record<string, Reply> = {
  'an auth proxy login page (200 text/html)': (res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html>login</html>');
  },
  'JSON where an event stream was asked for': (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(COMPLETION_JSON);
  },
  'a JSON error with status 200': (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      '{"object":"error","message":"engine overloaded","type":"ServiceUnavailableError","code":503}',
    );
  },
  'an event stream where JSON was asked for': (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(`data: ${CHUNK}\n\ndata: [DONE]\n\n`);
  },
  'a body cut short of its Content-Length': (res, asked) => {
    res.writeHead(200, { 'content-type': typeFor(asked), 'content-length': '1000' });
    res.write(asked.stream ? `data: ${CHUNK.slice(0, 20)}` : COMPLETION_JSON.slice(0, 20), () =>
      res.socket?.destroy(),
    );
  },
  'headers, then the connection closes': (res, asked) => {
    res.writeHead(200, { 'content-type': typeFor(asked) });
    res.flushHeaders();
    setTimeout(() => res.socket?.destroy(), 10);
  },
  'a huge body': (res, asked) => {
    res.writeHead(200, { 'content-type': typeFor(asked) });
    res.end((asked.stream ? 'data: ' : '{"x":"') + 'x'.repeat(2 * 1024 * 1024));
  },
  'malformed JSON or events': (res, asked) => {
    res.writeHead(200, { 'content-type': typeFor(asked) });
    res.end(asked.stream ? 'data: {not json\n\ndata: [DONE]\n\n' : '{"choices":[{');
  },
  'hostile JSON (prototype keys, wrong types)': (res, asked) => {
    const json =
      '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"choices":[{"index":-1,"text":7,"logprobs":"x"}],"data":[{"id":{"$gt":""}}]}';
    res.writeHead(200, { 'content-type': typeFor(asked) });
    res.end(asked.stream ? `data: ${json}\n\ndata: [DONE]\n\n` : json);
  },
  'gzip-encoded garbage': (res, asked) => {
    res.writeHead(200, { 'content-type': typeFor(asked), 'content-encoding': 'gzip' });
    res.end(randomBytes(4096));
  },
  'binary garbage': (res, asked) => {
    res.writeHead(200, { 'content-type': typeFor(asked) });
    res.end(randomBytes(4096));
  },
  '204 No Content': (res) => {
    res.writeHead(204);
    res.end();
  },
  'a redirect': (res) => {
    res.writeHead(302, { location: 'http://127.0.0.1:9/elsewhere', 'content-type': 'text/html' });
    res.end('<a href="http://127.0.0.1:9/elsewhere">moved</a>');
  },
  'a body that never ends': (res, asked) =>
    endless(res, 200, typeFor(asked), asked.stream ? ': ping\n\n' : ' '),
  'an error status whose body never ends': (res) => endless(res, 500, 'text/html', '<p>'),
  'a 500 HTML page': (res) => {
    res.writeHead(500, { 'content-type': 'text/html' });
    res.end('<html><body><h1>500 Internal Server Error</h1></body></html>');
  },
  'an in-band error event in the flat shape': (res, asked) => {
    const error =
      '{"object":"error","message":"engine died","type":"InternalServerError","code":503}';
    res.writeHead(200, { 'content-type': typeFor(asked) });
    res.end(asked.stream ? `data: ${error}\n\ndata: [DONE]\n\n` : error);
  },
  'broken chunked encoding': (res, asked) => {
    res.socket?.end(
      `HTTP/1.1 200 OK\r\nContent-Type: ${typeFor(asked)}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot a chunk\r\n`,
    );
  },
};

const ERROR_TYPES = /Error$/;

describe('a hostile upstream', () => {
  let upstream: TestUpstream;
  let front: GatewayInFront;
  let reply: Reply = () => undefined;
  /** Which path gets the hostile answer; every other path is answered as NIM would. */
  let target = '';
  const escaped: unknown[] = [];
  const record = (error: unknown) => escaped.push(error);

  beforeAll(async () => {
    process.on('uncaughtException', record);
    process.on('unhandledRejection', record);
    upstream = await startUpstream((_req, res, asked) => {
      if (asked.path === target) return reply(res, asked);
      if (asked.path === '/v1/models') return sendModels(res, MODEL);
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"error":{"message":"no route","code":404}}');
    });
    front = await gatewayInFront(upstream.url, {
      UPSTREAM_MAX_RESPONSE_BYTES: String(64 * 1024),
      UPSTREAM_HEADERS_TIMEOUT_MS: '600',
      UPSTREAM_BODY_TIMEOUT_MS: '600',
      UPSTREAM_TOTAL_TIMEOUT_MS: '600',
      STREAM_FIRST_TOKEN_TIMEOUT_MS: '600',
      STREAM_IDLE_TIMEOUT_MS: '300',
      UPSTREAM_MAX_RETRIES: '0',
      // Each answer is judged alone; the breaker has its own tests.
      UPSTREAM_BREAKER_FAILURES: '10000',
    });
  });
  afterEach(async () => {
    // An unhandled 'error' event surfaces a tick or an immediate after the answer: give it time to.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(escaped.splice(0).map(String)).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  afterAll(async () => {
    await front?.close();
    await upstream?.close();
    process.off('uncaughtException', record);
    process.off('unhandledRejection', record);
  });

  const typedError = (value: Record<string, any>) => {
    expect(value.__typename).toMatch(ERROR_TYPES);
    expect(ERROR_CODES).toContain(value.code);
  };

  const operations: Record<string, { path: string; run: () => Promise<void> }> = {
    complete: {
      path: '/v1/completions',
      run: async () => {
        const { data, errors } = await front.gql(
          `mutation($m: ID!) { complete(model: $m, prompt: "Hi", maxTokens: 4) { __typename ... on GatewayError { code message } } }`,
          { m: MODEL },
        );
        expect(errors).toBeUndefined();
        if (data!.complete.__typename !== 'Completion') typedError(data!.complete);
      },
    },
    chat: {
      path: '/v1/chat/completions',
      run: async () => {
        const { data, errors } = await front.gql(
          `mutation($m: ID!) { chat(model: $m, messages: [{ role: USER, content: "Hi" }], maxTokens: 4) { __typename ... on GatewayError { code message } } }`,
          { m: MODEL },
        );
        expect(errors).toBeUndefined();
        if (data!.chat.__typename !== 'ChatCompletion') typedError(data!.chat);
      },
    },
    completionStream: {
      path: '/v1/completions',
      run: async () => {
        const events = await collect(front.endpoint, COMPLETION_STREAM, {
          model: MODEL,
          prompt: 'Hi',
          maxTokens: 4,
        });
        const terminal = events.filter((e) => /Done$|Error$/.test(e.__typename));
        expect(terminal).toHaveLength(1);
        if (terminal[0]!.__typename !== 'CompletionDone') typedError(terminal[0]!);
      },
    },
    chatStream: {
      path: '/v1/chat/completions',
      run: async () => {
        const events = await collect(front.endpoint, CHAT_STREAM, {
          model: MODEL,
          messages: [{ role: 'USER', content: 'Hi' }],
          maxTokens: 4,
        });
        const terminal = events.filter((e) => /Done$|Error$/.test(e.__typename));
        expect(terminal).toHaveLength(1);
        if (terminal[0]!.__typename !== 'ChatDone') typedError(terminal[0]!);
      },
    },
    models: {
      path: '/v1/models',
      run: async () => {
        front.gateway.services.catalog.invalidate();
        const { data, errors } = await front.gql('{ models { id } }');
        if (errors) {
          expect(data).toBeNull();
          expect(ERROR_CODES).toContain(errors[0]!.extensions?.code);
        } else {
          expect(Array.isArray(data!.models)).toBe(true);
        }
      },
    },
  };

  for (const [answer, answerWith] of Object.entries(ANSWERS)) {
    for (const [name, operation] of Object.entries(operations)) {
      it(`${name}: ${answer}`, async () => {
        // A fresh model list, fetched before the hostile answer is armed.
        front.gateway.services.catalog.invalidate();
        if (name !== 'models') await front.gql('{ models { id } }');
        reply = answerWith;
        target = operation.path;
        try {
          await operation.run();
        } finally {
          target = '';
        }
        // The gateway still serves, and holds nothing of the call.
        front.gateway.services.catalog.invalidate();
        const { data } = await front.gql('{ models { id } }');
        expect(data!.models).toEqual([{ id: MODEL }]);
        const stats = front.gateway.services.nim.stats();
        expect({ inFlight: stats.inFlight, queued: stats.queued }).toEqual({
          inFlight: 0,
          queued: 0,
        });
      });
    }
  }
});
