// A bug in the middle of a stream (the relay's source throwing something that is no typed failure):
// the stream ends with a masked error, nothing of the error reaches the client, and the process
// serves on. Over Yoga's SSE (POST and GET), Apollo's multipart and graphql-sse's
// distinct-connections mode, each writer of event streams.
import { request } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StreamPart } from '../../src/nim/stream.ts';
import type { CompletionResponse } from '../../src/nim/wire.ts';
import { sample } from '../support/logged-gateway.ts';
import { MODEL, startStack, type Stack } from '../support/stack.ts';

const QUERY = `subscription { completionStream(model: "${MODEL}", prompt: "x", maxTokens: 4) { __typename ... on CompletionChunk { text } } }`;

/** Everything the client got, and how the response ended. */
function fetchStream(
  url: string,
  init: { method: string; accept: string; body?: string },
): Promise<{ body: string; ending: 'end' | 'cut' }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: init.method,
        headers: {
          accept: init.accept,
          'x-graphql-yoga-csrf': '1',
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ body, ending: 'end' }));
        res.on('error', () => resolve({ body, ending: 'cut' }));
        res.on('aborted', () => resolve({ body, ending: 'cut' }));
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('a bug in the middle of a stream', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({}, { tokenDelayMs: 0 });
  });
  afterAll(() => stack.close());
  beforeEach(() => {
    const nim = stack.gateway.services.nim;
    vi.spyOn(nim, 'streamCompletion').mockImplementationOnce(async function* () {
      yield [
        {
          type: 'delta',
          delta: {
            index: 0,
            text: 'first',
            role: null,
            reasoning: null,
            finish_reason: null,
            logprobs: null,
            toolCalls: [],
          },
        },
      ] satisfies StreamPart<CompletionResponse>[];
      throw new TypeError('secret bug detail');
    });
  });

  const post = JSON.stringify({ query: QUERY });
  const cases = [
    ['POST /graphql, text/event-stream', 'POST', 'text/event-stream', ''],
    [
      'GET /graphql, text/event-stream',
      'GET',
      'text/event-stream',
      `?query=${encodeURIComponent(QUERY)}`,
    ],
    ['POST /graphql/stream (graphql-sse)', 'POST', 'text/event-stream', '/stream'],
    [
      'POST /graphql, multipart',
      'POST',
      'multipart/mixed;subscriptionSpec="1.0", application/json',
      '',
    ],
  ] as const;

  it.each(cases)(
    '%s: the first event, a masked error, the end; no detail; the next stream is served',
    async (_name, method, accept, suffix) => {
      const url = suffix.startsWith('/')
        ? `${stack.endpoint}${suffix}`
        : `${stack.endpoint}${suffix}`;
      const got = await fetchStream(url, {
        method,
        accept,
        ...(method === 'POST' ? { body: post } : {}),
      });
      expect(got.body).toContain('"text":"first"');
      expect(got.body).not.toContain('secret');
      // A masked error as the stream's last result (multipart: its payload), then the protocol's end.
      expect(got.body).toContain('"code":"INTERNAL_SERVER_ERROR"');
      expect(got.ending).toBe('end');
      const next = await fetchStream(stack.endpoint, {
        method: 'POST',
        accept: 'text/event-stream',
        body: post,
      });
      expect(next.ending).toBe('end');
      expect(next.body).toContain('CompletionDone');
      // Both streams ended for the accounting too: none is left counted as open.
      const metrics = await (await fetch(stack.endpoint.replace(/\/graphql$/, '/metrics'))).text();
      expect(sample(metrics, 'nim_graphql_open_streams')).toBe(0);
    },
  );
});
