// What NIM Proxy receives from the gateway: calls under the base URL's path prefix, with the
// upstream key, asking for JSON, a JSON body only where there is one, and the request id.
import type { IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  gatewayInFront,
  sendModels,
  startUpstream,
  type GatewayInFront,
  type TestUpstream,
} from '../support/upstream.ts';

const KEY = 'nvapi-transport-0123456789';
const seen: { method: string; url: string; headers: IncomingHttpHeaders }[] = [];
let upstream: TestUpstream;
let front: GatewayInFront;

beforeAll(async () => {
  upstream = await startUpstream((req, res, asked) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (asked.path.endsWith('/v1/models')) return sendModels(res, 'test/model');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: 'cmpl-1',
        object: 'text_completion',
        created: 1,
        model: 'test/model',
        choices: [{ index: 0, text: ' upon a time', logprobs: null, finish_reason: 'stop' }],
        usage: { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 },
      }),
    );
  });
  front = await gatewayInFront(`${upstream.url}/nim//`, { NIM_PROXY_API_KEY: KEY });
});
afterAll(async () => {
  await front?.close();
  await upstream?.close();
});

it('calls NIM under the base URL’s path, with the key, asking for JSON; a body only with its content type', async () => {
  const result = await front.gql(
    'mutation { complete(model: "test/model", prompt: "Once", maxTokens: 4) { ... on Completion { text } } }',
  );
  expect(result.data).toEqual({ complete: { text: ' upon a time' } });
  expect(seen.map(({ method, url }) => `${method} ${url}`)).toEqual([
    'GET /nim/v1/models',
    'POST /nim/v1/completions',
  ]);
  expect(result.headers.get('x-request-id')).toMatch(/\S/);
  for (const { headers } of seen) {
    expect(headers.authorization).toBe(`Bearer ${KEY}`);
    expect(headers.accept).toBe('application/json');
    expect(headers['x-request-id']).toBe(result.headers.get('x-request-id'));
  }
  expect(seen[0]!.headers['content-type']).toBeUndefined();
  expect(seen[1]!.headers['content-type']).toBe('application/json');
  expect(upstream.asked[1]!.body).toMatchObject({
    model: 'test/model',
    prompt: 'Once',
    max_tokens: 4,
  });
});
